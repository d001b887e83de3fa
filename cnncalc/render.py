"""Renderers: a Report -> table (rich), JSON, CSV or Markdown. They format; they never compute."""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from .output import one_line
from .report import DTYPE_BYTES, AxisRF, Report, Row
from .shape import format_shape, plain

SCHEMA_VERSION = 1
FORMATS = ("table", "json", "csv", "markdown")

# ------------------------------------------------------------------ values


def exact_text(value: Any) -> str:
    """Exact, compact: 1792, 31/2, or a symbolic expression with ⌊ ⌋ and ⌈ ⌉."""
    value = plain(value)
    if type(value) is int:
        return str(value)
    if type(value) is Fraction:
        return f"{value.numerator}/{value.denominator}"
    return symbolic_text(value)


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


printable = one_line  # the one escaper (cnncalc/output.py), under the name the renderers use


def json_value(value: Any) -> Any:
    """JSON: integers stay integers; exact non-integers and expressions become strings."""
    value = plain(value)
    if type(value) is int or value is None or isinstance(value, (bool, float, str)):
        return value
    if type(value) is Fraction:
        return f"{value.numerator}/{value.denominator}"
    return canonical(value)


# ------------------------------------------------------------------ columns


@dataclass(frozen=True)
class Column:
    """One column of the per-layer table (and of CSV and Markdown). `priority`: when the columns
    do not fit a terminal, the lowest go first (render.fit_columns); `wrap`: a text cell that may
    wrap onto more lines (names, arguments); every other cell (a number, a shape, a layer type)
    is printed whole. `share`: a percent-of-total column, of the row's params or macs."""

    key: str
    header: str
    cell: Callable[[Row], str]
    raw: Callable[[Row], Any]
    numeric: bool = True
    priority: int = 0
    wrap: bool = False
    share: str = ""


def _rf_axes(row: Row, attr: str) -> tuple[Any, Any] | None:
    if row.rf is None:
        return None
    return (getattr(row.rf[0], attr), getattr(row.rf[1], attr))


def axes_text(values: Any, fmt: Callable[[Any], str] = rf_text) -> str:
    """One value when both axes agree, else HxW: `212`, `15.5x7`, and, as in shapes, a
    compound part in parentheses — `(3244/7)x(3852/7)`, `(32*⌊(H - 1)/32⌋ + 435)x(…)` — so
    the `x` cannot be read into a fraction or a sum. A leading minus sign needs none: `-1.5x3`."""
    a, b = (fmt(v) for v in values)
    if a == b:
        return a
    return "x".join(f"({t})" if any(c in t[1:] for c in " +-*/") else t for t in (a, b))


def _pair(values: tuple[Any, Any] | None, fmt: Callable[[Any], str] = rf_text) -> str:
    return "-" if values is None else axes_text(values, fmt)


def _copies(row: Row) -> str:
    return "" if row.copies == 1 else f"{exact_text(row.copies)}×"


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


def _text_column(key: str, header: str, priority: int, wrap: bool = True) -> Column:
    """Text: the layer's path and arguments, which may wrap, and its type (one word, whole)."""
    cell: Callable[[Row], str] = lambda r: getattr(r, key)  # noqa: E731
    return Column(key, header, cell, cell, numeric=False, priority=priority, wrap=wrap)


def _shape_column(key: str, header: str, cell: Callable[[Row], str], priority: int) -> Column:
    """A shape is printed whole like a number, but left-aligned like text."""
    raw: Callable[[Row], Any] = lambda r: format_shape(getattr(r, key))  # noqa: E731
    return Column(key, header, cell, raw, numeric=False, priority=priority)


def _number_column(
    key: str, header: str, value: Callable[[Row], Any], fmt: Callable[[Any], str], priority: int
) -> Column:
    return Column(key, header, lambda r: fmt(value(r)), value, priority=priority)


def _rf_column(key: str, header: str, attr: str, priority: int) -> Column:
    return Column(
        key, header, lambda r: _pair(_rf_axes(r, attr)), lambda r: _rf_axes(r, attr),
        priority=priority,
    )


