"""The zoo and the file format: list, show, layers, schema."""

from __future__ import annotations

from .app import SHORT_HELP, app
from .options import Arch, ForceOpt, Format, FormatOpt, OutputOpt, emit, write


@app.command("list", short_help=SHORT_HELP["list"])
def list_zoo(format: FormatOpt = Format.table) -> None:
    """The built-in zoo, with a one-line description and totals at the default input."""
    from .. import analyze, zoo
    from ..render.listing import render_list

    entries = []
    for name in zoo.names():
        arch = zoo.load(name)
        entries.append((name, arch, analyze(arch)))
    emit(lambda console: render_list(entries, format.value, console))


@app.command("show", short_help=SHORT_HELP["show"])
def show(arch: Arch, output: OutputOpt = None, force: ForceOpt = False) -> None:
    """Print an architecture's YAML, to copy and edit."""
    from .. import zoo

    text, _, _ = zoo.locate(arch)
    write(text if text.endswith("\n") else text + "\n", output, force)


@app.command("layers", short_help=SHORT_HELP["layers"])
def layer_types() -> None:
    """The layer types and composites an architecture file may use, with their arguments."""
    from ..layers import REGISTRY
    from ..layers.base import fields_of, has_default
    from ..loader import COMPOSITES

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
    from ..schema import schema_text

    write(schema_text(), output, force)


# ------------------------------------------------------------------ single-layer calculator
