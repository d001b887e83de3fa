"""`cnncalc conv`: a ConvCalc (cnncalc/layer_calc.py) as its formulas with the numbers put in,
or as JSON."""

from __future__ import annotations

import json
from typing import Any

from ..layer_calc import ConvCalc
from .columns import csv_table, markdown_table, prose
from .values import SCHEMA_VERSION

FORMATS = ("table", "json", "csv", "markdown")
CSV_KEYS = ("input", "output", "padding", "weights", "params", "macs", "flops", "rf")

AXES = ("height", "width")


def conv_json(c: ConvCalc) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "input": list(c.input),
        "output": list(c.output),
        "padding": [list(p) for p in c.padding],
        "weights": c.weights,
        "params": c.params,
        "macs": c.macs,
        "flops": c.flops,
        "rf": list(c.rf),
    }


def conv_lines(c: ConvCalc) -> list[str]:
    """The title, then each quantity and its formula with the numbers put in."""
    title, *steps = conv_steps(c)
    return [title[1], *(f"{label:<16}{text}" for label, text in steps)]


def conv_steps(c: ConvCalc) -> list[tuple[str, str]]:
    """("", title), then (quantity, formula with its numbers): ⌊(56 + 2·1 − (3−1) − 1)/1⌋ + 1
    = 56, 3×3×128×64 = 73,728."""
    shape, out, result = c.input, c.out, c.output
    kernel, stride, pads, dilation, groups = c.kernel, c.stride, c.padding, c.dilation, c.groups
    c_in = shape[0]
    steps = [("", f"conv {c_in} -> {out} channels on {c_in}x{shape[1]}x{shape[2]}")]
    square = (shape[1], kernel[0], stride[0], pads[0], dilation[0]) == (
        shape[2], kernel[1], stride[1], pads[1], dilation[1]
    )
    for i, axis in enumerate(AXES):
        if i == 1 and square:
            break
        (before, after), d, k, s = pads[i], dilation[i], kernel[i], stride[i]
        pad_text = f"2·{before}" if before == after else f"{before} + {after}"
        dil = f"{d}·({k}−1)" if d != 1 else f"({k}−1)"
        label = "output" if square else f"output {axis}"
        steps.append(
            (label, f"⌊({shape[1 + i]} + {pad_text} − {dil} − 1)/{s}⌋ + 1 = {result[1 + i]}")
        )
    steps.append(("output shape", f"{result[0]}x{result[1]}x{result[2]}"))
    per_group = c_in // groups
    group_text = f"({c_in}/{groups})" if groups != 1 else f"{c_in}"
    steps.append(("weights", f"{kernel[0]}×{kernel[1]}×{group_text}×{out} = {c.weights:,}"))
    if c.bias:
        steps.append(("bias", f"{out:,}"))
        steps.append(("params", f"{c.weights:,} + {out:,} = {c.params:,}"))
    else:
        steps.append(("params", f"{c.params:,} (no bias)"))
    steps.append(
        (
            "MACs",
            f"{out}×{result[1]}×{result[2]} outputs × {per_group}×{kernel[0]}×{kernel[1]} "
            f"= {c.macs:,}",
        )
    )
    steps.append(("FLOPs", f"2 × MACs = {c.flops:,}"))
    rf, jump = c.rf, stride
    steps.append(
        (
            "receptive field",
            f"{rf[0] if rf[0] == rf[1] else f'{rf[0]}x{rf[1]}'} (d·(k−1) + 1), jump "
            f"{jump[0] if jump[0] == jump[1] else f'{jump[0]}x{jump[1]}'}",
        )
    )
    return steps


def conv_csv(c: ConvCalc) -> str:
    """One row under the JSON's keys; shapes and pairs as HxW, padding as in the JSON."""
    values = conv_json(c)
    cells = []
    for key in CSV_KEYS:
        value = values[key]
        if key == "padding":
            cells.append(json.dumps(value, separators=(",", ":")))
        elif isinstance(value, list):
            cells.append("x".join(map(str, value)))
        else:
            cells.append(str(value))
    return csv_table(CSV_KEYS, [cells])


def conv_markdown(c: ConvCalc) -> str:
    (_, title), *steps = conv_steps(c)
    rows = [(label, text) for label, text in steps]
    lines = [f"**{title}**", "", *markdown_table(("quantity", "formula"), (False, False), rows)]
    return "\n".join(lines) + "\n"


def render_conv(c: ConvCalc, fmt: str, console: Any) -> str:
    if fmt == "json":
        return json.dumps(conv_json(c), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return conv_csv(c)
    if fmt == "markdown":
        return conv_markdown(c)
    return prose(conv_lines(c), console)
