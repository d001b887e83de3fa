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
from .shape import plain


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
