"""The restricted expression language: what it reads, and everything it refuses."""

import re

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


# ---------------------------------------------------------------- functions and decimals

# torchvision's _make_divisible by hand: new = max(min_value, ⌊v + d/2⌋ // d · d), + d when
# new < 0.9·v.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("make_divisible(16*0.75, 8)", 16),  # v 12: ⌊16⌋ → 16
        ("make_divisible(32*1.1, 8)", 32),  # v 35.2: ⌊39.2⌋ = 39 → 32; 32 ≥ 31.68
        ("make_divisible(20, 8)", 24),  # ⌊24⌋ → 24
        ("make_divisible(3, 8)", 8),  # ⌊7⌋ → 0, raised to min_value = divisor 8
        ("make_divisible(3, 8, 4)", 4),  # min_value 4
        ("make_divisible(11, 8)", 16),  # ⌊15⌋ → 8 < 9.9 = 0.9·11: + 8
        ("make_divisible(40, 8)", 40),  # 10% rule at equality is not below: 40 ≥ 36
        ("make_divisible(960*0.75, 8)", 720),
        ("make_divisible(0.25*72, 8)", 24),  # v 18: ⌊22⌋ → 16 < 16.2 = 0.9·18: + 8 (MobileNetV3)
        ("min(3, 4, 2)", 2),
        ("max(3, 4, 2)", 4),
        ("ceil_div(7, 2)", 4),
        ("ceil_div(8, 2)", 4),
        ("ceil_div(-7, 2)", -3),
        ("ceil_div(3*1.4, 1)", 5),  # ⌈4.2⌉: EfficientNet's depth rounding
        ("0.75*16", 12),
        ("0.1*3*10", 3),  # exact: a float would give 3.0000000000000004
        ("(8*0.5) // 3", 1),
    ],
)
def test_functions_and_decimals_evaluate_exactly(text, expected):
    assert parse(text).evaluate({}) == expected


def test_a_decimal_is_an_exact_rational():
    from fractions import Fraction

    assert parse("0.75*15").evaluate({}) == Fraction(45, 4)
    assert parse("1.1*1.1").evaluate({}) == Fraction(121, 100)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("make_divisible(16, 0)", "division by zero"),
        ("make_divisible(16, d - d)", "division by zero"),
        ("ceil_div(16, 0)", "division by zero"),
        ("make_divisible(16, 2.5)", "must be a positive integer"),
        ("make_divisible(16, -8)", "must be a positive integer"),
    ],
)
def test_function_errors(text, fragment):
    with pytest.raises(SpecError, match=fragment):
        parse(text).evaluate({"d": 3})


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("mix(1, 2)", "unknown function 'mix'; did you mean 'min'"),
        ("min(1)", "min takes at least 2 arguments, got 1"),
        ("ceil_div(1, 2, 3)", "ceil_div takes 2 arguments, got 3"),
        ("make_divisible(1)", "make_divisible takes 2 to 3 arguments, got 1"),
        ("min(1, 2", "missing ')'"),
        ("1.5.2", "unexpected"),
        ("0.1234567890123", "more than 12 digits"),
    ],
)
def test_function_syntax_errors(text, fragment):
    with pytest.raises(SpecError, match=re.escape(fragment)):
        parse(text)


def test_functions_are_symbolic_where_their_arguments_are():
    import sympy

    c = sympy.Symbol("C", integer=True, positive=True)
    assert parse("max(C, 8)").evaluate({"C": c}) == sympy.Max(c, 8)
    assert parse("min(C, 8)").evaluate({"C": c}) == sympy.Min(c, 8)
    assert parse("ceil_div(C, 4)").evaluate({"C": c}) == sympy.ceiling(c / 4)
    divisible = parse("make_divisible(C * 0.25, 8)").evaluate({"C": c})
    assert divisible.free_symbols == {c}
    # at every C up to 200 the symbolic value is the numeric one (checked above by hand)
    for n in range(1, 201):
        numeric = parse(f"make_divisible({n} * 0.25, 8)").evaluate({})
        assert divisible.subs(c, n) == numeric, n


def test_names_skip_function_names():
    assert parse("make_divisible(w * C_in, 8) + max(a, 1)").names() == {"w", "C_in", "a"}
