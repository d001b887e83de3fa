"""`cnncalc conv`: a ConvCalc (cnncalc/layer_calc.py) as its formulas with the numbers put in,
or as JSON."""

from __future__ import annotations

import json
from typing import Any

from ..layer_calc import ConvCalc
from .values import SCHEMA_VERSION

FORMATS = ("table", "json")  # csv and markdown are refused in one line

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
    """Each formula with its numbers: ⌊(56 + 2·1 − (3−1) − 1)/1⌋ + 1 = 56, 3×3×128×64 = 73,728."""
    shape, out, result = c.input, c.out, c.output
    kernel, stride, pads, dilation, groups = c.kernel, c.stride, c.padding, c.dilation, c.groups
    c_in = shape[0]
    lines = [f"conv {c_in} -> {out} channels on {c_in}x{shape[1]}x{shape[2]}"]
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
        lines.append(
            f"{label:<16}⌊({shape[1 + i]} + {pad_text} − {dil} − 1)/{s}⌋ + 1 = {result[1 + i]}"
        )
    lines.append(f"{'output shape':<16}{result[0]}x{result[1]}x{result[2]}")
    per_group = c_in // groups
    group_text = f"({c_in}/{groups})" if groups != 1 else f"{c_in}"
    lines.append(f"{'weights':<16}{kernel[0]}×{kernel[1]}×{group_text}×{out} = {c.weights:,}")
    if c.bias:
        lines.append(f"{'bias':<16}{out:,}")
        lines.append(f"{'params':<16}{c.weights:,} + {out:,} = {c.params:,}")
    else:
        lines.append(f"{'params':<16}{c.params:,} (no bias)")
    lines.append(
        f"{'MACs':<16}{out}×{result[1]}×{result[2]} outputs × {per_group}×{kernel[0]}×{kernel[1]} "
        f"= {c.macs:,}"
    )
    lines.append(f"{'FLOPs':<16}2 × MACs = {c.flops:,}")
    rf = c.rf
    lines.append(
        f"{'receptive field':<16}{rf[0] if rf[0] == rf[1] else f'{rf[0]}x{rf[1]}'} "
        f"(d·(k−1) + 1), jump {stride[0] if stride[0] == stride[1] else f'{stride[0]}x{stride[1]}'}"
    )
    return lines


def render_conv(c: ConvCalc, fmt: str, console: Any) -> str:
    if fmt == "json":
        return json.dumps(conv_json(c), indent=2, ensure_ascii=False) + "\n"
    return "\n".join(conv_lines(c)) + "\n"
