"""`cnncalc import`: a foreign model file (ONNX) written as a cnncalc architecture YAML."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import SHORT_HELP, app
from .options import ForceOpt, OutputOpt, write

ModelFile = Annotated[str, typer.Argument(help="A model file: .onnx (needs cnncalc[onnx]).")]


@app.command("import", short_help=SHORT_HELP["import"])
def import_command(file: ModelFile, output: OutputOpt = None, force: ForceOpt = False) -> None:
    """Read a model file (ONNX: its graph and the initializers' sizes, never the weights) and
    print it as a cnncalc architecture: flat, one named layer per node, `from:` and named
    merges where the graph branches. Every analysis command also reads the file directly."""
    from .. import importers, zoo
    from ..errors import SpecError
    from ..loader import load_text

    if importers.reader_for(file) is None:
        known = ", ".join(sorted(importers.READERS))
        raise SpecError(f"{file}: cnncalc imports model files ending in {known}")
    text, label, _ = zoo.locate(file)  # a missing file or a folder is refused as elsewhere
    load_text(text, label)  # checked as the analysis commands read it: no file they would refuse
    write(text, output, force)
