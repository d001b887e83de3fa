"""cnncalc/reference/ imports nothing from the rest of cnncalc: the kernels that verify the
engine's formulas must not share them (read from each file's import statements, not from what
happens to be loaded)."""

from __future__ import annotations

import ast
from pathlib import Path

import cnncalc.reference

PACKAGE = Path(cnncalc.reference.__file__).parent
OWN = {p.stem for p in PACKAGE.glob("*.py")}


def outside_imports(source: str) -> list[str]:
    """The imports in `source` (a file of cnncalc/reference/) that reach the rest of cnncalc."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "cnncalc"
                      and not a.name.startswith("cnncalc.reference")]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0:
                if module.split(".")[0] == "cnncalc" and not module.startswith("cnncalc.reference"):
                    found.append(module)
            elif node.level > 1:  # from .. import x, from ..shape import y
                found.append("." * node.level + module)
            elif not module:  # from . import x: x must be a module of this package
                found += [f".{a.name}" for a in node.names if a.name not in OWN]
            elif module.split(".")[0] not in OWN:
                found.append(f".{module}")
    return found


def test_reference_imports_nothing_from_the_rest_of_cnncalc():
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 7
    leaks = {p.name: outside_imports(p.read_text()) for p in files}
    assert {name: found for name, found in leaks.items() if found} == {}


def test_the_import_reader_sees_every_way_in():
    lines = [
        "from ..layers.conv import same_padding",
        "from .. import shape",
        "import cnncalc.engine",
        "from cnncalc.shape import ceil_div",
        "from . import engine",
        "def f():\n    from ...cnncalc import x",  # inside a function too
    ]
    for line in lines:
        assert outside_imports(line), line
    for line in ["import numpy as np", "from ._common import _pair", "from . import pool",
                 "from cnncalc.reference import conv2d", "from math import floor"]:
        assert outside_imports(line) == [], line
