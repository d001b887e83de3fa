"""`cnncalc compare`: a Comparison (cnncalc/compare.py) as a table, JSON, CSV or Markdown."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from ..compare import Comparison, Ratio
from ..shape import format_shape
from .columns import csv_table, markdown_table, trimmed
from .values import SCHEMA_VERSION, csv_text, exact_text, grouped, json_value


def _json(value: Any) -> Any:
    return [json_value(v) for v in value] if isinstance(value, tuple) else json_value(value)


def _csv(value: Any) -> str:
    return "x".join(csv_text(v) for v in value) if isinstance(value, tuple) else csv_text(value)


def compare_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "designs": list(comparison.names),
        "rows": [
            {
                "measure": row.label,
                "values": [_json(v) for v in row.values],
                "ratio_first_to": [
                    None
                    if r is None
                    else {
                        "value": json_value(r.value),
                        "limit": json_value(r.limit),
                        "as_grows": r.symbol or None,
                    }
                    for r in row.ratios
                ],
            }
            for row in comparison.rows
        ],
    }


def ratio_text(r: Ratio | None) -> str:
    if r is None:
        return ""
    if type(r.value) in (int, Fraction):
        text = f"{float(r.value):.3f}"
        return text if Fraction(r.value).denominator == 1 else f"{exact_text(r.value)} ≈ {text}"
    text = exact_text(r.value)
    if r.limit is not None:
        text += f" → {exact_text(r.limit)} ≈ {float(r.limit):.3f} as {r.symbol} → ∞"
    return text


def _value_text(v: Any, is_shape: bool) -> str:
    if v is None:
        return "-"
    if isinstance(v, tuple):
        return format_shape(v) if len(v) != 2 or is_shape else "x".join(map(grouped, v))
    return grouped(v)


def render_compare(comparison: Comparison, fmt: str, console: Any) -> str:
    names = comparison.names
    ratio_headers = [f"{names[0]} / {n}" for n in names[1:]]
    if fmt == "json":
        return json.dumps(compare_json(comparison), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return csv_table(
            ["measure", *names, *ratio_headers],
            [
                [
                    row.label,
                    *("" if v is None else _csv(v) for v in row.values),
                    *("" if r is None else _csv(r.value) for r in row.ratios),
                ]
                for row in comparison.rows
            ],
        )
    body = [
        [
            row.label,
            *(_value_text(v, row.label == "output shape") for v in row.values),
            *(ratio_text(r) for r in row.ratios),
        ]
        for row in comparison.rows
    ]
    headers = ["", *names, *ratio_headers]
    if fmt == "markdown":
        numeric = [False] + [True] * (len(headers) - 1)
        return "\n".join(markdown_table(headers, numeric, body)) + "\n"
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE, pad_edge=False, header_style="" if console.no_color else "bold")
    table.add_column(headers[0])
    for h in headers[1:]:
        table.add_column(h, justify="right")
    for cells in body:
        table.add_row(*cells)
    return trimmed(console, table)
