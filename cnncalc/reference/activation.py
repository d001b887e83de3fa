"""Element-wise activations (dtype kept), softmax, erf, and dropout at inference."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._common import _float


def relu(x: Any) -> np.ndarray:
    """max(x, 0)."""
    return np.maximum(_float(x), 0)


def relu6(x: Any) -> np.ndarray:
    """min(max(x, 0), 6)."""
    return np.clip(_float(x), 0, 6)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> np.ndarray:
    """x if x > 0 else slope·x."""
    x = _float(x)
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def sigmoid(x: Any) -> np.ndarray:
    """1/(1 + e^−x), as e^x/(1 + e^x) for x < 0 so that nothing overflows."""
    x = _float(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def tanh(x: Any) -> np.ndarray:
    """tanh(x)."""
    return np.tanh(_float(x))


def silu(x: Any) -> np.ndarray:
    """x·σ(x)."""
    return _float(x) * sigmoid(x)


def elu(x: Any, alpha: float = 1.0) -> np.ndarray:
    """x if x > 0 else α(eˣ − 1)."""
    x = _float(x)
    return np.where(x > 0, x, x.dtype.type(alpha) * np.expm1(np.minimum(x, 0)))


def hardswish(x: Any) -> np.ndarray:
    """x·min(max(x + 3, 0), 6)/6."""
    x = _float(x)
    return x * np.clip(x + 3, 0, 6) / 6


def hardsigmoid(x: Any) -> np.ndarray:
    """relu6(x + 3)/6 = min(max(x + 3, 0), 6)/6."""
    x = _float(x)
    return np.clip(x + 3, 0, 6) / 6


def softmax(x: Any, dim: int) -> np.ndarray:
    """exp(x − max)/Σ exp(x − max) along dim."""
    x = _float(x)
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax(x: Any, dim: int) -> np.ndarray:
    """x − max − log Σ exp(x − max) along dim."""
    x = _float(x)
    z = x - x.max(axis=dim, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


def _erf_series(z: np.ndarray) -> np.ndarray:
    """erf(z) = 2/√π · e^(−z²) · Σₙ 2ⁿ z^(2n+1) / (1·3···(2n+1)) for |z| < 2.5: every term has
    the sign of z (no cancellation), and 50 terms reach 1e−17 of the sum at |z| = 2.5."""
    z2 = z * z
    term, total = z.copy(), z.copy()
    for n in range(1, 50):
        term *= 2 * z2 / (2 * n + 1)
        total += term
    return 2 / math.sqrt(math.pi) * np.exp(-z2) * total


def _erfc_fraction(z: np.ndarray) -> np.ndarray:
    """erfc(z) = e^(−z²)/√π · 1/(z + ½/(z + 1/(z + 3⁄2/(z + ...)))) for z ≥ 2.5, 40 levels deep
    (the fraction itself is good to 1e−15 relative there)."""
    frac = z.copy()
    for k in range(40, 0, -1):
        frac = z + (k / 2) / frac
    return np.exp(-z * z) / math.sqrt(math.pi) / frac


def erf(x: Any) -> np.ndarray:
    """erf(z) in float64, within 2e−15 of math.erf: the series below |z| = 2.5, else
    sign(z)·(1 − erfc(|z|)) from the continued fraction."""
    z = np.asarray(x, np.float64)
    near = np.abs(z) < 2.5
    out = np.empty_like(z)
    out[near] = _erf_series(z[near])
    out[~near] = np.sign(z[~near]) * (1 - _erfc_fraction(np.abs(z[~near])))
    return out


def erfc(x: Any) -> np.ndarray:
    """erfc(z) = 1 − erf(z) in float64: 2e−15 absolute below |z| = 2.5; above, about z²·1e−16
    relative (the rounding of z² inside e^(−z²)), where 1 − erf(z) would lose every digit."""
    z = np.asarray(x, np.float64)
    near = np.abs(z) < 2.5
    out = np.empty_like(z)
    out[near] = 1 - _erf_series(z[near])
    tail = _erfc_fraction(np.abs(z[~near]))
    out[~near] = np.where(z[~near] > 0, tail, 2 - tail)
    return out


def gelu(x: Any, approximate: str = "none") -> np.ndarray:
    """x·Φ(x) = x/2 · (1 + erf(x/√2)), computed in float64;
    approximate="tanh": x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³)))."""
    x = _float(x)
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return (0.5 * x * erfc(-x / math.sqrt(2))).astype(x.dtype)  # 1 + erf(t) = erfc(−t)


def dropout(x: Any, p: float = 0.5, training: bool = False) -> np.ndarray:
    """Identity at inference."""
    if training:
        raise NotImplementedError("dropout is implemented for inference only")
    return _float(x)


def stochastic_depth(x: Any, p: float, mode: str, training: bool = False) -> np.ndarray:
    """torchvision.ops.stochastic_depth: the identity at inference (and when p = 0)."""
    if training and p > 0:
        raise NotImplementedError("stochastic_depth is implemented for inference only")
    if mode not in ("row", "batch"):
        raise ValueError(f"mode must be row or batch, got {mode!r}")
    return _float(x)


def mish(x: Any) -> np.ndarray:
    """x·tanh(softplus(x)), softplus(x) = log(1 + eˣ) computed as logaddexp(0, x) (no overflow)."""
    x = _float(x)
    return x * np.tanh(np.logaddexp(x.dtype.type(0), x))


def identity(x: Any) -> np.ndarray:
    """x itself (torch.nn.Identity)."""
    return _float(x)