# Priorities: the layer's name goes last, then its output shape, then the figure each view is
# about (params, MACs, RF); the text columns (Type, Args) go first, as they are the widest.
COLUMNS = {
    "path": _text_column("path", "Layer", 100),
    "type": _text_column("type", "Type", 20, wrap=False),
    "detail": _text_column("detail", "Args", 10),
    "input": _shape_column("input", "Input", lambda r: format_shape(r.input), 40),
    "output": _shape_column("output", "Output", lambda r: _copies(r) + format_shape(r.output), 90),
    "params": _number_column("params", "Params", lambda r: r.params, grouped, 80),
    "params%": Column("params%", "% params", str, str, priority=35, share="params"),
    "buffers": _number_column("buffers", "Buffers", lambda r: r.buffers, grouped, 30),
    "macs": _number_column("macs", "MACs", lambda r: r.macs, human, 80),
    "macs%": Column("macs%", "% MACs", str, str, priority=35, share="macs"),
    "flops": _number_column("flops", "FLOPs", lambda r: 2 * r.macs, human, 50),
    "extra_flops": _number_column("extra_flops", "Other ops", lambda r: r.extra_flops, human, 30),
    "elements": _number_column("elements", "Activations", lambda r: r.elements, human, 50),
    "rf_size": _rf_column("rf_size", "RF", "size", 70),
    "rf_jump": _rf_column("rf_jump", "Jump", "jump", 45),
    "rf_start": _rf_column("rf_start", "Start", "start", 30),
}

VIEWS = {
    "params": ("path", "type", "detail", "output", "params"),
    "shapes": ("path", "type", "detail", "input", "output"),
    "flops": ("path", "type", "output", "macs", "flops", "extra_flops"),
    "rf": ("path", "type", "detail", "output", "rf_size", "rf_jump", "rf_start"),
    "summary": (
        "path", "type", "detail", "output", "params", "macs", "elements", "rf_size", "rf_jump",
    ),
}


def parse_columns(text: str) -> tuple[str, ...]:
    """`--columns path,params,params%`: keys of COLUMNS (any letter case), in the order given."""
    from .errors import SpecError
    from .loader import _suggest

    keys = tuple(part.strip().lower() for part in text.split(","))
    known = ", ".join(COLUMNS)
    for key in keys:
        if key not in COLUMNS:
            name = printable(key) if key else "(empty)"
            raise SpecError(
                f"--columns: unknown column {name!r}{_suggest(key, COLUMNS)} (the columns: {known})"
            )
    twice = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
    if twice is not None:
        raise SpecError(f"--columns: {twice!r} is named twice")
    return keys


def view_columns(report: Report, view: str, keys: tuple[str, ...] | None = None) -> list[Column]:
    """The view's columns, or those `keys` name, with the percent columns bound to the totals."""
    columns = [COLUMNS[k] for k in (VIEWS[view] if keys is None else keys)]
    return [_share(c, report) if c.share else c for c in columns]


def _share(column: Column, report: Report) -> Column:
    whole = getattr(report.totals, column.share)

    def cell(row: Row) -> str:
        return percent(getattr(row, column.share), whole)

    return replace(column, cell=cell, raw=cell)


# ------------------------------------------------------------------ JSON


def _jv(value: Any) -> Any:
    """json_value with the common case first: a plain int is already JSON (rows are many)."""
    return value if type(value) is int else json_value(value)


def rf_json(rf: tuple[AxisRF, AxisRF] | None) -> dict[str, Any] | None:
    if rf is None:
        return None
    return {
        "size": [_jv(a.size) for a in rf],
        "jump": [_jv(a.jump) for a in rf],
        "start": [_jv(a.start) for a in rf],
        "padding": [_jv(a.padding) for a in rf],
        # global: some path passes a global layer (the unit depends on every input pixel);
        # local: size, jump and start describe the paths that avoid them (false: none do, and
        # they give the whole map the global layer read); exact: per axis, whether every unit's
        # field is start + x·jump ± (size − 1)/2 (docs/conventions.md#receptive-field)
        "global": rf[0].glob,
        "local": rf[0].local,
        "exact": [a.exact for a in rf],
    }


def output_lines(report: Report) -> list[str]:
    """`Output: 1000`, or one line per output when the network declares several (`outputs:`);
    an output of a train_only head says so."""
    if len(report.outputs) <= 1:
        return [f"Output: {format_shape(report.output)}"]
    return [
        f"Output {printable(path)}: {format_shape(shape)}" + (" (train only)" if train else "")
        for path, shape, train in report.outputs
    ]


def outputs_json(report: Report) -> list[dict[str, Any]]:
    return [
        {"path": path, "shape": [json_value(d) for d in shape], "train_only": train}
        for path, shape, train in report.outputs
    ]


def row_json(row: Row) -> dict[str, Any]:
    return {
        "path": row.path,
        "type": row.type,
        "file": row.where.file,
        "line": row.where.line,
        "input": [_jv(d) for d in row.input],
        "output": [_jv(d) for d in row.output],
        "params": _jv(row.params),
        "trainable_params": _jv(row.trainable),
        "buffers": _jv(row.buffers),
        "macs": _jv(row.macs),
        "flops": _jv(2 * row.macs),
        "extra_flops": _jv(row.extra_flops),
        "extra_kind": row.extra_kind or None,
        "activations": _jv(row.elements),
        "copies": _jv(row.copies),
        "rf": rf_json(row.rf),
        "train_only": row.train_only,
    }


