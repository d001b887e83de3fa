"""`cnncalc export`: an architecture as source for another framework (PyTorch, for now)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from .app import SHORT_HELP, app
from .options import Arch, ForceOpt, InputOpt, OutputOpt, write


class Target(StrEnum):
    pytorch = "pytorch"


ToOpt = Annotated[Target, typer.Option("--to", help="The framework to write source for.")]


@app.command("export", short_help=SHORT_HELP["export"])
def export_command(
    arch: Arch,
    to: ToOpt = Target.pytorch,
    input: InputOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
) -> None:
    """Write a self-contained PyTorch file (torch only, no cnncalc at run time) with an
    nn.Module whose parameter names follow the cnncalc layer paths and whose parameter count
    and output shape equal cnncalc's. Sequential networks only for now (layers, seq, repeat);
    anything else is refused, naming the layer. --input sets the size the linear layers after
    a flatten are sized for (the file's input by default)."""
    from .. import load
    from ..cli_args import input_for
    from ..engine import analyze_architecture
    from ..export_torch import export_pytorch

    architecture = load(arch)
    shape = input_for(architecture, input) if input is not None else architecture.input
    result = analyze_architecture(architecture, shape)
    write(export_pytorch(architecture, result.rows), output, force)
