"""The leaf-layer protocol and its registry.

A leaf layer type is one frozen dataclass: its fields are its YAML arguments (with their kinds in
FIELDS), and its methods give the output shape, the cost and the receptive-field step, each with
its formula in the docstring. Adding a layer type is one class here plus rows in its test table.

Every registered type states each formula in FORMULAS, or inherits it from an explicit base that
says why it holds (Elementwise, ParameterFree, MacFree, NoOtherOps, DataMovement): `register`
refuses a class that would fall back on Layer, so a forgotten `macs` fails at import instead of
counting 0.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

from ..errors import LimitError, ShapeError, SpecError
from ..limits import MAX_VALUE, VALUE_HINT
from ..shape import Shape, is_int

REGISTRY: dict[str, type[Layer]] = {}


FORMULAS = ("output_shape", "params", "buffers", "macs", "extra_flops", "rf_steps")


def missing_formulas(cls: type[Layer]) -> list[str]:
    """The FORMULAS that `cls` neither defines nor inherits from a class other than Layer."""
    return [name for name in FORMULAS if getattr(cls, name) is getattr(Layer, name)]


def register(*names: str) -> Callable[[type[Layer]], type[Layer]]:
    def add(cls: type[Layer]) -> type[Layer]:
        if missing := missing_formulas(cls):
            raise TypeError(
                f"layer type {names[0]!r} ({cls.__name__}) does not state {', '.join(missing)}: "
                "define each, or inherit it from an explicit base (Elementwise, ParameterFree, "
                "MacFree, NoOtherOps, DataMovement)"
            )
        cls.TYPE = names[0]
        for name in names:
            REGISTRY[name] = cls
        return cls

    return add


@dataclass(frozen=True, slots=True)
class AxisStep:
    """What a layer does to the receptive field along one axis (Araujo et al., Distill 2019).

    `kernel` is the effective kernel d(k−1)+1, `stride` the step, `pad` the padding before the
    first input element (top or left).
    """

    kernel: Any
    stride: Any
    pad: Any


IDENTITY_STEP = (AxisStep(1, 1, 0), AxisStep(1, 1, 0))


class Layer:
    """Base class of every leaf layer type. Subclasses are frozen dataclasses."""

    TYPE: ClassVar[str] = "?"
    FIELDS: ClassVar[dict[str, str]] = {}  # field -> kind (see coerce)
    PRIMARY: ClassVar[str | None] = None  # the field a scalar shorthand sets: `- dropout: 0.5`
    EXTRA_KIND: ClassVar[str] = ""  # category of the non-MAC operations this layer performs
    WEIGHTED: ClassVar[bool] = False  # counts as a weight layer (conv, linear) for depth
    NONLINEAR: ClassVar[bool] = False  # counts as a nonlinearity for depth
    REFERENCE: ClassVar[str | None] = None  # a field naming an earlier layer this one reads
    # False for what torch writes as a function, not a module (`x.chunk(2, dim=1)`): such a
    # layer takes no position in its list, so the modules around it keep torchvision's numbers
    NUMBERED: ClassVar[bool] = True

    # The formulas: no defaults here (see FORMULAS and register).

    def output_shape(self, shape: Shape) -> Shape:
        """The output shape for an input of `shape`."""
        raise NotImplementedError(f"{self.TYPE} states no output_shape")

    def params(self, shape: Shape) -> Any:
        """Learnable parameters, counted as torch counts them."""
        raise NotImplementedError(f"{self.TYPE} states no params")

    def buffers(self, shape: Shape) -> Any:
        """Non-learnable state (batch-norm running statistics)."""
        raise NotImplementedError(f"{self.TYPE} states no buffers")

    def macs(self, shape: Shape, out: Shape) -> Any:
        """Multiply-accumulates of the layer's main operation."""
        raise NotImplementedError(f"{self.TYPE} states no macs")

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """Operations outside the MACs (bias, normalisation, activation, pooling)."""
        raise NotImplementedError(f"{self.TYPE} states no extra_flops")

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep] | None:
        """Per-axis receptive-field step; None when the layer sees its whole input."""
        raise NotImplementedError(f"{self.TYPE} states no rf_steps")

    def rf_note(self, shape: Shape) -> str:
        """Why rf_steps is only an approximation here, if it is ('' when exact)."""
        return ""

    def weight_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        """The learnable tensors as torch lays them out (the reference pass allocates these)."""
        return {}

    def buffer_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {}

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        """The reference computation (NumPy), used by `cnncalc verify`."""
        raise NotImplementedError(f"{self.TYPE} has no reference computation yet")

    def describe(self) -> str:
        """A short summary of the arguments for tables."""
        return ""

    def copies(self) -> Any:
        """How many times the layers after this one run per sample (R regions after roi_pool)."""
        return 1

    def extra_inputs(self, shape: Shape, rng: Any) -> dict[str, Any]:
        """Inputs other than weights that the reference computation needs (RoI boxes)."""
        return {}

    def bind(self, layer: Layer, row: Any) -> Layer:
        """For REFERENCE layers: this layer with the referenced layer (and its row) filled in."""
        return self


