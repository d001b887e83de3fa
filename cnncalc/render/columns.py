"""The one column writer: rows of cells as a terminal table (rich, fitted to the width so that
no number is cut), as CSV or as a Markdown table. Every result kind's renderer gives it columns
and cells; none draws a table of its own."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .values import cell_len


@dataclass(frozen=True)
class Column:
    """One column of the per-layer table (and of CSV and Markdown). `priority`: when the columns
    do not fit a terminal, the lowest go first (fit_columns); `wrap`: a text cell that may
    wrap onto more lines (names, arguments); every other cell (a number, a shape, a layer type)
    is printed whole. `share`: a percent-of-total column, of the row's params or macs."""

    key: str
    header: str
    cell: Callable[[Any], str]
    raw: Callable[[Any], Any]
    numeric: bool = True
    priority: int = 0
    wrap: bool = False
    share: str = ""



def text_column(key: str, header: str, priority: int = 50, wrap: bool = False) -> Column:
    """A column of ready-made text cells (rows are lists or tuples of cells): left-aligned."""
    return Column(key, header, str, str, numeric=False, priority=priority, wrap=wrap)


def number_column(key: str, header: str, priority: int = 50) -> Column:
    """A column of ready-made number cells: right-aligned, never wrapped."""
    return Column(key, header, str, str, numeric=True, priority=priority)


COLUMNS_ADVICE = "use --columns, a wider terminal or --format csv"
WIDER_ADVICE = "use a wider terminal or --format csv"  # for the commands without --columns


def table_text(
    console: Any, title: str, caption: str, columns: list[Column], cells: list[list[str]],
    footer: list[str] | None = None, advice: str = COLUMNS_ADVICE,
) -> str:
    """A table of text cells for the console: fitted to its width (whole columns of the lowest
    priority left out, and named in a line under the table), drawn by rich, or written directly
    when nothing needs fitting on a plain console. No line ends in a space. An empty title or
    caption is left out; `advice` ends the line that names the columns left out."""
    lines = [[c.header for c in columns], *cells, *([footer] if footer is not None else [])]
    kept, widths, natural = fit_columns(columns, lines, console.width)
    text = None
    if not console.is_terminal and len(kept) == len(columns) and widths == natural:
        text = plain_table(title, caption, columns, cells, footer, widths)
    if text is None:
        text = strip_line_ends(
            rich_table(console, title, caption, columns, cells, footer, kept, widths)
        )
    if len(kept) < len(columns):
        left = [columns[i] for i in range(len(columns)) if i not in kept]
        note = (
            f"Not shown at width {console.width}: {', '.join(c.header for c in left)} (keys "
            f"{', '.join(c.key for c in left)}); {advice}"
        )
        text += wrap_words(note, console.width)  # one line, or more on a terminal
    return text


def csv_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """CSV with a header row; `\n` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def markdown_table(
    header: Sequence[str], numeric: Sequence[bool], rows: Sequence[Sequence[str]]
) -> list[str]:
    """The lines of a Markdown table: numbers right-aligned, `|` in a cell escaped."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
    return [line(header), rule, *(line(r) for r in rows)]


SEPARATOR = 3  # between two columns: a pad, box.SIMPLE's blank rule, a pad
EDGES = 2  # box.SIMPLE's blank edges; no padding outside them (pad_edge=False)
MIN_WRAP = 12  # a text column that wraps is not made narrower than this (or its header)


def fit_columns(
    columns: list[Column], lines: list[list[str]], width: int
) -> tuple[list[int], list[int], list[int]]:
    """Which columns fit in `width` and how wide each is: (indices kept, width of each column,
    natural width of each). A number or shape column is as wide as its widest cell (header and
    Total included); a text column that wraps may shrink to MIN_WRAP. While the table is too
    wide, the column of lowest priority is left out; then those left out are put back, highest
    priority first, where they still fit; the width to spare widens the wrapped columns, the
    Layer column first. The table width is Σ widths + 3·(n − 1) + 2."""
    n = len(columns)
    natural = [max(cell_len(line[i]) for line in lines) for i in range(n)]
    least = [
        min(natural[i], max(cell_len(c.header), MIN_WRAP)) if c.wrap else natural[i]
        for i, c in enumerate(columns)
    ]

    def needs(indices: list[int], sizes: list[int]) -> int:
        return sum(sizes[i] for i in indices) + SEPARATOR * (len(indices) - 1) + EDGES

    kept = list(range(n))
    if needs(kept, natural) <= width:
        return kept, natural, natural
    left: list[int] = []
    for i in sorted(kept, key=lambda i: columns[i].priority):
        if needs(kept, least) <= width or len(kept) == 1:
            break
        kept.remove(i)
        left.append(i)
    for i in sorted(left, key=lambda i: -columns[i].priority):
        if needs(sorted([*kept, i]), least) <= width:
            kept = sorted([*kept, i])
    widths = list(least)
    spare = width - needs(kept, widths)
    for i in sorted(kept, key=lambda i: -columns[i].priority):  # the Layer column first
        extra = min(spare, natural[i] - widths[i])
        widths[i] += extra
        spare -= extra
    return kept, widths, natural


