"""The single-layer calculator: `cnncalc conv`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import CnnCalcError
from .app import SHORT_HELP, app
from .options import Format, FormatOpt, WholeNumber, check_format, emit


def _size_pair(text: str, option: str = "size", minimum: int = 1) -> tuple[int, int]:
    """`3` -> (3, 3); `3x5` -> (3, 5); ASCII digits up to CNNCALC_MAX_VALUE."""
    from ..cli_args import DIGITS, read_digits, shown
    from ..limits import MAX_VALUE, VALUE_HINT

    parts = [p.strip() for p in text.lower().replace("×", "x").split("x")]
    if len(parts) not in (1, 2) or not all(DIGITS.fullmatch(p) for p in parts):
        raise CnnCalcError(f"{option} {shown(text)}: give a number or HxW, e.g. 3 or 3x5")
    values = [v for v in (read_digits(p) for p in parts) if v is not None]
    if len(values) != len(parts):
        raise CnnCalcError(
            f"{option} {shown(text)}: values above {MAX_VALUE:,} are refused ({VALUE_HINT})"
        )
    if min(values) < minimum:
        raise CnnCalcError(f"{option} {shown(text)}: must be at least {minimum}")
    return (values[0], values[-1])


@app.command("conv", short_help=SHORT_HELP["conv"])
def conv_calculator(
    size: Annotated[str, typer.Argument(help="Input height (and width): 224 or 224x160.")],
    kernel: Annotated[str, typer.Option("--kernel", "-k", help="Kernel: 3 or 3x5.")] = "3",
    stride: Annotated[str, typer.Option("--stride", "-s", help="Stride: 1 or 2x1.")] = "1",
    padding: Annotated[
        str, typer.Option("--padding", "-p", help="Padding: 1, 1x2, same or valid.")
    ] = "0",
    dilation: Annotated[str, typer.Option("--dilation", help="Dilation: 1 or 2x2.")] = "1",
    groups: Annotated[int, typer.Option("--groups", "-g", click_type=WholeNumber(1))] = 1,
    c_in: Annotated[
        int, typer.Option("--in", click_type=WholeNumber(1), help="Input channels.")
    ] = 3,
    c_out: Annotated[
        int, typer.Option("--out", click_type=WholeNumber(1), help="Output channels (filters).")
    ] = 64,
    bias: Annotated[bool, typer.Option("--bias/--no-bias", help="Count a bias per filter.")] = True,
    format: FormatOpt = Format.table,
) -> None:
    """What comes out of one convolution: the output size, parameters and MACs, each formula with
    the numbers put in. Example: cnncalc conv 56 --kernel 3 --in 128 --out 64 --no-bias."""
    from ..layer_calc import conv_report
    from ..render.conv import FORMATS, render_conv

    check_format("conv", format, FORMATS)
    h, w = _size_pair(size)
    pad: Any = padding if padding in ("same", "valid") else _size_pair(padding, "--padding", 0)
    result = conv_report(
        (c_in, h, w), c_out, _size_pair(kernel, "--kernel"), _size_pair(stride, "--stride"), pad,
        _size_pair(dilation, "--dilation"), groups, bias,
    )
    emit(lambda console: render_conv(result, format.value, console))
