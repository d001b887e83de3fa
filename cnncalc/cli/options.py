"""What the commands share: the option declarations, the console, and the one path from a
result to its output (`emit`): check the format, render, write to stdout or to `-o FILE`."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import CnnCalcError

try:  # typer >= 0.2x carries its own copy of click
    from typer._click.types import ParamType
except ImportError:  # pragma: no cover - older typer on click (mypy checks the typer of .[lint])
    from click.types import ParamType  # type: ignore[import-not-found, no-redef]


SEED_MAX = 2**32 - 1  # numpy takes larger seeds; 32 bits is what every tool and paper uses


class WholeNumber(ParamType):
    """An option that takes a count: ASCII digits only, from `minimum` to CNNCALC_MAX_VALUE
    (or `maximum`, for a number that is not a size, such as a seed). click's int would read '٣'
    as 3 and '1_000' as 1000, and meet 5,000 digits with Python's own ValueError; a mistake ends
    as click's do: one line, exit status 2."""

    name = "integer"

    def __init__(self, minimum: int = 1, maximum: int | None = None) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        if type(value) is int:  # a default
            return value
        from .. import limits
        from ..cli_args import DIGITS, read_digits, shown

        text = str(value).strip()
        if text.startswith("-") and DIGITS.fullmatch(text[1:]):
            self.fail(f"{shown(text)} is not in the range x>={self.minimum}.", param, ctx)
        if not DIGITS.fullmatch(text):
            self.fail(f"{shown(str(value))} is not a whole number (digits 0-9).", param, ctx)
        number = read_digits(text, self.maximum)
        if number is None and self.maximum is not None:
            self.fail(f"{shown(text)} is above {self.maximum:,}.", param, ctx)
        if number is None:
            self.fail(
                f"{shown(text)} is above {limits.MAX_VALUE:,} ({limits.VALUE_HINT}).", param, ctx
            )
        if number < self.minimum:
            self.fail(f"{number} is not in the range x>={self.minimum}.", param, ctx)
        return number


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class Mode(StrEnum):
    eval = "eval"
    train = "train"


class DType(StrEnum):
    fp32 = "fp32"
    fp16 = "fp16"
    bf16 = "bf16"
    int8 = "int8"


@functools.cache
def _console_class() -> Any:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """rich would exit with status 1; a closed pipe is the error boundary's to end (0)."""
            from .output import PipeClosed

            self.quiet = True
            raise PipeClosed()

    return _Console


class PlainConsole:
    """The console of plain text at full width (stdout not a terminal, or `-o FILE`): what the
    renderers read of a console, without importing rich (about 17 ms of every piped run). A
    renderer that draws with rich (a table wider than 10,000 columns) gets the rich console
    `make` builds, through __getattr__."""

    is_terminal = False
    no_color = True
    width = 10_000

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._rich: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._rich is None:
            self._rich = self._make()
        return getattr(self._rich, name)


def console(stderr: bool = False) -> Any:
    terminal = (sys.stderr if stderr else sys.stdout).isatty()
    if not terminal and not stderr:
        return PlainConsole(functools.partial(_rich_console, stderr, terminal))
    return _rich_console(stderr, terminal)


def _rich_console(stderr: bool, terminal: bool) -> Any:
    Console = _console_class()  # noqa: N806
    plain = bool(os.environ.get("NO_COLOR")) or not terminal
    # Piped output is plain text at full width: never wrapped or cut to 80 columns. NO_COLOR
    # on a terminal is plain text too: rich's no_color drops colours but keeps bold (the
    # Total row), so no colour system at all.
    return Console(
        stderr=stderr,
        width=None if terminal else 10_000,
        no_color=plain,
        color_system=None if plain else "auto",
        highlight=False,
        soft_wrap=not terminal,
    )


# ------------------------------------------------------------------ shared options

Arch = Annotated[str, typer.Argument(help="A zoo name (see `cnncalc list`) or a YAML file.")]
InputOpt = Annotated[
    str | None,
    typer.Option("--input", "-i", help="Input shape: 3x224x224, 224 (square), or 3xHxW (symbols)."),
]
SetOpt = Annotated[
    str | None, typer.Option("--set", "-s", help="Bind symbols: --set H=224,C=64.")
]
BatchOpt = Annotated[
    int,
    typer.Option(
        "--batch", "-b", click_type=WholeNumber(1), help="Batch size for memory figures."
    ),
]
DTypeOpt = Annotated[DType, typer.Option("--dtype", help="Element type for memory figures.")]
DepthOpt = Annotated[
    int | None,
    typer.Option(
        "--depth", "-d", click_type=WholeNumber(1),
        help="Collapse blocks deeper than this many path levels.",
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
ModeOpt = Annotated[
    Mode,
    typer.Option(
        "--mode",
        help="eval: layers marked train_only (aux heads) count parameters but no MACs or "
        "activations, as torchvision runs them; train: they count in full.",
    ),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite the --output file.")]
ColumnsOpt = Annotated[
    str | None,
    typer.Option(
        "--columns",
        help="Columns to show, in order, by key: path, type, args, input, output, params, "
        "params%, buffers, macs, macs%, flops, extra_flops, activations, rf_size, rf_jump, "
        "rf_start. The keys are the JSON's names.",
    ),
]



def analyze(
    arch: str, input: str | None, set_: str | None, batch: int, dtype: DType, no_bias: bool = False,
    mode: Mode = Mode.eval,
) -> Any:
    from .. import analyze
    from ..cli_args import parse_bindings

    return analyze(
        arch, input=input, batch=batch, dtype=dtype.value, set=parse_bindings(set_),
        no_bias=no_bias, mode=mode.value,
    )


def check_format(command: str, fmt: Format, formats: tuple[str, ...]) -> None:
    """Refuse a format the command does not print, in one line (exit status 2), before any work:
    never a silent fallback to another format (issue 11)."""
    if fmt.value not in formats:
        given = " or ".join(
            "text (--format table)" if f == "table" else f"--format {f}" for f in formats
        )
        raise CnnCalcError(f"{command} prints {given}, not --format {fmt.value}")


def emit(
    render: Callable[[Any], str], output: Path | None = None, force: bool = False
) -> None:
    """Render with a console fit for where the text goes, then write it there: the terminal
    (its width and colours), a pipe (plain text, never wrapped), or `-o FILE` (plain text)."""
    write(render(console() if output is None else file_console()), output, force)


def file_console() -> Any:
    """A console that renders plain text at full width, as a pipe gets it."""
    return PlainConsole(_file_console)


def _file_console() -> Any:
    import io

    from rich.console import Console

    return Console(
        file=io.StringIO(), width=10_000, no_color=True, highlight=False, soft_wrap=True
    )


def write(text: str, output: Path | None, force: bool) -> None:
    """To stdout, or to a file (cnncalc.output.write_file: atomic, regular files only)."""
    if output is None:
        sys.stdout.write(text)
        return
    from .output import write_file

    write_file(text, output, force)
