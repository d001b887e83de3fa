"""`cnncalc list`: the zoo's entries (name, architecture, report at the default input) as a
table, JSON, CSV or Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..nodes import Architecture
from ..report import Report
from ..shape import format_shape
from .columns import csv_table, trimmed
from .values import exact_text, human, json_value

Entry = tuple[str, Architecture, Report]


def list_json(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "title": arch.title,
            "description": arch.description,
            "input": [json_value(d) for d in report.input],
            "params": json_value(report.totals.params),
            "macs": json_value(report.totals.macs),
        }
        for name, arch, report in entries
    ]


def render_list(entries: Sequence[Entry], fmt: str, console: Any) -> str:
    if fmt == "json":
        return json.dumps(list_json(entries), indent=2, ensure_ascii=False) + "\n"
    rows = [
        (
            name,
            format_shape(report.input),
            exact_text(report.totals.params),
            exact_text(report.totals.macs),
            arch.title,
        )
        for name, arch, report in entries
    ]
    if fmt == "csv":
        return csv_table(("name", "input", "params", "macs", "title"), rows)
    if fmt == "markdown":
        lines = ["| name | input | params | MACs | title |", "|---|---|---:|---:|---|"]
        lines += ["| " + " | ".join(cells) + " |" for cells in rows]
        return "\n".join(lines) + "\n"
    from rich import box
    from rich.table import Table

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
            human(report.totals.params),
            human(report.totals.macs),
            arch.description or arch.title,
        )
    return trimmed(console, table)
