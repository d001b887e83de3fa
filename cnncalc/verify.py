"""`cnncalc verify`: run the network for real with the NumPy reference kernels and check every
predicted shape, parameter count, buffer count and MAC count against what the computation
produces.

Weights are allocated from each layer's torch-style tensor shapes, taken from the tensor that
actually arrives (not from the engine's prediction), and the allocated arrays are what the
parameter check counts. The kernels get the layers' own arguments (padding `same`, ceil_mode, a
scale factor) and resolve them from the real input; the MACs are the multiply-accumulates the
kernels' matmuls perform on the real operands (reference.count_macs), not the layers' formulas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import reference
from .engine import analyze_architecture, covers_map
from .errors import LimitError, SpecError
from .layers.base import Layer
from .layers.detection import Crop
from .layers.pool import MaxPool
from .layers.upsample import MaxUnpool
from .nodes import Architecture
from .report import Report
from .shape import plain
from .verify_memory import byte_size, check_memory


@dataclass(frozen=True, slots=True)
class Check:
    path: str
    type: str
    predicted_shape: tuple[int, ...]
    computed_shape: tuple[int, ...] | None
    predicted_params: int
    allocated_params: int
    error: str = ""
    predicted_buffers: int = 0
    allocated_buffers: int = 0
    predicted_macs: int = 0
    counted_macs: int = 0

    @property
    def ok(self) -> bool:
        return (
            not self.error
            and self.predicted_shape == self.computed_shape
            and self.predicted_params == self.allocated_params
            and self.predicted_buffers == self.allocated_buffers
            and self.predicted_macs == self.counted_macs
        )


@dataclass(frozen=True)
class Verification:
    report: Report
    checks: tuple[Check, ...]
    tape: list[Any]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)


@dataclass(frozen=True, slots=True)
class Traced:
    """A tensor travelling through the engine, with the index of the node that made it."""

    value: Any
    node: int | None  # None: the network's input


class NumpyRunner:
    """Allocates weights (He-scaled uniform) and runs each layer's reference computation, keeping
    a tape of the graph (node i = report row i) for the receptive-field measurement."""

    def __init__(self, seed: int, dtype: Any = np.float32, tick: Callable[[], None] | None = None):
        self.rng = np.random.default_rng(seed)
        self.dtype = dtype
        self.tick = tick
        # per node: (computed shape, allocated params, allocated buffers, counted MACs, error)
        self.records: list[tuple[tuple[int, ...] | None, int, int, int, str]] = []
        self.tape: list[tuple[Layer | None, list[int | None], tuple[int, ...] | None]] = []
        self.pool_inputs: dict[int, Any] = {}  # id(maxpool layer) -> its input, for max_unpool
        self.shapes: dict[str, tuple[int, ...]] = {}  # path -> the real output shape, for crop

    def _traced(self, value: Any, layer: Layer | None, parents: list[Any]) -> Traced | None:
        self.tape.append(
            (
                layer,
                [p.node if p is not None else None for p in parents],
                tuple(int(d) for d in parents[0].value.shape[1:]) if parents[0] is not None else None,
            )
        )
        return None if value is None else Traced(value, len(self.tape) - 1)

    def leaf(self, layer: Layer, x: Any, path: str) -> Any:
        y = self._leaf(layer, None if x is None else x.value, path)
        if y is not None:
            self.shapes[path] = tuple(y.shape[1:])
        return self._traced(y, layer, [x])

    def merge(self, kind: str, xs: list[Any], path: str) -> Any:
        values = [None if x is None else x.value for x in xs]
        return self._traced(self._merge(kind, values, path), None, xs)

    def _leaf(self, layer: Layer, x: Any, path: str) -> Any:
        if x is None:  # an earlier layer failed: nothing to compute
            self.records.append((None, 0, 0, 0, "not run: an earlier layer failed"))
            return None
        shape = tuple(int(d) for d in x.shape[1:])
        weights: dict[str, Any] = {}
        allocated = buffers = 0
        try:
            for name, dims in layer.weight_shapes(shape).items():
                # He-scaled uniform U(−a, a), a = √(6/fan_in): uniform numbers come about seven
                # times faster than normal ones, which matters for VGG's 100 M-weight fc6
                fan_in = math.prod(dims[1:]) if len(dims) > 1 else 1
                bound = math.sqrt(6.0 / fan_in) if len(dims) > 1 else 0.1
                weights[name] = self.rng.random(dims, dtype=self.dtype)
                weights[name] -= self.dtype(0.5)
                weights[name] *= self.dtype(2 * bound)
                allocated += weights[name].size
            for name, dims in layer.buffer_shapes(shape).items():
                weights[name] = (
                    np.ones(dims, self.dtype) if name.endswith("var") else np.zeros(dims, self.dtype)
                )
                buffers += weights[name].size
            weights.update(layer.extra_inputs(shape, self.rng))
            if isinstance(layer, MaxPool):
                self.pool_inputs[id(layer)] = x
            if isinstance(layer, MaxUnpool):
                pool_input = self.pool_inputs[id(layer.pool)]  # the real tensor, not a prediction
                weights["indices"] = layer.pool.indices(pool_input)
                weights["output_size"] = pool_input.shape[2:]
            if isinstance(layer, Crop):  # the referenced layer's real size, not its prediction
                weights["target_size"] = self.shapes[layer.target_path][1:]
            with reference.count_macs() as counted:
                y = layer.forward(x, weights)
        except MemoryError:
            raise  # running out of memory says nothing about the prediction
        except Exception as exc:  # noqa: BLE001  (a kernel refusing the input is a finding)
            self.records.append((None, allocated, buffers, 0, f"{type(exc).__name__}: {exc}"))
            self._tick()
            return None
        self.records.append((tuple(int(d) for d in y.shape[1:]), allocated, buffers, counted.macs, ""))
        self._tick()
        return y

    def _merge(self, kind: str, xs: list[Any], path: str) -> Any:
        if any(x is None for x in xs):
            self.records.append((None, 0, 0, 0, "not run: an earlier layer failed"))
            return None
        try:
            y = np.concatenate(xs, axis=1) if kind == "concat" else sum(xs[1:], xs[0])
        except ValueError as exc:
            self.records.append((None, 0, 0, 0, f"{kind}: {exc}"))
            return None
        self.records.append((tuple(int(d) for d in y.shape[1:]), 0, 0, 0, ""))
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
    max_memory: int | None = None,
) -> Verification:
    """Analyse `arch`, then execute it on a random input of the stated shape and compare.
    Refuses (LimitError) when the predicted peak memory of the pass is above `max_memory`
    bytes (verify_memory.check_memory); running out of memory anyway is a LimitError too,
    never a disagreement."""
    predicted = analyze_architecture(arch, input, bindings)
    if any(not isinstance(d, int) for d in predicted.input) or not isinstance(
        predicted.totals.params, int
    ):
        used = set()
        for value in (*predicted.input, predicted.totals.params):
            used |= {str(sym) for sym in getattr(value, "free_symbols", ())}
        raise SpecError(
            f"verify runs the network for real and needs numbers: bind "
            f"{', '.join(sorted(used) or predicted.symbols)} with --set or --input"
        )
    need = check_memory(arch, input, bindings, dtype, max_memory, predicted.input)
    runner = NumpyRunner(seed, dtype, tick)
    try:
        x = runner.rng.standard_normal((1, *predicted.input), dtype=dtype)
        runner.shapes["input"] = tuple(x.shape[1:])
        report = analyze_architecture(arch, input, bindings, runner=runner, x=Traced(x, None))
    except MemoryError:  # the prediction fell short of what the machine had left
        raise LimitError(
            f"verify ran out of memory in the reference pass (predicted peak "
            f"{byte_size(need)}); try a smaller --input"
        ) from None
    checks = tuple(
        Check(
            path=row.path,
            type=row.type,
            predicted_shape=tuple(row.output),
            computed_shape=computed,
            predicted_params=row.params,
            allocated_params=allocated,
            error=error,
            predicted_buffers=row.buffers,
            allocated_buffers=buffers,
            predicted_macs=row.macs,
            counted_macs=macs,
        )
        for row, (computed, allocated, buffers, macs, error) in zip(
            report.rows, runner.records, strict=True
        )
    )
    return Verification(report, checks, runner.tape)


# ---------------------------------------------------------------- receptive field, measured


@dataclass(frozen=True, slots=True)
class MeasuredRF:
    path: str
    unit: tuple[int, int]  # the output unit (row, column) whose field was measured
    size: tuple[int, int]
    jump: tuple[Any, Any]  # from the field of the next unit along each axis
    center: tuple[Any, Any]  # input coordinates of the field's center
    predicted_size: tuple[Any, Any]
    predicted_jump: tuple[Any, Any]
    predicted_center: tuple[Any, Any]

    @property
    def ok(self) -> bool:
        return (
            self.size == self.predicted_size
            and self.jump == self.predicted_jump
            and self.center == self.predicted_center
        )


def _support(result: Verification, target: int, unit: tuple[int, int]) -> tuple[Any, Any]:
    """Walk back from one output unit through a linearised copy of the network: every layer
    becomes its all-ones window, whose adjoint is the transposed convolution; merges pass the
    support to every branch. Grids are not clipped to the map (padding counts, as in the
    predicted field). Returns, per axis, the (lowest, highest) input coordinate reached."""
    from . import reference

    rows, tape = result.report.rows, result.tape
    masks: dict[int | None, tuple[Any, tuple[int, int]]] = {}  # node -> (2-D bool mask, offset)

    def add(node: int | None, mask: Any, offset: tuple[int, int]) -> None:
        if node not in masks:
            masks[node] = (mask, offset)
            return
        old, (oy, ox) = masks[node]
        top, left = min(oy, offset[0]), min(ox, offset[1])
        bottom = max(oy + old.shape[0], offset[0] + mask.shape[0])
        right = max(ox + old.shape[1], offset[1] + mask.shape[1])
        merged = np.zeros((bottom - top, right - left), bool)
        merged[oy - top : oy - top + old.shape[0], ox - left : ox - left + old.shape[1]] |= old
        merged[
            offset[0] - top : offset[0] - top + mask.shape[0],
            offset[1] - left : offset[1] - left + mask.shape[1],
        ] |= mask
        masks[node] = (merged, (top, left))

    masks[target] = (np.ones((1, 1), bool), unit)
    for i in range(target, -1, -1):
        if i not in masks:
            continue
        mask, (oy, ox) = masks.pop(i)
        layer, parents, in_shape = tape[i]
        if layer is None:
            for p in parents:
                add(p, mask, (oy, ox))
            continue
        if in_shape is None or len(in_shape) != 3:
            raise SpecError(f"cannot measure through {rows[i].path}: its input is not a feature map")
        steps = layer.rf_steps(in_shape) if len(rows[i].output) == 3 else None
        if steps is not None and any(
            not isinstance(v, int) for st in steps for v in (st.kernel, st.stride, st.pad)
        ):
            raise SpecError(
                f"measuring a receptive field through {rows[i].path} ({rows[i].type}) is not "
                "supported yet: its windows fall between input pixels"
            )
        if steps is None or covers_map(steps, in_shape):
            # flatten or global pooling: the unit sees the whole input map, and whatever
            # padding its own output was read with lies beyond anything it depends on
            add(parents[0], np.ones(in_shape[1:], bool), (0, 0))
            continue
        ones = np.ones((1, 1, steps[0].kernel, steps[1].kernel))
        grown = reference.conv_transpose2d(
            mask[None, None].astype(np.float64), ones, stride=(steps[0].stride, steps[1].stride)
        )[0, 0] > 0
        add(parents[0], grown, (oy * steps[0].stride - steps[0].pad, ox * steps[1].stride - steps[1].pad))
    mask, (oy, ox) = masks[None]
    rows_hit = np.flatnonzero(mask.any(axis=1))
    cols_hit = np.flatnonzero(mask.any(axis=0))
    return (
        (oy + int(rows_hit[0]), oy + int(rows_hit[-1])),
        (ox + int(cols_hit[0]), ox + int(cols_hit[-1])),
    )


def measure_rf(result: Verification, path: str | None = None) -> MeasuredRF:
    """Measure the receptive field of the center unit of a layer's output (by default the last
    layer with a spatial output) and of its neighbours, and set it beside the prediction."""
    from fractions import Fraction

    rows = result.report.rows
    if not result.ok:
        raise SpecError(
            "the forward pass disagrees with the prediction; the receptive field is measured "
            "only once every layer agrees"
        )
    if path is None:  # the last feature map before any global pooling squeezes it
        candidates = []
        for i, r in enumerate(rows):
            layer, _, in_shape = result.tape[i]
            if (
                layer is not None
                and in_shape is not None
                and len(in_shape) == 3
                and len(r.output) == 3
                and covers_map(layer.rf_steps(in_shape), in_shape)
            ):
                break
            if len(r.output) == 3:
                candidates.append(i)
        if not candidates:
            raise SpecError("the network has no feature map to measure a receptive field on")
        target = candidates[-1]
    else:
        matches = [i for i, r in enumerate(rows) if r.path == path]
        if not matches:
            raise SpecError(f"no layer {path!r} (see `cnncalc shapes` for the paths)")
        target = matches[0]
        if len(rows[target].output) != 3:
            raise SpecError(f"{path} has no spatial output to pick a unit from")
    row = rows[target]
    h, w = row.output[1], row.output[2]
    unit = ((h - 1) // 2, (w - 1) // 2)
    here = _support(result, target, unit)
    size = tuple(hi - lo + 1 for lo, hi in here)
    center = tuple(plain(Fraction(lo + hi, 2)) for lo, hi in here)
    jump = []
    for axis in range(2):
        step = list(unit)
        step[axis] += 1
        if step[axis] >= row.output[1 + axis]:
            step[axis] -= 2  # a one-unit map has no neighbour: use the previous unit
        if step[axis] < 0:
            jump.append(None)
            continue
        there = _support(result, target, (step[0], step[1]))
        moved = Fraction(there[axis][0] + there[axis][1], 2) - center[axis]
        jump.append(plain(moved / (step[axis] - unit[axis])))
    rf = row.rf
    predicted_center = tuple(plain(rf[a].start + unit[a] * rf[a].jump) for a in range(2))
    return MeasuredRF(
        path=row.path,
        unit=unit,
        size=size,  # type: ignore[arg-type]
        jump=tuple(jump),  # type: ignore[arg-type]
        center=center,  # type: ignore[arg-type]
        predicted_size=(rf[0].size, rf[1].size),
        predicted_jump=(rf[0].jump, rf[1].jump) if None not in jump else tuple(jump),  # type: ignore[arg-type]
        predicted_center=predicted_center,  # type: ignore[arg-type]
    )
