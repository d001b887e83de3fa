"""The single-layer calculator: one convolution's output, parameters and MACs, with the numbers
that go into each formula (render/conv.py shows them as the formulas with the numbers put in)."""

from __future__ import annotations

from dataclasses import dataclass

from .layers.base import coerce
from .layers.conv import Conv, resolve_padding

Pair = tuple[int, int]


@dataclass(frozen=True)
class ConvCalc:
    """One convolution on a C_in x H x W input. Per axis (height, width): kernel k, stride s,
    padding (before, after) p, dilation d; output ⌊(H + p_before + p_after − d·(k − 1) − 1)/s⌋ + 1.
    weights = k_h·k_w·(C_in/g)·C_out; params = weights (+ C_out with a bias);
    MACs = C_out·H_o·W_o·(C_in/g)·k_h·k_w; FLOPs = 2·MACs; receptive field d·(k − 1) + 1."""

    input: tuple[int, int, int]
    output: tuple[int, int, int]
    out: int
    kernel: Pair
    stride: Pair
    padding: tuple[Pair, Pair]  # (before, after) per axis, resolved (`same` made numbers)
    dilation: Pair
    groups: int
    bias: bool
    weights: int
    params: int
    macs: int
    flops: int
    rf: Pair


def conv_report(
    shape: tuple[int, int, int],
    out: int,
    kernel: Pair,
    stride: Pair,
    padding: object,
    dilation: Pair,
    groups: int,
    bias: bool,
) -> ConvCalc:
    layer = Conv(
        out=out, kernel=kernel, stride=stride, padding=coerce("padding", "padding", padding),
        dilation=dilation, groups=groups, bias=bias,
    )
    result = layer.output_shape(shape)  # raises the same errors an architecture file would
    pads = resolve_padding(layer.padding, shape, kernel, stride, dilation)
    weights = kernel[0] * kernel[1] * (shape[0] // groups) * out
    macs = layer.macs(shape, result)
    steps = layer.rf_steps(shape)
    return ConvCalc(
        input=shape,
        output=(result[0], result[1], result[2]),
        out=out,
        kernel=kernel,
        stride=stride,
        padding=((pads[0][0], pads[0][1]), (pads[1][0], pads[1][1])),
        dilation=dilation,
        groups=groups,
        bias=bias,
        weights=weights,
        params=layer.params(shape),
        macs=macs,
        flops=2 * macs,
        rf=(steps[0].kernel, steps[1].kernel),
    )
