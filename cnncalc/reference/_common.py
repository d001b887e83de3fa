"""Shared helpers: argument normalisation, padding resolution, the strided window view, and the
count of multiply-accumulates the kernels perform."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

Pair = int | Sequence[int]
Pads = tuple[tuple[int, int], tuple[int, int]]


def _float(x: Any) -> np.ndarray:
    """x as a float array: float32/float64 kept, anything else becomes float64."""
    x = np.asarray(x)
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


def _pair(v: Pair) -> tuple[int, int]:
    if np.ndim(v) == 0:
        return int(v), int(v)  # type: ignore[arg-type]
    a, b = v  # type: ignore[misc]
    return int(a), int(b)


def _pads(padding: Any) -> Pads:
    """p, (ph, pw) or ((top, bottom), (left, right)) -> ((top, bottom), (left, right))."""
    if np.ndim(padding) == 0:
        p = int(padding)
        return (p, p), (p, p)
    ph, pw = padding
    return tuple((int(p), int(p)) if np.ndim(p) == 0 else (int(p[0]), int(p[1])) for p in (ph, pw))  # type: ignore[return-value]


def resolve_padding(
    padding: Any, size: Sequence[int], k: tuple[int, int], s: tuple[int, int], d: tuple[int, int]
) -> Pads:
    """A layer's padding argument as ((top, bottom), (left, right)) for an input of `size` (H, W).

    "valid": none. "same": TensorFlow's rule, per axis total = max((⌈H/s⌉ − 1)·s + d(k−1)+1 − H, 0),
    ⌊total/2⌋ before and the odd pixel after (bottom/right), so the output is ⌈H/s⌉; at stride 1
    this is torch's padding="same". Otherwise p, (ph, pw) or ((top, bottom), (left, right)).
    Resolved here from the real input size, independently of cnncalc's own shape formulas.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(f"padding must be 'same', 'valid' or numbers, not {padding!r}")
        pads = []
        for n, kk, ss, dd in zip(size, k, s, d, strict=True):
            total = max((-(-n // ss) - 1) * ss + dd * (kk - 1) + 1 - n, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)  # type: ignore[return-value]
    return _pads(padding)


class MacCount:
    """Multiply-accumulates performed inside count_macs(): the inner products of the matmuls of
    conv2d, conv_transpose2d and linear, counted from the real operands' shapes."""

    def __init__(self) -> None:
        self.macs = 0


_COUNTS: list[MacCount] = []


@contextmanager
def count_macs() -> Iterator[MacCount]:
    """`with count_macs() as c: ...` then c.macs: every matmul a kernel runs inside adds
    (rows of A)·(inner dimension)·(columns of B), summed over the stacked batch."""
    count = MacCount()
    _COUNTS.append(count)
    try:
        yield count
    finally:
        _COUNTS.remove(count)


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.matmul, counting its multiply-accumulates: a (..., m, k) @ b (..., k, n) does
    batch·m·k·n of them, batch the broadcast product of the leading axes."""
    y = np.matmul(a, b)
    if _COUNTS:
        inner = a.shape[-1]
        done = int(np.prod(y.shape, dtype=np.int64)) * inner
        for count in _COUNTS:
            count.macs += done
    return y


def pad2d(x: np.ndarray, padding: Any, value: float = 0.0) -> np.ndarray:
    """Constant padding of the last two axes; padding is p, (ph, pw) or ((t, b), (l, r))."""
    (t, b), (left, r) = _pads(padding)
    if t == b == left == r == 0:
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [(t, b), (left, r)]
    return np.pad(x, widths, constant_values=value)  # (..., H + t + b, W + l + r)


def _windows(
    x: np.ndarray, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int], out: tuple[int, int]
) -> np.ndarray:
    """Read-only view (N, C, Ho, Wo, kh, kw) of x (N, C, Hp, Wp), no copy:
    view[.., i, j, a, b] = x[.., i·sh + a·dh, j·sw + b·dw]; needs (Ho−1)·s + d·(k−1) < Hp."""
    assert all(
        (o - 1) * st + dd * (kk - 1) < n
        for o, st, dd, kk, n in zip(out, s, d, k, x.shape[2:], strict=True)
    )
    sn, sc, sh, sw = x.strides
    shape = (*x.shape[:2], *out, *k)
    strides = (sn, sc, sh * s[0], sw * s[1], sh * d[0], sw * d[1])
    return as_strided(x, shape, strides, writeable=False)  # (N, C, Ho, Wo, kh, kw)
