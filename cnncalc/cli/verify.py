"""`cnncalc verify`: run the network with the NumPy reference kernels and check every
prediction; exit status 1 on a disagreement."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .app import SHORT_HELP, app
from .options import (
    SEED_MAX,
    Arch,
    Format,
    FormatOpt,
    InputOpt,
    SetOpt,
    WholeNumber,
    check_format,
    console,
    emit,
)


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

    from .. import load
    from ..cli_args import input_for, parse_bindings
    from ..render.verify import FORMATS, disagreements, render_verify
    from ..verify import VerifyRun, measure_rf, verify
    from ..verify_memory import parse_bytes

    check_format("verify", format, FORMATS)
    limit = parse_bytes(max_memory) if max_memory is not None else None
    architecture = load(arch)
    shape = input_for(architecture, input) if input is not None else None
    err = console(stderr=True)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("running the reference forward pass", total=None)
        result = verify(
            architecture, shape, parse_bindings(set_), seed, tick=lambda: progress.advance(task),
            max_memory=limit,
        )
    measured = measure_rf(result, layer) if rf else None
    effective = None
    if erf and result.ok:
        from ..erf import effective_rf

        effective = effective_rf(architecture, shape, parse_bindings(set_), layer, samples, seed)
    run = VerifyRun(result, measured, effective)
    emit(lambda console: render_verify(run, format.value, console))
    if not run.ok:
        for line in disagreements(run):
            print(line, file=sys.stderr)
        raise typer.Exit(1)
