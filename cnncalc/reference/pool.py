"""Pooling: max, average, unpooling, adaptive, and torchvision's roi_pool."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._common import Pair, _float, _pair, _windows, pad2d, resolve_padding


def _pool_out(n: int, k: int, s: int, p: tuple[int, int], d: int, ceil_mode: bool) -> int:
    """O = ⌊ or ⌈(H + p_before + p_after − d(k−1) − 1)/s⌉ + 1; with ceil_mode the last window must
    start inside the input or the top/left padding ((O−1)·s < H + p_before), else it is dropped
    (torch's rule)."""
    num = n + p[0] + p[1] - d * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= n + p[0]:
        o -= 1
    if o < 1:
        raise ValueError(f"pooling output size {o} is not positive (input {n})")
    return o


def _pool_setup(
    x: np.ndarray,
    kernel_size: Pair,
    stride: Pair | None,
    padding: Any,
    dilation: Pair,
    ceil_mode: bool,
    value: float,
):
    """Resolve the arguments from the real input and pad it with `value`; returns
    (padded x, k, s, ((top, bottom), (left, right)), d, (Ho, Wo))."""
    k = _pair(kernel_size)
    s = k if stride is None or (np.ndim(stride) == 1 and len(stride) == 0) else _pair(stride)  # type: ignore[arg-type]
    d = _pair(dilation)
    p = resolve_padding(padding, x.shape[2:], k, s, d)
    out = tuple(_pool_out(x.shape[2 + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(2))
    # bottom/right padding: just enough for the last window (ceil_mode may run past p_after)
    extra = [
        max(0, (o - 1) * ss + dd * (kk - 1) + 1 - n - pp[0])
        for o, ss, dd, kk, n, pp in zip(out, s, d, k, x.shape[2:], p, strict=True)
    ]
    xp = pad2d(x, ((p[0][0], extra[0]), (p[1][0], extra[1])), value)  # (N, C, Hp, Wp)
    return xp, k, s, p, d, out


def max_pool2d(
    x: Any,
    kernel_size: Pair,
    stride: Pair | None = None,
    padding: Any = 0,
    dilation: Pair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """y[n, c, i, j] = max_{a,b} xp[n, c, i·sh + a·dh, j·sw + b·dw], xp padded with −inf.

    padding: p, (ph, pw), ((top, bottom), (left, right)), "valid" or "same" (TensorFlow's rule:
    output ⌈H/s⌉, the odd pixel on the bottom/right); torch takes only the first two.

    Indices (return_indices) are flat positions in each input plane, row·W + col, of the first
    maximum in window order, as torch returns them. (With NaNs torch reports the last NaN, this
    the first; the values agree.)
    """
    x = _float(x)
    xp, k, s, p, d, out = _pool_setup(x, kernel_size, stride, padding, dilation, ceil_mode, -np.inf)
    view = _windows(xp, k, s, d, out)  # (N, C, Ho, Wo, kh, kw)
    if not return_indices:
        return view.max(axis=(4, 5))  # (N, C, Ho, Wo)
    flat = view.reshape(*view.shape[:4], k[0] * k[1])  # (N, C, Ho, Wo, kh·kw)
    arg = flat.argmax(axis=-1)
    y = np.take_along_axis(flat, arg[..., None], -1)[..., 0]  # (N, C, Ho, Wo)
    a, b = np.divmod(arg, k[1])
    starts = [np.arange(o) * ss - pp[0] for o, ss, pp in zip(out, s, p, strict=True)]
    rows, cols = starts[0][:, None] + a * d[0], starts[1] + b * d[1]
    # A window with nothing above −inf keeps torch's initial index: its first position past the
    # top/left padding (even if that lies past the input, as with an all-padding dilated window).
    first = [st + -(np.minimum(st, 0) // dd) * dd for st, dd in zip(starts, d, strict=True)]
    idx = np.where(
        y == -np.inf, first[0][:, None] * x.shape[3] + first[1], rows * x.shape[3] + cols
    )
    return y, idx.astype(np.int64)


def avg_pool2d(
    x: Any,
    kernel_size: Pair,
    stride: Pair | None = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """y[n, c, i, j] = Σ_{a,b} xp[n, c, i·sh + a, j·sw + b] / divisor, xp zero-padded.

    padding: as max_pool2d (p, pairs, ((top, bottom), (left, right)), "valid", "same").
    divisor: divisor_override if given; else the window's size clipped to the padded input
    [−p_before, H + p_after) with count_include_pad (so a ceil_mode window that runs past it counts
    less), or clipped to the input [0, H) without; counted per axis, multiplied (torch's CPU
    kernel). With "same" the resolved padding counts as explicit padding would.
    """
    x = _float(x)
    xp, k, s, p, d, out = _pool_setup(x, kernel_size, stride, padding, 1, ceil_mode, 0.0)
    y = _windows(xp, k, s, d, out).sum(axis=(4, 5))  # (N, C, Ho, Wo)
    if divisor_override:
        return y / x.dtype.type(divisor_override)
    counts = []
    for o, ss, kk, pp, n in zip(out, s, k, p, x.shape[2:], strict=True):
        start = np.arange(o) * ss - pp[0]
        if count_include_pad:
            counts.append(np.minimum(start + kk, n + pp[1]) - start)
        else:
            counts.append(np.minimum(start + kk, n) - np.maximum(start, 0))
    divisor = np.maximum(counts[0][:, None] * counts[1], 1)  # (Ho, Wo); an empty window gives 0
    return y / divisor.astype(x.dtype)


def max_unpool2d(
    x: Any,
    indices: Any,
    kernel_size: Pair,
    stride: Pair | None = None,
    padding: Any = 0,
    output_size: Sequence[int] | None = None,
) -> np.ndarray:
    """y[n, c].flat[indices[n, c, i, j]] = x[n, c, i, j], zero elsewhere; default output size
    (H−1)·s − p_before − p_after + k per axis (output_size: its last two entries, required with
    padding "same", which depends on the size it is asked to find)."""
    x = _float(x)
    k = _pair(kernel_size)
    s = k if stride is None else _pair(stride)
    n, c, h, w = x.shape
    if output_size is None:
        if isinstance(padding, str) and padding != "valid":
            raise ValueError(f"max_unpool2d with padding {padding!r} needs output_size")
        p = resolve_padding(padding, (h, w), k, s, (1, 1))
        out = tuple(
            (hh - 1) * ss - sum(pp) + kk for hh, ss, pp, kk in zip((h, w), s, p, k, strict=True)
        )
    else:
        out = tuple(int(v) for v in tuple(output_size)[-2:])
    y = np.zeros((n, c, out[0] * out[1]), x.dtype)  # (N, C, Ho·Wo)
    np.put_along_axis(y, np.asarray(indices).reshape(n, c, h * w), x.reshape(n, c, h * w), -1)
    return y.reshape(n, c, *out)  # (N, C, Ho, Wo)


def spatial_pyramid_pool(
    x: Any, levels: Sequence[int], mode: str = "max", rule: str = "he2014"
) -> np.ndarray:
    """Spatial pyramid pooling (He et al. 2014): for each level n, pool the map into n x n bins,
    flatten and concatenate: (N, C·Σ n²) when every level gives n bins.

    rule "he2014": window ⌈H/n⌉, stride ⌊H/n⌋ (the paper's; other sizes give other bin counts);
    "adaptive": torch's adaptive pooling to n x n. mode: "max" or "avg".
    """
    x = _float(x)
    parts = []
    for n in levels:
        if rule == "adaptive":
            pooled = adaptive_max_pool2d(x, n) if mode == "max" else adaptive_avg_pool2d(x, n)
        elif rule == "he2014":
            window = tuple(-(-h // n) for h in x.shape[2:])
            stride = tuple(h // n for h in x.shape[2:])
            pool = max_pool2d if mode == "max" else avg_pool2d
            pooled = pool(x, window, stride)
        else:
            raise ValueError(f"rule must be 'he2014' or 'adaptive', not {rule!r}")
        parts.append(pooled.reshape(x.shape[0], -1))  # (N, C·n²)
    return np.concatenate(parts, axis=1)  # (N, C·Σ n²)


def _adaptive_bins(n: int, o: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin i covers [⌊i·n/o⌋, ⌈(i+1)·n/o⌉), torch's adaptive rule."""
    i = np.arange(o)
    return i * n // o, -(-(i + 1) * n // o)


def _adaptive_size(x: np.ndarray, output_size: Any) -> tuple[int, int]:
    size = (output_size, output_size) if np.ndim(output_size) == 0 else tuple(output_size)
    return tuple(int(x.shape[2 + i] if v is None else v) for i, v in enumerate(size))  # type: ignore[return-value]


def adaptive_avg_pool2d(x: Any, output_size: Any) -> np.ndarray:
    """y[n, c, i, j] = mean of x over rows [⌊iH/Ho⌋, ⌈(i+1)H/Ho⌉) × cols [⌊jW/Wo⌋, ⌈(j+1)W/Wo⌉);
    separable, so y = A_h · x · A_wᵀ with A[i, r] = 1/|bin i| for r in bin i."""
    x = _float(x)
    mats = []
    for n, o in zip(x.shape[2:], _adaptive_size(x, output_size), strict=True):
        start, end = _adaptive_bins(n, o)
        r = np.arange(n)
        inside = (r >= start[:, None]) & (r < end[:, None])  # (o, n)
        mats.append((inside / (end - start)[:, None]).astype(x.dtype))
    return mats[0] @ x @ mats[1].T  # (N, C, Ho, Wo)


def adaptive_max_pool2d(x: Any, output_size: Any, return_indices: bool = False):
    """y[n, c, i, j] = max of x over rows [⌊iH/Ho⌋, ⌈(i+1)H/Ho⌉) × cols [⌊jW/Wo⌋, ⌈(j+1)W/Wo⌉).

    The bins are gathered at the widest bin's size with indices clamped to each bin's last row or
    column: a repeated element changes neither the max nor the first argmax.
    """
    x = _float(x)
    out = _adaptive_size(x, output_size)
    idx = []
    for n, o in zip(x.shape[2:], out, strict=True):
        start, end = _adaptive_bins(n, o)
        span = np.arange(int((end - start).max()))
        idx.append(np.minimum(start[:, None] + span, end[:, None] - 1))  # (o, widest)
    rows, cols = idx[0][:, None, :, None], idx[1][None, :, None, :]
    win = x[:, :, rows, cols]  # (N, C, Ho, Wo, kh, kw)
    flat = win.reshape(*win.shape[:4], -1)  # (N, C, Ho, Wo, kh·kw)
    if not return_indices:
        return flat.max(axis=-1)
    arg = flat.argmax(axis=-1)
    y = np.take_along_axis(flat, arg[..., None], -1)[..., 0]
    a, b = np.divmod(arg, idx[1].shape[1])
    ii, jj = np.arange(out[0])[:, None], np.arange(out[1])
    return y, (idx[0][ii, a] * x.shape[3] + idx[1][jj, b]).astype(np.int64)


def roi_pool(x: Any, boxes: Any, output_size: Pair, spatial_scale: float = 1.0) -> np.ndarray:
    """torchvision.ops.roi_pool: box k = [batch, x1, y1, x2, y2] (or a list of (K_i, 4) per image).

    Corners are rounded half away from zero after scaling (C's round, in the input's dtype); the
    box spans round(y2) − round(y1) + 1 rows (at least 1); bin i covers rows
    y1 + [⌊i·h/ph⌋, ⌈(i+1)·h/ph⌉) clipped to the image; y = max over the bin, 0 for an empty bin.
    """
    x = _float(x)
    dt = x.dtype.type
    if isinstance(boxes, list | tuple):  # one (K_i, 4) array per image: prepend the image index
        boxes = [
            np.column_stack([np.full(len(b), i), np.reshape(b, (-1, 4))])
            for i, b in enumerate(boxes)
        ]
        boxes = np.concatenate(boxes) if boxes else np.zeros((0, 5))
    boxes = np.asarray(boxes, x.dtype).reshape(-1, 5)  # (K, 5)
    out = _pair(output_size)
    y = np.zeros((len(boxes), x.shape[1], *out), x.dtype)  # (K, C, ph, pw)
    for r, box in enumerate(boxes):
        corners = box[1:] * dt(spatial_scale)
        x1, y1, x2, y2 = (np.sign(corners) * np.floor(np.abs(corners) + dt(0.5))).astype(int)
        spans = []
        for start, stop, o, n in ((y1, y2, out[0], x.shape[2]), (x1, x2, out[1], x.shape[3])):
            size = dt(max(stop - start + 1, 1)) / dt(o)
            i = np.arange(o, dtype=x.dtype)
            lo = np.clip(np.floor(i * size).astype(int) + start, 0, n)
            hi = np.clip(np.ceil((i + 1) * size).astype(int) + start, 0, n)
            span = np.arange(max(int((hi - lo).max()), 1))
            spans.append(
                (np.clip(np.minimum(lo[:, None] + span, hi[:, None] - 1), 0, n - 1), hi > lo)
            )
        (rows, hv), (cols, wv) = spans
        plane = x[int(box[0])]  # (C, H, W)
        win = plane[:, rows[:, None, :, None], cols[None, :, None, :]]  # (C, ph, pw, kh, kw)
        y[r] = np.where(hv[:, None] & wv, win.max(axis=(3, 4)), 0)
    return y
