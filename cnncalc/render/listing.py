"""`cnncalc list`: the zoo's entries (name, architecture, report at the default input) as a
table, JSON, CSV or Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..nodes import Architecture
from ..report import Report
from ..shape import format_shape
from .columns import (
    WIDER_ADVICE,
    csv_table,
    markdown_table,
    number_column,
    table_text,
    text_column,
)
from .values import csv_text, human, json_value, printable

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
    if fmt == "json":  # versioned as every JSON document is (an array had no place for it)
        document = {"schema_version": 1, "models": list_json(entries)}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":  # the JSON's keys, exact numbers
        rows = [
            (
                name, "x".join(csv_text(d) for d in report.input), csv_text(report.totals.params),
                csv_text(report.totals.macs), arch.title, arch.description,
            )
            for name, arch, report in entries
        ]
        return csv_table(("name", "input", "params", "macs", "title", "description"), rows)
    if fmt == "markdown":  # for people: human units, as the table
        cells = [
            (
                name, format_shape(report.input), human(report.totals.params),
                human(report.totals.macs), printable(arch.title),
            )
            for name, arch, report in entries
        ]
        heads = ("Name", "Input", "Params", "MACs", "Title")
        numeric = (False, False, True, True, False)
        return "\n".join(markdown_table(heads, numeric, cells)) + "\n"
    columns = [
        text_column("name", "Name", priority=100),
        text_column("input", "Input", priority=80),
        number_column("params", "Params", priority=70),
        number_column("macs", "MACs", priority=70),
        text_column("description", "Description", priority=10, wrap=True),
    ]
    table = [
        [
            name,
            format_shape(report.input),
            human(report.totals.params),
            human(report.totals.macs),
            printable(arch.description or arch.title),
        ]
        for name, arch, report in entries
    ]
    return table_text(console, "", "", columns, table, advice=WIDER_ADVICE)
