"""Mutations of architecture files, for fuzzing the loader and the command line.

Each mutation takes YAML text and a random.Random and returns new text. A run of the CLI on the
result must end with exit 0 and a result, or exit 2 and one `cnncalc: error:` line — never a
traceback, never a hang.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from cnncalc.cli import app

NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])")
JUNK = ["", "-1", "0", "10**9", "999999999999", "1e400", "nan", "'x'", "[1, 2, 3]", "{a: 1}",
        "null", "true", "ü", "\t", "&a", "*a", "!!python/object:os.system", "(", "4*", "C_in // 0",
        "__import__('os')", "same", "[[1, 2], [3]]", "- relu", "2**64", "0x10", "~", "''"]


def delete_line(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def duplicate_line(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return "\n".join(lines)


def swap_number(text: str, rng: random.Random) -> str:
    spots = list(NUMBER.finditer(text))
    if not spots:
        return text
    m = rng.choice(spots)
    return text[: m.start()] + rng.choice(JUNK) + text[m.end() :]


def swap_word(text: str, rng: random.Random) -> str:
    words = list(re.finditer(r"[A-Za-z_]+", text))
    if not words:
        return text
    m = rng.choice(words)
    replacement = rng.choice([m.group()[::-1], m.group()[:-1], m.group() + "x", rng.choice(JUNK)])
    return text[: m.start()] + replacement + text[m.end() :]


def insert_junk(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text) + 1)
    junk = rng.choice(JUNK + [" ", "\n", ":", "-", "[", "]", "{", "}", "é", "\x00"])
    return text[:i] + junk + text[i:]


def indent(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    i = rng.randrange(len(lines))
    lines[i] = rng.choice(["  ", "\t", " "]) + lines[i] if rng.random() < 0.7 else lines[i].lstrip()
    return "\n".join(lines)


def truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text) + 1)]


MUTATIONS: list[Callable[[str, random.Random], str]] = [
    delete_line, duplicate_line, swap_number, swap_number, swap_word, insert_junk, indent, truncate,
]


def mutate(text: str, rng: random.Random, rounds: int | None = None) -> str:
    for _ in range(rounds or rng.randint(1, 3)):
        text = rng.choice(MUTATIONS)(text, rng)
    return text


COMMANDS = [["summary"], ["shapes", "--format", "json"], ["rf"], ["params", "--depth", "1"]]


def run(path: Path, command: list[str]) -> tuple[int, str, float, BaseException | None]:
    """Run the CLI on a file in this process; return (exit code, stderr, seconds, exception)."""
    runner = CliRunner()
    start = time.perf_counter()
    result = runner.invoke(app, [command[0], str(path), *command[1:]])
    seconds = time.perf_counter() - start
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.stderr, seconds, exception


def acceptable(code: int, stderr: str, exception: BaseException | None) -> str:
    """'' when the run ended as it must, else what was wrong."""
    if exception is not None:
        return f"{type(exception).__name__}: {exception}"
    if code == 0:
        return ""
    if code != 2:
        return f"exit status {code}"
    lines = stderr.strip().splitlines()
    if len(lines) != 1 or not lines[0].startswith("cnncalc: error: "):
        return f"stderr is not one error line: {stderr[:300]!r}"
    if "Traceback" in stderr:
        return "a traceback"
    return ""
