"""Channel permutation and selection: ShuffleNet's channel shuffle, torch.chunk, per-channel
scaling (ConvNeXt's layer scale). Nothing here computes across positions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import _float


def channel_shuffle(x: Any, groups: int) -> np.ndarray:
    """torch.nn.functional.channel_shuffle: channels viewed as (groups, C/groups), transposed,
    flattened: output channel j·groups + i is input channel i·(C/groups) + j."""
    x = _float(x)
    n, c = x.shape[:2]
    if c % groups:
        raise ValueError(f"channel_shuffle: {c} channels are not divisible by {groups} groups")
    y = x.reshape(n, groups, c // groups, *x.shape[2:]).swapaxes(1, 2)  # (N, C/g, g, ...)
    return y.reshape(x.shape)


def chunk(x: Any, chunks: int, dim: int = 0) -> list[np.ndarray]:
    """torch.chunk: pieces of ⌈n/chunks⌉ along dim, the last one smaller when n does not divide
    (so there may be fewer than `chunks` pieces)."""
    x = _float(x)
    n = x.shape[dim]
    size = -(-n // chunks)
    return [
        np.take(x, np.arange(start, min(start + size, n)), axis=dim)
        for start in range(0, n, size)
    ]


def layer_scale(x: Any, gamma: Any) -> np.ndarray:
    """γ_c · x over channel axis 1 (ConvNeXt: `self.layer_scale * x`, γ of shape (C, 1, 1))."""
    x = _float(x)
    g = np.asarray(gamma, x.dtype).reshape((-1,) + (1,) * (x.ndim - 2))
    return x * g
