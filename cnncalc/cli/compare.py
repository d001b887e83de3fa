"""`cnncalc compare`: designs side by side."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import CnnCalcError
from .app import SHORT_HELP, app
from .options import BatchOpt, DType, DTypeOpt, Format, FormatOpt, InputOpt, SetOpt, analyze, emit


@app.command("compare", short_help=SHORT_HELP["compare"])
def compare(
    designs: Annotated[list[str], typer.Argument(help="ARCH vs ARCH [vs ARCH ...]")],
    input: InputOpt = None,
    set_: SetOpt = None,
    batch: BatchOpt = 1,
    dtype: DTypeOpt = DType.fp32,
    no_bias: Annotated[
        bool, typer.Option("--no-bias", help="Drop the bias of every conv and linear layer.")
    ] = False,
    format: FormatOpt = Format.table,
) -> None:
    """Designs side by side: shapes, parameters, MACs, memory, receptive field, depth, and the
    first design's figures divided by each other's (with the limit as a symbol grows)."""
    from ..compare import compare_reports
    from ..render.compare import render_compare

    names = [d for d in designs if d.lower() != "vs"]
    if len(names) < 2:
        raise CnnCalcError("compare needs at least two designs: cnncalc compare A vs B")
    reports = [analyze(n, input, set_, batch, dtype, no_bias) for n in names]
    comparison = compare_reports(reports)
    emit(lambda console: render_compare(comparison, format.value, console))
