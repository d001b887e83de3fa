"""The command line: typer for arguments, rich for tables. The only place that prints errors."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import __version__
from .errors import CnnCalcError

try:  # typer >= 0.2x carries its own copy of click
    from typer._click.exceptions import ClickException, UsageError
    from typer._click.types import ParamType
except ImportError:  # pragma: no cover - older typer on click (mypy checks the typer of .[lint])
    from click.exceptions import (  # type: ignore[import-not-found, no-redef]
        ClickException,
        UsageError,
    )
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
        from . import limits
        from .cli_args import DIGITS, read_digits, shown

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


class _OneLineErrors(TyperGroup):
    """The one error boundary. Usage mistakes (`--batch 0`, `--dtype fp8`, an unknown option)
    and every CnnCalcError end the same way: one line on stderr, exit status 2 (click would
    print usage, a hint and the error). Exit status 1 means only a `verify` disagreement.
    A closed pipe (`cnncalc list | head -1`) ends silently with 0, as Unix tools do; a failed
    write to stdout (`> /dev/full`, stdout closed) is one line and 2; Ctrl-C is 130; anything
    else is a bug of cnncalc: its traceback, one line saying so, and status 70 (EX_SOFTWARE)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        from .output import Closed, GuardedStdout, PipeClosed, StdoutError, silence_stdout

        streams = sys.stdout, sys.stderr
        if sys.stderr is None:  # `2>&-`: messages have nowhere to go
            sys.stderr = Closed("standard error")
        sys.stdout = GuardedStdout(sys.stdout)
        try:
            try:
                code = super().main(
                    args, prog_name, complete_var, False, windows_expand_args, **extra
                )
                sys.stdout.flush()  # a full disk shows now, not in the interpreter's exit
            except UsageError as exc:
                if type(exc).__name__ == "NoArgsIsHelpError":  # bare `cnncalc`: the help
                    exc.show()
                    sys.stdout.flush()
                    code = exc.exit_code
                else:
                    hint = f" (`{exc.ctx.command_path} -h` for help)" if exc.ctx is not None else ""
                    code = _say(f"{exc.format_message()}{hint}", exc.exit_code)
            except ClickException as exc:
                code = _say(exc.format_message(), exc.exit_code)
            except PipeClosed:
                silence_stdout()  # the reader has gone: no more output, and no complaint
                code = 0
            except StdoutError as exc:
                silence_stdout()
                code = _say(str(exc), 2)
            except CnnCalcError as exc:
                code = _say(str(exc), 2)
            except typer.Abort:  # EOF at a prompt (typer makes Ctrl-C exit status 130 itself)
                code = 130
            except MemoryError:
                code = _say("out of memory", 2)
            except RecursionError:
                code = _say("the architecture nests too deeply to analyse", 2)
            except Exception as exc:  # noqa: BLE001  (a bug: say so, keep the traceback)
                import traceback

                traceback.print_exc()
                code = _say(
                    f"internal error ({type(exc).__name__}): this is a bug in cnncalc; please "
                    "report it with the command line and the file", 70
                )
        finally:
            sys.stdout, sys.stderr = streams
        sys.exit(code if isinstance(code, int) else 0)  # typer.Exit(n) comes back as n


def _say(message: str, code: int) -> int:
    """One line on stderr, control characters escaped; returns the exit status."""
    from .output import one_line

    with contextlib.suppress(OSError):  # stderr gone too: the exit status still tells
        print(f"cnncalc: error: {one_line(message)}", file=sys.stderr, flush=True)
    return code


def _on_signal(signum: int, frame: Any) -> None:
    """SIGTERM and SIGHUP end the run like Ctrl-C does: through the `finally` and `except`
    clauses, so the temporary file of `-o` is removed; exit status 128 + the signal."""
    sys.exit(128 + signum)


