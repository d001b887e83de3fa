"""`cnncalc verify`: a VerifyRun (cnncalc/verify.py) as a table with the agreement line, the
measured and effective receptive fields, or as JSON; and the lines that report a disagreement."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..shape import format_shape
from .columns import (
    WIDER_ADVICE,
    csv_table,
    markdown_table,
    number_column,
    prose,
    table_text,
    text_column,
)
from .values import SCHEMA_VERSION, axes_text, grouped, json_value, one_line, printable, rf_text

if TYPE_CHECKING:  # verify.py imports numpy: only the verify command loads it
    from ..erf import EffectiveRF
    from ..verify import MeasuredRF, VerifyRun

FORMATS = ("table", "json", "csv", "markdown")
# The CSV's columns: the keys of a layer in the JSON; the Total row sums the counts.
CSV_KEYS = (
    "path", "type", "predicted_shape", "computed_shape", "predicted_params", "allocated_params",
    "predicted_buffers", "allocated_buffers", "predicted_macs", "counted_macs", "ok", "error",
)
SUMMED = {k for k in CSV_KEYS if k.split("_")[0] in ("predicted", "allocated", "counted")} - {
    "predicted_shape"
}


def verify_json(run: VerifyRun) -> dict[str, Any]:
    result = run.verification
    return {
        "schema_version": SCHEMA_VERSION,
        "name": result.report.name,
        "input": list(result.report.input),
        "ok": run.ok,
        "rf": None if run.rf is None else measured_json(run.rf),
        "erf": None if run.erf is None else erf_json(run.erf),
        "layers": [
            {
                "path": c.path,
                "type": c.type,
                "predicted_shape": list(c.predicted_shape),
                "computed_shape": list(c.computed_shape) if c.computed_shape else None,
                "predicted_params": c.predicted_params,
                "allocated_params": c.allocated_params,
                "predicted_buffers": c.predicted_buffers,
                "allocated_buffers": c.allocated_buffers,
                "predicted_macs": c.predicted_macs,
                "counted_macs": c.counted_macs,
                "ok": c.ok,
                "error": c.error or None,
            }
            for c in result.checks
        ],
    }


def measured_json(measured: MeasuredRF) -> dict[str, Any]:
    def box(b: Any) -> Any:
        return None if b is None else [list(b[0]), list(b[1])]

    return {
        "path": measured.path,
        "unit": list(measured.unit),
        "measured": {
            "size": [json_value(v) for v in measured.size],
            "jump": [json_value(v) for v in measured.jump],
            "center": [json_value(v) for v in measured.center],
            "global": measured.glob,
        },
        "predicted": {
            "size": [json_value(v) for v in measured.predicted_size],
            "jump": [json_value(v) for v in measured.predicted_jump],
            "center": [json_value(v) for v in measured.predicted_center],
            "global": measured.predicted_glob,
        },
        "units": [
            {
                "unit": list(u.unit),
                "measured": box(u.measured),
                "measured_global": u.measured_global,
                "predicted": box(u.predicted),
                "predicted_global": u.predicted_global,
                "table": [None if t is None else [json_value(v) for v in t] for t in u.table],
                "ok": u.ok,
            }
            for u in measured.units
        ],
        "exact": not measured.inexact,
        "notes": list(measured.inexact) + [
            f"beyond the map of {where} the measurement had no pattern to extend"
            for where in measured.unsure
        ],
        "ok": measured.ok,
    }


def erf_json(e: EffectiveRF) -> dict[str, Any]:
    return {
        "path": e.path,
        "unit": list(e.unit),
        "center": list(e.center),
        "theoretical": [json_value(v) for v in e.theoretical],
        "samples": e.samples,
        "radius": {str(k): v for k, v in e.radii.items()},
        "profile": list(e.profile),  # share of the gradient mass at radius 0, 1, 2, ... pixels
    }


def measured_lines(measured: MeasuredRF) -> list[str]:
    """The measured field of the center unit, then each checked unit's interval."""

    def pair(values: Any) -> str:
        return axes_text(values, lambda v: "-" if v is None else rf_text(v))

    def box(b: Any) -> str:
        if b is None:
            return "none"
        return " x ".join(f"[{lo}, {hi}]" for lo, hi in b)

    glob = " (global: some path passes a global layer; the field shown avoids them)"
    lines = [
        f"receptive field of {measured.path} unit {measured.unit}: measured "
        f"{pair(measured.size)}, jump {pair(measured.jump)}, center {pair(measured.center)}"
        f"{' global' if measured.glob else ''}; predicted {pair(measured.predicted_size)}, jump "
        f"{pair(measured.predicted_jump)}, center {pair(measured.predicted_center)}"
        f"{' global' if measured.predicted_glob else ''} " + ("✓" if measured.ok else "✗")
    ]
    if measured.glob or measured.predicted_glob:
        lines[0] += glob
    for u in measured.units:
        mark = "✓" if u.ok else "✗"
        table = ""
        if any(t is not None for t in u.table) and not u.ok:
            table = " (table: " + " x ".join(
                "-" if t is None else f"[{rf_text(t[0])}, {rf_text(t[1])}]" for t in u.table
            ) + ")"
        lines.append(
            f"  unit {u.unit}: measured {box(u.measured)}{' global' if u.measured_global else ''}, "
            f"predicted {box(u.predicted)}{' global' if u.predicted_global else ''}{table} {mark}"
        )
    lines += [f"  note: {text}" for text in measured.inexact]
    lines += [
        f"  note: beyond the map of {where} the measurement had no pattern to extend"
        for where in measured.unsure
    ]
    return lines


