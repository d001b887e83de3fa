"""Shapes, per-axis arithmetic, and the few helpers that let the same formulas run on integers
and, when the input is symbolic, on sympy expressions (imported lazily, never on the numeric
path)."""

from __future__ import annotations

import functools
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


def plain(value: Any) -> Any:
    """A sympy number as a Python int or Fraction; anything else unchanged."""
    if type(value) is Fraction:
        return value.numerator if value.denominator == 1 else value
    if type(value) is int or not hasattr(value, "is_Rational"):
        return value
    if value.is_Integer:
        return int(value)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return value


def half(value: Any) -> Any:
    """value / 2, exact: an int when even, a Fraction when odd, a sympy Rational expression else."""
    if type(value) is int:
        return value // 2 if value % 2 == 0 else Fraction(value, 2)
    if type(value) is Fraction:
        return exact(value / 2)
    return value / 2  # sympy


def floordiv(a: Any, b: Any) -> Any:
    """⌊a/b⌋, exact on integers and symbols alike. On symbols, nested floors are folded:
    ⌊(⌊A/m⌋ + k)/n⌋ = ⌊(A + m·k)/(m·n)⌋ for integers k and positive integers m, n, so a stack of
    stride-2 layers reads ⌊(H − 1)/32⌋ + 1 rather than five nested floors."""
    if type(a) is int and type(b) is int:
        return a // b
    import sympy

    a, b = sympy.expand(sympy.sympify(a)), sympy.sympify(b)
    if b.is_Integer and b > 0:
        floors = [t for t in sympy.Add.make_args(a) if isinstance(t, sympy.floor)]
        if len(floors) == 1:
            rest = a - floors[0]
            num, den = sympy.fraction(sympy.together(floors[0].args[0]))
            if den.is_Integer and den > 0 and rest.is_integer and not rest.has(sympy.floor):
                return sympy.floor(sympy.expand(num + den * rest) / (den * b))
    return sympy.floor(a / b)


def ceil_div(a: Any, b: Any) -> Any:
    """⌈a/b⌉ = ⌊(a + b − 1)/b⌋ for integers a and positive integers b."""
    if type(a) is int and type(b) is int:
        return -((-a) // b)
    return floordiv(a + b - 1, b)


def expression_size(value: Any, limit: int) -> int:
    """Nodes in a sympy expression tree, counted up to `limit` + 1 (an int counts 1)."""
    if not hasattr(value, "args"):
        return 1
    count, stack = 0, [value]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        stack.extend(node.args)
    return count


def product(values: Any) -> Any:
    result: Any = 1
    for v in values:
        result = result * v
    return result


def format_shape(shape: Shape) -> str:
    """3x224x224; symbolic sizes in parentheses with ⌊ ⌋: 64x(⌊(H − 1)/2⌋ + 1)x(…)."""
    if all(type(d) is int for d in shape):
        return "x".join(str(d) for d in shape)
    parts = []
    for d in shape:
        text = symbolic_text(d)
        parts.append(f"({text})" if any(c in text for c in " +-*/") else text)
    return "x".join(parts)


def is_spatial(shape: Shape) -> bool:
    return len(shape) == 3


@functools.lru_cache(maxsize=4096)
def canonical(value: Any) -> str:
    """sympy syntax with the fractions inside floors gathered: floor((H - 1)/32) + 1."""
    import sympy

    tidy = value.replace(
        lambda e: isinstance(e, (sympy.floor, sympy.ceiling)),
        lambda e: type(e)(sympy.factor_terms(e.args[0]), evaluate=False),
    ) if isinstance(value, sympy.Basic) else value
    return str(tidy)


def symbolic_text(value: Any) -> str:
    """For people: floor(x) as ⌊x⌋, ceiling(x) as ⌈x⌉, ** as ^."""
    text = canonical(value)
    for name, left, right in (("floor(", "⌊", "⌋"), ("ceiling(", "⌈", "⌉")):
        while (start := text.find(name)) >= 0:
            depth, i = 1, start + len(name)
            while depth and i < len(text):
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            inner = text[start + len(name) : i - 1]
            text = text[:start] + left + inner + right + text[i:]
    return text.replace("**", "^")