def report_json(report: Report, depth: int | None = None, layers: bool = True) -> dict[str, Any]:
    t = report.totals
    return {
        "schema_version": SCHEMA_VERSION,
        "name": report.name,
        "title": report.title,
        "source": report.source,
        "input": [json_value(d) for d in report.input],
        "output": [json_value(d) for d in report.output],
        "outputs": outputs_json(report),
        "mode": report.mode,
        "batch": report.batch,
        "dtype": report.dtype,
        "symbols": list(report.symbols),
        "bindings": dict(report.bindings),
        "totals": {
            "params": json_value(t.params),
            "trainable_params": json_value(t.trainable_params),
            "non_trainable_params": json_value(t.non_trainable_params),
            "buffers": json_value(t.buffers),
            "macs": json_value(t.macs),
            "flops": json_value(t.flops),
            "extra_flops": {k: json_value(v) for k, v in t.extra_flops.items()},
            "param_bytes": json_value(t.param_bytes),
            "activations": json_value(t.activation_elements),
            "activation_bytes": json_value(t.activation_bytes),
            "weight_layers": t.weight_layers,
            "nonlinearities": t.nonlinearities,
        },
        "rf": rf_json(report.rf),
        "diagnostics": [
            {"path": d.path, "file": d.where.file, "line": d.where.line, "message": d.message}
            for d in report.diagnostics
        ],
        **({"layers": [row_json(r) for r in report.collapsed(depth)]} if layers else {}),
    }


def to_json(report: Report, depth: int | None = None) -> str:
    """json.dumps(report_json(...), indent=2, ensure_ascii=False), character for character, but
    the layers are turned into dicts and text one at a time: with indent, json.dumps runs its
    pure-Python encoder over one dict tree of every layer (199,999 ReLUs: 1.4 GiB, 28 s)."""
    head = report_json(report, depth, layers=False)
    out: list[str] = []
    _dump(head, 0, out)
    rows = report.collapsed(depth)
    if not rows:
        out[-1:] = [',\n  "layers": []\n}']
        return "".join(out)
    out[-1:] = [',\n  "layers": [']  # replaces the closing "\n}" of the head
    out.append("\n    ")
    out.append(",\n    ".join(_row_text(row_json(row)) for row in rows))
    out.append("\n  ]\n}")
    return "".join(out)


_L3, _L4, _L5 = "\n      ", "\n        ", "\n          "


def _row_text(row: dict[str, Any]) -> str:
    """_dump of one layer's dict (level 2), unrolled for its shape — scalars, lists of
    scalars, and the rf dict of lists — which is most of the time to_json takes."""
    parts = []
    for key, value in row.items():
        kind = type(value)
        if kind is int:
            text = int.__repr__(value)
        elif kind is list:
            text = _scalars(value, _L4, "\n      ]")
        elif kind is dict and value:
            text = "{" + _L4 + ("," + _L4).join(
                _key(k) + (_scalars(v, _L5, "\n        ]") if type(v) is list else _text(v, 4))
                for k, v in value.items()
            ) + "\n      }"
        else:
            text = _text(value, 3)
        parts.append(_key(key) + text)
    return "{" + _L3 + ("," + _L3).join(parts) + "\n    }"


@functools.lru_cache(maxsize=256)
def _key(key: str) -> str:
    return _encode_str(key) + ": "


def _scalars(values: list[Any], inner: str, close: str) -> str:
    if not values:
        return "[]"
    if all(type(v) is int for v in values):
        return "[" + inner + ("," + inner).join(map(int.__repr__, values)) + close
    return "[" + inner + ("," + inner).join([_text(v, 0) for v in values]) + close


def _text(value: Any, level: int) -> str:
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is str:
        return _encode_str(value)
    if value is None:
        return "null"
    if value is True:  # the rf flags: global, local, exact per axis
        return "true"
    if value is False:
        return "false"
    out: list[str] = []
    _dump(value, level, out)
    return "".join(out)


