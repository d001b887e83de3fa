"""Inference-mode normalisation: batch norm and local response norm."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._common import _float


def batch_norm(
    x: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> np.ndarray:
    """Inference: y = (x − μ_c)/√(σ²_c + ε)·γ_c + β_c over channel axis 1."""
    if training:
        raise NotImplementedError("batch_norm is implemented for inference only")
    x = _float(x)
    shape = (-1,) + (1,) * (x.ndim - 2)  # broadcast over channel axis 1
    scale = 1 / np.sqrt(np.asarray(running_var, x.dtype) + x.dtype.type(eps))
    if weight is not None:
        scale = scale * np.asarray(weight, x.dtype)
    y = (x - np.asarray(running_mean, x.dtype).reshape(shape)) * scale.reshape(shape)
    return y if bias is None else y + np.asarray(bias, x.dtype).reshape(shape)


def local_response_norm(
    x: Any, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> np.ndarray:
    """y_c = x_c / (k + α/n · Σ x_{c'}²)^β over c' = c − ⌊n/2⌋ .. c + ⌊(n−1)/2⌋, zero outside
    the channels (torch divides by the size n, whatever the number of channels in range)."""
    x = _float(x)
    sq = np.pad(x * x, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (x.ndim - 2))
    win = sliding_window_view(sq, size, axis=1)  # (N, C, ..., size)
    return x / (k + alpha * win.sum(axis=-1) / size) ** beta
