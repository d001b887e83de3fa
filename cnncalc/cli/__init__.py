"""The command line: a package of thin commands (parse → compute → render → write), one module
per command or group of commands, their shared options in options.py, the typer app and its
error boundary in app.py. The only part of cnncalc that writes to stdout or stderr.

    reports.py           params, shapes, flops, rf, summary
    zoo.py               list, show, layers, schema
    conv.py              conv
    compare.py           compare
    convolutionalize.py  convolutionalize
    sizes.py             sizes
    verify.py            verify
    importer.py          import
    export.py            export
"""

from __future__ import annotations

from . import (  # noqa: F401 (commands)
    compare,
    conv,
    convolutionalize,
    export,
    importer,
    reports,
    sizes,
    verify,
    zoo,
)
from .app import app, main

__all__ = ["app", "main"]
