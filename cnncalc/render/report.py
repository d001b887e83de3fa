"""The report's views (params, shapes, flops, rf, summary): their columns, the table, CSV and
Markdown, and the summary lines under them. JSON: render/report_json.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..report import DTYPE_BYTES, Report, Row
from ..shape import format_shape
from .columns import Column, csv_table, markdown_table, table_text, wrap_words
from .values import (
    both,
    csv_text,
    exact_text,
    grouped,
    human,
    mib,
    pair,
    percent,
    printable,
)


def _rf_axes(row: Row, attr: str) -> tuple[Any, Any] | None:
    if row.rf is None:
        return None
    return (getattr(row.rf[0], attr), getattr(row.rf[1], attr))



def _copies(row: Row) -> str:
    return "" if row.copies == 1 else f"{exact_text(row.copies)}×"



def _text_column(
    key: str, header: str, priority: int, wrap: bool = True, attr: str = ""
) -> Column:
    """Text: the layer's path and arguments, which may wrap, and its type (one word, whole).
    The Args column shows Row.detail, the layer's own short summary of its arguments."""
    cell: Callable[[Row], str] = lambda r: getattr(r, attr or key)  # noqa: E731
    return Column(key, header, cell, cell, numeric=False, priority=priority, wrap=wrap)


def _shape_column(key: str, header: str, cell: Callable[[Row], str], priority: int) -> Column:
    """A shape is printed whole like a number, but left-aligned like text."""
    raw: Callable[[Row], Any] = lambda r: format_shape(getattr(r, key))  # noqa: E731
    return Column(key, header, cell, raw, numeric=False, priority=priority)


def _number_column(
    key: str, header: str, value: Callable[[Row], Any], fmt: Callable[[Any], str], priority: int
) -> Column:
    return Column(key, header, lambda r: fmt(value(r)), value, priority=priority)


def _rf_column(key: str, header: str, attr: str, priority: int) -> Column:
    return Column(
        key, header, lambda r: pair(_rf_axes(r, attr)), lambda r: _rf_axes(r, attr),
        priority=priority,
    )


# Priorities: the layer's name goes last, then its output shape, then the figure each view is
# about (params, MACs, RF); the text columns (Type, Args) go first, as they are the widest.
COLUMNS = {
    "path": _text_column("path", "Layer", 100),
    "type": _text_column("type", "Type", 20, wrap=False),
    "args": _text_column("args", "Args", 10, attr="detail"),
    "input": _shape_column("input", "Input", lambda r: format_shape(r.input), 40),
    "output": _shape_column("output", "Output", lambda r: _copies(r) + format_shape(r.output), 90),
    "params": _number_column("params", "Params", lambda r: r.params, grouped, 80),
    "params%": Column("params%", "% params", str, str, priority=35, share="params"),
    "buffers": _number_column("buffers", "Buffers", lambda r: r.buffers, grouped, 30),
    "macs": _number_column("macs", "MACs", lambda r: r.macs, human, 80),
    "macs%": Column("macs%", "% MACs", str, str, priority=35, share="macs"),
    "flops": _number_column("flops", "FLOPs", lambda r: 2 * r.macs, human, 50),
    "extra_flops": _number_column(
        "extra_flops", "Extra FLOPs", lambda r: r.extra_flops, human, 30
    ),
    "activations": _number_column("activations", "Activations", lambda r: r.elements, human, 50),
    "rf_size": _rf_column("rf_size", "RF", "size", 70),
    "rf_jump": _rf_column("rf_jump", "Jump", "jump", 45),
    "rf_start": _rf_column("rf_start", "Start", "start", 30),
}

VIEWS = {
    "params": ("path", "type", "args", "output", "params"),
    "shapes": ("path", "type", "args", "input", "output"),
    "flops": ("path", "type", "output", "macs", "flops", "extra_flops"),
    "rf": ("path", "type", "args", "output", "rf_size", "rf_jump", "rf_start"),
    "summary": (
        "path", "type", "args", "output", "params", "macs", "activations", "rf_size", "rf_jump",
    ),
}
# The keys are the JSON's names (a row's `params`, `activations`, `args`, `rf.size` as
# rf_size); the names they had before, still accepted by --columns:
ALIASES = {"detail": "args", "elements": "activations"}