class ParameterFree(Layer):
    """A layer with no learnable tensors and no buffers."""

    __slots__ = ()

    def params(self, shape: Shape) -> Any:
        """0: nothing learnable."""
        return 0

    def buffers(self, shape: Shape) -> Any:
        """0: no running statistics."""
        return 0


class MacFree(Layer):
    """A layer with no multiply-accumulates against weights (its arithmetic, if any, is counted
    under other operations)."""

    __slots__ = ()

    def macs(self, shape: Shape, out: Shape) -> Any:
        """0: no weights to multiply by."""
        return 0


class NoOtherOps(Layer):
    """A layer that moves or copies values and computes nothing."""

    __slots__ = ()

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """0: values are moved or copied, not computed."""
        return 0


class Elementwise(ParameterFree, MacFree):
    """A function applied to each element alone (activations; normalisation with per-channel
    constants): shape kept, each output sees its own input position."""

    __slots__ = ()

    def output_shape(self, shape: Shape) -> Shape:
        """The input shape."""
        return shape

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep] | None:
        """Identity: kernel 1, stride 1, no padding."""
        return IDENTITY_STEP


class DataMovement(ParameterFree, MacFree, NoOtherOps):
    """Reshaping, cropping, scattering: no parameters and no arithmetic; the shape and the field
    are each class's own."""

    __slots__ = ()


def fields_of(cls: type[Layer]) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]


def has_default(field: dataclasses.Field[Any]) -> bool:
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )


# ---------------------------------------------------------------- argument kinds


def _int(name: str, value: Any, minimum: int, what: str) -> Any:
    """An integer argument from `minimum` to CNNCALC_MAX_VALUE. The checks hold whatever the
    value's type: a sympy number (an expression that folded to a constant, `C - C`) becomes a
    plain int and is checked as one; zoo, nan and non-integers are refused; a symbolic value
    that sympy proves below `minimum` (`-C`) is refused too."""
    if isinstance(value, bool) or not (is_int(value) or _is_symbolic(value)):
        raise SpecError(f"{name!r} must be {what}, got {_show(value)}")
    if _is_symbolic(value) and getattr(value, "is_number", False):
        if not value.is_Integer:
            raise SpecError(f"{name!r} must be {what}, got {value}")
        value = int(value)
    if is_int(value) and value < minimum:
        raise SpecError(f"{name!r} must be {what}, got {value}")
    if is_int(value) and value > MAX_VALUE:
        raise LimitError(
            f"{name!r} is {_big(value)}; cnncalc refuses integers above {MAX_VALUE:,} "
            f"({VALUE_HINT})"
        )
    if _is_symbolic(value) and getattr(value - minimum, "is_negative", None) is True:
        raise SpecError(f"{name!r} must be {what}, got {value} (negative for every size)")
    return value


def _big(value: int) -> str:
    """12,345,678 — or, past 30 digits, how many digits (a message stays one readable line)."""
    digits = len(str(abs(value)))
    return f"{value:,}" if digits <= 30 else f"a number of {digits:,} digits"


def _is_symbolic(value: Any) -> bool:
    return type(value).__module__.startswith("sympy")


def _finite(name: str, value: Any, what: str) -> float:
    """A YAML number, or the exact fraction an expression gives (`p: rate` with a block argument
    `rate: 0.2` is 1/5), as a float: bools, text, nan, infinities and ints too big for a float
    are refused (float(10**400) would raise OverflowError)."""
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise SpecError(f"{name!r} must be {what}, got {_show(value)}")
    if isinstance(value, int) and abs(value) > MAX_VALUE:
        raise LimitError(
            f"{name!r} is {_big(value)}; cnncalc refuses numbers above {MAX_VALUE:,} "
            f"({VALUE_HINT})"
        )
    if not math.isfinite(value):
        raise SpecError(f"{name!r} must be {what}, got {value}")
    return float(value)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "a list " + repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return str(value)


PAIR_KINDS = frozenset({"pair", "pair?", "pair0", "offset", "padding", "pad4"})
_PAIR_TEXT = re.compile(r"[0-9\s]*(?:[x×X][0-9\s]*)+")  # what looks like an HxW attempt
_MAX_DIGITS = 1000  # far above any legal value, far below Python's int-from-text limit


