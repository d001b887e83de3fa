"""cnncalc.reference against slow loops written here from each kernel's definition.

Every loop below runs over output pixels and window positions in plain Python, straight from the
formula in its docstring; hypothesis draws the hyperparameters (stride, padding, dilation, groups,
ceil_mode, ...) on tiny float64 inputs, and the kernels must agree to 1e-10. A few fixed cases are
worked out by hand. tests/test_reference_torch.py compares the same kernels with PyTorch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnncalc import reference as R

MANY = settings(max_examples=200, deadline=None)


def close(actual, expected):
    assert np.shape(actual) == np.shape(expected)
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10)


def rand(data, shape, ints=False):
    """Random float64 values from a drawn seed (ints: small integers, so that maxima tie)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    return rng.integers(-2, 3, shape).astype(np.float64) if ints else rng.standard_normal(shape)


def draw_pair(data, lo, hi, label):
    return tuple(data.draw(st.integers(lo, hi), label=f"{label}{i}") for i in "hw")


# ---------------------------------------------------------------------------------------------
# slow loops, from the definitions


def inside(r, n):
    return 0 <= r < n


def conv2d_loop(x, w, b, stride, pads, dilation, groups):
    """y[n,o,i,j] = b[o] + Σ_{c in o's group, a, b} w[o,c,a,b]·x[n, c, i·s + a·d − top, ...]."""
    (sh, sw), ((t, _), (left, _)), (dh, dw) = stride, pads, dilation
    n_, c_, h, wd = x.shape
    co, cg, kh, kw = w.shape
    ho = (h + sum(pads[0]) - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + sum(pads[1]) - dw * (kw - 1) - 1) // sw + 1
    xl, wl = x.tolist(), w.tolist()
    y = np.zeros((n_, co, ho, wo))
    for n in range(n_):
        for o in range(co):
            g = o // (co // groups)
            for i in range(ho):
                for j in range(wo):
                    acc = 0.0 if b is None else float(b[o])
                    for a in range(kh):
                        r = i * sh + a * dh - t
                        for bb in range(kw):
                            q = j * sw + bb * dw - left
                            if inside(r, h) and inside(q, wd):
                                for c in range(cg):
                                    acc += xl[n][g * cg + c][r][q] * wl[o][c][a][bb]
                    y[n, o, i, j] = acc
    return y


def conv_transpose2d_loop(x, w, b, stride, padding, output_padding, groups, dilation):
    """Scatter: y[n, o, i·s + a·d − p, j·s + b·d − p] += x[n, c, i, j]·w[c, o − g·Cog, a, b]."""
    n_, c_, h, wd = x.shape
    _, cog, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    wo = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    y = np.zeros((n_, cog * groups, ho, wo))
    cg = c_ // groups
    for n in range(n_):
        for c in range(c_):
            g = c // cg
            for i in range(h):
                for j in range(wd):
                    for o in range(cog):
                        for a in range(kh):
                            for bb in range(kw):
                                r, q = i * sh + a * dh - ph, j * sw + bb * dw - pw
                                if inside(r, ho) and inside(q, wo):
                                    y[n, g * cog + o, r, q] += x[n, c, i, j] * w[c, o, a, bb]
    if b is not None:
        y += b[:, None, None]
    return y


def pool_starts(n, k, s, p, d, ceil_mode):
    """Window starts i·s − p: in floor mode every window inside the padded input; in ceil mode
    also a last partial one, provided it starts inside the input or the left padding."""
    eff = d * (k - 1) + 1
    starts = []
    i = 0
    while True:
        start = i * s - p
        fits = start + eff <= n + p
        partial = ceil_mode and start < n and (i == 0 or (i - 1) * s - p + eff < n + p)
        if not (fits or partial):
            return starts
        starts.append(start)
        i += 1


