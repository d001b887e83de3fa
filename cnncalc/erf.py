"""The effective receptive field (Luo, Li, Urtasun & Zemel, "Understanding the Effective Receptive
Field in Deep Convolutional Neural Networks", NeurIPS 2016): how the gradient of one output unit
spreads over the input.

For each of `samples` draws (seeded): random weights and a random input, a real forward pass
through the reference kernels, then the gradient of the center unit of the chosen map (summed
over its channels) back to the input, through the same kernels' adjoints with the ReLU masks and
max-pool choices of that forward pass. The magnitude |∂y/∂x| summed over input channels is
averaged over the draws; the radii around the unit's field center that hold 50 %, 90 % and 99 %
of that mass are reported beside the theoretical field.

Backward passes exist for conv, bn, relu (relu6, leaky_relu), dropout, max and average pooling,
add and concat; another layer type on the way back is refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import SpecError


@dataclass(frozen=True)
class EffectiveRF:
    path: str
    unit: tuple[int, int]
    center: tuple[float, float]  # input coordinates of the unit's field center
    theoretical: tuple[Any, Any]  # the predicted field size per axis
    radii: dict[int, float]  # percent of gradient mass -> radius in input pixels
    profile: tuple[float, ...]  # share of the mass at integer radius r (r = 0, 1, ...)
    heat: Any  # the averaged |gradient| map, H x W, normalised to a maximum of 1
    samples: int


def _conv_backward(layer: Any, g: Any, x: Any, w: Any) -> Any:
    """dL/dx of a conv: the transposed conv of g with the same weights, placed on the padded
    input and cut back to it."""
    from . import reference

    (t, _), (left, _) = layer._pads(tuple(x.shape[1:]))
    full = reference.conv_transpose2d(g, w, stride=layer.stride, dilation=layer.dilation,
                                      groups=layer.groups)  # (N, C_in, span_h, span_w)
    h, w_ = x.shape[2:]
    out = np.zeros(x.shape, full.dtype)
    rows = min(full.shape[2] - t, h)
    cols = min(full.shape[3] - left, w_)
    out[:, :, :rows, :cols] = full[:, :, t : t + rows, left : left + cols]
    return out


def _pool_backward(layer: Any, g: Any, x: Any) -> Any:
    from . import reference
    from .layers.pool import MaxPool

    (t, b), (left, r) = layer._pads(tuple(x.shape[1:]))
    if (t, left) != (b, r):
        raise SpecError(
            f"the effective receptive field does not pass {layer.TYPE} with asymmetric padding"
        )
    n, c, h, w = x.shape
    if isinstance(layer, MaxPool):
        _, idx = reference.max_pool2d(x, layer.kernel, layer.step, (t, left),
                                      dilation=layer.dilation, ceil_mode=layer.ceil_mode,
                                      return_indices=True)
        out = np.zeros((n, c, h * w), g.dtype)
        flat_idx = idx.reshape(n, c, -1)
        for i in range(n):
            for ch in range(c):
                np.add.at(out[i, ch], flat_idx[i, ch], g[i, ch].ravel())
        return out.reshape(n, c, h, w)
    if not layer.count_include_pad and (t or left):
        raise SpecError(
            "the effective receptive field does not pass avgpool without count_include_pad"
        )
    kh, kw = layer.kernel
    ones = np.full((c, 1, kh, kw), 1.0 / (kh * kw), g.dtype)
    full = reference.conv_transpose2d(g, ones, stride=layer.step, groups=c)
    out = np.zeros(x.shape, full.dtype)
    rows, cols = min(full.shape[2] - t, h), min(full.shape[3] - left, w)
    out[:, :, :rows, :cols] = full[:, :, t : t + rows, left : left + cols]
    return out


def _backward(layer: Any, g: Any, x: Any, weights: dict[str, Any], path: str) -> Any:
    from .layers import activation
    from .layers.conv import Conv
    from .layers.norm import BatchNorm
    from .layers.pool import AvgPool, MaxPool

    if isinstance(layer, Conv):
        return _conv_backward(layer, g, x, weights["weight"])
    if isinstance(layer, BatchNorm):
        scale = 1.0 / np.sqrt(weights["running_var"] + layer.eps)
        if "weight" in weights:
            scale = scale * weights["weight"]
        return g * scale[None, :, None, None]
    if isinstance(layer, activation.Dropout):
        return g
    if isinstance(layer, activation.LeakyReLU):
        return g * np.where(x > 0, 1.0, layer.negative_slope)
    if type(layer).TYPE in ("relu", "relu6"):
        keep = (x > 0) if layer.TYPE == "relu" else ((x > 0) & (x < 6))
        return g * keep
    if isinstance(layer, (MaxPool, AvgPool)):
        return _pool_backward(layer, g, x)
    raise SpecError(
        f"the effective receptive field has no backward pass through {path} ({layer.TYPE})"
    )


def effective_rf(arch: Any, input: Any = None, bindings: Any = None, path: str | None = None,
                 samples: int = 4, seed: int = 0, uniform: bool = False) -> EffectiveRF:
    """Average |∂(center unit)/∂(input)| over `samples` seeded draws (`uniform`: every weight 1
    on the way back, Luo et al.'s uniform-weight case)."""
    from .engine import analyze_architecture
    from .verify import NumpyRunner, Traced, target_row

    heat = None
    for s in range(samples):
        runner = NumpyRunner(seed + s, np.float32)
        runner.kept = {}
        predicted = analyze_architecture(arch, input, bindings)
        x = runner.rng.standard_normal((1, *predicted.input), dtype=np.float32)
        report = analyze_architecture(arch, input, bindings, runner=runner, x=Traced(x, None))
        rows = report.rows
        if any(record[-1] for record in runner.records):
            raise SpecError("the forward pass fails; run `cnncalc verify` first")
        target = target_row(rows, path, report.outputs[0][0] if report.outputs else None)
        out, rf = rows[target].output, rows[target].rf
        if rf is None:  # a map reshaped from a flat input
            raise SpecError(f"{rows[target].path} has no receptive field (the input is flat)")
        unit = ((out[1] - 1) // 2, (out[2] - 1) // 2)
        grads: dict[int | None, Any] = {target: np.zeros((1, *out))}
        grads[target][0, :, unit[0], unit[1]] = 1.0
        for i in range(target, -1, -1):
            if i not in grads:
                continue
            g = grads.pop(i)
            layer, parents, _ = runner.tape[i]
            if layer is None:  # a merge: add passes g on, concat splits it by channels
                if rows[i].type == "concat":
                    sizes = [
                        rows[p].output[0] if p is not None else report.input[0] for p in parents
                    ]
                    parts = np.split(g, np.cumsum(sizes)[:-1], axis=1)
                else:
                    parts = [g] * len(parents)
                for p, part in zip(parents, parts, strict=True):
                    grads[p] = grads[p] + part if p in grads else part
                continue
            x_in, weights = runner.kept[i]
            if uniform:  # Luo et al.'s uniform case: every weight 1 (bn's statistics kept)
                weights = {
                    k: v if k.startswith("running") else np.ones_like(v)
                    for k, v in weights.items()
                }
            back = _backward(layer, g, x_in, weights, rows[i].path)
            p = parents[0]
            grads[p] = grads[p] + back if p in grads else back
        mass = np.abs(grads[None][0]).sum(axis=0)  # (H, W)
        heat = mass / mass.sum() if heat is None else heat + mass / mass.sum()
    assert heat is not None and rf is not None  # samples >= 1; rf checked in the loop
    heat = heat / samples
    center = tuple(float(rf[a].start + unit[a] * rf[a].jump) for a in range(2))
    yy, xx = np.mgrid[0 : heat.shape[0], 0 : heat.shape[1]]
    radius = np.hypot(yy - center[0], xx - center[1]).ravel()
    order = np.argsort(radius, kind="stable")
    cumulative = np.cumsum(heat.ravel()[order])
    radii = {
        pct: float(
            radius[order][min(np.searchsorted(cumulative, pct / 100 - 1e-12), len(order) - 1)]
        )
        for pct in (50, 90, 99)
    }
    bins = np.bincount(np.rint(radius).astype(int), weights=heat.ravel())
    return EffectiveRF(
        path=rows[target].path, unit=unit, center=center,  # type: ignore[arg-type]
        theoretical=(rf[0].size, rf[1].size), radii=radii,
        profile=tuple(float(v) for v in bins), heat=heat / heat.max(), samples=samples,
    )


def heat_map(e: EffectiveRF, size: int = 21) -> list[str]:
    """The averaged gradient map over the theoretical field around the unit (cut to the image),
    shrunk to at most size x size cells, darker where more gradient flows."""
    shades = " .:-=+*#%@"
    heat = e.heat
    box = []
    for a in range(2):
        half = int(np.ceil(float(e.theoretical[a]) / 2))
        c = int(round(e.center[a]))
        box.append((max(c - half, 0), min(c + half + 1, heat.shape[a])))
    part = heat[box[0][0] : box[0][1], box[1][0] : box[1][1]]
    part = part / part.max() if part.size and part.max() > 0 else part
    step = max(1, int(np.ceil(max(part.shape) / size)))
    rows = []
    for y in range(0, part.shape[0], step):
        line = ""
        for x in range(0, part.shape[1], step):
            v = part[y : y + step, x : x + step].max()
            line += shades[min(int(v * (len(shades) - 1) + 0.5), len(shades) - 1)] * 2
        rows.append(line)
    return rows
