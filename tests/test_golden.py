"""Golden files for every command in every format (issue 11): tests/golden/formats/ holds what
each command line prints, stdout byte for byte. `pytest tests/test_golden.py
--update-golden` rewrites them; review the diff. The refactors of the presentation layer are
proved against these files: a change to any byte shows here.

Beside each comparison an invariant of the format is checked, so a golden file that is itself
wrong cannot pass silently: every JSON document parses and has `schema_version` first, every
CSV has rectangular rows, every Markdown table has a header rule, and no line ends in a space.
Each command prints all four formats (issue 11: no format is refused)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

runner = CliRunner()
GOLDEN = Path(__file__).parent / "golden" / "formats"
FORMATS = ("table", "json", "csv", "markdown")
SUFFIX = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md"}

# name -> the command line, without --format. Small inputs keep verify and sizes fast.
FORMATTED = {
    **{f"{view}_vgg11": (view, "vgg11") for view in ("params", "shapes", "flops", "rf", "summary")},
    **{
        f"{view}_3x3_stack": (view, "3x3-stack")
        for view in ("params", "shapes", "flops", "rf", "summary")
    },
    "summary_resnet18_depth2": ("summary", "resnet18", "--depth", "2", "--batch", "8"),
    "list": ("list",),
    "compare_3x3_vs_7x7": ("compare", "3x3-stack", "vs", "7x7", "--set", "C=64,H=56,W=56"),
    "compare_3x3_vs_7x7_symbolic": ("compare", "3x3-stack", "vs", "7x7"),
    "compare_three": (
        "compare", "3x3-stack", "vs", "5x5", "vs", "7x7", "--set", "C=64,H=56,W=56",
    ),
    "conv": ("conv", "56", "--kernel", "3", "--in", "128", "--out", "64", "--no-bias"),
    "conv_same": ("conv", "224x160", "-k", "7", "-s", "2", "-p", "same"),
    "sizes_vgg16": ("sizes", "vgg16", "--near", "230"),
    "verify_alexnet": ("verify", "alexnet", "--input", "3x67x67"),
    "verify_3x3_stack_rf": ("verify", "3x3-stack", "--set", "C=2,H=16,W=16", "--rf"),
}
# Commands without --format: one golden file each.
PLAIN = {
    "show_vgg16": ("show", "vgg16"),
    "layers": ("layers",),
    "schema": ("schema",),
    "convolutionalize_alexnet": ("convolutionalize", "alexnet", "--input", "3x400x400"),
}


def outcome(args: tuple[str, ...]) -> tuple[str, int]:
    """(stdout, 0) for a success, else (`exit N` and stderr, N)."""
    result = runner.invoke(app, list(args))
    if result.exit_code == 0:
        assert result.stderr == "", (args, result.stderr)
        return result.stdout, 0
    return f"exit {result.exit_code}\n{result.stderr}", result.exit_code


def compare_golden(request: pytest.FixtureRequest, path: Path, text: str) -> None:
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run pytest tests/test_golden.py --update-golden"
    assert text == path.read_text(encoding="utf-8"), f"differs from {path}"


def check_format(fmt: str, text: str, name: str) -> None:
    if fmt == "json":
        document = json.loads(text)
        assert next(iter(document)) == "schema_version" and document["schema_version"] == 1, name
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows and all(len(r) == len(rows[0]) for r in rows), name
    elif fmt == "markdown":  # a table, or (sizes: no rows to tabulate) a list
        assert "|---" in text or (name.startswith("sizes") and "\n- " in text), name
    assert not any(line.endswith(" ") for line in text.splitlines()), f"{name}: trailing space"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", FORMATTED)
def test_golden_format(request, name, fmt):
    text, code = outcome((*FORMATTED[name], "--format", fmt))
    assert code == 0, text  # every command prints every format
    compare_golden(request, GOLDEN / f"{name}.{SUFFIX[fmt]}", text)
    check_format(fmt, text, name)


@pytest.mark.parametrize("name", PLAIN)
def test_golden_plain(request, name):
    text, code = outcome(PLAIN[name])
    assert code == 0, text
    compare_golden(request, GOLDEN / f"{name}.txt", text)
