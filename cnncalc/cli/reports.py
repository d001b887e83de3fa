"""The report views: params, shapes, flops, rf, summary. One command each, the same options;
they differ only in the columns and summary lines they show."""

from __future__ import annotations

from .app import SHORT_HELP, app
from .options import (
    Arch,
    BatchOpt,
    ColumnsOpt,
    DepthOpt,
    DType,
    DTypeOpt,
    ForceOpt,
    Format,
    FormatOpt,
    InputOpt,
    Mode,
    ModeOpt,
    OutputOpt,
    SetOpt,
    analyze,
    emit,
)


def _view_command(view: str, doc: str) -> None:
    def command(
        arch: Arch,
        input: InputOpt = None,
        set_: SetOpt = None,
        batch: BatchOpt = 1,
        dtype: DTypeOpt = DType.fp32,
        depth: DepthOpt = None,
        format: FormatOpt = Format.table,
        output: OutputOpt = None,
        force: ForceOpt = False,
        columns: ColumnsOpt = None,
        mode: ModeOpt = Mode.eval,
    ) -> None:
        from ..errors import CnnCalcError
        from ..render import report as views

        keys = None
        if columns is not None:
            if format is Format.json:
                raise CnnCalcError(
                    "--columns picks the columns of table, csv and markdown; json has every field"
                )
            keys = views.parse_columns(columns)
        report = analyze(arch, input, set_, batch, dtype, mode=mode)
        emit(lambda console: views.render_report(report, view, format.value, console, depth, keys),
             output, force)

    command.__doc__ = doc
    app.command(view, short_help=SHORT_HELP[view])(command)


_view_command("params", "Parameters per layer and in total (trainable, frozen, buffers).")
_view_command("shapes", "The output shape of every layer.")
_view_command("flops", "MACs and FLOPs per layer (FLOPs = 2·MACs), other operations apart.")
_view_command("rf", "Receptive field of every layer: size, jump (effective stride), start.")
_view_command("summary", "All columns: shape, parameters, MACs, activations, receptive field.")
