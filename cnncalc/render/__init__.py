"""Presentation: every result as a table, JSON, CSV or Markdown. The one place numbers become
text and the only package besides cnncalc/cli/ that imports rich. It formats; it never computes.

One module per result kind — report (params, shapes, flops, rf, summary views; its JSON in
report_json), compare, sizes, verify, conv, listing (`cnncalc list`) — over shared value
formatting (values) and one column writer for tables, CSV and Markdown (columns). Each kind's
`render_KIND(result, fmt, console) -> str` returns the text; the CLI writes it. Only the report
views are imported here (the common path); the other kinds are imported by their command."""

from __future__ import annotations

from ..shape import canonical, symbolic_text
from .columns import Column, fit_columns, strip_line_ends, wrap_words
from .report import (
    COLUMNS,
    VIEWS,
    parse_columns,
    report_table,
    summary_lines,
    to_csv,
    to_markdown,
    view_columns,
)
from .report_json import report_json, row_json, to_json
from .values import (
    FORMATS,
    SCHEMA_VERSION,
    axes_text,
    both,
    csv_text,
    decimal,
    exact_text,
    grouped,
    human,
    json_value,
    mib,
    pair,
    percent,
    printable,
    rf_text,
)

__all__ = [
    "COLUMNS", "FORMATS", "SCHEMA_VERSION", "VIEWS", "Column", "axes_text", "both", "canonical",
    "csv_text", "decimal", "exact_text", "fit_columns", "grouped", "human", "json_value", "mib",
    "pair", "parse_columns", "percent", "printable", "report_json", "report_table", "rf_text",
    "row_json", "strip_line_ends", "summary_lines", "symbolic_text", "to_csv", "to_json",
    "to_markdown", "view_columns", "wrap_words",
]
