"""`cnncalc convolutionalize`: fully connected layers rewritten as convolutions, as YAML."""

from __future__ import annotations

from .app import SHORT_HELP, app
from .options import Arch, ForceOpt, InputOpt, OutputOpt, write


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
    from .. import load
    from ..cli_args import input_for
    from ..convolutionalize import convolutionalized
    from ..emit import architecture_yaml
    from ..engine import analyze_architecture
    from ..render import grouped
    from ..shape import format_shape
    from ..sizes import axis_sizes

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
    write(text + "".join(f"# {line}\n" for line in lines), output, force)
