"""cnncalc: shapes, parameters, MACs, memory and receptive fields of convolutional networks.

    >>> import cnncalc
    >>> report = cnncalc.analyze("vgg16")
    >>> report.totals.params
    138357544
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["analyze", "load", "parse_input", "__version__"]

if TYPE_CHECKING:
    from .nodes import Architecture
    from .report import Report


def load(arch: str) -> Architecture:
    """A zoo name or a path -> the architecture tree (raises cnncalc.errors.SpecError)."""
    from . import zoo

    return zoo.load(arch)


def parse_input(text: str) -> tuple[Any, ...]:
    """`3x224x224`, `224` (square, 3 channels), `3xHxW` or `1000` flat -> a shape tuple."""
    from .cli_args import parse_input as parse

    return parse(text)


def analyze(
    arch: str | Architecture,
    input: str | tuple[Any, ...] | None = None,
    batch: int = 1,
    dtype: str = "fp32",
    set: dict[str, int] | None = None,  # noqa: A002  (mirrors --set)
    no_bias: bool = False,
) -> Report:
    """Propagate through `arch` (zoo name, path or loaded Architecture) and return the Report.
    `no_bias` drops the bias of every conv and linear layer (for comparisons)."""
    from .engine import analyze_architecture
    from .cli_args import input_for

    architecture = load(arch) if isinstance(arch, str) else arch
    shape = input_for(architecture, input) if input is not None else None
    return analyze_architecture(architecture, shape, set, batch, dtype, no_bias=no_bias)
