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
from .engine import analyze_architecture
from .errors import LimitError, SpecError
from .layers.base import Layer
from .layers.detection import Crop
from .layers.pool import MaxPool
from .layers.upsample import MaxUnpool
from .nodes import Architecture
from .report import Report, Row
from .shape import plain
from .verify_memory import byte_size, check_memory

# the reference kernel of each merge kind (cnncalc.merges); the shapes are the kernels' own
_MERGE_KERNELS: dict[str, Callable[[list[Any]], Any]] = {
    "concat": reference.cat, "add": reference.add, "mul": reference.mul,
}


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
        self.kept: dict[int, tuple[Any, dict[str, Any]]] | None = None  # node -> (input, weights)

    def _traced(self, value: Any, layer: Layer | None, parents: list[Any]) -> Traced | None:
        self.tape.append(
            (
                layer,
                [p.node if p is not None else None for p in parents],
                (
                    tuple(int(d) for d in parents[0].value.shape[1:])
                    if parents[0] is not None
                    else None
                ),
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
                    np.ones(dims, self.dtype)
                    if name.endswith("var")
                    else np.zeros(dims, self.dtype)
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
                assert layer.target_path is not None  # the engine binds every crop to its target
                weights["target_size"] = self.shapes[layer.target_path][1:]
            with reference.count_macs() as counted:
                y = layer.forward(x, weights)
            if self.kept is not None:  # for the effective receptive field's backward pass
                self.kept[len(self.tape)] = (x, weights)
        except MemoryError:
            raise  # running out of memory says nothing about the prediction
        except Exception as exc:  # noqa: BLE001  (a kernel refusing the input is a finding)
            self.records.append((None, allocated, buffers, 0, f"{type(exc).__name__}: {exc}"))
            self._tick()
            return None
        shape = tuple(int(d) for d in y.shape[1:])
        self.records.append((shape, allocated, buffers, counted.macs, ""))
        self._tick()
        return y

    def _merge(self, kind: str, xs: list[Any], path: str) -> Any:
        if any(x is None for x in xs):
            self.records.append((None, 0, 0, 0, "not run: an earlier layer failed"))
            return None
        try:
            y = _MERGE_KERNELS[kind](xs)
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
    # every node runs in the reference pass, aux heads too: their MACs are compared as well
    predicted = analyze_architecture(arch, input, bindings, mode="train")
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
        report = analyze_architecture(
            arch, input, bindings, runner=runner, x=Traced(x, None), mode="train"
        )
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
class UnitCheck:
    """One output unit's field: measured through the kernels (cnncalc.rf_measure), predicted by
    walking back with the layers' exact windows (cnncalc.receptive_field.unit_window), and by
    the per-layer model of the table (None where that model is not exact on an axis)."""

    unit: tuple[int, int]
    # (lo, hi) per axis; None: no local path
    measured: tuple[tuple[int, int], tuple[int, int]] | None
    measured_global: bool
    predicted: tuple[tuple[int, int], tuple[int, int]] | None
    predicted_global: bool
    table: tuple[tuple[Any, Any] | None, tuple[Any, Any] | None]

    @property
    def ok(self) -> bool:
        if self.measured != self.predicted or self.measured_global != self.predicted_global:
            return False
        return all(
            t is None or (self.measured is not None and tuple(t) == self.measured[a])
            for a, t in enumerate(self.table)
        )


@dataclass(frozen=True, slots=True)
class MeasuredRF:
    path: str
    unit: tuple[int, int]  # the output unit (row, column) whose field is reported: the center
    size: tuple[Any, Any]  # of that unit's local field (None: every path passes a global layer)
    jump: tuple[Any, Any]  # from the field of the next unit along each axis
    center: tuple[Any, Any]  # input coordinates of the field's center
    predicted_size: tuple[Any, Any]
    predicted_jump: tuple[Any, Any]
    predicted_center: tuple[Any, Any]
    glob: bool = False  # measured: some path passes a global layer
    predicted_glob: bool = False
    units: tuple[UnitCheck, ...] = ()  # first, center, last (and the center's neighbour)
    inexact: tuple[str, ...] = ()  # why the table's per-layer model is approximate here
    unsure: tuple[str, ...] = ()  # layers the measurement could not extend beyond the map

    @property
    def ok(self) -> bool:
        return all(u.ok for u in self.units) and (
            self.size == self.predicted_size
            and self.jump == self.predicted_jump
            and self.center == self.predicted_center
            and self.glob == self.predicted_glob
        )


def target_row(rows: tuple[Row, ...], path: str | None, main: str | None = None) -> int:
    """The index of the row `--layer PATH` names, or by default the last feature map larger
    than 1x1 with a local field (before the global pooling that squeezes it, but after any
    merge with a global branch) up to the main output `main` (the first of `outputs:`, a row
    or a group: its last row), not a side head after it; the row must have a feature map to
    pick a unit from."""
    if path is None:
        last = len(rows) - 1
        if main is not None:
            last = max(
                (i for i, r in enumerate(rows) if r.path == main or r.path.startswith(main + ".")),
                default=last,
            )
        for i in range(last, -1, -1):
            r = rows[i]
            is_map = len(r.output) == 3 and tuple(r.output[1:]) != (1, 1)
            if is_map and r.rf is not None and r.rf[0].local and not r.train_only:
                return i  # an aux head (train_only) is not the network's output
        raise SpecError("the network has no feature map to measure a receptive field on")
    matches = [i for i, r in enumerate(rows) if r.path == path]
    if not matches:
        raise SpecError(f"no layer {path!r} (see `cnncalc shapes` for the paths)")
    if len(rows[matches[0]].output) != 3:
        raise SpecError(f"{path} has no spatial output to pick a unit from")
    return matches[0]


def _fields(box: Any) -> tuple[tuple[Any, Any], tuple[Any, Any]] | None:
    """(size, center) per axis of a (lo, hi) box."""
    from fractions import Fraction

    if box is None:
        return None
    return tuple((hi - lo + 1, plain(Fraction(lo + hi, 2))) for lo, hi in box)  # type: ignore[return-value]


def measure_rf(result: Verification, path: str | None = None, prober: Any = None) -> MeasuredRF:
    """Measure the receptive field of units of a layer's output (by default the last feature map
    with a local field) through the reference kernels, and set it beside the prediction: the
    first, center and last unit of each axis, and the center's neighbour for the jump. A
    `prober` (cnncalc.rf_measure.Prober) keeps the measured layers for another call."""
    from fractions import Fraction

    from .receptive_field import unit_window
    from .rf_measure import Prober, measure_unit

    rows = result.report.rows
    if not result.ok:
        raise SpecError(
            "the forward pass disagrees with the prediction; the receptive field is measured "
            "only once every layer agrees"
        )
    outputs = result.report.outputs
    target = target_row(rows, path, outputs[0][0] if outputs else None)
    row = rows[target]
    shapes = [r.output for r in rows]
    paths = [r.path for r in rows]
    h, w = row.output[1], row.output[2]
    center = ((h - 1) // 2, (w - 1) // 2)
    neighbour = tuple(c + 1 if c + 1 < n else c - 1 for c, n in zip(center, (h, w), strict=True))
    wanted = list(dict.fromkeys([(0, 0), center, neighbour, (h - 1, w - 1)]))
    prober = prober if prober is not None else Prober()
    checks = []
    unsure: list[str] = []
    for unit in wanted:
        got = measure_unit(result.tape, shapes, paths, result.report.input, target, unit, prober)
        unsure += got.unsure
        box, glob = unit_window(result.tape, shapes, result.report.input, target, unit)
        table: list[tuple[Any, Any] | None] = []
        for a in range(2):
            rf = row.rf[a] if row.rf is not None else None
            if rf is None or not rf.exact or not rf.local:
                table.append(None)
                continue
            c = rf.start + unit[a] * rf.jump
            r = Fraction(rf.size - 1) / 2
            table.append((plain(c - r), plain(c + r)))
        checks.append(UnitCheck(unit, got.box, got.glob, box, glob, (table[0], table[1])))
    by_unit = {c.unit: c for c in checks}
    here, there = by_unit[center], by_unit[neighbour]

    def summary(which: str) -> tuple[Any, Any, Any]:
        a_box = getattr(here, which)
        b_box = getattr(there, which)
        f, g = _fields(a_box), _fields(b_box)
        if f is None or g is None:
            return (None, None), (None, None), (None, None)
        jumps = tuple(
            (
                plain(Fraction(g[a][1] - f[a][1]) / (neighbour[a] - center[a]))
                if neighbour[a] != center[a]
                else None
            )
            for a in range(2)
        )
        return (f[0][0], f[1][0]), jumps, (f[0][1], f[1][1])

    size, jump, mid = summary("measured")
    p_size, p_jump, p_mid = summary("predicted")
    inexact = tuple(
        f"{('height', 'width')[a]}: the per-layer model is approximate here (fractional steps, "
        "uneven adaptive windows or merged branches with unequal jumps); the fields above are "
        "those of single units, walked back exactly"
        for a in range(2)
        if row.rf is not None and not row.rf[a].exact
    )
    return MeasuredRF(
        path=row.path,
        unit=center,
        size=size,
        jump=jump,
        center=mid,
        predicted_size=p_size,
        predicted_jump=p_jump,
        predicted_center=p_mid,
        glob=here.measured_global,
        predicted_glob=here.predicted_global,
        units=tuple(checks),
        inexact=inexact,
        unsure=tuple(dict.fromkeys(unsure)),
    )


@dataclass(frozen=True)
class VerifyRun:
    """What `cnncalc verify` found: the per-layer checks, and, when asked, the measured receptive
    field (--rf) and the effective one (--erf)."""

    verification: Verification
    rf: MeasuredRF | None = None
    erf: Any = None  # erf.EffectiveRF

    @property
    def ok(self) -> bool:
        return self.verification.ok and (self.rf is None or self.rf.ok)
