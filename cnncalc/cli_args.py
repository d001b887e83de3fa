"""Parsing and checking of the values a person gives outside a file — command-line options and
the Python API's arguments — shared by the CLI and `cnncalc.analyze`.

Every number is read as ASCII digits only (`'²'.isdigit()` is true, and `int('٣')` is 3) and is
held to CNNCALC_MAX_VALUE before `int()` reads it, so a 5,000-digit argument is one line, not
Python's ValueError about its own digit limit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from . import expr, limits
from .errors import LimitError, SpecError
from .nodes import Architecture

DIGITS = re.compile(r"[0-9]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DTYPES = ("fp32", "fp16", "bf16", "int8")  # the keys of report.DTYPE_BYTES, in --dtype order


def shown(text: str, limit: int = 40) -> str:
    """repr(text), cut in the middle when long: one error line, not 5,000 digits."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[: limit // 2] + "…" + text[-limit // 2 :]) + f" ({len(text):,} characters)"


def read_digits(digits: str, maximum: int | None = None) -> int | None:
    """ASCII digits as an int, or None when above `maximum` (CNNCALC_MAX_VALUE by default; told
    by the length first, before int() reads a long string)."""
    top = limits.MAX_VALUE if maximum is None else maximum
    if len(digits.lstrip("0")) > len(str(top)):
        return None
    value = int(digits)
    return None if value > top else value


def _size(digits: str, text: str) -> int:
    """One size of --input: positive, at most CNNCALC_MAX_VALUE."""
    value = read_digits(digits)
    if value is None:
        raise LimitError(
            f"--input {shown(text)}: sizes above {limits.MAX_VALUE:,} are refused "
            f"({limits.VALUE_HINT})"
        )
    if value < 1:
        raise SpecError(f"--input {shown(text)}: sizes must be positive")
    return value


def parse_input(text: str, channels: Any = 3) -> tuple[Any, ...]:
    """`3x224x224` -> (3, 224, 224); `224` -> (channels, 224, 224); `3xHxW` keeps names as Expr;
    `4096x` or `[4096]`-style flat inputs are written `f4096`."""
    if not isinstance(text, str):
        raise TypeError(f"input must be text such as '3x224x224', got {text!r}")
    raw = text.strip()
    if raw[:1] in ("f", "F") and DIGITS.fullmatch(raw[1:]):
        return (_size(raw[1:], text),)
    parts = [p.strip() for p in re.split(r"[x×,]", raw)]
    if len(parts) == 1 and _NAME.fullmatch(parts[0]):  # `abc` is a typo, not a symbol: say so
        raise SpecError(
            f"--input {shown(text)}: a single size must be a number (224); symbols are written "
            "CxHxW or HxW (3xHxW)"
        )
    if len(parts) == 1:
        parts = [str(channels), parts[0], parts[0]]
    elif len(parts) == 2:
        parts = [str(channels), *parts]
    if len(parts) != 3 or not all(DIGITS.fullmatch(p) or _NAME.fullmatch(p) for p in parts):
        raise SpecError(
            f"--input {shown(text)}: expected CxHxW (e.g. 3x224x224), HxW, a single size, "
            "or names for symbols (3xHxW)"
        )
    shape: list[Any] = []
    for p in parts:
        if DIGITS.fullmatch(p):
            shape.append(_size(p, text))
        else:
            shape.append(expr.parse(p))
    return tuple(shape)


def input_for(arch: Architecture, value: Any) -> tuple[Any, ...]:
    """The input shape for `arch` from --input text or the API's tuple, checked as a file's
    `input:` is: positive integers up to CNNCALC_MAX_VALUE, or names for symbols."""
    channels = arch.input[0]
    if isinstance(value, (tuple, list)):
        shape = tuple(_dimension(d, value) for d in value)
        label = repr(tuple(value))
    elif isinstance(value, str):
        shape = parse_input(value, channels if isinstance(channels, int) else str(channels))
        label = repr(value)
    else:
        raise TypeError(
            f"input must be text ('3x224x224') or a tuple of sizes ((3, 224, 224)), got {value!r}"
        )
    if len(shape) != len(arch.input):
        raise SpecError(
            f"--input {label} has {len(shape)} dimensions but {arch.name} takes "
            f"{len(arch.input)}"
        )
    return shape


def _dimension(d: Any, whole: Any) -> Any:
    if isinstance(d, expr.Expr):
        return d
    if isinstance(d, str) and _NAME.fullmatch(d):
        return expr.parse(d)
    if type(d) is not int or d < 1:  # bool, float, 0, text that is not a name
        raise SpecError(
            f"input {tuple(whole)!r}: sizes must be positive integers or names, got {d!r}"
        )
    if d > limits.MAX_VALUE:
        raise LimitError(
            f"input size {d:,} is above {limits.MAX_VALUE:,} ({limits.VALUE_HINT})"
        )
    return d


def parse_bindings(text: str | None) -> dict[str, int]:
    """`H=224,C=64` -> {"H": 224, "C": 64}."""
    out: dict[str, int] = {}
    if not text:
        return out
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not _NAME.fullmatch(name) or not DIGITS.fullmatch(value):
            raise SpecError(
                f"--set {shown(part)}: expected NAME=POSITIVE_INTEGER, e.g. --set H=224,C=64"
            )
        number = read_digits(value)
        if number is None:
            raise LimitError(
                f"--set {shown(part)}: values above {limits.MAX_VALUE:,} are refused "
                f"({limits.VALUE_HINT})"
            )
        if number < 1:
            raise SpecError(
                f"--set {shown(part)}: expected NAME=POSITIVE_INTEGER, e.g. --set H=224,C=64"
            )
        out[name] = number
    return out


def check_bindings(values: Any) -> dict[str, int]:
    """The API's `set=`: None, --set text, or a mapping of names to positive integers."""
    if values is None or isinstance(values, str):
        return parse_bindings(values)
    if not isinstance(values, Mapping):
        raise TypeError(f"set must be a mapping such as {{'H': 224}}, got {values!r}")
    out: dict[str, int] = {}
    for name, value in values.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise SpecError(f"set: {name!r} is not a symbol name")
        if type(value) is not int or value < 1:
            raise SpecError(f"set: {name}={value!r}; values must be positive integers")
        if value > limits.MAX_VALUE:
            raise LimitError(
                f"set: {name}={value:,} is above {limits.MAX_VALUE:,} ({limits.VALUE_HINT})"
            )
        out[name] = value
    return out


def check_batch(batch: Any) -> int:
    if type(batch) is not int:
        raise TypeError(f"batch must be an int, got {batch!r}")
    if batch < 1:
        raise SpecError(f"batch {batch}: must be at least 1")
    if batch > limits.MAX_VALUE:
        raise LimitError(
            f"batch {batch:,} is above {limits.MAX_VALUE:,} ({limits.VALUE_HINT})"
        )
    return batch


def check_dtype(dtype: Any) -> str:
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if dtype not in DTYPES:
        raise SpecError(f"dtype {shown(dtype)}: expected one of {', '.join(DTYPES)}")
    return dtype


def arch_text(arch: Any) -> str:
    """A zoo name or a path (str or os.PathLike) as the text the zoo lookup takes."""
    if isinstance(arch, os.PathLike):
        path = os.fspath(arch)
        return path if isinstance(path, str) else os.fsdecode(path)
    if isinstance(arch, str):
        return arch
    raise TypeError(
        f"arch must be a zoo name, a path or a loaded Architecture, got {arch!r}"
    )
