"""The single-layer calculator: one convolution, every formula shown with its numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .layers.base import coerce
from .layers.conv import AXES, Conv, resolve_padding


@dataclass(frozen=True)
class LayerCalc:
    lines: list[str]
    values: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return self.values


def conv_report(
    shape: tuple[int, int, int],
    out: int,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: Any,
    dilation: tuple[int, int],
    groups: int,
    bias: bool,
) -> LayerCalc:
    layer = Conv(
        out=out, kernel=kernel, stride=stride, padding=coerce("padding", "padding", padding),
        dilation=dilation, groups=groups, bias=bias,
    )
    result = layer.output_shape(shape)  # raises the same errors an architecture file would
    pads = resolve_padding(layer.padding, shape, kernel, stride, dilation)
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
    weights = kernel[0] * kernel[1] * per_group * out
    group_text = f"({c_in}/{groups})" if groups != 1 else f"{c_in}"
    lines.append(f"{'weights':<16}{kernel[0]}×{kernel[1]}×{group_text}×{out} = {weights:,}")
    params = layer.params(shape)
    if bias:
        lines.append(f"{'bias':<16}{out:,}")
        lines.append(f"{'params':<16}{weights:,} + {out:,} = {params:,}")
    else:
        lines.append(f"{'params':<16}{params:,} (no bias)")
    macs = layer.macs(shape, result)
    lines.append(
        f"{'MACs':<16}{out}×{result[1]}×{result[2]} outputs × {per_group}×{kernel[0]}×{kernel[1]} "
        f"= {macs:,}"
    )
    lines.append(f"{'FLOPs':<16}2 × MACs = {2 * macs:,}")
    steps = layer.rf_steps(shape)
    rf = [s.kernel for s in steps]
    lines.append(
        f"{'receptive field':<16}{rf[0] if rf[0] == rf[1] else f'{rf[0]}x{rf[1]}'} "
        f"(d·(k−1) + 1), jump {stride[0] if stride[0] == stride[1] else f'{stride[0]}x{stride[1]}'}"
    )
    values = {
        "input": list(shape),
        "output": list(result),
        "padding": [list(p) for p in pads],
        "weights": weights,
        "params": params,
        "macs": macs,
        "flops": 2 * macs,
        "rf": rf,
    }
    return LayerCalc(lines, values)
