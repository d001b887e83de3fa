"""Every `$ cnncalc …` example in README.md and docs/*.md is run, and its output compared with the
doc, so the docs cannot drift from the tool.

How a doc writes an example: inside a fenced block, a line `$ COMMAND` is run by bash from a
scratch folder where `docs/` is the repository's docs folder (so `docs/examples/x.yaml` works),
and the lines after it, up to the next `$ ` line or the end of the block, are its output (stdout
and stderr together). A line that is only `...` stands for any number of lines the doc leaves out
on purpose. Trailing spaces are not compared. Commands of one doc run in order in one folder, so
a file one example writes (`> fcn8s-pad1.yaml`) is there for the next. A fenced block right after
a line `<!-- file: NAME -->` is written to NAME in that folder before the doc's commands run, so a
doc can show the whole file an example reads.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ELLIPSIS = {"...", "…"}


@dataclass(frozen=True)
class Example:
    doc: Path
    line: int  # 1-based line of the `$ ` command in the doc
    command: str
    expected: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


FILE_MARK = re.compile(r"^<!-- file: ([\w.-]+) -->$")


def doc_files(doc: Path) -> dict[str, str]:
    """The files a doc shows in full (`<!-- file: NAME -->` before a fenced block)."""
    files: dict[str, str] = {}
    lines = doc.read_text(encoding="utf-8").splitlines()
    for i, text in enumerate(lines):
        mark = FILE_MARK.match(text.strip())
        if mark and i + 1 < len(lines) and lines[i + 1].startswith("```"):
            end = next(j for j in range(i + 2, len(lines)) if lines[j].startswith("```"))
            files[mark.group(1)] = "\n".join(lines[i + 2 : end]) + "\n"
    return files


def examples(doc: Path) -> list[Example]:
    """The `$ cnncalc` commands of one doc, with the output lines that follow each."""
    found: list[Example] = []
    lines = doc.read_text(encoding="utf-8").splitlines()
    fence: str | None = None
    current: tuple[int, str, list[str]] | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            line, command, expected = current
            found.append(Example(doc, line, command, tuple(expected)))
            current = None

    for number, text in enumerate(lines, start=1):
        marker = re.match(r"^\s*(```+|~~~+)", text)
        if marker:
            if fence is None:
                fence = marker.group(1)
            elif text.strip().startswith(fence):
                close()
                fence = None
            continue
        if fence is None:
            continue
        if text.startswith("$ "):
            close()
            if text.startswith("$ cnncalc"):
                current = (number, text[2:], [])
        elif current is not None:
            current[2].append(text)
    return found


EXAMPLES = [example for doc in DOCS for example in examples(doc)]


def matches(expected: tuple[str, ...], actual: list[str]) -> bool:
    """Line by line, trailing spaces aside; an `...` line matches any run of lines."""
    want = [line.rstrip() for line in expected]
    while want and not want[-1]:
        want.pop()
    got = [line.rstrip() for line in actual]
    while got and not got[-1]:
        got.pop()

    def match(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(got)
        if want[i].strip() in ELLIPSIS:
            return any(match(i + 1, k) for k in range(j, len(got) + 1))
        return j < len(got) and want[i] == got[j] and match(i + 1, j + 1)

    return match(0, 0)


def run_doc(doc: Path, folder: Path) -> dict[str, list[str]]:
    """Run a doc's examples in order in `folder`; stdout and stderr interleaved as a terminal
    shows."""
    (folder / "docs").symlink_to(ROOT / "docs")
    for name, text in doc_files(doc).items():
        (folder / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep
           + os.environ.get("PATH", ""), "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("FORCE_COLOR", None)
    outputs = {}
    for example in (e for e in EXAMPLES if e.doc == doc):
        if "| jq" in example.command and shutil.which("jq") is None:
            continue
        result = subprocess.run(["bash", "-c", example.command], cwd=folder, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120,
                                stdin=subprocess.DEVNULL)
        outputs[example.id] = result.stdout.splitlines()
    return outputs


def rewrite(doc: Path, found: dict[str, list[str]]) -> None:
    """Put each example's real output into the doc (`--update-docs`), bottom to top."""
    lines = doc.read_text(encoding="utf-8").split("\n")
    for example in sorted((e for e in EXAMPLES if e.doc == doc), key=lambda e: -e.line):
        actual = found.get(example.id)
        if actual is None or any(x.strip() in ELLIPSIS for x in example.expected):
            continue
        keep = len(example.expected)  # blank lines closing the output stay as they are
        while keep and not example.expected[keep - 1].strip():
            keep -= 1
        real = [x.rstrip() for x in actual]
        while real and not real[-1]:
            real.pop()
        start = example.line  # index of the first output line (the command is at line - 1)
        lines[start : start + keep] = real
    doc.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory,
            pytestconfig: pytest.Config) -> dict[str, list[str]]:
    """Every example's output; the docs run two at a time (each doc in order, in its folder)."""
    docs = sorted({e.doc for e in EXAMPLES})
    folders = [tmp_path_factory.mktemp(doc.stem) for doc in docs]
    found: dict[str, list[str]] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for result in pool.map(run_doc, docs, folders):
            found.update(result)
    if pytestconfig.getoption("--update-docs"):
        for doc in docs:
            rewrite(doc, found)
    return found


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_doc_example(example: Example, outputs: dict[str, list[str]]) -> None:
    if example.id not in outputs:
        pytest.skip("jq is not installed")
    actual = outputs[example.id]
    assert matches(example.expected, actual), (
        f"{example.id}: `{example.command}` printed\n" + "\n".join(actual)
        + "\n--- but the doc says\n" + "\n".join(example.expected)
    )


def test_every_doc_has_been_read() -> None:
    """The parser finds the examples (a broken parser would make the test above vacuous)."""
    assert len(EXAMPLES) >= 70
    assert {e.doc.name for e in EXAMPLES} >= {"README.md", "commands.md", "conventions.md"}


def test_an_edited_example_fails() -> None:
    """Change one character of a documented output and the comparison fails."""
    example = next(e for e in EXAMPLES if e.command.startswith("cnncalc conv 56"))
    actual = list(example.expected)
    assert matches(example.expected, actual)
    edited = [line.replace("73,728", "73,729") for line in actual]
    assert not matches(example.expected, edited)
    assert matches(("a", "...", "z"), ["a", "b", "c", "z"])
    assert not matches(("a", "...", "z"), ["a", "b", "c"])
