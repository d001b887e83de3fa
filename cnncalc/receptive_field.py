"""Receptive-field algebra: the per-layer (size, jump, start) model, merges, global layers, and
the exact per-unit windows where that model is only an approximation.

The per-layer model (Araujo et al., Distill 2019) describes every unit of a map at once:
unit x sees the input interval of width `size` centred at start + x·jump. It is exact while
every step has whole-pixel kernels, strides and pads and windows of one size. Transposed
convolutions and upsampling (fractional steps), adaptive pooling that splits a map unevenly,
and merges of branches with unequal jumps break it; there `unit_window` walks back from one
unit with each layer's exact window and gives that unit's field exactly.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from .layers.base import AxisStep
from .report import AxisRF
from .shape import Shape, half, plain

Interval = tuple[int, int]  # (lowest, highest) input coordinate, both included


def covers_map(steps: tuple[AxisStep, AxisStep], shape: Shape) -> bool:
    """One unpadded window the size of the map (global pooling, flatten, spp, a conv as wide as
    its map): every output unit sees every input unit. On a 1x1 map every layer is such a
    window and sees no more, so it does not count."""
    return (
        len(shape) == 3
        and any(shape[1 + i] != 1 for i in range(2))
        and all(st.pad == 0 and st.kernel == shape[1 + i] for i, st in enumerate(steps))
    )


def _whole(value: Any) -> bool:
    """A whole number of pixels, or a symbol that may be one (sympy's 1/2 is not)."""
    if isinstance(value, (Fraction, float)):
        return False
    return getattr(value, "is_integer", None) is not False


def step(
    rf: tuple[AxisRF, AxisRF], steps: tuple[AxisStep, AxisStep], exact_step: bool = True
) -> tuple[AxisRF, AxisRF]:
    """r_out = r_in + (k−1)·j_in, j_out = j_in·s, start_out = start_in + ((k−1)/2 − p)·j_in."""
    return tuple(  # type: ignore[return-value]
        AxisRF(
            plain(a.size + (s.kernel - 1) * a.jump),
            plain(a.jump * s.stride),
            plain(a.start + (half(s.kernel - 1) - s.pad) * a.jump),
            a.glob,
            a.local,
            a.exact and exact_step and (
                type(s.kernel) is type(s.stride) is type(s.pad) is int  # the common case, fast
                or all(_whole(v) for v in (s.kernel, s.stride, s.pad))
            ),
        )
        for a, s in zip(rf, steps, strict=True)
    )


def made_global(rf: tuple[AxisRF, AxisRF]) -> tuple[AxisRF, AxisRF]:
    """The same field, marked global and not local: no path to the unit avoids a global layer."""
    h, w = (AxisRF(a.size, a.jump, a.start, True, False, a.exact) for a in rf)
    return h, w


def whole(rf: tuple[AxisRF, AxisRF], steps: tuple[AxisStep, AxisStep]) -> tuple[AxisRF, AxisRF]:
    """The field of a global layer's unit: the whole map it reads, marked global and not local
    (no path to it avoids the global layer)."""
    return made_global(step(rf, steps))


def span(fields: list[tuple[AxisRF, AxisRF]], axis: int, lo_hi: Any) -> AxisRF:
    """The union of the branches' intervals along one axis: its span, centred; the first
    branch's jump. Exact only when every branch is exact and the jumps are equal (then every
    unit's union is the same affine interval); `lo_hi` gives min and max."""
    lo_of, hi_of = lo_hi
    los = [rf[axis].start - half(rf[axis].size - 1) for rf in fields]
    his = [rf[axis].start + half(rf[axis].size - 1) for rf in fields]
    lo, hi = lo_of(los), hi_of(his)
    jumps = {rf[axis].jump for rf in fields}
    return AxisRF(
        plain(hi - lo + 1),
        fields[0][axis].jump,
        plain(half(lo + hi)),
        any(rf[axis].glob for rf in fields),
        True,
        all(rf[axis].exact for rf in fields) and len(jumps) == 1,
    )


# ---------------------------------------------------------------- exact per-unit windows


def layer_window(layer: Any, shape: Shape, axis: int, o: int) -> Interval:
    """The input interval output unit `o` of `layer` reads along `axis` (unclipped: padding and
    positions beyond the map count, as in the per-layer model). A layer type whose windows are
    not [⌈o·s − p⌉, ⌊o·s − p + k − 1⌋] of its rf_steps states them in `rf_window`."""
    own = getattr(layer, "rf_window", None)
    if own is not None:
        return own(shape, axis, o)
    st = layer.rf_steps(shape)[axis]
    first = Fraction(o) * Fraction(st.stride) - Fraction(st.pad)
    return math.ceil(first), math.floor(first + Fraction(st.kernel) - 1)


def unit_window(tape: list[Any], shapes: list[Shape], input_shape: Shape, target: int,
                unit: tuple[int, int]) -> tuple[tuple[Interval, Interval] | None, bool]:
    """Walk back from output unit `unit` of tape node `target` with every layer's exact window.
    Returns the input interval per axis over the paths that avoid a global layer (None when
    every path passes one) and whether some path passes one (the unit is then global)."""
    reach: dict[int | None, tuple[list[Interval] | None, bool]] = {
        target: ([(u, u) for u in unit], False)
    }

    def add(node: int | None, box: list[Interval] | None, glob: bool) -> None:
        old_box, old_glob = reach.get(node, (None, False))
        if old_box is not None and box is not None:
            box = [(min(a[0], b[0]), max(a[1], b[1])) for a, b in zip(old_box, box, strict=True)]
        reach[node] = (box if box is not None else old_box, glob or old_glob)

    for i in range(target, -1, -1):
        if i not in reach:
            continue
        box, glob = reach.pop(i)
        layer, parents, in_shape = tape[i]
        if layer is None:  # a merge: every input feeds every unit at the same place, or at
            for p in parents:  # its one place along an axis it is repeated (broadcast) along
                add(p, _at_broadcast(box, input_shape if p is None else shapes[p], shapes[i]),
                    glob)
            continue
        steps = layer.rf_steps(in_shape) if in_shape is not None and len(in_shape) == 3 else None
        if steps is None or len(shapes[i]) != 3 or covers_map(steps, in_shape):
            add(parents[0], None, glob or box is not None)
            continue
        if box is not None:
            ends = [
                (layer_window(layer, in_shape, a, box[a][0])[0],
                 layer_window(layer, in_shape, a, box[a][1])[1])
                for a in range(2)
            ]
            box = ends if all(lo <= hi for lo, hi in ends) else None
        add(parents[0], box, glob)
    box, glob = reach.get(None, (None, False))
    return (None if box is None else (box[0], box[1])), glob



def _at_broadcast(box: list[Interval] | None, shape: Shape, out: Shape) -> list[Interval] | None:
    """A merge input of size 1 along an axis where the output is larger is repeated (torch's
    broadcasting, `mul`): every output unit reads its unit 0 there."""
    if box is None or len(shape) != 3 or len(out) != 3:
        return box
    return [(0, 0) if shape[1 + a] == 1 and out[1 + a] != 1 else box[a] for a in range(2)]