def max_pool2d_loop(x, k, s, p, d, ceil_mode):
    """y = max over window positions inside the input; index = r·W + q of the first maximum, or
    when nothing exceeds −inf, of the window's first position past the top/left padding."""
    n_, c_, h, w = x.shape
    rs = pool_starts(h, k[0], s[0], p[0], d[0], ceil_mode)
    qs = pool_starts(w, k[1], s[1], p[1], d[1], ceil_mode)
    y = np.zeros((n_, c_, len(rs), len(qs)))
    idx = np.zeros(y.shape, np.int64)
    for n in range(n_):
        for c in range(c_):
            for i, r0 in enumerate(rs):
                for j, q0 in enumerate(qs):
                    r, q = (v0 + -(min(v0, 0) // dd) * dd for v0, dd in ((r0, d[0]), (q0, d[1])))
                    best, where = -math.inf, r * w + q
                    for a in range(k[0]):
                        for b in range(k[1]):
                            r, q = r0 + a * d[0], q0 + b * d[1]
                            if inside(r, h) and inside(q, w) and x[n, c, r, q] > best:
                                best, where = x[n, c, r, q], r * w + q
                    y[n, c, i, j], idx[n, c, i, j] = best, where
    return y, idx


def avg_pool2d_loop(x, k, s, p, ceil_mode, count_include_pad, divisor_override):
    """Sum over window positions inside the input, divided by divisor_override, or else by the
    number of window positions inside the padded input [−p, H + p) (count_include_pad), or else
    inside the input."""
    n_, c_, h, w = x.shape
    rs = pool_starts(h, k[0], s[0], p[0], 1, ceil_mode)
    qs = pool_starts(w, k[1], s[1], p[1], 1, ceil_mode)
    y = np.zeros((n_, c_, len(rs), len(qs)))
    for i, r0 in enumerate(rs):
        for j, q0 in enumerate(qs):
            window = [(r0 + a, q0 + b) for a in range(k[0]) for b in range(k[1])]
            real = [(r, q) for r, q in window if inside(r, h) and inside(q, w)]
            padded = [(r, q) for r, q in window if r < h + p[0] and q < w + p[1]]
            div = divisor_override or len(padded if count_include_pad else real)
            for n in range(n_):
                for c in range(c_):
                    y[n, c, i, j] = sum(x[n, c, r, q] for r, q in real) / div
    return y


def adaptive_loop(x, out, reduce):
    """Bin i covers [⌊i·H/Ho⌋, ⌈(i+1)·H/Ho⌉) on each axis; reduce gets the bin's (value, r·W + q)
    pairs in row-major order."""
    n_, c_, h, w = x.shape
    y = np.zeros((n_, c_, *out))
    for i in range(out[0]):
        r0, r1 = i * h // out[0], -(-(i + 1) * h // out[0])
        for j in range(out[1]):
            q0, q1 = j * w // out[1], -(-(j + 1) * w // out[1])
            for n in range(n_):
                for c in range(c_):
                    cells = [
                        (x[n, c, r, q], r * w + q) for r in range(r0, r1) for q in range(q0, q1)
                    ]
                    y[n, c, i, j] = reduce(cells)
    return y


def mean(cells):
    return sum(v for v, _ in cells) / len(cells)


def first_max(cells):
    """Index of the first maximum (a later equal value does not replace it)."""
    best = cells[0]
    for cell in cells[1:]:
        if cell[0] > best[0]:
            best = cell
    return best[1]


def c_round(v):
    """C's round(): half away from zero."""
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def roi_pool_loop(x, boxes, out, scale):
    """torchvision's roi_pool, transcribed: rounded corners, bins ⌊i·h/ph⌋..⌈(i+1)·h/ph⌉."""
    y = np.zeros((len(boxes), x.shape[1], *out))
    _, _, hh, ww = x.shape
    for k, (bi, x1, y1, x2, y2) in enumerate(boxes):
        sx, sy, ex, ey = (c_round(v * scale) for v in (x1, y1, x2, y2))
        bh, bw = max(ey - sy + 1, 1) / out[0], max(ex - sx + 1, 1) / out[1]
        for i in range(out[0]):
            r0 = min(max(math.floor(i * bh) + sy, 0), hh)
            r1 = min(max(math.ceil((i + 1) * bh) + sy, 0), hh)
            for j in range(out[1]):
                q0 = min(max(math.floor(j * bw) + sx, 0), ww)
                q1 = min(max(math.ceil((j + 1) * bw) + sx, 0), ww)
                for c in range(x.shape[1]):
                    vals = [x[int(bi), c, r, q] for r in range(r0, r1) for q in range(q0, q1)]
                    y[k, c, i, j] = max(vals) if vals else 0.0
    return y


def source_index(dst, n, o, align_corners, scale=None):
    """Bilinear source coordinate of output index dst (torch's area_pixel_compute_source_index)."""
    if align_corners:
        return dst * (n - 1) / (o - 1) if o > 1 else 0.0
    return max((dst + 0.5) * (scale or n / o) - 0.5, 0.0)


def bilinear_loop(x, out, align_corners, factors=(None, None)):
    n_, c_, h, w = x.shape
    y = np.zeros((n_, c_, *out))
    for i in range(out[0]):
        sy = source_index(i, h, out[0], align_corners, factors[0] and 1 / factors[0])
        y0 = int(sy)
        y1, ly = min(y0 + 1, h - 1), sy - y0
        for j in range(out[1]):
            sx = source_index(j, w, out[1], align_corners, factors[1] and 1 / factors[1])
            x0 = int(sx)
            x1, lx = min(x0 + 1, w - 1), sx - x0
            y[:, :, i, j] = (1 - ly) * ((1 - lx) * x[:, :, y0, x0] + lx * x[:, :, y0, x1]) + ly * (
                (1 - lx) * x[:, :, y1, x0] + lx * x[:, :, y1, x1]
            )
    return y


# ---------------------------------------------------------------------------------------------
# hypothesis: kernels == loops


@MANY
@given(st.data())
def test_conv2d(data):
    groups = data.draw(st.integers(1, 3), label="groups")
    cg, cog = data.draw(st.integers(1, 2), label="cg"), data.draw(st.integers(1, 2), label="cog")
    k, s, d = draw_pair(data, 1, 4, "k"), draw_pair(data, 1, 3, "s"), draw_pair(data, 1, 2, "d")
    form = data.draw(st.sampled_from(["int", "pair", "asym", "same", "valid"]), label="padding")
    if form == "same":
        s = (1, 1)
        total = [dd * (kk - 1) for dd, kk in zip(d, k, strict=True)]
        pads = tuple((t // 2, t - t // 2) for t in total)
        padding = "same"
    elif form == "valid":
        pads, padding = ((0, 0), (0, 0)), "valid"
    elif form == "int":
        p = data.draw(st.integers(0, 2), label="p")
        pads, padding = ((p, p), (p, p)), p
    elif form == "pair":
        padding = draw_pair(data, 0, 2, "p")
        pads = tuple((p, p) for p in padding)
    else:  # ((top, bottom), (left, right))
        pads = padding = tuple(
            tuple(data.draw(st.integers(0, 2), label=side) for side in sides)
            for sides in (("top", "bottom"), ("left", "right"))
        )
    hw = [
        data.draw(st.integers(max(1, dd * (kk - 1) + 1 - sum(pp)), 9), label="size")
        for dd, kk, pp in zip(d, k, pads, strict=True)
    ]
    n = data.draw(st.integers(1, 2), label="n")
    x = rand(data, (n, groups * cg, *hw))
    w = rand(data, (groups * cog, cg, *k))
    b = rand(data, (groups * cog,)) if data.draw(st.booleans(), label="bias") else None
    y = R.conv2d(x, w, b, stride=s, padding=padding, dilation=d, groups=groups)
    close(y, conv2d_loop(x, w, b, s, pads, d, groups))


@MANY
@given(st.data())
def test_conv_transpose2d(data):
    groups = data.draw(st.integers(1, 3), label="groups")
    cg, cog = data.draw(st.integers(1, 2), label="cg"), data.draw(st.integers(1, 2), label="cog")
    k, s, d = draw_pair(data, 1, 3, "k"), draw_pair(data, 1, 3, "s"), draw_pair(data, 1, 2, "d")
    op = tuple(data.draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d, strict=True))
    hw = draw_pair(data, 1, 5, "size")
    # padding small enough for a positive output
    p = tuple(
        data.draw(st.integers(0, max(0, ((h - 1) * ss + dd * (kk - 1) + o) // 2)), label="p")
        for h, ss, dd, kk, o in zip(hw, s, d, k, op, strict=True)
    )
    x = rand(data, (data.draw(st.integers(1, 2)), groups * cg, *hw))
    w = rand(data, (groups * cg, cog, *k))
    b = rand(data, (groups * cog,)) if data.draw(st.booleans(), label="bias") else None
    y = R.conv_transpose2d(x, w, b, s, p, op, groups, d)
    close(y, conv_transpose2d_loop(x, w, b, s, p, op, groups, d))


def draw_pool(data, dilation):
    k, s = draw_pair(data, 1, 4, "k"), draw_pair(data, 1, 3, "s")
    d = draw_pair(data, 1, 2, "d") if dilation else (1, 1)
    p = tuple(data.draw(st.integers(0, kk // 2), label="p") for kk in k)  # torch: p ≤ k/2
    hw = [
        data.draw(st.integers(max(1, dd * (kk - 1) + 1 - 2 * pp), 9), label="size")
        for dd, kk, pp in zip(d, k, p, strict=True)
    ]
    stride = None if s == k and data.draw(st.booleans(), label="default stride") else s
    ceil_mode = data.draw(st.booleans(), label="ceil_mode")
    return k, s, stride, p, d, hw, ceil_mode


@MANY
@given(st.data())
def test_max_pool2d(data):
    k, s, stride, p, d, hw, ceil_mode = draw_pool(data, dilation=True)
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)), *hw)
    x = rand(data, shape, ints=data.draw(st.booleans(), label="ties"))
    y, idx = R.max_pool2d(x, k, stride, p, d, ceil_mode, return_indices=True)
    y_loop, idx_loop = max_pool2d_loop(x, k, s, p, d, ceil_mode)
    close(y, y_loop)
    np.testing.assert_array_equal(idx, idx_loop)
    close(R.max_pool2d(x, k, stride, p, d, ceil_mode), y_loop)


@MANY
@given(st.data())
def test_avg_pool2d(data):
    k, s, stride, p, _, hw, ceil_mode = draw_pool(data, dilation=False)
    include = data.draw(st.booleans(), label="count_include_pad")
    override = data.draw(st.sampled_from([None, None, 1, 5]), label="divisor_override")
    x = rand(data, (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)), *hw))
    y = R.avg_pool2d(x, k, stride, p, ceil_mode, include, override)
    close(y, avg_pool2d_loop(x, k, s, p, ceil_mode, include, override))


def tf_same(n, k, s, d):
    """TensorFlow's "same" from its definition: the output is ⌈n/s⌉, so the windows must reach
    (⌈n/s⌉ − 1)·s + d(k−1)+1 pixels; the missing ones are padding, the odd one after."""
    total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def padded_pool_loop(x, k, s, pads, d, reduce):
    """Floor-mode pooling with (before, after) padding per axis, by loops: window i starts at
    i·s − before while it ends inside n + after; reduce(values inside the input, positions inside
    the padded input)."""
    n_, c_, h, w = x.shape
    starts = [
        list(range(-pp[0], nn + pp[1] - (dd * (kk - 1) + 1) + 1, ss))
        for nn, kk, ss, pp, dd in zip((h, w), k, s, pads, d, strict=True)
    ]
    y = np.zeros((n_, c_, len(starts[0]), len(starts[1])))
    for i, r0 in enumerate(starts[0]):
        for j, q0 in enumerate(starts[1]):
            cells = [(r0 + a * d[0], q0 + b * d[1]) for a in range(k[0]) for b in range(k[1])]
            real = [(r, q) for r, q in cells if inside(r, h) and inside(q, w)]
            for n in range(n_):
                for c in range(c_):
                    y[n, c, i, j] = reduce([x[n, c, r, q] for r, q in real], len(cells))
    return y


@MANY
@given(st.data())
def test_pools_resolve_same_and_asymmetric_padding(data):
    k, s, d = draw_pair(data, 1, 4, "k"), draw_pair(data, 1, 3, "s"), draw_pair(data, 1, 2, "d")
    hw = draw_pair(data, 1, 9, "size")
    if data.draw(st.booleans(), label="same"):
        padding = "same"
        pads = tuple(tf_same(n, kk, ss, dd) for n, kk, ss, dd in zip(hw, k, s, d, strict=True))
        avg_pads = tuple(tf_same(n, kk, ss, 1) for n, kk, ss in zip(hw, k, s, strict=True))
    else:
        pads = avg_pads = padding = tuple(
            tuple(data.draw(st.integers(0, 2), label=side) for side in sides)
            for sides in (("top", "bottom"), ("left", "right"))
        )
    fits = [n + sum(p) >= dd * (kk - 1) + 1 for n, p, dd, kk in zip(hw, pads, d, k, strict=True)]
    assume(all(fits))
    x = rand(data, (1, 2, *hw))
    biggest = padded_pool_loop(x, k, s, pads, d, lambda v, _: max(v, default=-math.inf))
    close(R.max_pool2d(x, k, s, padding, d), biggest)
    mean_all = padded_pool_loop(x, k, s, avg_pads, (1, 1), lambda v, cells: sum(v) / cells)
    close(R.avg_pool2d(x, k, s, padding), mean_all)
    mean_real = padded_pool_loop(
        x, k, s, avg_pads, (1, 1), lambda v, _: sum(v) / len(v) if v else 0.0
    )
    close(R.avg_pool2d(x, k, s, padding, count_include_pad=False), mean_real)


@MANY
@given(st.data())
def test_max_unpool2d(data):
    k, s, p = draw_pair(data, 1, 4, "k"), draw_pair(data, 1, 3, "s"), draw_pair(data, 0, 1, "p")
    hw = draw_pair(data, 1, 5, "size")
    out = [(h - 1) * ss - 2 * pp + kk for h, ss, pp, kk in zip(hw, s, p, k, strict=True)]
    given_size = data.draw(st.booleans(), label="output_size")
    if given_size:
        out = [o + data.draw(st.integers(0, ss - 1)) for o, ss in zip(out, s, strict=True)]
    if out[0] * out[1] < hw[0] * hw[1] or min(out) < 1:
        out = list(hw)  # too small for distinct indices: unpool to the input's own size
        given_size = True
    n, c = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))
    x = rand(data, (n, c, *hw))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    idx = np.stack([rng.permutation(out[0] * out[1])[: hw[0] * hw[1]] for _ in range(n * c)])
    idx = idx.reshape(n, c, *hw)
    y = R.max_unpool2d(x, idx, k, s, p, output_size=(c, *out) if given_size else None)
    expected = np.zeros((n, c, out[0] * out[1]))
    for i in np.ndindex(*x.shape):
        expected[i[0], i[1], idx[i]] = x[i]
    close(y, expected.reshape(n, c, *out))


@MANY
@given(st.data())
def test_adaptive_pools(data):
    hw, out = draw_pair(data, 1, 9, "size"), draw_pair(data, 1, 6, "out")
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)), *hw)
    x = rand(data, shape, ints=data.draw(st.booleans(), label="ties"))
    close(R.adaptive_avg_pool2d(x, out), adaptive_loop(x, out, mean))
    y, idx = R.adaptive_max_pool2d(x, out, return_indices=True)
    close(y, adaptive_loop(x, out, lambda cells: max(v for v, _ in cells)))
    np.testing.assert_array_equal(idx, adaptive_loop(x, out, first_max))
    close(R.adaptive_max_pool2d(x, out), y)