_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
_LINE_END = re.compile(r"(?:[ ]|\x1b\[[0-9;]*m)+$", re.MULTILINE)


def strip_line_ends(text: str) -> str:
    """Drop the spaces at the end of each line (rich pads cells and centres titles), keeping
    the colour codes found among them."""
    return _LINE_END.sub(lambda m: "".join(_ESCAPE.findall(m.group())), text)


_UNIT = re.compile(r"(?<=\d) (?=(?:[KMGT]|MiB|B)\b)")


def wrap_words(text: str, width: int) -> str:
    """Lines of at most `width` cells, broken only at spaces, never between a number and its
    unit (9.61 M, 97.49 MiB); a word longer than the width stays whole on its own line."""
    import textwrap

    if cell_len(text) <= width:
        return text + "\n"
    glued = _UNIT.sub("\xa0", text)  # textwrap breaks at ASCII whitespace only
    lines = textwrap.wrap(glued, width, break_long_words=False, break_on_hyphens=False)
    return "".join(line.replace("\xa0", " ") + "\n" for line in lines)



def prose(lines: list[str], console: Any) -> str:
    """Lines of text as the console shows them: on a terminal wrapped between words (wrap_words:
    no number split at its edge), elsewhere as they are, each ending in a newline."""
    if console.is_terminal:
        return "".join(wrap_words(line, console.width) for line in lines)
    return "".join(line + "\n" for line in lines)


def rich_table(
    console: Any, title: str, caption: str, columns: list[Column], cells: list[list[str]],
    footer: list[str] | None, kept: list[int], widths: list[int],
) -> str:
    """The table as rich draws it, every column at the width fit_columns gave: a number's
    column is exactly as wide as its widest cell and never wraps, so no number is cut."""
    from rich import box
    from rich.table import Table
    from rich.text import Text  # plain Text, never markup: a title "[/x]" is text, not a tag

    plain = not console.is_terminal or console.no_color
    table = Table(
        title=Text(title) if title else None,
        caption=Text(caption) if caption else None,
        box=box.SIMPLE if plain else box.SIMPLE_HEAVY,
        header_style="" if plain else "bold",
        title_style="" if plain else "bold",
        caption_style="",
        show_footer=footer is not None,
        pad_edge=False,
    )
    for i in kept:
        c = columns[i]
        table.add_column(
            c.header,
            footer=footer[i] if footer is not None else "",
            justify="right" if c.numeric else "left",
            width=widths[i],
            min_width=widths[i],  # rich's last resort shrinks every column; this undoes it
            no_wrap=not c.wrap,
            overflow="fold",  # a path without spaces wider than its column
        )
    for row in cells:
        table.add_row(*(Text(row[i]) for i in kept))
    with console.capture() as capture:
        console.print(table, crop=False)  # too narrow even so: longer lines, nothing cut
    return capture.get()


def plain_table(
    title: str, caption: str, columns: list[Column], cells: list[list[str]],
    footer: list[str] | None, widths: list[int],
) -> str:
    """The text rich's Table gives on a plain console (box.SIMPLE, no padding at the edges,
    nothing wrapped) when every column has its natural width, written directly: rich takes
    about a millisecond a row, so 200,000 rows took minutes. Every cell is literal text, as
    in `_rich_table` (rich.Text, never markup), so the output is the same character for
    character, the spaces at line ends dropped as there."""
    last = len(columns) - 1
    right = [c.numeric for c in columns]

    def row_text(values: list[str]) -> str:
        parts = []
        for i, value in enumerate(values):
            gap = widths[i] - cell_len(value)
            parts.append(" " * gap + value if right[i] else value + " " * gap)
        return (" " + "   ".join(parts)).rstrip()

    width = sum(widths) + SEPARATOR * last + EDGES
    rule = " " + "─" * (width - 2)
    out = [title.rstrip()] if title else []
    out += ["", row_text([c.header for c in columns]), rule]
    out.extend(row_text(v) for v in cells)
    if footer is not None:
        out.extend([rule, row_text(footer)])
    out.extend(["", caption.rstrip()] if caption else [""])
    return "\n".join(out) + "\n"
