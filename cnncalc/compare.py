"""Designs side by side. The rows are computed here; the renderer only formats them."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .report import Report
from .shape import format_shape


@dataclass(frozen=True)
class CompareRow:
    label: str
    values: tuple[Any, ...]
    ratio: tuple[Any, ...]  # value / first value, None where it does not apply


@dataclass(frozen=True)
class Comparison:
    names: tuple[str, ...]
    rows: tuple[CompareRow, ...]


def _ratio(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return Fraction(a, b) if b else None
    if isinstance(a, (int, Fraction)) and isinstance(b, (int, Fraction)):
        return Fraction(a) / Fraction(b) if b else None
    import sympy

    return sympy.simplify(sympy.sympify(a) / sympy.sympify(b)) if b != 0 else None


def compare_reports(reports: list[Report]) -> Comparison:
    def rf(report: Report, attr: str) -> Any:
        field = report.rf
        if field is None:
            return None
        a, b = getattr(field[0], attr), getattr(field[1], attr)
        return a if a == b else f"{a}x{b}"

    measures: list[tuple[str, Any, bool]] = [
        ("output shape", lambda r: format_shape(r.output), False),
        ("params", lambda r: r.totals.params, True),
        ("MACs", lambda r: r.totals.macs, True),
        ("FLOPs (2·MACs)", lambda r: r.totals.flops, True),
        ("activations per sample", lambda r: r.totals.activation_elements, True),
        ("activation memory (bytes)", lambda r: r.totals.activation_bytes, True),
        ("receptive field", lambda r: rf(r, "size"), False),
        ("jump", lambda r: rf(r, "jump"), False),
        ("weight layers", lambda r: r.totals.weight_layers, True),
        ("nonlinearities", lambda r: r.totals.nonlinearities, True),
    ]
    rows = []
    for label, get, ratio in measures:
        values = tuple(get(r) for r in reports)
        ratios = tuple(_ratio(v, values[0]) if ratio else None for v in values)
        rows.append(CompareRow(label, values, ratios))
    return Comparison(tuple(r.name for r in reports), tuple(rows))


def render_compare(comparison: Comparison, fmt: str, console: Any) -> None:
    import json

    from .render import exact_text, grouped, json_value

    if fmt == "json":
        print(
            json.dumps(
                {
                    "designs": list(comparison.names),
                    "rows": [
                        {
                            "measure": row.label,
                            "values": [json_value(v) for v in row.values],
                            "ratio_to_first": [json_value(v) for v in row.ratio],
                        }
                        for row in comparison.rows
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return

    def ratio_text(value: Any) -> str:
        if value is None:
            return ""
        if type(value) in (int, Fraction):
            return f"{float(value):.3f}"
        return exact_text(value)

    headers = ["", *comparison.names]
    extra = [f"{n} / {comparison.names[0]}" for n in comparison.names[1:]]
    body = []
    for row in comparison.rows:
        cells = [row.label, *(grouped(v) if v is not None else "-" for v in row.values)]
        cells += [ratio_text(r) for r in row.ratio[1:]]
        body.append(cells)
    if fmt in ("markdown", "csv"):
        if fmt == "csv":
            import csv
            import io

            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow([*headers, *extra])
            for row in comparison.rows:
                writer.writerow(
                    [row.label, *(exact_text(v) if not isinstance(v, str) and v is not None else v or "" for v in row.values),
                     *(exact_text(r) if r is not None else "" for r in row.ratio[1:])]
                )
            print(buf.getvalue(), end="")
            return
        print("| " + " | ".join([*headers, *extra]) + " |")
        print("|---|" + "---:|" * (len(headers) - 1 + len(extra)))
        for cells in body:
            print("| " + " | ".join(cells) + " |")
        return
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE, pad_edge=False, header_style="" if console.no_color else "bold")
    table.add_column(headers[0])
    for h in headers[1:] + extra:
        table.add_column(h, justify="right")
    for cells in body:
        table.add_row(*cells)
    console.print(table)