def erf_lines(e: EffectiveRF) -> list[str]:
    from ..erf import heat_map

    return [
        f"effective receptive field of {e.path} unit {e.unit} ({e.samples} draws): "
        f"50 % of the gradient within radius {e.radii[50]:.1f}, 90 % within "
        f"{e.radii[90]:.1f}, 99 % within {e.radii[99]:.1f} pixels of "
        f"({e.center[0]:g}, {e.center[1]:g}); theoretical field "
        f"{axes_text(e.theoretical)}",
        *("  " + line for line in heat_map(e)),
    ]


def agreement_line(run: VerifyRun) -> str:
    result = run.verification
    total = sum(c.allocated_params for c in result.checks)
    return (
        f"{len(result.checks) - len(result.failures)} of {len(result.checks)} layers agree; "
        f"allocated {grouped(total)} parameters, predicted "
        f"{grouped(result.report.totals.params)}"
    )


def _lines_after(run: VerifyRun) -> list[str]:
    """The agreement line, the measured field (--rf) and the effective one (--erf)."""
    lines = [agreement_line(run)]
    if run.rf is not None:
        lines += measured_lines(run.rf)
    if run.erf is not None:
        lines += erf_lines(run.erf)
    return lines


def verify_csv(run: VerifyRun) -> str:
    """One row per layer under the JSON's keys, shapes as CxHxW, then a Total row."""
    layers = verify_json(run)["layers"]

    def cell(key: str, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return "x".join(map(str, value))
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    rows = [[cell(k, layer[k]) for k in CSV_KEYS] for layer in layers]
    total = {k: sum(layer[k] for layer in layers) for k in SUMMED}
    total |= {"path": "Total", "ok": "true" if run.verification.ok else "false"}
    rows.append([cell(k, total.get(k)) for k in CSV_KEYS])
    return csv_table(CSV_KEYS, rows)


def verify_markdown(run: VerifyRun) -> str:
    """The table's columns with a Total row, then the lines under the table as a list."""
    result = run.verification
    header = ("Layer", "Type", "Predicted", "Computed", "Params", "Allocated", "")
    numeric = (False, False, False, False, True, True, False)
    rows = [
        (
            printable(c.path), c.type, format_shape(c.predicted_shape),
            format_shape(c.computed_shape) if c.computed_shape else "-",
            grouped(c.predicted_params), grouped(c.allocated_params), "✓" if c.ok else "✗",
        )
        for c in result.checks
    ]
    predicted = sum(c.predicted_params for c in result.checks)
    allocated = sum(c.allocated_params for c in result.checks)
    rows.append(
        ("**Total**", "", "", "", f"**{grouped(predicted)}**", f"**{grouped(allocated)}**", "")
    )
    title = f"**verify {printable(result.report.name)} on {format_shape(result.report.input)}**"
    lines = [title, "", *markdown_table(header, numeric, rows), ""]
    lines += [f"- {printable(line.strip())}" for line in _lines_after(run)]
    return "\n".join(lines) + "\n"


def verify_table(run: VerifyRun, console: Any) -> str:
    result = run.verification
    title = f"verify {printable(result.report.name)} on {format_shape(result.report.input)}"
    columns = [
        text_column("path", "Layer", priority=100, wrap=True),
        text_column("type", "Type", priority=20),
        text_column("predicted_shape", "Predicted", priority=80),
        text_column("computed_shape", "Computed", priority=80),
        number_column("predicted_params", "Params", priority=60),
        number_column("allocated_params", "Allocated", priority=60),
        text_column("ok", "", priority=90),
    ]
    rows = [
        [
            printable(c.path),
            c.type,
            format_shape(c.predicted_shape),
            format_shape(c.computed_shape) if c.computed_shape else "-",
            grouped(c.predicted_params),
            grouped(c.allocated_params),
            "✓" if c.ok else "✗",
        ]
        for c in result.checks
    ]
    table = table_text(console, title, "", columns, rows, advice=WIDER_ADVICE)
    lines = _lines_after(run)
    return table + prose(lines, console)


def render_verify(run: VerifyRun, fmt: str, console: Any) -> str:
    if fmt == "json":
        return json.dumps(verify_json(run), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return verify_csv(run)
    if fmt == "markdown":
        return verify_markdown(run)
    return verify_table(run, console)


def disagreements(run: VerifyRun) -> list[str]:
    """The lines for stderr when a prediction and the computation disagree (exit status 1)."""
    measured = run.rf
    if measured is not None and not measured.ok:
        return [
            f"cnncalc: the measured receptive field of {one_line(measured.path)} differs from the "
            "predicted one"
        ]
    lines = []
    for c in run.verification.failures:
        what = c.error or (
            f"shape predicted {format_shape(c.predicted_shape)}, computed "
            f"{format_shape(c.computed_shape) if c.computed_shape else '-'}; params predicted "
            f"{c.predicted_params}, allocated {c.allocated_params}"
        )
        for name, predicted, actual, verb in (
            ("buffers", c.predicted_buffers, c.allocated_buffers, "allocated"),
            ("MACs", c.predicted_macs, c.counted_macs, "counted by the kernels"),
        ):
            if predicted != actual:
                what += f"; {name} predicted {predicted}, {verb} {actual}"
        line = one_line(f"{c.path} ({c.type}): {what}")  # kernel messages quote the file
        lines.append(f"cnncalc: disagreement at {line}")
    return lines
