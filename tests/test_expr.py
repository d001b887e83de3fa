"""The restricted expression language: what it reads, and everything it refuses."""

import pytest

from cnncalc.errors import SpecError
from cnncalc.expr import MAX_EXPR_LENGTH, parse


@pytest.mark.parametrize(
    ("text", "scope", "expected"),
    [
        ("4*planes", {"planes": 64}, 256),
        ("C_in // 2", {"C_in": 1024}, 512),
        ("(c+1)//2", {"c": 7}, 4),
        ("-3 + 10 % 4", {}, -1),
        ("2*(a - b)*3", {"a": 5, "b": 2}, 18),
        ("--4", {}, 4),
        ("7 // 2 * 2", {}, 6),  # left to right, as in Python
        ("1 + 2 * 3", {}, 7),  # * binds tighter than +
    ],
)
def test_evaluates_like_python_integer_arithmetic(text, scope, expected):
    assert parse(text).evaluate(scope) == expected


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('x')",
        "a.b",
        "2 ** 3",
        "1 / 2",
        "f(3)",
        "[1]",
        "1 +",
        "(1",
        "1)",
        "",
        "lambda: 1",
    ],
)
def test_refuses_anything_else(text):
    with pytest.raises(SpecError):
        parse(text)


def test_unknown_name_suggests_the_closest():
    with pytest.raises(SpecError, match="did you mean 'planes'"):
        parse("4*plans").evaluate({"planes": 64, "stride": 1})


def test_division_by_zero_is_a_spec_error():
    with pytest.raises(SpecError, match="division by zero"):
        parse("4 // (a - a)").evaluate({"a": 1})


def test_length_limit():
    with pytest.raises(SpecError, match=str(MAX_EXPR_LENGTH)):
        parse("1+" * MAX_EXPR_LENGTH + "1")


def test_names_are_collected():
    assert parse("4*planes + C_in // g").names() == {"planes", "C_in", "g"}