@MANY
@given(st.data())
def test_roi_pool(data):
    n, c, h, w = (
        data.draw(st.integers(1, 2)),
        data.draw(st.integers(1, 3)),
        *draw_pair(data, 1, 9, "size"),
    )
    out = draw_pair(data, 1, 4, "out")
    scale = data.draw(st.sampled_from([1.0, 0.5, 0.25]), label="scale")
    halves = st.integers(-4, 2 * 9 / scale + 4).map(lambda v: v / 2)  # .5s exercise the rounding
    boxes = [
        [data.draw(st.integers(0, n - 1))] + [data.draw(halves) for _ in range(4)]
        for _ in range(data.draw(st.integers(1, 3), label="boxes"))
    ]
    x = rand(data, (n, c, h, w))
    close(R.roi_pool(x, np.array(boxes), out, scale), roi_pool_loop(x, boxes, out, scale))


@MANY
@given(st.data())
def test_interpolate(data):
    hw = draw_pair(data, 1, 7, "size")
    mode = data.draw(st.sampled_from(["nearest", "bilinear"]), label="mode")
    align = data.draw(st.booleans(), label="align_corners") if mode == "bilinear" else None
    x = rand(data, (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)), *hw))
    if data.draw(st.booleans(), label="by scale_factor"):
        f = data.draw(st.sampled_from([0.5, 0.75, 1.5, 2.0, 2.5, 3.0]), label="scale_factor")
        out, factors = [math.floor(n * f) for n in hw], (f, f)
        if min(out) < 1:
            return
        y = R.interpolate(x, scale_factor=f, mode=mode, align_corners=align)
    else:
        out, factors = draw_pair(data, 1, 14, "out"), (None, None)
        y = R.interpolate(x, size=out, mode=mode, align_corners=align)
    if mode == "nearest":  # src = ⌊dst·in/out⌋, or ⌊dst/scale_factor⌋
        src = [
            [min(math.floor(i / f) if f else i * n // o, n - 1) for i in range(o)]
            for n, o, f in zip(hw, out, factors, strict=True)
        ]
        expected = np.array(
            [
                [[[x[a, b, r, q] for q in src[1]] for r in src[0]] for b in range(x.shape[1])]
                for a in range(x.shape[0])
            ]
        )
    else:
        expected = bilinear_loop(x, out, align, factors if not align else (None, None))
    close(y, expected)


@MANY
@given(st.data())
def test_linear_batch_norm_lrn(data):
    n, c = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 6))
    hw = draw_pair(data, 1, 4, "size")
    x = rand(data, (n, c, *hw))
    # linear over the last axis
    out = data.draw(st.integers(1, 4))
    w, b = rand(data, (out, hw[1])), rand(data, (out,))
    expected = np.array(
        [
            [
                [
                    [sum(x[i, j, r, q] * w[o, q] for q in range(hw[1])) + b[o] for o in range(out)]
                    for r in range(hw[0])
                ]
                for j in range(c)
            ]
            for i in range(n)
        ]
    )
    close(R.linear(x, w, b), expected)
    # batch norm, inference
    mean, var, gamma, beta = (
        rand(data, (c,)),
        rand(data, (c,)) ** 2,
        rand(data, (c,)),
        rand(data, (c,)),
    )
    eps = data.draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    expected = np.empty_like(x)
    for i in np.ndindex(*x.shape):
        ch = i[1]
        expected[i] = (x[i] - mean[ch]) / math.sqrt(var[ch] + eps) * gamma[ch] + beta[ch]
    close(R.batch_norm(x, mean, var, gamma, beta, eps=eps), expected)
    close(
        R.batch_norm(x, mean, var, eps=eps),
        (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + eps),
    )
    # local response norm: the channel window c − ⌊n/2⌋ .. c + ⌊(n−1)/2⌋, sum of squares / n
    size = data.draw(st.integers(1, 7), label="lrn size")
    alpha, beta_, k = (
        0.3,
        data.draw(st.sampled_from([0.5, 0.75])),
        data.draw(st.sampled_from([1.0, 2.0])),
    )
    expected = np.empty_like(x)
    for i in np.ndindex(*x.shape):
        lo, hi = i[1] - size // 2, i[1] + (size - 1) // 2
        sq = sum(x[i[0], ch, i[2], i[3]] ** 2 for ch in range(max(lo, 0), min(hi, c - 1) + 1))
        expected[i] = x[i] / (k + alpha * sq / size) ** beta_
    close(R.local_response_norm(x, size, alpha, beta_, k), expected)