def totals(report: Report) -> dict[str, Any]:
    """The Total row's values by column key: the report's totals (exact, not yet text)."""
    t = report.totals
    return {
        "params": t.params,
        "buffers": t.buffers,
        "macs": t.macs,
        "flops": t.flops,
        "extra_flops": sum(t.extra_flops.values()),
        "activations": t.activation_elements,
    }


def footer_cells(report: Report, columns: list[Column], exact: bool = False) -> list[str] | None:
    """The Total row for these columns, or None when none of them sums: as the table shows it
    (grouped params, human MACs), or `exact`, as CSV writes numbers."""
    values = totals(report)
    if not any(c.key in values or c.share for c in columns):
        return None
    cells = []
    for c in columns:
        if c.key == "path":
            cells.append("Total")
        elif c.share:
            cells.append(percent(values[c.share], values[c.share]))
        elif c.key not in values:
            cells.append("")
        elif exact:
            cells.append(csv_text(values[c.key]))
        else:
            whole = c.key in ("params", "buffers")  # as the rows show them: in full
            cells.append(grouped(values[c.key]) if whole else human(values[c.key]))
    return cells


def parse_columns(text: str) -> tuple[str, ...]:
    """`--columns path,params,params%`: keys of COLUMNS (any letter case), in the order given."""
    from ..errors import SpecError
    from ..loader import _suggest

    keys = tuple(part.strip().lower() for part in text.split(","))
    keys = tuple(ALIASES.get(k, k) for k in keys)
    known = ", ".join(COLUMNS)
    for key in keys:
        if key not in COLUMNS:
            name = printable(key) if key else "(empty)"
            raise SpecError(
                f"--columns: unknown column {name!r}{_suggest(key, COLUMNS)} (the columns: {known})"
            )
    twice = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
    if twice is not None:
        raise SpecError(f"--columns: {twice!r} is named twice")
    return keys


def view_columns(report: Report, view: str, keys: tuple[str, ...] | None = None) -> list[Column]:
    """The view's columns, or those `keys` name, with the percent columns bound to the totals."""
    columns = [COLUMNS[k] for k in (VIEWS[view] if keys is None else keys)]
    return [_share(c, report) if c.share else c for c in columns]


def _share(column: Column, report: Report) -> Column:
    whole = getattr(report.totals, column.share)

    def cell(row: Row) -> str:
        return percent(getattr(row, column.share), whole)

    return replace(column, cell=cell, raw=cell)



def _raw_cell(value: Any) -> str:
    if isinstance(value, tuple):
        return "x".join(csv_text(v) for v in value)
    return value if isinstance(value, str) else csv_text(value)


def to_csv(
    report: Report, view: str, depth: int | None = None, keys: tuple[str, ...] | None = None
) -> str:
    columns = view_columns(report, view, keys)
    rows = [[_raw_cell(c.raw(row)) for c in columns] for row in report.collapsed(depth)]
    footer = footer_cells(report, columns, exact=True)
    return csv_table([c.key for c in columns], rows + ([footer] if footer else []))


def to_markdown(
    report: Report, view: str, depth: int | None = None, keys: tuple[str, ...] | None = None
) -> str:
    columns = view_columns(report, view, keys)
    rows = [[printable(c.cell(row)) for c in columns] for row in report.collapsed(depth)]
    footer = footer_cells(report, columns)
    if footer is not None:
        rows.append([f"**{cell}**" if cell else "" for cell in footer])
    lines = [
        f"**{printable(report.name)}**: input {format_shape(report.input)}, "
        f"output {format_shape(report.output)}",
        "",
        *markdown_table([c.header for c in columns], [c.numeric for c in columns], rows),
        "",
    ]
    lines.extend(f"- {printable(line)}" for line in summary_lines(report, view))
    return "\n".join(lines) + "\n"


def output_lines(report: Report) -> list[str]:
    """`Output: 1000`, or one line per output when the network declares several (`outputs:`);
    an output of a train_only head says so."""
    if len(report.outputs) <= 1:
        return [f"Output: {format_shape(report.output)}"]
    return [
        f"Output {printable(path)}: {format_shape(shape)}" + (" (train only)" if train else "")
        for path, shape, train in report.outputs
    ]


