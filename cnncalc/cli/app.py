"""The typer application and its one error boundary: every usage mistake and CnnCalcError
ends as one line on stderr and exit status 2. The commands live in the modules beside this one
(one per command or group); their shared options in cli/options.py."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import CnnCalcError

try:  # typer >= 0.2x carries its own copy of click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - older typer on click (mypy checks the typer of .[lint])
    from click.exceptions import (  # type: ignore[import-not-found, no-redef]
        ClickException,
        UsageError,
    )


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
    from ..render.values import one_line

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
    "import": "Write a model file (ONNX) as an architecture.",
    "export": "Write the network as a PyTorch module.",
}



def main() -> None:
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _on_signal)
    app()