def _dump(value: Any, level: int, out: list[str]) -> None:
    """Append json.dumps(value, indent=2, ensure_ascii=False) for a value nested `level` deep;
    the last piece appended is always the closing "\n<indent>}" or "]" of a container, or the
    scalar itself (to_json relies on it)."""
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = "\n" + "  " * (level + 1)
        sep = "{" + inner
        for key, item in value.items():
            out.append(sep + _encode_str(str(key)) + ": ")
            _dump(item, level + 1, out)
            sep = "," + inner
        out.append("\n" + "  " * level + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = "\n" + "  " * (level + 1)
        sep = "[" + inner
        for item in value:
            out.append(sep)
            _dump(item, level + 1, out)
            sep = "," + inner
        out.append("\n" + "  " * level + "]")
    elif isinstance(value, str):
        out.append(_encode_str(value))
    elif type(value) is int:
        out.append(int.__repr__(value))
    else:  # None, bools, floats: json's own spelling
        out.append(json.dumps(value))


_encode_str = json.encoder.encode_basestring  # the C encoder when there is one, as json.dumps


# ------------------------------------------------------------------ CSV and Markdown


def csv_text(value: Any) -> str:
    """CSV cells: integers raw, fractions p/q, expressions in sympy syntax (as in JSON)."""
    value = json_value(value)
    return value if isinstance(value, str) else str(value)


def _raw_cell(value: Any) -> str:
    if isinstance(value, tuple):
        return "x".join(csv_text(v) for v in value)
    return value if isinstance(value, str) else csv_text(value)


def to_csv(
    report: Report, view: str, depth: int | None = None, keys: tuple[str, ...] | None = None
) -> str:
    columns = view_columns(report, view, keys)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in report.collapsed(depth):
        writer.writerow([_raw_cell(c.raw(row)) for c in columns])
    return buffer.getvalue()


def to_markdown(
    report: Report, view: str, depth: int | None = None, keys: tuple[str, ...] | None = None
) -> str:
    columns = view_columns(report, view, keys)
    lines = [
        f"**{printable(report.name)}**: input {format_shape(report.input)}, "
        f"output {format_shape(report.output)}",
        "",
        "| " + " | ".join(c.header for c in columns) + " |",
        "|" + "|".join("---:" if c.numeric else "---" for c in columns) + "|",
    ]
    for row in report.collapsed(depth):
        lines.append(
            "| " + " | ".join(printable(c.cell(row)).replace("|", "\\|") for c in columns) + " |"
        )
    lines.append("")
    lines.extend(f"- {printable(line)}" for line in summary_lines(report, view))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ the table


def summary_lines(report: Report, view: str) -> list[str]:
    t = report.totals
    size = DTYPE_BYTES[report.dtype]
    lines = []
    if view in ("params", "summary"):
        lines.append(
            f"Params: {both(t.params)} · trainable {grouped(t.trainable_params)}"
            f" · non-trainable {grouped(t.non_trainable_params)} · buffers {grouped(t.buffers)}"
        )
        lines.append(f"Param memory: {mib(t.param_bytes)} ({report.dtype}, {size} bytes each)")
    if view in ("flops", "summary"):
        lines.append(
            f"MACs per sample: {both(t.macs)} · FLOPs = 2·MACs: {both(t.flops)}"
        )
        if report.batch > 1:  # the header says `batch 64`: the whole batch, said as such
            lines.append(
                f"MACs at batch {report.batch}: {both(t.macs * report.batch)} · FLOPs: "
                f"{both(t.flops * report.batch)}"
            )
        extra = " · ".join(f"{k} {human(v)}" for k, v in t.extra_flops.items() if v != 0)
        if extra:
            lines.append(f"Other ops per sample, not in the totals above: {extra}")
    if view in ("summary",):
        lines.append(
            f"Activations: {grouped(t.activation_elements)} per sample · "
            f"{mib(t.activation_bytes)} at batch {report.batch}, {report.dtype}"
        )
    if view in ("rf", "summary") and report.rf is not None:
        rf = report.rf
        lines.append(
            f"Receptive field of the output: {_pair((rf[0].size, rf[1].size))}, jump "
            f"{_pair((rf[0].jump, rf[1].jump))}, effective padding "
            f"{_pair((rf[0].padding, rf[1].padding))}"
        )
        if rf[0].glob and rf[0].local:
            lines.append(
                "Global: a path to the output passes a global layer, so it depends on every "
                "input pixel; the field above is that of the other paths"
            )
        inexact = [name for name, a in zip(("height", "width"), rf, strict=True) if not a.exact]
        if inexact and view == "rf":
            lines.append(
                f"Approximate along the {' and '.join(inexact)}: fractional steps, uneven adaptive "
                "windows or merges of unequal jumps; `cnncalc verify --rf` gives single units' "
                "exact fields"
            )
    if view == "shapes":
        lines.extend(output_lines(report))
    if view in ("rf", "summary"):  # the notes are about receptive fields
        for d in report.diagnostics:
            lines.append(f"Note ({d.path}, {d.where}): {d.message}")
    return lines


def render_table(
    report: Report, view: str, console: Any, depth: int | None = None,
    keys: tuple[str, ...] | None = None,
) -> None:
    """The table, then the summary lines. Numbers and shapes are printed whole at any width: when
    the columns do not fit the console, whole columns are left out (lowest priority first) and a
    line under the table names them. No line ends in a space."""
    columns = view_columns(report, view, keys)
    title = printable(report.name + (f" — {report.title}" if report.title else ""))
    caption = f"input {format_shape(report.input)} · batch {report.batch} · {report.dtype}"
    if any(r.train_only for r in report.rows):  # say whether the aux heads' costs are in
        caption += f" · {report.mode} mode"
    if report.bindings:
        caption += " · " + ", ".join(f"{k}={v}" for k, v in report.bindings.items())
    caption = printable(caption)
    totals = {
        "path": "Total",
        "params": grouped(report.totals.params),
        "params%": percent(report.totals.params, report.totals.params),
        "macs": human(report.totals.macs),
        "macs%": percent(report.totals.macs, report.totals.macs),
        "flops": human(report.totals.flops),
        "extra_flops": human(sum(report.totals.extra_flops.values())),
        "elements": human(report.totals.activation_elements),
    }
    footed = view in ("params", "flops", "summary")
    footer = [totals.get(c.key, "") for c in columns] if footed else None
    cells = [[printable(c.cell(row)) for c in columns] for row in report.collapsed(depth)]
    lines = [[c.header for c in columns], *cells, *([footer] if footer is not None else [])]
    kept, widths, natural = fit_columns(columns, lines, console.width)
    text = None
    if not console.is_terminal and widths == natural:
        text = _plain_table(title, caption, columns, cells, footer, widths)
    if text is None:
        text = strip_line_ends(
            _rich_table(console, title, caption, columns, cells, footer, kept, widths)
        )
    console.file.write(text)
    if len(kept) < len(columns):
        left = [columns[i] for i in range(len(columns)) if i not in kept]
        note = (
            f"Not shown at width {console.width}: {', '.join(c.header for c in left)} (keys "
            f"{', '.join(c.key for c in left)}); use --columns, a wider terminal or --format csv"
        )
        console.file.write(wrap_words(note, console.width))  # one line, or more on a terminal
    for line in summary_lines(report, view):
        if console.is_terminal:  # wrapped between words, so no number is split at the edge
            console.file.write(wrap_words(printable(line), console.width))
        else:
            console.print(printable(line), highlight=False, markup=False, soft_wrap=True)


SEPARATOR = 3  # between two columns: a pad, box.SIMPLE's blank rule, a pad
EDGES = 2  # box.SIMPLE's blank edges; no padding outside them (pad_edge=False)
MIN_WRAP = 12  # a text column that wraps is not made narrower than this (or its header)


def _cell_len(value: str) -> int:
    if value.isascii():  # nearly every cell: no import on the hot path (200,000 rows x 9)
        return len(value)
    from rich.cells import cell_len

    return cell_len(value)


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
    natural = [max(_cell_len(line[i]) for line in lines) for i in range(n)]
    least = [
        min(natural[i], max(_cell_len(c.header), MIN_WRAP)) if c.wrap else natural[i]
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

    if _cell_len(text) <= width:
        return text + "\n"
    glued = _UNIT.sub("\xa0", text)  # textwrap breaks at ASCII whitespace only
    lines = textwrap.wrap(glued, width, break_long_words=False, break_on_hyphens=False)
    return "".join(line.replace("\xa0", " ") + "\n" for line in lines)


def print_trimmed(console: Any, table: Any) -> None:
    """Print a rich renderable (a table, a Text wrapped between words) with the spaces at its
    line ends dropped: rich pads every cell and centres titles, and a line of plain text
    should not end in spaces."""
    with console.capture() as capture:
        console.print(table, crop=False)
    console.file.write(strip_line_ends(capture.get()))


def _rich_table(
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
        title=Text(title),
        caption=Text(caption),
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


def _plain_table(
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
            gap = widths[i] - _cell_len(value)
            parts.append(" " * gap + value if right[i] else value + " " * gap)
        return (" " + "   ".join(parts)).rstrip()

    width = sum(widths) + SEPARATOR * last + EDGES
    rule = " " + "─" * (width - 2)
    out = [title.rstrip(), "", row_text([c.header for c in columns]), rule]
    out.extend(row_text(v) for v in cells)
    if footer is not None:
        out.extend([rule, row_text(footer)])
    out.extend(["", caption.rstrip()])
    return "\n".join(out) + "\n"
