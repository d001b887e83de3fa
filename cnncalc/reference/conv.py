"""Convolutions (im2col + one matmul) and the fully connected layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import Pair, _float, _pair, _windows, matmul, pad2d, resolve_padding


def _out_size(n: int, k: int, s: int, d: int, pads: int) -> int:
    """O = ⌊(H + p_total − d(k−1) − 1)/s⌋ + 1."""
    o = (n + pads - d * (k - 1) - 1) // s + 1
    if o < 1:
        raise ValueError(f"input size {n} with padding {pads} is smaller than the kernel d(k−1)+1")
    return o


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Pair = 1,
    padding: Any = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> np.ndarray:
    """y[n, o, i, j] = b[o] + Σ_{c, a, b} w[o, c, a, b]·xp[n, c, i·sh + a·dh, j·sw + b·dw],
    c running over the input channels of o's group.

    padding: int, (ph, pw), ((top, bottom), (left, right)), "valid", or "same" (TensorFlow's rule,
    any stride: output ⌈H/s⌉, the odd pixel on the bottom/right; at stride 1 torch's "same").
    Output ⌊(H + pt + pb − d(k−1) − 1)/s⌋ + 1.
    im2col in the (C·kh·kw, Ho·Wo) layout, then one matmul over a (N, G) stack of groups.
    """
    x = _float(x)
    weight = np.asarray(weight, x.dtype)
    n, c, _, _ = x.shape
    co, cg, kh, kw = weight.shape
    if c != cg * groups or co % groups:
        raise ValueError(f"weight {weight.shape} does not fit input {x.shape} with groups={groups}")
    k, s, d = (kh, kw), _pair(stride), _pair(dilation)
    x = pad2d(x, resolve_padding(padding, x.shape[2:], k, s, d))  # (N, C, Hp, Wp)
    out = (_out_size(x.shape[2], kh, s[0], d[0], 0), _out_size(x.shape[3], kw, s[1], d[1], 0))
    w = weight.reshape(groups, co // groups, cg * kh * kw)  # (G, Cout/G, Cg·kh·kw)
    if k == (1, 1):  # a 1x1 conv is a plain matmul, no window view
        cols = x[:, :, : (out[0] - 1) * s[0] + 1 : s[0], : (out[1] - 1) * s[1] + 1 : s[1]]
    else:
        view = _windows(x, k, s, d, out).transpose(0, 1, 4, 5, 2, 3)  # (N, C, kh, kw, Ho, Wo)
        cols = np.ascontiguousarray(view)
    cols = cols.reshape(n, groups, cg * kh * kw, out[0] * out[1])  # (N, G, Cg·kh·kw, Ho·Wo)
    y = matmul(w, cols).reshape(n, co, *out)  # (N, Cout, Ho, Wo)
    if bias is not None:
        y += np.asarray(bias, x.dtype)[:, None, None]
    return y


def conv_transpose2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Pair = 1,
    padding: Pair = 0,
    output_padding: Pair = 0,
    groups: int = 1,
    dilation: Pair = 1,
) -> np.ndarray:
    """The adjoint of conv2d: y[n, o, i·s + a·d − p, ...] += Σ_c x[n, c, i, j]·w[c, o, a, b].

    weight (C_in, C_out/G, kh, kw); output (H−1)·s − 2p + d(k−1) + output_padding + 1. One matmul
    to columns, then a col2im scatter-add looping over the kh·kw kernel offsets.
    """
    x = _float(x)
    weight = np.asarray(weight, x.dtype)
    n, c, h, w_ = x.shape
    ci, cog, kh, kw = weight.shape
    if ci != c or c % groups:
        raise ValueError(f"weight {weight.shape} does not fit input {x.shape} with groups={groups}")
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = (
        _pair(v) for v in (stride, padding, output_padding, dilation)
    )
    out = (
        (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1,
        (w_ - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1,
    )
    if min(out) < 1:
        raise ValueError(f"conv_transpose2d output size {out} is not positive")
    wt = weight.reshape(groups, c // groups, cog * kh * kw)  # (G, Cg, Cout/G·kh·kw)
    xs = x.reshape(n, groups, c // groups, h * w_)  # (N, G, Cg, H·W)
    cols = matmul(wt.transpose(0, 2, 1), xs)  # (N, G, Cout/G·kh·kw, H·W)
    cols = cols.reshape(n, groups * cog, kh, kw, h, w_)  # (N, Cout, kh, kw, H, W)
    # col2im on the uncropped canvas (index i·s + a·d); the output is its window from (ph, pw)
    span = ((h - 1) * sh + 1, (w_ - 1) * sw + 1)
    pads, dils, ks = (ph, pw), (dh, dw), (kh, kw)
    size = [max(pads[i] + out[i], span[i] + dils[i] * (ks[i] - 1)) for i in range(2)]
    canvas = np.zeros((n, groups * cog, *size), x.dtype)  # (N, Cout, ≥ Ho + p, ≥ Wo + p)
    for a in range(kh):
        for b in range(kw):
            rows, cols_ = slice(a * dh, a * dh + span[0], sh), slice(b * dw, b * dw + span[1], sw)
            canvas[:, :, rows, cols_] += cols[:, :, a, b]
    y = canvas[:, :, ph : ph + out[0], pw : pw + out[1]]  # (N, Cout, Ho, Wo)
    if bias is not None:
        y = y + np.asarray(bias, x.dtype)[:, None, None]
    return np.ascontiguousarray(y)


def linear(x: Any, weight: Any, bias: Any = None) -> np.ndarray:
    """y = x·Wᵀ + b, weight (out, in), over the last axis of x."""
    x = _float(x)
    y = matmul(x, np.asarray(weight, x.dtype).T)  # (..., out)
    return y if bias is None else y + np.asarray(bias, x.dtype)
