"""Merges of several tensors (NCHW): concatenation along channels, sum, and product with torch's
broadcasting rule, checked here on the shapes themselves (not left to NumPy's own rule)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import _float


def broadcast_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """torch.broadcast_shapes: align on the last axis; along each axis the sizes are equal or 1
    (a missing leading axis counts as 1); the result takes the size that is not 1."""
    rank = max(len(s) for s in shapes)
    out = []
    for axis in range(rank):
        sizes = {s[len(s) - rank + axis] for s in shapes if len(s) - rank + axis >= 0} - {1}
        if len(sizes) > 1:
            raise ValueError(f"shapes {' and '.join(map(str, shapes))} do not broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def cat(xs: list[Any]) -> np.ndarray:
    """torch.cat(xs, dim=1)."""
    return np.concatenate([_float(x) for x in xs], axis=1)


def add(xs: list[Any]) -> np.ndarray:
    """x₀ + x₁ + …, equal shapes."""
    if len({np.shape(x) for x in xs}) > 1:
        raise ValueError(f"add of unequal shapes {', '.join(str(np.shape(x)) for x in xs)}")
    return sum((_float(x) for x in xs[1:]), _float(xs[0]))


def mul(xs: list[Any]) -> np.ndarray:
    """x₀ · x₁ · …, each input repeated along its axes of size 1 (torch's broadcasting)."""
    out_shape = broadcast_shape(*(tuple(np.shape(x)) for x in xs))
    y = np.broadcast_to(_float(xs[0]), out_shape).copy()
    for x in xs[1:]:
        y *= np.broadcast_to(_float(x), out_shape)
    return y