def sigmoid_(v):
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


ELEMENTWISE = {
    "relu": lambda v: max(v, 0.0),
    "relu6": lambda v: min(max(v, 0.0), 6.0),
    "leaky_relu": lambda v: v if v > 0 else 0.01 * v,
    "sigmoid": sigmoid_,
    "tanh": math.tanh,
    "silu": lambda v: v * sigmoid_(v),
    "elu": lambda v: v if v > 0 else math.expm1(v),
    "hardswish": lambda v: v * min(max(v + 3, 0), 6) / 6,
    "hardsigmoid": lambda v: min(max(v + 3, 0), 6) / 6,
    "gelu": lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))),
    "dropout": lambda v: v,
    # softplus as log1p(e^v), or v + log1p(e^−v) where e^v would overflow
    "mish": lambda v: v * math.tanh(math.log1p(math.exp(v)) if v < 30 else v + math.log1p(
        math.exp(-v))),
    "identity": lambda v: v,
}


@MANY
@given(st.data())
def test_elementwise(data):
    x = rand(data, (data.draw(st.integers(1, 2)), 3, *draw_pair(data, 1, 5, "size")))
    x *= data.draw(st.sampled_from([1.0, 4.0, 40.0]), label="spread")
    for name, f in ELEMENTWISE.items():
        close(getattr(R, name)(x), np.vectorize(f)(x))
    close(R.stochastic_depth(x, 0.3, "row"), x)  # the identity at inference
    dim = data.draw(st.integers(0, 3), label="dim")
    moved = np.moveaxis(x, dim, -1)
    soft = np.empty_like(moved)
    logsoft = np.empty_like(moved)
    for i in np.ndindex(*moved.shape[:-1]):
        v = moved[i].tolist()
        m = max(v)
        z = math.fsum(math.exp(a - m) for a in v)
        soft[i] = [math.exp(a - m) / z for a in v]
        logsoft[i] = [a - m - math.log(z) for a in v]
    close(R.softmax(x, dim), np.moveaxis(soft, -1, dim))
    close(R.log_softmax(x, dim), np.moveaxis(logsoft, -1, dim))


