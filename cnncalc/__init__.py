"""cnncalc: shapes, parameters, MACs, memory and receptive fields of convolutional networks.

    >>> import cnncalc
    >>> report = cnncalc.analyze("vgg16")
    >>> report.totals.params
    138357544
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["analyze", "load", "parse_input", "__version__"]

if TYPE_CHECKING:
    from .nodes import Architecture
    from .report import Report


def load(arch: str | os.PathLike[str]) -> Architecture:
    """A zoo name or a path (str or os.PathLike) -> the architecture tree (raises
    cnncalc.errors.SpecError; TypeError for an argument of the wrong type)."""
    from . import zoo
    from .cli_args import arch_text

    return zoo.load(arch_text(arch))


def parse_input(text: str) -> tuple[Any, ...]:
    """`3x224x224`, `224` (square, 3 channels), `3xHxW` or `f1000` flat -> a shape tuple."""
    from .cli_args import parse_input as parse

    return parse(text)


def analyze(
    arch: str | os.PathLike[str] | Architecture,
    input: str | tuple[Any, ...] | None = None,
    batch: int = 1,
    dtype: str = "fp32",
    set: dict[str, int] | None = None,  # noqa: A002  (mirrors --set)
    no_bias: bool = False,
    mode: str = "eval",
) -> Report:
    """Propagate through `arch` (zoo name, path or loaded Architecture) and return the Report.
    `input` is text as for --input or a tuple of positive ints and symbol names; `set` binds
    symbols ({'H': 224} or 'H=224'); `no_bias` drops the bias of every conv and linear layer
    (for comparisons); `mode` "eval" or "train" decides whether train_only nodes (aux
    heads) count MACs and activations. Every argument is checked as the command line checks
    it: a wrong value raises cnncalc.errors.CnnCalcError, a wrong type TypeError naming the
    argument."""
    from .cli_args import check_batch, check_bindings, check_dtype, input_for
    from .engine import analyze_architecture
    from .nodes import Architecture

    if not isinstance(no_bias, bool):
        raise TypeError(f"no_bias must be True or False, got {no_bias!r}")
    batch = check_batch(batch)
    dtype = check_dtype(dtype)
    bindings = check_bindings(set)
    architecture = arch if isinstance(arch, Architecture) else load(arch)
    shape = input_for(architecture, input) if input is not None else None
    return analyze_architecture(
        architecture, shape, bindings, batch, dtype, no_bias=no_bias, mode=mode
    )