def pair_text(name: str, text: str) -> list[int] | None:
    """`3x3`, `2x1` (HxW, as on the command line) -> [h, w], the same as writing [3, 3]; None
    for text that is no such attempt; SpecError for `3x`, `x3` or `3x3x3`."""
    if not _PAIR_TEXT.fullmatch(text):
        return None
    parts = [p.strip() for p in re.split("[x×X]", text)]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise SpecError(f"{name!r} must be HxW (e.g. 3x3) or [h, w], got {text!r}")
    if max(len(p) for p in parts) > _MAX_DIGITS:
        raise LimitError(f"{name!r}: cnncalc refuses integers above {MAX_VALUE:,} ({VALUE_HINT})")
    return [int(p) for p in parts]  # coerce checks each against the kind's minimum and limit


def _pair(name: str, value: Any, minimum: int, what: str) -> tuple[Any, Any]:
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise SpecError(f"{name!r} must be {what} or a pair [h, w], got {_show(value)}")
        return (_int(name, value[0], minimum, what), _int(name, value[1], minimum, what))
    v = _int(name, value, minimum, what + " or a pair [h, w]")
    return (v, v)


def coerce(kind: str, name: str, value: Any) -> Any:
    """Check a resolved argument against its kind and normalise it; raise SpecError otherwise."""
    if kind == "pos":
        return _int(name, value, 1, "a positive integer")
    if kind == "nonneg":
        return _int(name, value, 0, "a non-negative integer")
    if kind == "pair":
        return _pair(name, value, 1, "a positive integer")
    if kind == "pair?":
        return None if value is None else _pair(name, value, 1, "a positive integer")
    if kind == "pair0":
        return _pair(name, value, 0, "a non-negative integer")
    if kind == "offset":  # a crop's: pixels from the top left, or `center`
        if value == "center":
            return value
        return _pair(name, value, 0, "a non-negative integer, 'center'")
    if kind == "padding":
        if value in ("same", "valid"):
            return value
        if isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, (list, tuple)) for v in value
        ):  # [[top, bottom], [left, right]]
            return tuple(_pair(name, v, 0, "a non-negative integer") for v in value)
        h, w = _pair(name, value, 0, "a non-negative integer, 'same' or 'valid'")
        return ((h, h), (w, w))
    if kind == "pad4":  # torch.nn.ZeroPad2d's p or (left, right, top, bottom), or [h, w]
        if isinstance(value, (list, tuple)) and len(value) == 4:
            left, right, top, bottom = (
                _int(name, v, 0, "a non-negative integer") for v in value
            )
            return ((top, bottom), (left, right))
        if isinstance(value, (list, tuple)) and len(value) != 2:
            raise SpecError(
                f"{name!r} must be p, [h, w] or [left, right, top, bottom], got {_show(value)}"
            )
        h, w = _pair(name, value, 0, "a non-negative integer")
        return ((h, h), (w, w))
    if kind == "bool":
        if not isinstance(value, bool):
            raise SpecError(f"{name!r} must be true or false, got {_show(value)}")
        return value
    if kind == "float":
        return _finite(name, value, "a number")
    if kind == "posfloat":
        number = _finite(name, value, "a positive number")
        if number <= 0:
            raise SpecError(f"{name!r} must be a positive number, got {value}")
        return number
    if kind == "prob":
        number = _finite(name, value, "a number from 0 to 1")
        if not 0 <= number <= 1:
            raise SpecError(f"{name!r} must be a number from 0 to 1, got {_show(value)}")
        return number
    if kind == "levels":
        items = value if isinstance(value, (list, tuple)) else [value]
        if not items:
            raise SpecError(f"{name!r} must be a list of positive integers, got an empty list")
        return tuple(_int(name, v, 1, "a list of positive integers") for v in items)
    if kind == "shape":
        if not isinstance(value, (list, tuple)) or len(value) not in (1, 3):
            raise SpecError(f"{name!r} must be [C, H, W] or [F], got {_show(value)}")
        return tuple(_int(name, v, 1, "a list of positive integers") for v in value)
    if kind == "name":
        if not isinstance(value, str) or not all(
            part.isidentifier() or part.isdigit() for part in value.split(".")
        ):
            raise SpecError(f"{name!r} must name a layer (its name or path), got {_show(value)}")
        return value
    if kind.startswith("choice:"):
        choices = kind[len("choice:") :].split("|")
        if value not in choices:
            raise SpecError(f"{name!r} must be one of {', '.join(choices)}; got {_show(value)}")
        return value
    raise AssertionError(f"unknown field kind {kind}")


def empty_output(layer: str, axis: str, arithmetic: str, value: Any) -> ShapeError:
    return ShapeError(
        f"{layer} output {axis} would be {arithmetic} = {value}: the input is too small "
        "for this layer"
    )