@MANY
@given(st.data())
def test_layer_and_group_norm(data):
    n, groups = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3), label="groups")
    c = groups * data.draw(st.integers(1, 3), label="channels per group")
    hw = draw_pair(data, 1, 4, "size")
    x = rand(data, (n, c, *hw))
    gamma, beta = rand(data, (c,)), rand(data, (c,))
    eps = data.draw(st.sampled_from([1e-6, 1e-5, 0.1]))

    def normalised(values, i):
        """(values[i] − mean)/√(var + ε), the variance divided by the count (biased)."""
        mean = math.fsum(values) / len(values)
        var = math.fsum((v - mean) ** 2 for v in values) / len(values)
        return (values[i] - mean) / math.sqrt(var + eps)

    # layer norm over the last axis (torch's F.layer_norm with normalized_shape (W,)), γ and β
    # per feature
    g_w, b_w = rand(data, (hw[1],)), rand(data, (hw[1],))
    expected = np.empty_like(x)
    for i in np.ndindex(*x.shape):
        expected[i] = normalised(x[i[:-1]].tolist(), i[-1]) * g_w[i[-1]] + b_w[i[-1]]
    close(R.layer_norm(x, (hw[1],), g_w, b_w, eps), expected)
    # over the last two axes, no affine
    for i in np.ndindex(*x.shape):
        plane = x[i[0], i[1]].ravel().tolist()
        expected[i] = normalised(plane, i[2] * hw[1] + i[3])
    close(R.layer_norm(x, hw, eps=eps), expected)
    # group norm: each sample's group of c/groups channels, over its channels and positions
    per = c // groups
    for i in np.ndindex(*x.shape):
        g = i[1] // per
        block = x[i[0], g * per : (g + 1) * per].ravel().tolist()
        k = (i[1] - g * per) * hw[0] * hw[1] + i[2] * hw[1] + i[3]
        expected[i] = normalised(block, k) * gamma[i[1]] + beta[i[1]]
    close(R.group_norm(x, groups, gamma, beta, eps), expected)


