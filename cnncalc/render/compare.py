"""`cnncalc compare`: a Comparison (cnncalc/compare.py) as a table, JSON, CSV or Markdown."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from ..compare import Comparison, Ratio
from ..shape import format_shape
from .columns import (
    WIDER_ADVICE,
    csv_table,
    markdown_table,
    number_column,
    table_text,
    text_column,
)
from .values import SCHEMA_VERSION, csv_text, decimal, exact_text, grouped, json_value

PLACES = 6  # decimals of a ratio in CSV and JSON; the table and Markdown show 3


def _json(value: Any) -> Any:
    return [json_value(v) for v in value] if isinstance(value, tuple) else json_value(value)


def _csv(value: Any) -> str:
    return "x".join(csv_text(v) for v in value) if isinstance(value, tuple) else csv_text(value)


def ratio_labels(comparison: Comparison) -> list[str]:
    """`first / other` for each design after the first: what each ratio column divides."""
    names = comparison.names
    return [f"{names[0]} / {n}" for n in names[1:]]


def decimal_text(value: Any, places: int = PLACES) -> str | None:
    """A number as a decimal, rounded half to even from the exact fraction; None for an
    expression (a symbolic ratio has no single decimal)."""
    if type(value) is int:
        return decimal(value, 1, places)
    if type(value) is Fraction:
        return decimal(value.numerator, value.denominator, places)
    return None


def _decimal_json(value: Any) -> float | None:
    text = decimal_text(value)
    return None if text is None else float(text)


def compare_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "designs": list(comparison.names),
        "ratios": ratio_labels(comparison),
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
                        "decimal": _decimal_json(r.value),
                        "limit_decimal": _decimal_json(r.limit),
                    }
                    for r in row.ratios
                ],
            }
            for row in comparison.rows
        ],
    }


def ratio_text(r: Ratio | None, fraction: bool = True) -> str:
    """The table's ratio: `27/49 ≈ 0.551`, or, without `fraction` (Markdown), `0.551`; an
    expression with its limit: `(27*C + 3)/(49*C + 1) → 27/49 ≈ 0.551 as C → ∞`."""
    if r is None:
        return ""
    text = decimal_text(r.value, 3)
    if text is not None:
        whole = Fraction(r.value).denominator == 1
        return text if whole or not fraction else f"{exact_text(r.value)} ≈ {text}"
    text = exact_text(r.value)
    if r.limit is not None:
        limit = f"{exact_text(r.limit)} ≈ " if fraction else ""
        text += f" → {limit}{decimal_text(r.limit, 3)} as {r.symbol} → ∞"
    return text


def _ratio_csv(r: Ratio | None) -> str:
    if r is None:
        return ""
    text = decimal_text(r.value)
    return _csv(r.value) if text is None else text


def _value_text(v: Any, is_shape: bool) -> str:
    if v is None:
        return "-"
    if isinstance(v, tuple):
        return format_shape(v) if len(v) != 2 or is_shape else "x".join(map(grouped, v))
    return grouped(v)


def render_compare(comparison: Comparison, fmt: str, console: Any) -> str:
    names = comparison.names
    ratio_headers = ratio_labels(comparison)
    if fmt == "json":
        return json.dumps(compare_json(comparison), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return csv_table(
            ["measure", *names, *ratio_headers],
            [
                [
                    row.label,
                    *("" if v is None else _csv(v) for v in row.values),
                    *(_ratio_csv(r) for r in row.ratios),
                ]
                for row in comparison.rows
            ],
        )
    body = [
        [
            row.label,
            *(_value_text(v, row.label == "output shape") for v in row.values),
            *(ratio_text(r, fraction=fmt != "markdown") for r in row.ratios),
        ]
        for row in comparison.rows
    ]
    headers = ["", *names, *ratio_headers]
    if fmt == "markdown":
        numeric = [False] + [True] * (len(headers) - 1)
        return "\n".join(markdown_table(headers, numeric, body)) + "\n"
    columns = [
        text_column("measure", "", priority=100),  # at most 25 characters: never wrapped
        *(number_column(n, n, priority=90) for n in names),
        *(number_column(h, h, priority=50) for h in ratio_headers),
    ]
    return table_text(console, "", "", columns, body, advice=WIDER_ADVICE)
