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


def layer_norm(
    x: Any, normalized_shape: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5
) -> np.ndarray:
    """torch.nn.functional.layer_norm: over the last len(normalized_shape) axes,
    y = (x − mean)/√(var + ε)·γ + β, the variance biased (divided by the count)."""
    x = _float(x)
    dims = (normalized_shape,) if np.ndim(normalized_shape) == 0 else tuple(normalized_shape)
    axes = tuple(range(x.ndim - len(dims), x.ndim))
    if tuple(x.shape[x.ndim - len(dims):]) != tuple(int(d) for d in dims):
        raise ValueError(f"layer_norm over {dims} of an input shaped {x.shape}")
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + x.dtype.type(eps))
    if weight is not None:
        y = y * np.asarray(weight, x.dtype)
    return y if bias is None else y + np.asarray(bias, x.dtype)


def group_norm(
    x: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5
) -> np.ndarray:
    """torch.nn.functional.group_norm: the channels split into num_groups groups, each sample's
    group normalised over its channels and positions, y = (x − mean)/√(var + ε)·γ_c + β_c."""
    x = _float(x)
    n, c = x.shape[:2]
    if c % num_groups:
        raise ValueError(f"group_norm: {c} channels are not divisible by {num_groups} groups")
    g = x.reshape(n, num_groups, -1)  # (N, G, C/G·H·W)
    mean = g.mean(axis=2, keepdims=True)
    var = ((g - mean) ** 2).mean(axis=2, keepdims=True)
    y = ((g - mean) / np.sqrt(var + x.dtype.type(eps))).reshape(x.shape)
    shape = (-1,) + (1,) * (x.ndim - 2)  # per channel
    if weight is not None:
        y = y * np.asarray(weight, x.dtype).reshape(shape)
    return y if bias is None else y + np.asarray(bias, x.dtype).reshape(shape)
