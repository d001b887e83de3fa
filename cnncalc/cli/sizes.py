"""`cnncalc sizes`: which input sizes work, per axis."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import SHORT_HELP, app
from .options import Arch, Format, FormatOpt, WholeNumber, check_format, emit


@app.command("sizes", short_help=SHORT_HELP["sizes"])
def sizes_command(
    arch: Arch,
    near: Annotated[
        int | None,
        typer.Option(
            "--near", "-n", click_type=WholeNumber(1), help="Show valid sizes close to this one."
        ),
    ] = None,
    format: FormatOpt = Format.table,
) -> None:
    """Which input sizes work, per axis: the smallest, those for which no layer drops a real
    pixel (as residues modulo the network's total stride), and the ones near --near."""
    from .. import load
    from ..render.sizes import FORMATS, render_sizes
    from ..sizes import input_sizes

    check_format("sizes", format, FORMATS)
    result = input_sizes(load(arch), near)
    emit(lambda console: render_sizes(result, format.value, console))
