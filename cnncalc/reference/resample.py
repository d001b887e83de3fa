"""Resizing: nearest, nearest-exact and bilinear interpolation with torch's index rules."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._common import Pair, _float, _pair


def _src_scale(n: int, o: int, scale_factor: float | None) -> float:
    """torch's compute_scales_value: 1/scale_factor when one was given, else in/out."""
    return 1.0 / scale_factor if scale_factor else n / o


def _nearest_index(
    n: int, o: int, f: float | None, exact: bool, small: bool, dt: type
) -> np.ndarray:
    """Source index of each output index for nearest (⌊dst·scale⌋) or nearest-exact
    (⌊(dst + ½)·scale⌋), rounded as torch's CPU kernels round them.

    torch (2.x, contiguous NCHW) picks the kernel by output size. If Ho + Wo ≤ 128 (small), the
    scale is float32 (nearest: float32 product; nearest-exact: double product), with shortcuts
    for out = in and out = 2·in. Otherwise it computes in the input's dtype (nearest-exact as
    max((dst + ½)·scale − ½, 0) + ½) and rounds to float32 before the floor (floorf). The two
    differ at exact multiples: 2 → 82 maps output 41 to input 0, 2 → 164 maps output 82 to 1.
    """
    dst = np.arange(o)
    if small:
        if not exact and o in (n, 2 * n):
            return dst if o == n else dst >> 1
        scale = np.float32(1.0 / f) if f else np.float32(n) / np.float32(o)
        src = (dst + 0.5) * np.float64(scale) if exact else dst.astype(np.float32) * scale
    else:
        scale = dt(1.0 / f) if f else dt(n) / dt(o)
        src = dst.astype(dt) * scale
        if exact:  # scale·(dst + ½) − ½ is compiled to a fused multiply-add: one rounding
            fma = (dst.astype(dt) + dt(0.5)).astype(np.float64) * np.float64(scale) - 0.5
            src = np.maximum(fma.astype(dt), 0) + 0.5
    return np.minimum(np.floor(src.astype(np.float32)).astype(int), n - 1)


def interpolate(
    x: Any,
    size: Pair | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
) -> np.ndarray:
    """Resize the last two axes, torch semantics.

    Output size: size, or ⌊H·scale_factor⌋; scale = in/out, or 1/scale_factor when given.
    nearest: src = min(⌊dst·scale⌋, H − 1); nearest-exact: min(⌊(dst + ½)·scale⌋, H − 1), both
    rounded as torch rounds them (see _nearest_index). bilinear: src =
    dst·(H−1)/(Ho−1) with align_corners, else max(0, (dst + ½)·scale − ½); weights 1 − λ and λ
    on ⌊src⌋ and min(⌊src⌋ + 1, H − 1); an axis whose size does not change is copied (torch
    2.x's CPU kernel: 2 → ⌊2·1.3⌋ = 2 is the identity, not a resampling at 1/1.3).
    """
    x = _float(x)
    shape = x.shape[2:]
    out: tuple[int, ...]
    factors: tuple[float | None, ...]
    if size is not None:
        out, factors = _pair(size), (None, None)
    elif scale_factor is None:
        raise ValueError("interpolate needs size or scale_factor")  # as torch says
    else:
        each: Any = (scale_factor,) * 2 if np.ndim(scale_factor) == 0 else scale_factor
        factors = tuple(float(f) for f in each)
        out = tuple(int(math.floor(n * f)) for n, f in zip(shape, factors, strict=True))
        if recompute_scale_factor:
            factors = (None, None)
    if mode in ("nearest", "nearest-exact"):
        if align_corners:
            raise ValueError("align_corners applies to bilinear only")
        small, exact = sum(out) <= 128, mode == "nearest-exact"
        idx = [
            _nearest_index(n, o, f, exact, small, x.dtype.type)
            for n, o, f in zip(shape, out, factors, strict=True)
        ]
        return x[:, :, idx[0][:, None], idx[1]]  # (N, C, Ho, Wo)
    if mode != "bilinear":
        raise ValueError(f"mode {mode!r} is not implemented (nearest, nearest-exact, bilinear)")
    y = x
    for axis, (n, o, f) in enumerate(zip(shape, out, factors, strict=True)):
        if o == n:  # torch keeps an axis whose size does not change, whatever scale_factor says
            continue
        dst = np.arange(o, dtype=np.float64)
        if align_corners:
            src = dst * ((n - 1) / (o - 1) if o > 1 else 0.0)
        else:
            src = np.maximum((dst + 0.5) * _src_scale(n, o, f) - 0.5, 0.0)
        i0 = src.astype(int)
        i1 = np.minimum(i0 + 1, n - 1)
        lam = np.clip(src - i0, 0, 1).astype(x.dtype)
        lam = lam[:, None] if axis == 0 else lam
        a, b = (np.take(y, i, axis=2 + axis) for i in (i0, i1))  # one axis resized at a time
        y = (1 - lam) * a + lam * b
    return y  # (N, C, Ho, Wo)