app = typer.Typer(
    cls=_OneLineErrors,
    name="cnncalc",
    help=(
        "Shapes, parameters, MACs, memory and receptive fields of convolutional networks.\n\n"
        "ARCH is a zoo name (`cnncalc list`) or a YAML file. Conventions: MACs count "
        "multiply-accumulates of conv and linear layers (torchvision's 'GFLOPS' are MACs); "
        "FLOPs = 2·MACs; bias, normalisation, activation, pooling and merge operations are "
        "shown apart. Parameters are counted as torch counts them."
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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


def _console(stderr: bool = False) -> Any:
    Console = _console_class()  # noqa: N806
    terminal = (sys.stderr if stderr else sys.stdout).isatty()
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


def _version(value: bool) -> None:
    if value:
        print(f"cnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """cnncalc: a calculator for convolutional neural networks."""


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
        help="Columns to show, in order, by key: path, type, detail, input, output, params, "
        "params%, buffers, macs, macs%, flops, extra_flops, elements, rf_size, rf_jump, rf_start.",
    ),
]


def _analyze(
    arch: str, input: str | None, set_: str | None, batch: int, dtype: DType, no_bias: bool = False,
    mode: Mode = Mode.eval,
) -> Any:
    from . import analyze
    from .cli_args import parse_bindings

    return analyze(
        arch, input=input, batch=batch, dtype=dtype.value, set=parse_bindings(set_),
        no_bias=no_bias, mode=mode.value,
    )


def _emit(
    report: Any, view: str, fmt: Format, depth: int | None, output: Path | None = None,
    force: bool = False, columns: str | None = None,
) -> None:
    from . import render

    keys = None
    if columns is not None:
        if fmt is Format.json:
            raise CnnCalcError(
                "--columns picks the columns of table, csv and markdown; json has every field"
            )
        keys = render.parse_columns(columns)
    if fmt is Format.json:
        text = render.to_json(report, depth) + "\n"
    elif fmt is Format.csv:
        text = render.to_csv(report, view, depth, keys)
    elif fmt is Format.markdown:
        text = render.to_markdown(report, view, depth, keys)
    elif output is None:
        render.render_table(report, view, _console(), depth, keys)
        return
    else:
        import io

        from rich.console import Console

        buffer = io.StringIO()
        console = Console(
            file=buffer, width=10_000, no_color=True, highlight=False, soft_wrap=True
        )
        render.render_table(report, view, console, depth, keys)
        text = buffer.getvalue()
    _write(text, output, force)


def _write(text: str, output: Path | None, force: bool) -> None:
    """To stdout, or to a file (cnncalc.output.write_file: atomic, regular files only)."""
    if output is None:
        sys.stdout.write(text)
        return
    from .output import write_file

    write_file(text, output, force)


# The one line `cnncalc --help` shows per command, a whole sentence: click would otherwise cut
# the docstring at 45 characters, mid-sentence.
SHORT_HELP = {
    "params": "Parameters per layer and in total.",
    "shapes": "The output shape of every layer.",
    "flops": "MACs and FLOPs per layer and in total.",
    "rf": "The receptive field of every layer.",
    "summary": "Shapes, parameters, MACs, memory and fields.",
    "list": "The built-in architectures, with their totals.",
    "show": "Print an architecture's YAML, to copy and edit.",
    "layers": "The layer types a file may use.",
    "schema": "Print a JSON Schema of the architecture file.",
    "conv": "One convolution's output, parameters and MACs.",
    "compare": "Designs side by side, with their ratios.",
    "convolutionalize": "Rewrite fully connected layers as convolutions.",
    "sizes": "Which input sizes work, per axis.",
    "verify": "Check the predictions by running the network.",
}


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
        _emit(
            _analyze(arch, input, set_, batch, dtype, mode=mode), view, format, depth, output,
            force, columns,
        )

    command.__doc__ = doc
    app.command(view, short_help=SHORT_HELP[view])(command)


_view_command("params", "Parameters per layer and in total (trainable, frozen, buffers).")
_view_command("shapes", "The output shape of every layer.")
_view_command("flops", "MACs and FLOPs per layer (FLOPs = 2·MACs), other operations apart.")
_view_command("rf", "Receptive field of every layer: size, jump (effective stride), start.")
_view_command("summary", "All columns: shape, parameters, MACs, activations, receptive field.")


# ------------------------------------------------------------------ the zoo


@app.command("list", short_help=SHORT_HELP["list"])
def list_zoo(format: FormatOpt = Format.table) -> None:
    """The built-in zoo, with a one-line description and totals at the default input."""
    from . import analyze, render, zoo
    from .shape import format_shape

    entries = []
    for name in zoo.names():
        arch = zoo.load(name)
        report = analyze(arch)
        entries.append((name, arch, report))
    if format is Format.json:
        import json

        print(
            json.dumps(
                [
                    {
                        "name": name,
                        "title": arch.title,
                        "description": arch.description,
                        "input": [render.json_value(d) for d in report.input],
                        "params": render.json_value(report.totals.params),
                        "macs": render.json_value(report.totals.macs),
                    }
                    for name, arch, report in entries
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    if format in (Format.csv, Format.markdown):
        sep = "," if format is Format.csv else " | "
        lines = [sep.join(("name", "input", "params", "macs", "title"))]
        if format is Format.markdown:
            lines = ["| name | input | params | MACs | title |", "|---|---|---:|---:|---|"]
        for name, arch, report in entries:
            cells = (
                name,
                format_shape(report.input),
                render.exact_text(report.totals.params),
                render.exact_text(report.totals.macs),
                arch.title,
            )
            if format is Format.csv:
                import csv
                import io

                buf = io.StringIO()
                csv.writer(buf, lineterminator="").writerow(cells)
                lines.append(buf.getvalue())
            else:
                lines.append("| " + " | ".join(cells) + " |")
        print("\n".join(lines))
        return
    from rich import box
    from rich.table import Table

    console = _console()
    table = Table(box=box.SIMPLE, pad_edge=False, header_style="" if console.no_color else "bold")
    for header, right in (("Name", False), ("Input", False), ("Params", True), ("MACs", True),
                          ("Description", False)):
        table.add_column(
            header, justify="right" if right else "left", no_wrap=header != "Description"
        )
    for name, arch, report in entries:
        table.add_row(
            name,
            format_shape(report.input),
            render.human(report.totals.params),
            render.human(report.totals.macs),
            arch.description or arch.title,
        )
    render.print_trimmed(console, table)


@app.command("show", short_help=SHORT_HELP["show"])
def show(arch: Arch, output: OutputOpt = None, force: ForceOpt = False) -> None:
    """Print an architecture's YAML, to copy and edit."""
    from . import zoo

    text, _, _ = zoo.locate(arch)
    _write(text if text.endswith("\n") else text + "\n", output, force)


@app.command("layers", short_help=SHORT_HELP["layers"])
def layer_types() -> None:
    """The layer types and composites an architecture file may use, with their arguments."""
    from .layers import REGISTRY
    from .layers.base import fields_of, has_default
    from .loader import COMPOSITES

    seen: dict[type, list[str]] = {}
    for name, cls in REGISTRY.items():
        seen.setdefault(cls, []).append(name)
    for cls, names in seen.items():
        args = []
        for f in fields_of(cls).values():
            if f.name in cls.FIELDS:  # not the fields the engine fills in (max_unpool's pool)
                args.append(f.name if has_default(f) else f"{f.name} (required)")
        doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        alias = f" (also {', '.join(names[1:])})" if len(names) > 1 else ""
        print(f"{names[0]}{alias}: {doc}")
        if args:
            print(f"    arguments: {', '.join(args)}")
    print(f"composites: {', '.join(COMPOSITES)} (see docs/format.md)")


@app.command("schema", short_help=SHORT_HELP["schema"])
def schema_command(output: OutputOpt = None, force: ForceOpt = False) -> None:
    """Print a JSON Schema of the architecture file, for editors (docs/editor.md)."""
    from .schema import schema_text

    _write(schema_text(), output, force)


# ------------------------------------------------------------------ single-layer calculator


def _text_or_json(command: str, format: Format) -> None:
    """The commands whose result is not a table of rows take text or JSON: csv or markdown is
    refused in one line rather than answered with text (issue 11: never a silent fallback)."""
    if format in (Format.csv, Format.markdown):
        raise CnnCalcError(
            f"{command} prints text (--format table) or --format json, not --format {format.value}"
        )


def _size_pair(text: str, option: str = "size", minimum: int = 1) -> tuple[int, int]:
    """`3` -> (3, 3); `3x5` -> (3, 5); ASCII digits up to CNNCALC_MAX_VALUE."""
    from .cli_args import DIGITS, read_digits, shown
    from .limits import MAX_VALUE, VALUE_HINT

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
    from .layer_calc import conv_report

    _text_or_json("conv", format)
    h, w = _size_pair(size)
    pad: Any = padding if padding in ("same", "valid") else _size_pair(padding, "--padding", 0)
    result = conv_report(
        (c_in, h, w), c_out, _size_pair(kernel, "--kernel"), _size_pair(stride, "--stride"), pad,
        _size_pair(dilation, "--dilation"), groups, bias,
    )
    if format is Format.json:
        import json

        from .render import SCHEMA_VERSION

        document = {"schema_version": SCHEMA_VERSION, **result.as_json()}
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print("\n".join(result.lines))


# ------------------------------------------------------------------ compare


@app.command("compare", short_help=SHORT_HELP["compare"])
def compare(
    designs: Annotated[list[str], typer.Argument(help="ARCH vs ARCH [vs ARCH ...]")],
    input: InputOpt = None,
    set_: SetOpt = None,
    batch: BatchOpt = 1,
    dtype: DTypeOpt = DType.fp32,
    no_bias: Annotated[
        bool, typer.Option("--no-bias", help="Drop the bias of every conv and linear layer.")
    ] = False,
    format: FormatOpt = Format.table,
) -> None:
    """Designs side by side: shapes, parameters, MACs, memory, receptive field, depth, and the
    first design's figures divided by each other's (with the limit as a symbol grows)."""
    from .compare import compare_reports, render_compare

    names = [d for d in designs if d.lower() != "vs"]
    if len(names) < 2:
        raise CnnCalcError("compare needs at least two designs: cnncalc compare A vs B")
    reports = [_analyze(n, input, set_, batch, dtype, no_bias) for n in names]
    table = compare_reports(reports)
    render_compare(table, format.value, _console())


# ------------------------------------------------------------------ convolutionalize


@app.command("convolutionalize", short_help=SHORT_HELP["convolutionalize"])
def convolutionalize_command(
    arch: Arch,
    input: InputOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
) -> None:
    """Rewrite the fully connected layers after the last feature map as convolutions (FCN) and
    print the new architecture as YAML; the comments at its end compare it with the original
    and show the heat map it gives for --input."""
    from . import load
    from .cli_args import input_for
    from .convolutionalize import convolutionalized
    from .emit import architecture_yaml
    from .engine import analyze_architecture
    from .render import grouped
    from .shape import format_shape
    from .sizes import axis_sizes

    original = load(arch)
    new, before, after = convolutionalized(original)
    text = architecture_yaml(new)
    smallest = [axis_sizes(new, axis).smallest for axis in (0, 1)]
    same = "unchanged" if before.totals.params == after.totals.params else "CHANGED"
    lines = [
        f"params: {grouped(after.totals.params)} ({same}; {original.name} has "
        f"{grouped(before.totals.params)})",
        f"at {format_shape(before.input)}: output {format_shape(after.output)} "
        f"(the original gives {format_shape(before.output)})",
        f"accepts any input of at least {smallest[0]}x{smallest[1]}",
    ]
    if input is not None:
        bigger = analyze_architecture(new, input_for(new, input))
        c, h, w = bigger.output if len(bigger.output) == 3 else (bigger.output[0], 1, 1)
        lines.append(
            f"at {format_shape(bigger.input)}: a {h}x{w} heat map of {c} channels "
            f"(output {format_shape(bigger.output)})"
        )
    _write(text + "".join(f"# {line}\n" for line in lines), output, force)


# ------------------------------------------------------------------ sizes


@app.command("sizes", short_help=SHORT_HELP["sizes"])
def sizes_command(
    arch: Arch,
    near: Annotated[
        int | None,
        typer.Option(
            "--near", "-n", click_type=WholeNumber(1), help="Show valid sizes close to this one."
        ),
    ] = None,
    format: FormatOpt = Format.table,
) -> None:
    """Which input sizes work, per axis: the smallest, those for which no layer drops a real
    pixel (as residues modulo the network's total stride), and the ones near --near."""
    from . import load
    from .render import SCHEMA_VERSION
    from .sizes import axis_sizes, describe, probe, same_answer

    _text_or_json("sizes", format)
    architecture = load(arch)
    answers = [axis_sizes(architecture, axis) for axis in (0, 1)]
    if format is Format.json:
        import json

        print(
            json.dumps(
                {
                    "schema_version": SCHEMA_VERSION,
                    "name": architecture.name,
                    "axes": [
                        {
                            "axis": a.axis,
                            "smallest": a.smallest,
                            "period": a.period,
                            "from": a.regime,
                            "works_residues": list(a.works_residues),
                            "keeps_residues": list(a.keeps_residues),
                            "works_below": [
                                n for n in range(a.smallest or 1, a.regime) if a.checks[n].works
                            ],
                            "keeps_below": [
                                n
                                for n in range(a.smallest or 1, a.regime)
                                if a.checks[n].keeps_pixels
                            ],
                            "near": None
                            if near is None
                            else {
                                "works": a.near(near, 5, keeps=False),
                                "keeps": a.near(near, 5, keeps=True),
                            },
                        }
                        for a in answers
                    ],
                },
                indent=2,
            )
        )
        return
    from .render import printable

    print(f"{printable(architecture.name)}: input sizes, each axis with the other at its default")
    for axis, answer in enumerate(answers):
        probed = probe(architecture, answer, axis, near) if near is not None else None
        if axis == 1 and same_answer(answers[0], answer):
            print("width: the same as height")
            if probed is not None and probed.reason:
                print(f"  {near}: {probed.reason}")
            continue
        other = ("width", "height")[axis]
        print(f"{answer.axis} ({other} {architecture.input[2 - axis]}):")
        for line in describe(answer, near, probed):
            print(f"  {line}")


# ------------------------------------------------------------------ verify


@app.command("verify", short_help=SHORT_HELP["verify"])
def verify_command(
    arch: Arch,
    input: InputOpt = None,
    set_: SetOpt = None,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", click_type=WholeNumber(0, SEED_MAX),
            help="Seed for the random weights and input (0 to 2^32 - 1).",
        ),
    ] = 0,
    rf: Annotated[
        bool,
        typer.Option(
            "--rf",
            help="Also measure receptive fields through the kernels (first, center, last unit).",
        ),
    ] = False,
    layer: Annotated[
        str | None,
        typer.Option("--layer", help="With --rf: the layer path (default: the last feature map)."),
    ] = None,
    max_memory: Annotated[
        str | None,
        typer.Option(
            "--max-memory",
            envvar="CNNCALC_MAX_MEMORY",
            help="Refuse a run predicted to need more memory than this: 2G, 512M, bytes "
            "(default: half the available memory).",
        ),
    ] = None,
    erf: Annotated[
        bool,
        typer.Option("--erf", help="Also the effective receptive field (Luo et al. 2016) of the "
                     "center unit: gradient mass radii, a heat map."),
    ] = False,
    samples: Annotated[
        int,
        typer.Option(
            "--samples", click_type=WholeNumber(1),
            help="With --erf: random draws to average.",
        ),
    ] = 4,
    format: FormatOpt = Format.table,
) -> None:
    """Run the network with the NumPy reference kernels (random weights of exactly the predicted
    sizes, a random input) and check every predicted shape, parameter, buffer and MAC count (the
    MACs the kernels perform). Exit 1 on any disagreement."""
    from rich.progress import Progress

    from . import load
    from .cli_args import input_for, parse_bindings
    from .output import one_line
    from .render import SCHEMA_VERSION, axes_text, grouped
    from .shape import format_shape
    from .verify import measure_rf, verify
    from .verify_memory import parse_bytes

    _text_or_json("verify", format)
    limit = parse_bytes(max_memory) if max_memory is not None else None
    architecture = load(arch)
    shape = input_for(architecture, input) if input is not None else None
    err = _console(stderr=True)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("running the reference forward pass", total=None)
        result = verify(
            architecture, shape, parse_bindings(set_), seed, tick=lambda: progress.advance(task),
            max_memory=limit,
        )
    measured = measure_rf(result, layer) if rf else None
    effective = None
    if erf and result.ok:
        from .erf import effective_rf

        effective = effective_rf(architecture, shape, parse_bindings(set_), layer, samples, seed)
    if format is Format.json:
        import json

        print(
            json.dumps(
                {
                    "schema_version": SCHEMA_VERSION,
                    "name": result.report.name,
                    "input": list(result.report.input),
                    "ok": result.ok and (measured is None or measured.ok),
                    "rf": None if measured is None else _measured_json(measured),
                    "erf": None if effective is None else _erf_json(effective),
                    "layers": [
                        {
                            "path": c.path,
                            "type": c.type,
                            "predicted_shape": list(c.predicted_shape),
                            "computed_shape": list(c.computed_shape) if c.computed_shape else None,
                            "predicted_params": c.predicted_params,
                            "allocated_params": c.allocated_params,
                            "predicted_buffers": c.predicted_buffers,
                            "allocated_buffers": c.allocated_buffers,
                            "predicted_macs": c.predicted_macs,
                            "counted_macs": c.counted_macs,
                            "ok": c.ok,
                            "error": c.error or None,
                        }
                        for c in result.checks
                    ],
                },
                indent=2,
            )
        )
    else:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        from .render import print_trimmed, printable

        console = _console()
        table = Table(
            title=Text(
                f"verify {printable(result.report.name)} on {format_shape(result.report.input)}"
            ),
            box=box.SIMPLE,
            pad_edge=False,
        )
        for header, right in (
            ("Layer", False), ("Type", False), ("Predicted", False), ("Computed", False),
            ("Params", True), ("Allocated", True), ("", False),
        ):
            table.add_column(header, justify="right" if right else "left", no_wrap=True)
        for c in result.checks:
            table.add_row(
                c.path,
                c.type,
                format_shape(c.predicted_shape),
                format_shape(c.computed_shape) if c.computed_shape else "-",
                grouped(c.predicted_params),
                grouped(c.allocated_params),
                "✓" if c.ok else "✗",
            )
        print_trimmed(console, table)
        total = sum(c.allocated_params for c in result.checks)
        print(
            f"{len(result.checks) - len(result.failures)} of {len(result.checks)} layers agree; "
            f"allocated {grouped(total)} parameters, predicted "
            f"{grouped(result.report.totals.params)}"
        )
        if measured is not None:
            for line in _measured_lines(measured):
                print(line)
        if effective is not None:
            from .erf import heat_map

            e = effective
            print(
                f"effective receptive field of {e.path} unit {e.unit} ({e.samples} draws): "
                f"50 % of the gradient within radius {e.radii[50]:.1f}, 90 % within "
                f"{e.radii[90]:.1f}, 99 % within {e.radii[99]:.1f} pixels of "
                f"({e.center[0]:g}, {e.center[1]:g}); theoretical field "
                f"{axes_text(e.theoretical)}"
            )
            for line in heat_map(e):
                print("  " + line)
    if measured is not None and not measured.ok:
        print(
            f"cnncalc: the measured receptive field of {one_line(measured.path)} differs from the "
            "predicted one",
            file=sys.stderr,
        )
        raise typer.Exit(1)
    if not result.ok:
        for c in result.failures:
            what = c.error or (
                f"shape predicted {format_shape(c.predicted_shape)}, computed "
                f"{format_shape(c.computed_shape) if c.computed_shape else '-'}; params predicted "
                f"{c.predicted_params}, allocated {c.allocated_params}"
            )
            for name, predicted, actual, verb in (
                ("buffers", c.predicted_buffers, c.allocated_buffers, "allocated"),
                ("MACs", c.predicted_macs, c.counted_macs, "counted by the kernels"),
            ):
                if predicted != actual:
                    what += f"; {name} predicted {predicted}, {verb} {actual}"
            line = one_line(f"{c.path} ({c.type}): {what}")  # kernel messages quote the file
            print(f"cnncalc: disagreement at {line}", file=sys.stderr)
        raise typer.Exit(1)


def _measured_json(measured: Any) -> dict[str, Any]:
    from .render import json_value

    def box(b: Any) -> Any:
        return None if b is None else [list(b[0]), list(b[1])]

    return {
        "path": measured.path,
        "unit": list(measured.unit),
        "measured": {
            "size": [json_value(v) for v in measured.size],
            "jump": [json_value(v) for v in measured.jump],
            "center": [json_value(v) for v in measured.center],
            "global": measured.glob,
        },
        "predicted": {
            "size": [json_value(v) for v in measured.predicted_size],
            "jump": [json_value(v) for v in measured.predicted_jump],
            "center": [json_value(v) for v in measured.predicted_center],
            "global": measured.predicted_glob,
        },
        "units": [
            {
                "unit": list(u.unit),
                "measured": box(u.measured),
                "measured_global": u.measured_global,
                "predicted": box(u.predicted),
                "predicted_global": u.predicted_global,
                "table": [None if t is None else [json_value(v) for v in t] for t in u.table],
                "ok": u.ok,
            }
            for u in measured.units
        ],
        "exact": not measured.inexact,
        "notes": list(measured.inexact) + [
            f"beyond the map of {where} the measurement had no pattern to extend"
            for where in measured.unsure
        ],
        "ok": measured.ok,
    }


def _erf_json(e: Any) -> dict[str, Any]:
    from .render import json_value

    return {
        "path": e.path,
        "unit": list(e.unit),
        "center": list(e.center),
        "theoretical": [json_value(v) for v in e.theoretical],
        "samples": e.samples,
        "radius": {str(k): v for k, v in e.radii.items()},
        "profile": list(e.profile),  # share of the gradient mass at radius 0, 1, 2, ... pixels
    }


def _measured_lines(measured: Any) -> list[str]:
    """The measured field of the center unit, then each checked unit's interval."""
    from .render import axes_text, rf_text

    def pair(values: Any) -> str:
        return axes_text(values, lambda v: "-" if v is None else rf_text(v))

    def box(b: Any) -> str:
        if b is None:
            return "none"
        return " x ".join(f"[{lo}, {hi}]" for lo, hi in b)

    glob = " (global: some path passes a global layer; the field shown avoids them)"
    lines = [
        f"receptive field of {measured.path} unit {measured.unit}: measured "
        f"{pair(measured.size)}, jump {pair(measured.jump)}, center {pair(measured.center)}"
        f"{' global' if measured.glob else ''}; predicted {pair(measured.predicted_size)}, jump "
        f"{pair(measured.predicted_jump)}, center {pair(measured.predicted_center)}"
        f"{' global' if measured.predicted_glob else ''} " + ("✓" if measured.ok else "✗")
    ]
    if measured.glob or measured.predicted_glob:
        lines[0] += glob
    for u in measured.units:
        mark = "✓" if u.ok else "✗"
        table = ""
        if any(t is not None for t in u.table) and not u.ok:
            table = " (table: " + " x ".join(
                "-" if t is None else f"[{rf_text(t[0])}, {rf_text(t[1])}]" for t in u.table
            ) + ")"
        lines.append(
            f"  unit {u.unit}: measured {box(u.measured)}{' global' if u.measured_global else ''}, "
            f"predicted {box(u.predicted)}{' global' if u.predicted_global else ''}{table} {mark}"
        )
    lines += [f"  note: {text}" for text in measured.inexact]
    lines += [
        f"  note: beyond the map of {where} the measurement had no pattern to extend"
        for where in measured.unsure
    ]
    return lines


def main() -> None:
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _on_signal)
    app()


if __name__ == "__main__":
    main()