def summary_lines(report: Report, view: str) -> list[str]:
    t = report.totals
    size = DTYPE_BYTES[report.dtype]
    lines = []
    if view in ("params", "summary"):
        lines.append(
            f"Params: {both(t.params)} · trainable {grouped(t.trainable_params)}"
            f" · non-trainable {grouped(t.non_trainable_params)} · buffers {grouped(t.buffers)}"
        )
        lines.append(f"Param memory: {mib(t.param_bytes)} ({report.dtype}, {size} bytes each)")
    if view in ("flops", "summary"):
        lines.append(
            f"MACs per sample: {both(t.macs)} · FLOPs = 2·MACs: {both(t.flops)}"
        )
        if report.batch > 1:  # the header says `batch 64`: the whole batch, said as such
            lines.append(
                f"MACs at batch {report.batch}: {both(t.macs * report.batch)} · FLOPs: "
                f"{both(t.flops * report.batch)}"
            )
        extra = " · ".join(f"{k} {human(v)}" for k, v in t.extra_flops.items() if v != 0)
        if extra:
            lines.append(f"Other ops per sample, not in the totals above: {extra}")
    if view in ("summary",):
        lines.append(
            f"Activations: {grouped(t.activation_elements)} per sample · "
            f"{mib(t.activation_bytes)} at batch {report.batch}, {report.dtype}"
        )
    if view in ("rf", "summary") and report.rf is not None:
        rf = report.rf
        lines.append(
            f"Receptive field of the output: {pair((rf[0].size, rf[1].size))}, jump "
            f"{pair((rf[0].jump, rf[1].jump))}, effective padding "
            f"{pair((rf[0].padding, rf[1].padding))}"
        )
        if rf[0].glob and rf[0].local:
            lines.append(
                "Global: a path to the output passes a global layer, so it depends on every "
                "input pixel; the field above is that of the other paths"
            )
        inexact = [name for name, a in zip(("height", "width"), rf, strict=True) if not a.exact]
        if inexact and view == "rf":
            lines.append(
                f"Approximate along the {' and '.join(inexact)}: fractional steps, uneven adaptive "
                "windows or merges of unequal jumps; `cnncalc verify --rf` gives single units' "
                "exact fields"
            )
    if view == "shapes":
        lines.extend(output_lines(report))
    if view in ("rf", "summary"):  # the notes are about receptive fields
        for d in report.diagnostics:
            lines.append(f"Note ({d.path}, {d.where}): {d.message}")
    return lines



def report_table(
    report: Report, view: str, console: Any, depth: int | None = None,
    keys: tuple[str, ...] | None = None,
) -> str:
    """The table, then the summary lines. Numbers and shapes are printed whole at any width: when
    the columns do not fit the console, whole columns are left out (lowest priority first) and a
    line under the table names them. No line ends in a space."""
    columns = view_columns(report, view, keys)
    title = printable(report.name + (f" — {report.title}" if report.title else ""))
    caption = f"input {format_shape(report.input)} · batch {report.batch} · {report.dtype}"
    if any(r.train_only for r in report.rows):  # say whether the aux heads' costs are in
        caption += f" · {report.mode} mode"
    if report.bindings:
        caption += " · " + ", ".join(f"{k}={v}" for k, v in report.bindings.items())
    caption = printable(caption)
    footer = footer_cells(report, columns)
    cells = [[printable(c.cell(row)) for c in columns] for row in report.collapsed(depth)]
    out = [table_text(console, title, caption, columns, cells, footer)]
    for line in summary_lines(report, view):
        if console.is_terminal:  # wrapped between words, so no number is split at the edge
            out.append(wrap_words(printable(line), console.width))
        else:
            out.append(printable(line) + "\n")
    return "".join(out)


def render_report(
    report: Report, view: str, fmt: str, console: Any, depth: int | None = None,
    keys: tuple[str, ...] | None = None,
) -> str:
    """The view of the report in one of the four formats."""
    if fmt == "json":
        from .report_json import to_json

        return to_json(report, depth) + "\n"
    if fmt == "csv":
        return to_csv(report, view, depth, keys)
    if fmt == "markdown":
        return to_markdown(report, view, depth, keys)
    return report_table(report, view, console, depth, keys)
