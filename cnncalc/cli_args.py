"""Parsing of command-line values shared by the CLI and the Python API."""

from __future__ import annotations

import re
from typing import Any

from . import expr
from .errors import LimitError, SpecError
from .limits import MAX_VALUE, VALUE_HINT
from .nodes import Architecture

_DIM = re.compile(r"^(\d+|[A-Za-z_][A-Za-z0-9_]*)$")


def parse_input(text: str, channels: Any = 3) -> tuple[Any, ...]:
    """`3x224x224` -> (3, 224, 224); `224` -> (channels, 224, 224); `3xHxW` keeps names as Expr;
    `4096x` or `[4096]`-style flat inputs are written `f4096`."""
    raw = text.strip().lower().replace("×", "x") if text.strip().isdigit() else text.strip()
    if raw.startswith("f") and raw[1:].isdigit():
        return (int(raw[1:]),)
    parts = [p.strip() for p in re.split(r"[x×,]", raw)] if not raw.isdigit() else [raw]
    if len(parts) == 1 and parts[0].isidentifier():  # `abc` is a typo, not a symbol: say so
        raise SpecError(
            f"--input {text!r}: a single size must be a number (224); symbols are written "
            "CxHxW or HxW (3xHxW)"
        )
    if len(parts) == 1:
        parts = [str(channels), parts[0], parts[0]]
    elif len(parts) == 2:
        parts = [str(channels), *parts]
    if len(parts) != 3 or not all(_DIM.match(p) for p in parts):
        raise SpecError(
            f"--input {text!r}: expected CxHxW (e.g. 3x224x224), HxW, a single size, "
            "or names for symbols (3xHxW)"
        )
    shape: list[Any] = []
    for p in parts:
        if p.isdigit():
            if int(p) < 1:
                raise SpecError(f"--input {text!r}: sizes must be positive")
            if int(p) > MAX_VALUE:
                raise LimitError(f"--input {text!r}: sizes above {MAX_VALUE:,} are refused ({VALUE_HINT})")
            shape.append(int(p))
        else:
            shape.append(expr.parse(p))
    return tuple(shape)


def input_for(arch: Architecture, value: str | tuple[Any, ...]) -> tuple[Any, ...]:
    channels = arch.input[0]
    if isinstance(value, tuple):
        return value
    shape = parse_input(value, channels if isinstance(channels, int) else str(channels))
    if len(shape) != len(arch.input):
        raise SpecError(
            f"--input {value!r} has {len(shape)} dimensions but {arch.name} takes "
            f"{len(arch.input)}"
        )
    return shape


def parse_bindings(text: str | None) -> dict[str, int]:
    """`H=224,C=64` -> {"H": 224, "C": 64}."""
    out: dict[str, int] = {}
    if not text:
        return out
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name.isidentifier() or not value.isdigit() or int(value) < 1:
            raise SpecError(f"--set {part!r}: expected NAME=POSITIVE_INTEGER, e.g. --set H=224,C=64")
        if int(value) > MAX_VALUE:
            raise LimitError(f"--set {part!r}: values above {MAX_VALUE:,} are refused ({VALUE_HINT})")
        out[name] = int(value)
    return out
