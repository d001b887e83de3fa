"""A tiny, restricted arithmetic language for values in architecture files.

Grammar (nothing else is accepted; nothing is ever passed to `eval` or `sympify`):

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "//" | "%") unary)*
    unary  := "-" unary | atom
    atom   := INTEGER | DECIMAL | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

Names are block arguments, symbols declared by the input, or the incoming shape (`C_in`, `H_in`,
`W_in`). `//` is floor division and `%` its remainder, exact on integers and on symbols alike.
A DECIMAL (`0.75`) is the exact rational it spells (3/4), never a float, so width multipliers
compute exactly; a value that must be an integer (a channel count) is refused when it is not
one. The functions (FUNCTIONS) are min, max, ceil_div and torchvision's make_divisible.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from . import limits
from .errors import LimitError, SpecError

MAX_EXPR_LENGTH = 200
MAX_EXPR_DEPTH = 32

_TOKEN = re.compile(
    r"\s*(?:([0-9]+(?:\.[0-9]+)?)|([A-Za-z_][A-Za-z0-9_]*)|(//|[-+*%(),]))"
)
_ALLOWED = (
    "integers, decimals, names, + - * // %, parentheses and min, max, ceil_div, make_divisible"
)


@dataclass(frozen=True, slots=True)
class Expr:
    """A parsed expression; `tree` is an int, a Fraction (a decimal), a name, or (op, operand,
    ...), where a call's op is the function's name followed by `()`."""

    text: str
    tree: Any

    def names(self) -> set[str]:
        found: set[str] = set()

        def visit(node: Any) -> None:
            if isinstance(node, str):
                found.add(node)
            elif isinstance(node, tuple):
                for child in node[1:]:
                    visit(child)

        visit(self.tree)
        return found

    def evaluate(self, scope: Mapping[str, Any]) -> Any:
        """The value in `scope`: an int (a symbolic result that folds to a constant included),
        a Fraction (a rational that is not whole: 0.75·16 is 12, 0.75·15 is 45/4), or a sympy
        expression; |value| ≤ CNNCALC_MAX_VALUE, division by zero refused."""
        value = _checked(_evaluate(self.tree, scope, self.text), self.text)
        if type(value) is int and abs(value) > limits.MAX_VALUE:
            raise LimitError(
                f"{self.text!r} is {value:,}; cnncalc refuses integers above "
                f"{limits.MAX_VALUE:,} ({limits.VALUE_HINT})"
            )
        return value

    def __str__(self) -> str:
        return self.text


def parse(text: str) -> Expr:
    """Parse `text`; raise SpecError (without location: the caller adds it) on anything else."""
    if len(text) > MAX_EXPR_LENGTH:
        raise SpecError(
            f"expression is {len(text)} characters long; the limit is {MAX_EXPR_LENGTH}"
        )
    tokens: list[tuple[str, str]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if match is None:
            bad = stripped[pos:].lstrip()[:1]
            raise SpecError(
                f"cannot read expression {text!r}: unexpected {bad!r} (allowed: {_ALLOWED})"
            )
        number, name, op = match.groups()
        tokens.append(("int", number) if number else ("name", name) if name else ("op", op))
        if number and "." in number:
            _decimal(number, text)  # refuse 40 decimals here, where the text is at hand
        pos = match.end()
    if not tokens:
        raise SpecError("empty expression")
    parser = _Parser(tokens, text)
    tree = parser.expr(0)
    if parser.pos != len(tokens):
        raise SpecError(f"cannot read expression {text!r}: unexpected {tokens[parser.pos][1]!r}")
    return Expr(text.strip(), tree)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens, self.text, self.pos = tokens, text, 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def fail(self, what: str) -> SpecError:
        return SpecError(f"cannot read expression {self.text!r}: {what}")

    def expr(self, depth: int) -> Any:
        if depth > MAX_EXPR_DEPTH:
            raise SpecError(f"expression nests deeper than {MAX_EXPR_DEPTH} levels")
        node = self.term(depth)
        while self.peek() in ("+", "-"):
            op = self.tokens[self.pos][1]
            self.pos += 1
            node = (op, node, self.term(depth))
        return node

    def term(self, depth: int) -> Any:
        node = self.unary(depth)
        while self.peek() in ("*", "//", "%"):
            op = self.tokens[self.pos][1]
            self.pos += 1
            node = (op, node, self.unary(depth))
        return node

    def unary(self, depth: int) -> Any:
        if self.peek() == "-":
            self.pos += 1
            if depth > MAX_EXPR_DEPTH:
                raise SpecError(f"expression nests deeper than {MAX_EXPR_DEPTH} levels")
            return ("neg", self.unary(depth + 1))
        return self.atom(depth)

    def atom(self, depth: int) -> Any:
        if self.pos >= len(self.tokens):
            raise self.fail("it ends too early")
        kind, value = self.tokens[self.pos]
        self.pos += 1
        if kind == "int":
            return _decimal(value, self.text) if "." in value else int(value)
        if kind == "name":
            if self.peek() == "(":
                return self.call(value, depth)
            return value
        if value == "(":
            node = self.expr(depth + 1)
            if self.peek() != ")":
                raise self.fail("missing ')'")
            self.pos += 1
            return node
        raise self.fail(f"unexpected {value!r}")

    def call(self, name: str, depth: int) -> Any:
        """NAME "(" expr ("," expr)* ")": one of FUNCTIONS, with its number of arguments."""
        if name not in FUNCTIONS:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise self.fail(f"unknown function {name!r}{hint} (functions: {', '.join(FUNCTIONS)})")
        self.pos += 1  # "("
        args = [self.expr(depth + 1)]
        while self.peek() == ",":
            self.pos += 1
            args.append(self.expr(depth + 1))
        if self.peek() != ")":
            raise self.fail("missing ')'")
        self.pos += 1
        least, most, _ = FUNCTIONS[name]
        if not least <= len(args) <= most:
            takes = f"{least}" if least == most else f"{least} to {most}" if most < 99 else (
                f"at least {least}"
            )
            raise self.fail(f"{name} takes {takes} arguments, got {len(args)}")
        return (f"{name}()", *args)


def _decimal(text: str, expression: str) -> Fraction:
    """`0.75` as the exact rational 3/4; at most 12 decimals (a denominator ≤ 10¹²)."""
    whole, _, digits = text.partition(".")
    if len(digits) > 12 or len(whole) > 12:
        raise SpecError(
            f"cannot read expression {expression!r}: {text} has more than 12 digits before or "
            "after the point"
        )
    return Fraction(text)


def _is_number(value: Any) -> bool:
    return type(value) is int or type(value) is Fraction


def _min(text: str, *args: Any) -> Any:
    """The least argument (sympy's Min on symbols)."""
    if all(_is_number(a) for a in args):
        return min(args)
    import sympy

    return sympy.Min(*args)


def _max(text: str, *args: Any) -> Any:
    """The greatest argument (sympy's Max on symbols)."""
    if all(_is_number(a) for a in args):
        return max(args)
    import sympy

    return sympy.Max(*args)


def _ceil_div(text: str, a: Any, b: Any) -> Any:
    """⌈a/b⌉ = −⌊−a/b⌋, exact on integers, rationals and symbols."""
    if _is_zero(b):
        raise SpecError(f"division by zero in {text!r}")
    if _is_number(a) and _is_number(b):
        return -((-a) // b)
    import sympy

    return sympy.ceiling(sympy.sympify(a) / b)


def _make_divisible(text: str, v: Any, divisor: Any, min_value: Any = None) -> Any:
    """torchvision.models._utils._make_divisible, in exact arithmetic:
    new = max(min_value, ⌊v + divisor/2⌋ // divisor · divisor) (min_value defaults to the
    divisor; torchvision's int() truncates, the same as ⌊⌋ for v ≥ 0), then + divisor when
    new < 0.9·v (compared as 10·new < 9·v). torchvision computes v + divisor/2 and 0.9·v in
    floats; with exact values the two agree except where 10·new = 9·v falls between floats."""
    if not _is_number(divisor):
        raise SpecError(f"make_divisible's divisor must be a number, not {divisor}, in {text!r}")
    if divisor == 0:
        raise SpecError(f"division by zero in {text!r}: make_divisible's divisor is 0")
    if divisor < 0 or type(divisor) is not int:
        raise SpecError(
            f"make_divisible's divisor must be a positive integer, got {divisor}, in {text!r}"
        )
    least = divisor if min_value is None else min_value
    if _is_number(v) and _is_number(least):
        new = max(least, math.trunc(v + Fraction(divisor, 2)) // divisor * divisor)
        return new + divisor if 10 * new < 9 * v else new
    import sympy

    new = sympy.Max(least, sympy.floor((v + sympy.Rational(divisor, 2)) / divisor) * divisor)
    return sympy.Piecewise((new + divisor, 10 * new < 9 * v), (new, True))


MANY = 99  # "at least"
# name -> (fewest arguments, most arguments, the function of (text, *values))
FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "min": (2, MANY, _min),
    "max": (2, MANY, _max),
    "ceil_div": (2, 2, _ceil_div),
    "make_divisible": (2, 3, _make_divisible),
}


def _evaluate(node: Any, scope: Mapping[str, Any], text: str) -> Any:
    if isinstance(node, (int, Fraction)):
        return node
    if isinstance(node, str):
        try:
            return scope[node]
        except KeyError:
            raise SpecError(unknown_name_message(node, scope, text)) from None
    op = node[0]
    if op.endswith("()"):
        values = [_number(n, _evaluate(n, scope, text), text) for n in node[1:]]
        return _checked(FUNCTIONS[op[:-2]][2](text, *values), text)
    if op == "neg":
        return -_number(node[1], _evaluate(node[1], scope, text), text)
    left = _number(node[1], _evaluate(node[1], scope, text), text)
    right = _number(node[2], _evaluate(node[2], scope, text), text)
    if op == "+":
        return _checked(left + right, text)
    if op == "-":
        return _checked(left - right, text)
    if op == "*":
        if type(left) is int and type(right) is int:
            # Refuse before the product exists: x*x*... through nested blocks would otherwise
            # build integers of billions of digits. |a·b| has at least len(a) + len(b) − 1 bits.
            bits = left.bit_length() + right.bit_length() - 1
            if left and right and bits > _bound().bit_length():
                raise _too_big(text, f"more than {_bound():,}")
        return _checked(left * right, text)
    if _is_zero(right):
        raise SpecError(f"division by zero in {text!r}")
    try:
        return _checked(left // right if op == "//" else left % right, text)
    except ZeroDivisionError:  # a divisor sympy only finds to be zero while dividing
        raise SpecError(f"division by zero in {text!r}") from None


def _bound() -> int:
    """Intermediate values may reach MAX_VALUE² (H_in * W_in of an in-range map); the value of
    a whole expression is held to MAX_VALUE by `Expr.evaluate`."""
    return limits.MAX_VALUE**2


def _too_big(text: str, value: str) -> LimitError:
    return LimitError(
        f"{text!r} reaches {value}; cnncalc refuses integers above {limits.MAX_VALUE:,} "
        f"({limits.VALUE_HINT})"
    )


def _checked(value: Any, text: str) -> Any:
    """A sympy result that is a number becomes a plain int (so every later range check sees
    it) or a Fraction; a number that is not rational (zoo, nan) is refused; ints are bounded,
    and a Fraction's numerator and denominator too (it becomes an int when whole)."""
    if type(value) is Fraction:
        if value.denominator == 1:
            value = value.numerator
        elif max(abs(value.numerator), value.denominator) > _bound():
            raise _too_big(text, f"the fraction {value}")
        else:
            return value
    if type(value) is not int:
        if not getattr(value, "is_number", False):
            return value  # an expression in free symbols
        if value.is_Rational and not value.is_Integer:
            return _checked(Fraction(int(value.p), int(value.q)), text)
        if not value.is_Integer:
            raise SpecError(f"{text!r} is {value}, not a rational number")
        value = int(value)
    if abs(value) > _bound():
        raise _too_big(text, f"{value:,}")
    return value


def _is_zero(value: Any) -> bool:
    """True when the divisor is 0, as an int or as a symbolic expression provably zero."""
    if type(value) is int:
        return value == 0
    return getattr(value, "is_zero", None) is True


def _number(node: Any, value: Any, text: str) -> Any:
    """Arithmetic takes integers (or symbols): a block argument given as text or a list is an
    error here, not a TypeError."""
    if _is_number(value) or type(value).__module__.startswith("sympy"):
        return value
    what = f"{node!r} is {value!r}" if isinstance(node, str) else f"a value is {value!r}"
    raise SpecError(f"{what}, not an integer, in {text!r}")


def unknown_name_message(name: str, scope: Mapping[str, Any], text: str) -> str:
    known = sorted(scope)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listing = ", ".join(known) if known else "none"
    within = "" if text.strip() == name else f" in {text!r}"  # not "'two' in 'two'"
    return f"unknown name {name!r}{within}{hint} (known here: {listing})"
