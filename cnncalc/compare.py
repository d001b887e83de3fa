"""Designs side by side. The rows are computed here; the renderer only formats them.

Each numeric row carries, for every design after the first, the ratio first / that design, and,
when the ratio is an expression in one symbol, its limit as that symbol grows (27/49 for three
3x3 convolutions against one 7x7 as the width C grows).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .report import Report
from .shape import format_shape, plain


@dataclass(frozen=True)
class Ratio:
    value: Any  # first / other: Fraction, expression, or None
    limit: Any = None  # its limit as the one free symbol → ∞
    symbol: str = ""


@dataclass(frozen=True)
class CompareRow:
    label: str
    values: tuple[Any, ...]
    ratios: tuple[Ratio | None, ...]  # one per design after the first


@dataclass(frozen=True)
class Comparison:
    names: tuple[str, ...]
    rows: tuple[CompareRow, ...]


def ratio(first: Any, other: Any) -> Ratio | None:
    first, other = plain(first), plain(other)
    if type(first) in (int, Fraction) and type(other) in (int, Fraction):
        return Ratio(Fraction(first) / Fraction(other)) if other else None
    import sympy

    if other == 0:
        return None
    value = plain(sympy.cancel(sympy.sympify(first) / sympy.sympify(other)))
    if not isinstance(value, sympy.Basic):
        return Ratio(value)
    free = sorted(value.free_symbols, key=str)
    if len(free) != 1:
        return Ratio(value)
    try:
        limit = plain(sympy.limit(value, free[0], sympy.oo))
    except (NotImplementedError, ValueError, TypeError, ArithmeticError):
        # sympy has no series for some pieces (Max, Min of a floor): show the ratio, no limit
        limit = None
    return Ratio(value, limit if type(limit) in (int, Fraction) else None, str(free[0]))


def _rf(report: Report, attr: str) -> Any:
    """One value when both axes agree, else (height, width)."""
    field = report.rf
    if field is None:
        return None
    a, b = getattr(field[0], attr), getattr(field[1], attr)
    return a if a == b else (a, b)


MEASURES: list[tuple[str, Any, bool]] = [
    ("output shape", lambda r: tuple(r.output), False),
    ("params", lambda r: r.totals.params, True),
    ("MACs", lambda r: r.totals.macs, True),
    ("FLOPs (2·MACs)", lambda r: r.totals.flops, True),
    ("activations per sample", lambda r: r.totals.activation_elements, True),
    ("activation memory (bytes)", lambda r: r.totals.activation_bytes, True),
    ("receptive field", lambda r: _rf(r, "size"), False),
    ("jump", lambda r: _rf(r, "jump"), False),
    ("weight layers", lambda r: r.totals.weight_layers, True),
    ("nonlinearities", lambda r: r.totals.nonlinearities, True),
]


def compare_reports(reports: list[Report]) -> Comparison:
    rows = []
    for label, get, has_ratio in MEASURES:
        values = tuple(get(r) for r in reports)
        ratios = tuple(ratio(values[0], v) if has_ratio else None for v in values[1:])
        rows.append(CompareRow(label, values, ratios))
    return Comparison(tuple(r.name for r in reports), tuple(rows))


def _json(value: Any) -> Any:
    from .render import json_value

    return [json_value(v) for v in value] if isinstance(value, tuple) else json_value(value)


def _csv(value: Any) -> str:
    from .render import csv_text

    return "x".join(csv_text(v) for v in value) if isinstance(value, tuple) else csv_text(value)


def render_compare(comparison: Comparison, fmt: str, console: Any) -> None:
    import json

    from .render import SCHEMA_VERSION, exact_text, grouped, json_value

    names = comparison.names
    ratio_headers = [f"{names[0]} / {n}" for n in names[1:]]

    if fmt == "json":
        print(
            json.dumps(
                {
                    "schema_version": SCHEMA_VERSION,
                    "designs": list(names),
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
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return

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

    def value_text(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, tuple):
            return format_shape(v) if len(v) != 2 or row_is_shape else "x".join(map(grouped, v))
        return grouped(v)

    body = []
    for row in comparison.rows:
        row_is_shape = row.label == "output shape"
        body.append(
            [row.label, *(value_text(v) for v in row.values), *(ratio_text(r) for r in row.ratios)]
        )
    headers = ["", *names, *ratio_headers]
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["measure", *names, *ratio_headers])
        for row in comparison.rows:
            writer.writerow(
                [
                    row.label,
                    *("" if v is None else _csv(v) for v in row.values),
                    *("" if r is None else _csv(r.value) for r in row.ratios),
                ]
            )
        print(buf.getvalue(), end="")
        return
    if fmt == "markdown":
        print("| " + " | ".join(headers) + " |")
        print("|---|" + "---:|" * (len(headers) - 1))
        for cells in body:
            print("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE, pad_edge=False, header_style="" if console.no_color else "bold")
    table.add_column(headers[0])
    for h in headers[1:]:
        table.add_column(h, justify="right")
    for cells in body:
        table.add_row(*cells)
    from .render import print_trimmed

    print_trimmed(console, table)