@MANY
@given(st.data())
def test_channel_shuffle_chunk_layer_scale_and_padding(data):
    groups, per = data.draw(st.integers(1, 4), label="groups"), data.draw(st.integers(1, 4))
    c = groups * per
    x = rand(data, (data.draw(st.integers(1, 2)), c, *draw_pair(data, 1, 4, "size")))
    # shuffle: output channel j·groups + i is input channel i·per + j (ShuffleNet's Figure 1)
    expected = np.empty_like(x)
    for i in range(groups):
        for j in range(per):
            expected[:, j * groups + i] = x[:, i * per + j]
    close(R.channel_shuffle(x, groups), expected)
    # chunk: parts of ⌈c/chunks⌉ channels, in order, the last one the rest
    chunks = data.draw(st.integers(1, c + 1), label="chunks")
    size = -(-c // chunks)
    parts = R.chunk(x, chunks, 1)
    starts = list(range(0, c, size))
    assert len(parts) == len(starts)
    for part, start in zip(parts, starts, strict=True):
        close(part, x[:, start : start + size])
    # layer scale: γ_c·x
    gamma = rand(data, (c,))
    expected = np.empty_like(x)
    for i in np.ndindex(*x.shape):
        expected[i] = gamma[i[1]] * x[i]
    close(R.layer_scale(x, gamma.reshape(c, 1, 1)), expected)
    # zero padding, ((top, bottom), (left, right))
    (t, b), (left, r) = pads = tuple(
        tuple(data.draw(st.integers(0, 2)) for _ in range(2)) for _ in range(2)
    )
    h, w = x.shape[2:]
    expected = np.zeros((*x.shape[:2], h + t + b, w + left + r))
    for i in np.ndindex(*expected.shape):
        y, q = i[2] - t, i[3] - left
        if 0 <= y < h and 0 <= q < w:
            expected[i] = x[i[0], i[1], y, q]
    close(R.pad2d(x, pads), expected)


def test_erf_and_erfc_match_math_everywhere():
    z = np.concatenate([np.linspace(-9, 9, 9001), [0, 1e-300, 2.5, -2.5, 30, -np.inf, np.inf]])
    np.testing.assert_allclose(R.erf(z), [math.erf(v) for v in z], rtol=1e-15, atol=2e-15)
    np.testing.assert_allclose(R.erfc(z), [math.erfc(v) for v in z], rtol=1e-14, atol=2e-15)
    far = z[np.isfinite(z) & (z >= 2.5)]  # the tail keeps relative accuracy
    np.testing.assert_allclose(R.erfc(far), [math.erfc(v) for v in far], rtol=3e-14, atol=0)


# ---------------------------------------------------------------------------------------------
# fixed cases, by hand


def test_conv_all_ones_3x3_sums_each_neighbourhood():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    y = R.conv2d(x, np.ones((1, 1, 3, 3)), np.array([0.5]))
    # top-left window 0+1+2+4+5+6+8+9+10 = 45, each step right adds 3, each step down adds 12
    close(y, np.array([[[[45.5, 54.5], [81.5, 90.5]]]]))
    # padding 1: the corner sees 0+1+4+5 = 10
    assert R.conv2d(x, np.ones((1, 1, 3, 3)), padding=1)[0, 0, 0, 0] == 10


def test_conv_padding_forms():
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    w = np.ones((1, 1, 2, 2))
    # "same" with an even kernel pads 0 on the top/left, 1 on the bottom/right (torch)
    same = R.conv2d(x, w, padding="same")
    assert same.shape == (1, 1, 4, 5)
    assert same[0, 0, 3, 4] == 19  # bottom-right: only x[3, 4] = 19 is inside
    close(same, R.conv2d(x, w, padding=((0, 1), (0, 1))))
    # TensorFlow "same", stride 2, 3x3 on 4x5: pads (0, 1) rows, (1, 1) cols
    tf = R.conv2d(x, np.ones((1, 1, 3, 3)), stride=2, padding=((0, 1), (1, 1)))
    # rows 0..2 then 2..3; cols 0..1, 1..3, 3..4 (x[r, q] = 5r + q)
    top = [0 + 1 + 5 + 6 + 10 + 11, (1 + 2 + 3) * 3 + 5 * 9, (3 + 4) * 3 + 5 * 6]
    bottom = [10 + 11 + 15 + 16, (11 + 12 + 13) + (16 + 17 + 18), 13 + 14 + 18 + 19]
    close(tf, [[[top, bottom]]])
    assert R.conv2d(x, w, padding="valid").shape == (1, 1, 3, 4)
    # the kernel resolves a strided "same" itself (TensorFlow's rule), to the same numbers
    close(R.conv2d(x, np.ones((1, 1, 3, 3)), stride=2, padding="same"), [[[top, bottom]]])
    with pytest.raises(ValueError):
        R.conv2d(x, w, padding="full")


# TensorFlow's "same" by hand: output ⌈H/s⌉, total padding (⌈H/s⌉ − 1)·s + d(k−1)+1 − H (at
# least 0), the odd pixel after. (H, k, s, d) -> (before, after), output.
SAME_CASES = [
    ((225, 3, 2, 1), (1, 1), 113),  # 112·2 + 3 − 225 = 2
    ((224, 3, 2, 1), (0, 1), 112),  # 111·2 + 3 − 224 = 1: the odd pixel at the bottom
    ((7, 2, 2, 1), (0, 1), 4),  # 3·2 + 2 − 7 = 1
    ((5, 1, 2, 1), (0, 0), 3),  # 2·2 + 1 − 5 = 0
    ((12, 1, 5, 1), (0, 0), 3),  # 2·5 + 1 − 12 = −1: no padding, never negative
    ((11, 2, 5, 1), (0, 1), 3),  # 2·5 + 2 − 11 = 1
    ((6, 5, 1, 2), (4, 4), 6),  # dilated: d(k−1)+1 = 9, 5 + 9 − 6 = 8
    ((1, 3, 4, 1), (1, 1), 1),  # 0 + 3 − 1 = 2
    ((9, 4, 3, 1), (0, 1), 3),  # 2·3 + 4 − 9 = 1
]


@pytest.mark.parametrize(("case", "pads", "out"), SAME_CASES)
def test_same_padding_is_resolved_by_the_kernels(case, pads, out):
    from cnncalc.reference._common import resolve_padding

    h, k, s, d = case
    assert resolve_padding("same", (h, 3), (k, 1), (s, 1), (d, 1))[0] == pads
    x = np.ones((1, 1, h, 3))
    y = R.conv2d(x, np.ones((1, 1, k, 1)), stride=(s, 1), padding="same", dilation=(d, 1))
    assert y.shape[2] == out
    assert R.max_pool2d(x, (k, 1), (s, 1), "same", (d, 1)).shape[2] == out
    if d == 1:
        assert R.avg_pool2d(x, (k, 1), (s, 1), "same").shape[2] == out


def test_same_pooling_pads_at_the_bottom_right():
    x = np.arange(25.0).reshape(1, 1, 5, 5)  # x[r, q] = 5r + q
    # 2x2 stride 2 on 5: ⌈5/2⌉ = 3, total 2·2 + 2 − 5 = 1 → (0, 1): the last window is row/col 4
    y = R.max_pool2d(x, 2, 2, "same")
    close(y[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    close(y, R.max_pool2d(x, 2, 2, ((0, 1), (0, 1))))
    _, idx = R.max_pool2d(x, 2, 2, "same", return_indices=True)
    np.testing.assert_array_equal(idx[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    # 3x3 stride 2 on 5: total 2·2 + 3 − 5 = 2 → (1, 1); the corner window holds 2x2 real pixels
    ones = np.ones((1, 1, 5, 5))
    avg = R.avg_pool2d(ones, 3, 2, "same")
    close(avg[0, 0, 0], [4 / 9, 2 / 3, 4 / 9])
    close(R.avg_pool2d(ones, 3, 2, "same", count_include_pad=False), np.ones((1, 1, 3, 3)))
    # asymmetric explicit padding: 1 row on top, none at the bottom; 2x2 stride 2 on 4 → 2 rows
    # (⌊(4 + 1 − 2)/2⌋ + 1), windows rows [−1, 1) and [1, 3)
    close(R.max_pool2d(x[:, :, :4, :4], 2, 2, ((1, 0), (0, 0)))[0, 0], [[1, 3], [11, 13]])
    # max_unpool2d puts them back given the size; "same" without one is refused
    y, idx = R.max_pool2d(x, 2, 2, "same", return_indices=True)
    back = R.max_unpool2d(y, idx, 2, 2, "same", output_size=(5, 5))
    assert back.shape == (1, 1, 5, 5) and back[0, 0, 4, 4] == 24 and back[0, 0, 0, 0] == 0
    with pytest.raises(ValueError):
        R.max_unpool2d(y, idx, 2, 2, "same")


def test_kernels_count_the_multiply_accumulates_they_perform():
    from cnncalc.reference._common import count_macs

    x = np.ones((1, 3, 7, 7))
    with count_macs() as c:
        R.conv2d(x, np.ones((8, 3, 3, 3)), stride=2, padding="same")  # 8x4x4 out, 3·3·3 each
    assert c.macs == 8 * 4 * 4 * 27
    with count_macs() as c:
        R.conv2d(x, np.ones((6, 1, 3, 3)), groups=3)  # 6x5x5 out, each over 1·3·3 inputs
        R.conv_transpose2d(x, np.ones((3, 2, 2, 2)), stride=2)  # every input meets 2·2·2 taps
        R.linear(np.ones((2, 10)), np.ones((4, 10)))  # 2 rows · 10 · 4
    assert c.macs == 6 * 25 * 9 + 3 * 49 * 8 + 2 * 10 * 4
    R.conv2d(x, np.ones((8, 3, 3, 3)))  # outside a count: nothing recorded, nothing kept
    with count_macs() as c:
        R.max_pool2d(x, 2)
    assert c.macs == 0


def test_grouped_and_depthwise_conv():
    x = np.stack([np.full((3, 3), c + 1.0) for c in range(4)])[None]  # channel c holds c + 1
    dw = R.conv2d(x, np.ones((4, 1, 3, 3)), groups=4)
    close(dw.ravel(), [9.0, 18.0, 27.0, 36.0])
    g2 = R.conv2d(x, np.ones((2, 2, 1, 1)), groups=2)  # (1 + 2), (3 + 4)
    close(g2[0, :, 0, 0], [3.0, 7.0])


def test_conv_transpose_stride_2_spreads_each_input():
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = R.conv_transpose2d(x, np.ones((1, 1, 2, 2)), stride=2)
    close(y[0, 0], np.kron([[1.0, 2.0], [3.0, 4.0]], np.ones((2, 2))))
    # 3x3 stride 2 padding 1 output_padding 1 doubles the size: (2−1)·2 − 2 + 2 + 1 + 1 = 4
    assert R.conv_transpose2d(x, np.ones((1, 1, 3, 3)), None, 2, 1, 1).shape == (1, 1, 4, 4)


def test_max_pool_ties_ceil_mode_and_indices():
    x = np.ones((1, 1, 5, 5))
    y, idx = R.max_pool2d(x, 2, 2, ceil_mode=True, return_indices=True)
    assert y.shape == (1, 1, 3, 3)  # ⌈(5 − 2)/2⌉ + 1 = 3, the last window starts at 4 < 5
    np.testing.assert_array_equal(idx[0, 0], [[0, 2, 4], [10, 12, 14], [20, 22, 24]])  # first max
    # the last window would start in the right padding: dropped (⌈(4 + 2 − 2)/2⌉ + 1 = 3 → 2)
    assert R.max_pool2d(np.ones((1, 1, 4, 4)), 2, 2, 1, ceil_mode=True).shape == (1, 1, 3, 3)
    assert R.max_pool2d(np.ones((1, 1, 3, 3)), 2, 2, 1, ceil_mode=True).shape == (1, 1, 2, 2)


def test_avg_pool_divisor_in_ceil_mode_windows():
    x = np.ones((1, 1, 6, 6))
    # k=3, s=2, p=1, ceil on 6: ⌈(6 + 2 − 3)/2⌉ + 1 = 4 windows per axis, starting at −1, 1, 3, 5.
    # The padded input is [−1, 7): the first window holds 2 real + 1 padding (2/3); the last,
    # [5, 8), runs past it, so count_include_pad divides by the clipped 2, not 3: 1/2.
    y = R.avg_pool2d(x, 3, 2, 1, ceil_mode=True)
    axis = np.array([2 / 3, 1, 1, 1 / 2])
    close(y[0, 0], np.outer(axis, axis))
    close(R.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), np.ones((1, 1, 4, 4)))
    # k=2, s=2, p=0, ceil on 5: the last window [4, 6) holds one pixel and is divided by 1, not 2
    close(R.avg_pool2d(np.ones((1, 1, 5, 5)), 2, 2, 0, ceil_mode=True)[0, 0, 2, 2], 1.0)
    close(R.avg_pool2d(x, 3, 2, 1, divisor_override=2)[0, 0, 0, 0], 2.0)


def test_adaptive_bins_overlap():
    x = np.arange(5.0).reshape(1, 1, 1, 5)
    # 5 → 3: bins [0, 2), [1, 4), [3, 5)
    close(R.adaptive_avg_pool2d(x, (1, 3))[0, 0, 0], [0.5, 2.0, 3.5])
    close(R.adaptive_max_pool2d(x, (1, 3))[0, 0, 0], [1.0, 3.0, 4.0])
    assert R.adaptive_avg_pool2d(np.ones((1, 2, 7, 7)), (None, 1)).shape == (1, 2, 7, 1)


def test_nearest_rounds_like_torch_kernels():
    # torch's kernel for Ho + Wo <= 128 keeps scale = in/out in float32, and 41·float32(2/82) < 1:
    # output 41 reads input 0, where the exact ⌊41·2/82⌋ is 1. Larger outputs compute in the
    # input's dtype and round to float32 before the floor: 2 → 164 maps output 82 to input 1.
    x = np.array([[[[10.0, 20.0]]]])
    assert R.interpolate(x, size=(1, 82))[0, 0, 0, 41] == 10.0
    assert R.interpolate(x, size=(1, 164))[0, 0, 0, 82] == 20.0
    close(R.interpolate(x, size=(1, 4))[0, 0, 0], [10, 10, 20, 20])
    close(R.interpolate(x, size=(1, 3), mode="nearest-exact")[0, 0, 0], [10, 20, 20])


def test_roi_pool_rounds_half_away_and_empty_bins_are_zero():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    # x1 = 0.5 → 1, y1 = 0.5 → 1, x2 = y2 = 2.5 → 3: rows/cols 1..3, bins 1.5 wide
    y = R.roi_pool(x, np.array([[0, 0.5, 0.5, 2.5, 2.5]]), (2, 2))
    close(y[0, 0], [[10.0, 11.0], [14.0, 15.0]])
    # a box outside the image: every bin empty → 0
    close(R.roi_pool(x, np.array([[0, 10, 10, 12, 12]]), 2), np.zeros((1, 1, 2, 2)))
    # list-of-boxes form, one (K_i, 4) array per image
    close(R.roi_pool(x, [np.array([[0.5, 0.5, 2.5, 2.5]])], (2, 2)), y)


def test_lrn_divides_by_size_even_at_the_edges():
    x = np.ones((1, 2, 1, 1))
    # size 5: channel 0 sees channels 0, 1 → (1 + 1·2/5)^1 = 1.4
    close(R.local_response_norm(x, 5, alpha=1.0, beta=1.0, k=1.0).ravel(), [1 / 1.4, 1 / 1.4])


@pytest.mark.parametrize(
    "call",
    [
        lambda x: R.conv2d(x, np.ones((2, 3, 3, 3), np.float32), np.ones(2, np.float32), 2, 1),
        lambda x: R.conv2d(x, np.ones((3, 1, 1, 1), np.float32), groups=3),
        lambda x: R.conv_transpose2d(x, np.ones((3, 2, 3, 3), np.float32), None, 2, 1, 1),
        lambda x: R.max_pool2d(x, 3, 2, 1, ceil_mode=True),
        lambda x: R.max_pool2d(x, 2, return_indices=True)[0],
        lambda x: R.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
        lambda x: R.adaptive_avg_pool2d(x, 3),
        lambda x: R.adaptive_max_pool2d(x, 3),
        lambda x: R.linear(x, np.ones((4, 8), np.float32), np.ones(4, np.float32)),
        lambda x: R.batch_norm(x, np.zeros(3), np.ones(3), np.ones(3), np.zeros(3)),
        lambda x: R.local_response_norm(x, 3),
        lambda x: R.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False),
        lambda x: R.interpolate(x, size=(5, 9)),
        lambda x: R.roi_pool(x, np.array([[0, 1, 1, 5, 5]]), 2),
        *[lambda x, f=f: getattr(R, f)(x) for f in ELEMENTWISE],
        lambda x: R.softmax(x, 1),
        lambda x: R.log_softmax(x, 1),
        lambda x: R.layer_norm(x, (8,), np.ones(8), np.zeros(8)),
        lambda x: R.group_norm(x, 3, np.ones(3), np.zeros(3)),
        lambda x: R.channel_shuffle(x, 3),
        lambda x: R.chunk(x, 2, 1)[1],
        lambda x: R.layer_scale(x, np.ones((3, 1, 1))),
    ],
)
def test_float32_in_float32_out(call):
    x = np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32)
    assert call(x).dtype == np.float32
