"""Value formatting shared by every renderer: exact text, thousands separators, human units
(138.36 M), MiB, receptive-field numbers, percentages, and the JSON and CSV spellings of exact
values. The one place numbers become text."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from ..shape import canonical, plain, symbolic_text

SCHEMA_VERSION = 1
FORMATS = ("table", "json", "csv", "markdown")


def exact_text(value: Any) -> str:
    """Exact, compact: 1792, 31/2, or a symbolic expression with ⌊ ⌋ and ⌈ ⌉."""
    value = plain(value)
    if type(value) is int:
        return str(value)
    if type(value) is Fraction:
        return f"{value.numerator}/{value.denominator}"
    return symbolic_text(value)



def grouped(value: Any) -> str:
    """Thousands separators for integers: 138,357,544."""
    value = plain(value)
    if type(value) is int:
        return f"{value:,}"
    return exact_text(value)


def both(value: Any) -> str:
    """138,357,544 (138.36 M) for numbers; an expression once."""
    if type(value) is int and abs(value) >= 1000:
        return f"{value:,} ({human(value)})"
    return grouped(value)


def human(value: Any, unit: str = "") -> str:
    """138.36 M, 15.47 G: decimal prefixes, two decimals, rounded exactly (half to even) from
    the integer, never through a float (26,999,999,892,000,002,048 is 26999999.89 T)."""
    if type(value) is not int:
        return exact_text(value)
    for factor, prefix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(value) >= factor:
            return f"{decimal(value, factor)} {prefix}{unit}"
    return f"{value} {unit}".rstrip()


def decimal(numerator: int, denominator: int, places: int = 2, separators: bool = False) -> str:
    """numerator/denominator with `places` decimals, rounded half to even, in exact integer
    arithmetic (a float would overflow past 1e308 and blur digits past 2^53)."""
    scale = 10**places
    q, r = divmod(abs(numerator) * scale, denominator)
    if 2 * r > denominator or (2 * r == denominator and q % 2):
        q += 1
    whole, frac = divmod(q, scale)
    sign = "-" if numerator < 0 and q else ""
    text = f"{whole:,}" if separators else str(whole)
    return f"{sign}{text}.{frac:0{places}d}" if places else f"{sign}{text}"


def mib(value: Any) -> str:
    if type(value) is not int:
        return exact_text(value) + " B"
    return f"{decimal(value, 2**20, separators=True)} MiB"


def rf_text(value: Any) -> str:
    """Receptive-field numbers: integers, halves as 15.5, other fractions as p/q."""
    if type(value) is Fraction and value.denominator in (2, 4, 8):
        places = {2: 1, 4: 2, 8: 3}[value.denominator]  # exact: 1/8 = 0.125
        return decimal(value.numerator, value.denominator, places)
    return exact_text(value)


def one_line(text: str) -> str:
    """`text` with every character a terminal would act on escaped as Python writes it
    (`\\x1b`, `\\n`, `\\u202e`): control characters, DEL, C1, line and paragraph separators and
    the bidirectional overrides (Trojan Source, CVE-2021-42574), so that a title, a name or a
    message quoting a hostile file can neither drive the terminal nor span two lines. JSON
    escapes them itself; CSV carries the data as it is."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


printable = one_line  # the one escaper, under the name the renderers use


def json_value(value: Any) -> Any:
    """JSON: integers stay integers; exact non-integers and expressions become strings."""
    value = plain(value)
    if type(value) is int or value is None or isinstance(value, (bool, float, str)):
        return value
    if type(value) is Fraction:
        return f"{value.numerator}/{value.denominator}"
    return canonical(value)


def axes_text(values: Any, fmt: Callable[[Any], str] = rf_text) -> str:
    """One value when both axes agree, else HxW: `212`, `15.5x7`, and, as in shapes, a
    compound part in parentheses — `(3244/7)x(3852/7)`, `(32*⌊(H - 1)/32⌋ + 435)x(…)` — so
    the `x` cannot be read into a fraction or a sum. A leading minus sign needs none: `-1.5x3`."""
    a, b = (fmt(v) for v in values)
    if a == b:
        return a
    return "x".join(f"({t})" if any(c in t[1:] for c in " +-*/") else t for t in (a, b))


def pair(values: tuple[Any, Any] | None, fmt: Callable[[Any], str] = rf_text) -> str:
    return "-" if values is None else axes_text(values, fmt)



def percent(part: Any, whole: Any) -> str:
    """100·part/whole with two decimals, rounded half to even from the exact Fraction (never a
    float: 1.5 is 1.50, not 1.4999999); `-` when the whole is 0; a symbolic share simplified."""
    part, whole = plain(part), plain(whole)
    if whole == 0:
        return "-"
    if isinstance(part, (int, Fraction)) and isinstance(whole, (int, Fraction)):
        share = Fraction(100) * part / whole
        return decimal(share.numerator, share.denominator)
    import sympy

    return exact_text(plain(sympy.cancel(100 * sympy.sympify(part) / sympy.sympify(whole))))



def csv_text(value: Any) -> str:
    """CSV cells: integers raw, fractions p/q, expressions in sympy syntax (as in JSON)."""
    value = json_value(value)
    return value if isinstance(value, str) else str(value)



def cell_len(value: str) -> int:
    """Terminal cells of a string (East Asian wide characters count 2)."""
    if value.isascii():  # nearly every cell: no import on the hot path (200,000 rows x 9)
        return len(value)
    from rich.cells import cell_len as cells

    return cells(value)
