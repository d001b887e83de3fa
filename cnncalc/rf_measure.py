"""Receptive fields measured through the reference kernels, independently of the layers'
receptive-field formulas (nothing here calls `rf_steps` or `rf_window`).

Every layer is run, linearised, on impulses: one channel, weights all ones, no bias, batch-norm
an identity, nonlinearities the identity (max pooling stays a maximum, which on non-negative
inputs is positive exactly where a sum over its window is). Along each axis, the batch holds one
impulse line per input row (or column); output unit o reads input i when its response to
impulse i is positive. That gives, per layer and axis, the interval [a(o), b(o)] that output o
reads (the operations here are monotone: a later output never reads an earlier input only).

The kernels see only the map, not its padding, so a border unit's interval comes out clipped.
The receptive field counts padding (a field may be wider than the image), so the intervals are
extended beyond the map by the period the layer shows in its interior: the smallest P for which
a(o + P) − a(o) is one constant Δ wherever both units read full windows away from the border.

A layer that gives a flat vector, or a 1x1 map from a larger one whose one unit reads exactly
the map (every input unit, and no padding beyond it: its window as extended by the layer's
pattern on a larger map), is global (global pooling, flatten, spp, a conv the size of its map);
so is roi_pool (a region may be anywhere). A padded window that happens to cover a small map is
not: on a larger map it would be local. Walking back from one output unit, the field is
the union over paths: the paths through a global layer make the unit global, and the others
give its local field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import SpecError
from .layers import activation
from .layers.base import Layer
from .layers.channels import ChannelShuffle, Chunk
from .layers.conv import Conv
from .layers.detection import Crop, Reshape, RoIPool
from .layers.norm import GroupNorm, LayerNorm
from .layers.upsample import ConvTranspose, MaxUnpool

Interval = tuple[int, int]
GLOBAL = "global"
_PROBE_WIDTHS = (1, 16, 64)  # the other axis's size in a probe, the smallest the layer accepts


@dataclass(frozen=True)
class AxisMap:
    """What one layer's outputs read along one axis: a[o], b[o] measured on the map, and the
    pattern that extends them beyond it: unit o reads refs[o mod P] shifted by ⌊o/P⌋·Δ
    (period None: no pattern seen)."""

    a: tuple[int, ...]
    b: tuple[int, ...]
    n_in: int
    period: tuple[int, int] | None = None
    refs: tuple[tuple[int, int], ...] = ()

    def pattern(self, o: int) -> tuple[int, int] | None:
        if self.period is None:
            return None
        p, delta = self.period
        lo, hi = self.refs[o % p]
        return lo + (o // p) * delta, hi + (o // p) * delta

    def window(self, o: int) -> tuple[int, int, bool]:
        """The input interval output `o` reads, extended beyond the map by the pattern; the
        flag is false for a unit beyond the map when no pattern says what it would read."""
        n = len(self.a)
        extended = self.pattern(o)
        if not 0 <= o < n:
            if extended is not None:
                return extended[0], extended[1], True
            o = min(max(o, 0), n - 1)
            return self.a[o], self.b[o], False
        a, b = self.a[o], self.b[o]
        if extended is not None:
            lo, hi = extended
            if a > b:  # reads nothing in the map: a window wholly in the padding
                return lo, hi, True
            # a window cut by the border: what the map kept lies inside the extended one, and
            # the two differ only where the extension leaves the map
            if lo <= a and b <= hi and (lo == a or lo < 0) and (hi == b or hi >= self.n_in):
                return lo, hi, True
        return a, b, True  # what the kernel reads in the map; padding is shown by the pattern


def _fit(a: list[int], b: list[int], n_in: int) -> AxisMap:
    """The smallest period P (with shift Δ) that explains at least 80 % of the units whose
    windows stay clear of the border (start after 0 and end before the last input), each
    residue class seen at least twice. Failing that, the same among the widest windows of each
    residue class mod P only: a dilated window cut by the border may still start after 0 (its
    outer taps fall beyond the map, the next ones inside), and where the dilation is large
    beside the map those cut windows are more than a fifth of the units."""

    n = len(a)
    a, b = list(a), list(b)
    read = [o for o in range(n) if a[o] <= b[o]]
    holes = [o for o in range(read[0] + 1, read[-1]) if a[o] > b[o]] if read else []
    for o in holes:  # reads nothing, between units that do (a transposed conv's holes): the
        # empty interval from the next unit's first input to the previous unit's last
        a[o] = a[min(r for r in read if r > o)]
        b[o] = b[max(r for r in read if r < o)]
    clear = [o for o in sorted({*read, *holes}) if a[o] > 0 and b[o] < n_in - 1]
    for widest_only in (False, True):
        for p in range(1, n):
            cand = clear
            if widest_only:
                widest: dict[int, int] = {}
                for o in clear:
                    widest[o % p] = max(widest.get(o % p, -1), b[o] - a[o])
                cand = [o for o in clear if b[o] - a[o] == widest[o % p]]
            found = _period(a, b, cand, p)
            if found is None:
                break
            if found:
                return AxisMap(tuple(a), tuple(b), n_in, *found)
    return AxisMap(tuple(a), tuple(b), n_in)


def _period(a: list[int], b: list[int], cand: list[int], p: int
            ) -> tuple[tuple[int, int], tuple[tuple[int, int], ...]] | tuple[()] | None:
    """((P, Δ), refs) when period `p` explains at least 80 % of the units `cand`; () when it
    does not; None when no longer period can (too few units left to see one)."""
    from collections import Counter, defaultdict

    members = set(cand)
    diffs = Counter((a[o + p] - a[o], b[o + p] - b[o]) for o in cand if o + p in members)
    if not diffs:
        return None
    (da, db), _ = diffs.most_common(1)[0]
    if da != db:
        return ()
    classes: defaultdict[int, Counter[tuple[int, int]]] = defaultdict(Counter)  # one per class,
    for o in cand:  # not one per unit as setdefault(…, Counter()) would build
        classes[o % p][(a[o] - (o // p) * da, b[o] - (o // p) * da)] += 1
    if len(classes) < p or min(sum(c.values()) for c in classes.values()) < 2:
        return None
    refs = tuple(classes[c].most_common(1)[0][0] for c in range(p))
    explained = sum(
        1 for o in cand if (a[o] - (o // p) * da, b[o] - (o // p) * da) == refs[o % p]
    )
    if explained >= 0.8 * len(cand):
        return (p, da), refs
    return ()


def _linearised(layer: Layer, x: Any, weights_for: Any) -> Any:
    """The layer on a one-channel, non-negative input, as a positive linear (or max) map."""
    if isinstance(layer, (activation._Activation, activation.Dropout)):
        return x
    if isinstance(layer, (ChannelShuffle, Chunk, LayerNorm, GroupNorm)):
        # per position, a permutation or selection of the channels, or a normalisation over
        # them: on the probe's one channel the field is the position itself (layer norm of one
        # channel would give 0 everywhere; group norm's statistics are not followed, see its
        # docstring)
        return x
    if isinstance(layer, Reshape):  # same H and W, so the same C: the elements stay in place
        return x.reshape(x.shape[0], 1, *layer.to[1:])
    if isinstance(layer, (Conv, ConvTranspose)):
        one = dataclasses.replace(layer, out=1, groups=1, bias=False)
        return one.forward(x, {"weight": np.ones((1, 1, *layer.kernel))})
    return layer.forward(x, weights_for(layer))


def _one_axis(layer: Layer, axis: int) -> Layer:
    """A window layer with the other axis made trivial (kernel 1, stride 1, no padding), so a
    probe along `axis` can be one pixel wide: its windows along `axis` are untouched, and along
    one axis a window layer does not look at the other."""
    names = {f.name for f in dataclasses.fields(layer)}  # type: ignore[arg-type]
    if "kernel" not in names or not isinstance(layer.kernel, tuple):  # type: ignore[attr-defined]
        return layer

    def only(pair: Any, trivial: Any) -> tuple[Any, Any]:
        values = list(pair)
        values[1 - axis] = trivial
        return tuple(values)

    changes: dict[str, Any] = {"kernel": only(layer.kernel, 1)}  # type: ignore[attr-defined]
    if "stride" in names:
        stride = layer.stride if layer.stride is not None else layer.kernel  # type: ignore[attr-defined]
        changes["stride"] = only(stride, 1)
    if "dilation" in names:
        changes["dilation"] = only(layer.dilation, 1)  # type: ignore[attr-defined]
    if "output_padding" in names:
        changes["output_padding"] = only(layer.output_padding, 0)  # type: ignore[attr-defined]
    padding = getattr(layer, "padding", None)
    if isinstance(padding, tuple):  # ((top, bottom), (left, right)) or (ph, pw)
        changes["padding"] = only(padding, (0, 0) if isinstance(padding[axis], tuple) else 0)
    return dataclasses.replace(layer, **changes)  # type: ignore[type-var]


def _weights(shape: tuple[int, ...]) -> Any:
    def make(layer: Layer) -> dict[str, Any]:
        weights: dict[str, Any] = {}
        for name, dims in {**layer.weight_shapes(shape), **layer.buffer_shapes(shape)}.items():
            # scales (weight, running_var) 1, shifts (bias, running_mean) 0: an identity
            zero = name.endswith("bias") or name.endswith("mean")
            weights[name] = np.zeros(dims) if zero else np.ones(dims)
        if isinstance(layer, Crop):  # the size it cuts to; its field is set by the offset alone
            weights["target_size"] = tuple(layer.target[1:])  # type: ignore[index]
        return weights

    return make


_ENLARGE = 120  # a multiple of every usual stride, so `same` padding stays the same


def _enlarged(layer: Layer, hw: tuple[int, int], axis: int) -> AxisMap:
    """The layer's map along `axis`, from the map itself or, where the layer allows it, from
    the map enlarged by _ENLARGE pixels beyond its far end: a window layer (conv, pooling,
    transposed conv, upsampling by a scale, crop) reads the same windows for the map's units
    there, and a small map then still shows the pattern that extends its windows. A layer
    whose windows change with the map's size (adaptive pooling, resizing to a size) fails the
    check and is read from its own map."""
    a, b = _probe(layer, hw, axis)
    own = _fit(a, b, hw[axis])
    try:
        a2, b2 = _probe(layer, hw, axis, hw[axis] + _ENLARGE)
    except Exception:  # noqa: BLE001  (the layer refuses another size: keep its own map)
        return own
    # the map's units read the same there, except what lay beyond the map's far end
    if len(a2) < len(a) or not all(
        a2[o] == a[o] and (b2[o] == b[o] or b[o] < b2[o] and b2[o] >= hw[axis])
        for o in range(len(a))
        if a[o] <= b[o]
    ):
        return own
    big = _fit(a2, b2, hw[axis] + _ENLARGE)
    if big.period is None:
        return own
    return AxisMap(own.a, own.b, own.n_in, big.period, big.refs)


def _probe(layer: Layer, in_hw: tuple[int, int], axis: int, size: int | None = None
           ) -> tuple[list[int], list[int]]:
    """Run impulse lines along `axis` through the linearised layer: (a, b) per output unit
    (the axis `size` long instead of the map's, when given)."""
    n = in_hw[axis] if size is None else size
    other = in_hw[1 - axis]
    layer = _one_axis(layer, axis)
    for width in dict.fromkeys(min(other, w) for w in (*_PROBE_WIDTHS, other)):
        dims = [n, n]
        dims[1 - axis] = width
        x = np.zeros((n, 1, *dims))  # (n impulses, 1 channel, H, W)
        idx = np.arange(n)
        if axis == 0:
            x[idx, 0, idx, :] = 1.0
        else:
            x[idx, 0, :, idx] = 1.0
        try:
            y = np.asarray(_linearised(layer, x, _weights((1, *dims))))
            if y.shape[3 - axis] > 0:
                break
        except Exception:  # noqa: BLE001  (a narrower probe the layer refuses: use the map's width)
            if width == other:
                raise
    hit = np.asarray((y > 0).any(axis=(1, 3 - axis)))  # (impulse, output unit along axis)
    a, b = [], []
    for o in range(hit.shape[1]):
        rows = np.flatnonzero(hit[:, o])
        if rows.size == 0:
            a.append(n)  # reads nothing: an empty interval
            b.append(-1)
        else:
            a.append(int(rows[0]))
            b.append(int(rows[-1]))
    return a, b


class Prober:
    """Measures (and caches: VGG and ResNet repeat layers) each layer's maps."""

    def __init__(self) -> None:
        self.cache: dict[Any, Any] = {}

    def maps(self, layer: Layer, in_shape: tuple[int, ...], out_shape: tuple[int, ...],
             pool_maps: Any = None) -> Any:
        """(AxisMap, AxisMap), or GLOBAL."""
        if len(in_shape) != 3 or len(out_shape) != 3 or isinstance(layer, RoIPool):
            return GLOBAL
        hw = (int(in_shape[1]), int(in_shape[2]))
        if isinstance(layer, Reshape) and tuple(out_shape[1:]) != tuple(in_shape[1:]):
            return GLOBAL  # positions mix
        if isinstance(layer, MaxUnpool):  # the transpose of its pooling layer's reading
            return tuple(self._transpose(m, n) for m, n in zip(pool_maps, hw, strict=True))
        if isinstance(layer, Crop) and layer.offset == "center":
            # the cut this map gets, fixed: probing enlarges the map, which would move a center
            layer = dataclasses.replace(layer, offset=layer.offsets(in_shape))
        try:
            key = (layer, hw)
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in self.cache:
            return self.cache[key]
        found: Any = []
        for axis in range(2):
            found.append(_enlarged(layer, hw, axis))
        out_hw = (len(found[0].a), len(found[1].a))
        # global: the one unit's window is the map, no more (as extended by the pattern the
        # layer shows on a larger map): a padded window that happens to cover a small map
        # (yolov3's 3x3/2 p1 conv on a 2x2 map) reads padding too, and is local
        if out_hw == (1, 1) and hw != (1, 1) and all(
            m.window(0)[:2] == (0, m.n_in - 1) for m in found
        ):
            found = GLOBAL
        else:
            found = tuple(found)
        if key is not None:
            self.cache[key] = found
        return found

    @staticmethod
    def _transpose(pool: AxisMap, n_out: int) -> AxisMap:
        """Unpooled position q receives from every pooled unit whose window holds q: the pool's
        windows as measured (clipped to its map), and as extended by their pattern for the
        pattern of the transpose."""
        n_pooled = len(pool.a)
        margin = n_out + _ENLARGE
        windows = {u: pool.window(u)[:2] for u in range(-margin, n_pooled + margin)}

        def readers(q: int, inside: bool) -> tuple[int, int]:
            found = [u for u, (lo, hi) in windows.items()
                     if lo <= q <= hi and (not inside or 0 <= u < n_pooled)]
            return (min(found), max(found)) if found else (n_pooled, -1)

        clipped = [readers(q, True) for q in range(n_out)]
        free = [readers(q, False) for q in range(n_out + _ENLARGE)]
        # the free windows never meet a border: fit them as if the pooled map were unbounded
        fitted = _fit([lo + margin for lo, _ in free], [hi + margin for _, hi in free],
                      n_pooled + 4 * margin)
        refs = tuple((lo - margin, hi - margin) for lo, hi in fitted.refs)
        return AxisMap(tuple(lo for lo, _ in clipped), tuple(hi for _, hi in clipped), n_pooled,
                       fitted.period, refs)


@dataclass(frozen=True)
class UnitField:
    """One unit's measured field: the local input interval per axis (None when every path
    passes a global layer) and whether some path does."""

    box: tuple[Interval, Interval] | None
    glob: bool
    unsure: tuple[str, ...] = ()  # layers where the field reached beyond a map with no period


def measure_unit(tape: list[Any], shapes: list[tuple[int, ...]], paths: list[str],
                 input_shape: tuple[int, ...], target: int, unit: tuple[int, int],
                 prober: Prober) -> UnitField:
    """Walk back from `unit` of tape node `target` through the measured maps."""
    reach: dict[int | None, tuple[list[Interval] | None, bool]] = {
        target: ([(u, u) for u in unit], False)
    }
    doubt: dict[int | None, set[str]] = {}  # per node: layers whose extension was a guess

    def shape_of(node: int | None) -> tuple[int, ...]:
        return tuple(input_shape) if node is None else tuple(shapes[node])

    def add(node: int | None, box: list[Interval] | None, glob: bool) -> None:
        old_box, old_glob = reach.get(node, (None, False))
        if old_box is not None and box is not None:
            box = [(min(p[0], q[0]), max(p[1], q[1])) for p, q in zip(old_box, box, strict=True)]
        reach[node] = (box if box is not None else old_box, glob or old_glob)
        if box is not None:
            doubt.setdefault(node, set()).update(carried)

    carried: set[str] = set()
    for i in range(target, -1, -1):
        if i not in reach:
            continue
        box, glob = reach.pop(i)
        carried = doubt.pop(i, set())
        layer, parents, _ = tape[i]
        if layer is None:  # a merge; an input of size 1 where the output is larger is
            for p in parents:  # repeated along that axis (torch's broadcasting): unit 0 there
                pshape, oshape = shape_of(p), shape_of(i)
                pbox = box
                if box is not None and len(pshape) == len(oshape) == 3:
                    pbox = [(0, 0) if pshape[1 + a] == 1 < oshape[1 + a] else box[a]
                            for a in range(2)]
                add(p, pbox, glob)
            continue
        in_shape = shape_of(parents[0])
        extra = None
        if isinstance(layer, MaxUnpool):
            pool_node = next(
                j for j, entry in enumerate(tape) if entry[0] is layer.pool
            )
            extra = prober.maps(layer.pool, shape_of(tape[pool_node][1][0]), shapes[pool_node])
            if extra == GLOBAL:
                raise SpecError("cannot measure through max_unpool of a global pooling")
        maps = prober.maps(layer, in_shape, shapes[i], extra)
        if maps == GLOBAL:
            add(parents[0], None, glob or box is not None)
            continue
        if box is not None:
            ends = []
            for ax in range(2):
                lo, _, sure_lo = maps[ax].window(box[ax][0])
                _, hi, sure_hi = maps[ax].window(box[ax][1])
                ends.append((lo, hi))
                if not (sure_lo and sure_hi):
                    carried = carried | {f"{paths[i]} ({('height', 'width')[ax]})"}
            box = ends if all(lo <= hi for lo, hi in ends) else None
        add(parents[0], box, glob)
    box, glob = reach.get(None, (None, False))
    unsure = tuple(sorted(doubt.get(None, ())))
    return UnitField(None if box is None else (box[0], box[1]), glob, unsure)
