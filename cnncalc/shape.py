"""Shapes, per-axis arithmetic, and the few helpers that let the same formulas run on integers
and, when the input is symbolic, on sympy expressions (imported lazily, never on the numeric path)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

Shape = tuple[Any, ...]  # (C, H, W) for a feature map, (F,) after flatten; batch is kept apart


def is_int(value: Any) -> bool:
    return type(value) is int


def exact(value: Any) -> Any:
    """An int when a Fraction is integral, else the value unchanged."""
    if type(value) is Fraction and value.denominator == 1:
        return value.numerator
    return value


def half(value: Any) -> Any:
    """value / 2, exact: an int when even, a Fraction when odd, a sympy Rational expression else."""
    if type(value) is int:
        return value // 2 if value % 2 == 0 else Fraction(value, 2)
    if type(value) is Fraction:
        return exact(value / 2)
    return value / 2  # sympy


def ceil_div(a: Any, b: Any) -> Any:
    """⌈a/b⌉, exact on integers and symbols alike."""
    return -((-a) // b)


def product(values: Any) -> Any:
    result: Any = 1
    for v in values:
        result = result * v
    return result


def format_shape(shape: Shape) -> str:
    return "x".join(str(d) for d in shape)


def is_spatial(shape: Shape) -> bool:
    return len(shape) == 3
