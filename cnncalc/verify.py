"""`cnncalc verify`: run the network for real with the NumPy reference kernels and check every
predicted shape and parameter count against what the computation produces.

Weights are allocated from each layer's torch-style tensor shapes, taken from the tensor that
actually arrives (not from the engine's prediction), and the allocated arrays are what the
parameter check counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import analyze_architecture
from .errors import CnnCalcError, SpecError
from .layers.base import Layer
from .nodes import Architecture
from .report import Report


@dataclass(frozen=True, slots=True)
class Check:
    path: str
    type: str
    predicted_shape: tuple[int, ...]
    computed_shape: tuple[int, ...] | None
    predicted_params: int
    allocated_params: int
    error: str = ""

    @property
    def ok(self) -> bool:
        return (
            not self.error
            and self.predicted_shape == self.computed_shape
            and self.predicted_params == self.allocated_params
        )


@dataclass(frozen=True)
class Verification:
    report: Report
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)


class NumpyRunner:
    """Allocates weights (He-scaled normal) and runs each layer's reference computation."""

    def __init__(self, seed: int, dtype: Any = np.float32, tick: Callable[[], None] | None = None):
        self.rng = np.random.default_rng(seed)
        self.dtype = dtype
        self.tick = tick
        self.records: list[tuple[tuple[int, ...] | None, int, str]] = []

    def leaf(self, layer: Layer, x: Any, path: str) -> Any:
        if x is None:  # an earlier layer failed: nothing to compute
            self.records.append((None, 0, "not run: an earlier layer failed"))
            return None
        shape = tuple(int(d) for d in x.shape[1:])
        weights: dict[str, Any] = {}
        allocated = 0
        try:
            for name, dims in layer.weight_shapes(shape).items():
                fan_in = math.prod(dims[1:]) if len(dims) > 1 else 1
                scale = math.sqrt(2.0 / fan_in) if len(dims) > 1 else 0.1
                weights[name] = (self.rng.standard_normal(dims) * scale).astype(self.dtype)
                allocated += weights[name].size
            for name, dims in layer.buffer_shapes(shape).items():
                weights[name] = (
                    np.ones(dims, self.dtype) if name.endswith("var") else np.zeros(dims, self.dtype)
                )
            y = layer.forward(x, weights)
        except Exception as exc:  # noqa: BLE001  (a kernel refusing the input is a finding)
            self.records.append((None, allocated, f"{type(exc).__name__}: {exc}"))
            self._tick()
            return None
        self.records.append((tuple(int(d) for d in y.shape[1:]), allocated, ""))
        self._tick()
        return y

    def merge(self, kind: str, xs: list[Any], path: str) -> Any:
        if any(x is None for x in xs):
            self.records.append((None, 0, "not run: an earlier layer failed"))
            return None
        try:
            y = np.concatenate(xs, axis=1) if kind == "concat" else sum(xs[1:], xs[0])
        except ValueError as exc:
            self.records.append((None, 0, f"{kind}: {exc}"))
            return None
        self.records.append((tuple(int(d) for d in y.shape[1:]), 0, ""))
        self._tick()
        return y

    def _tick(self) -> None:
        if self.tick is not None:
            self.tick()


def verify(
    arch: Architecture,
    input: tuple[Any, ...] | None = None,
    bindings: dict[str, int] | None = None,
    seed: int = 0,
    dtype: Any = np.float32,
    tick: Callable[[], None] | None = None,
) -> Verification:
    """Analyse `arch`, then execute it on a random input of the stated shape and compare."""
    predicted = analyze_architecture(arch, input, bindings)
    if predicted.symbolic:
        raise SpecError(
            f"verify runs the network for real and needs numbers: bind "
            f"{', '.join(predicted.symbols)} with --set or --input"
        )
    runner = NumpyRunner(seed, dtype, tick)
    x = runner.rng.standard_normal((1, *predicted.input)).astype(dtype)
    try:
        report = analyze_architecture(arch, input, bindings, runner=runner, x=x)
    except CnnCalcError:
        raise
    checks = tuple(
        Check(
            path=row.path,
            type=row.type,
            predicted_shape=tuple(row.output),
            computed_shape=computed,
            predicted_params=row.params,
            allocated_params=allocated,
            error=error,
        )
        for row, (computed, allocated, error) in zip(report.rows, runner.records, strict=True)
    )
    return Verification(report, checks)
