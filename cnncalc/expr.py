"""A tiny, restricted arithmetic language for values in architecture files.

Grammar (nothing else is accepted; nothing is ever passed to `eval` or `sympify`):

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "//" | "%") unary)*
    unary  := "-" unary | atom
    atom   := INTEGER | NAME | "(" expr ")"

Names are block arguments, symbols declared by the input, or the incoming shape (`C_in`, `H_in`,
`W_in`). `//` is floor division and `%` its remainder, exact on integers and on symbols alike.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import limits
from .errors import LimitError, SpecError

MAX_EXPR_LENGTH = 200
MAX_EXPR_DEPTH = 32

_TOKEN = re.compile(r"\s*(?:([0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|(//|[-+*%()]))")


@dataclass(frozen=True, slots=True)
class Expr:
    """A parsed expression; `tree` is an int, a name, or (op, operand, ...)."""

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
        or a sympy expression; |value| ≤ CNNCALC_MAX_VALUE, division by zero refused."""
        value = _evaluate(self.tree, scope, self.text)
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
                f"cannot read expression {text!r}: unexpected {bad!r} "
                "(allowed: integers, names, + - * // % and parentheses)"
            )
        number, name, op = match.groups()
        tokens.append(("int", number) if number else ("name", name) if name else ("op", op))
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
            return int(value)
        if kind == "name":
            return value
        if value == "(":
            node = self.expr(depth + 1)
            if self.peek() != ")":
                raise self.fail("missing ')'")
            self.pos += 1
            return node
        raise self.fail(f"unexpected {value!r}")


def _evaluate(node: Any, scope: Mapping[str, Any], text: str) -> Any:
    if isinstance(node, int):
        return node
    if isinstance(node, str):
        try:
            return scope[node]
        except KeyError:
            raise SpecError(unknown_name_message(node, scope, text)) from None
    op = node[0]
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
    it); a number that is not an integer (zoo, nan) is refused; ints are bounded."""
    if type(value) is not int:
        if not getattr(value, "is_number", False):
            return value  # an expression in free symbols
        if not value.is_Integer:
            raise SpecError(f"{text!r} is {value}, not an integer")
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
    if (type(value) is int) or type(value).__module__.startswith("sympy"):
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
