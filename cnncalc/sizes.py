"""Which input sizes work: `cnncalc sizes`.

Per spatial axis, with the other axis kept at the architecture's default:

- a size *works* when every layer's output is at least 1 and every merge (add, concat) sees
  equal sizes;
- a size *keeps every pixel* when, in addition, no layer drops a real pixel: in every feature map
  (the input included), each real pixel (not padding) is covered by some window of some layer
  that reads the map. A window layer with input L, kernel k (effective), stride s and padding
  p_before, p_after has its last window end at (O − 1)·s − p_before + k − 1 with
  O = ⌊(L + p_before + p_after − k)/s⌋ + 1, so it leaves the last pixels uncovered exactly when
  (L + p_before + p_after − k) mod s > p_after; with k < s it also skips pixels between windows,
  whatever L. A pixel skipped by one reader but covered by another (ResNet v1.5's strided 1x1
  shortcut beside its body) is kept. A `crop` cuts on purpose and counts as reading its whole
  input (FCN's crops remove the margin that conv1_1's padding of 100 added); transposed
  convolutions and unpooling read every input their fractional windows reach.

Both sets are periodic in the size with the network's total stride S (the least common multiple
of its feature maps' jumps), beyond the smallest working size; we compute them over two periods,
check the periodicity, and describe them as residues modulo S.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .engine import analyze_architecture
from .errors import LimitError, ShapeError, SpecError
from .layers.base import Layer
from .layers.detection import Crop
from .layers.linear import Flatten
from .layers.pool import AdaptiveAvgPool, GlobalAvgPool
from .layers.upsample import Upsample
from .limits import MAX_SIZES_WORK, SIZES_HINT
from .nodes import Architecture
from .report import Report

MAX_SCAN = 4096


class _Tape:
    """A Runner that records the graph instead of computing: node i is report.rows[i]."""

    def __init__(self) -> None:
        self.nodes: list[tuple[Layer | None, list[int]]] = []

    def leaf(self, layer: Layer, x: Any, path: str) -> int:
        self.nodes.append((layer, [x]))
        return len(self.nodes) - 1

    def merge(self, kind: str, xs: list[Any], path: str) -> int:
        self.nodes.append((None, list(xs)))
        return len(self.nodes) - 1


@dataclass(frozen=True)
class Check:
    size: int
    works: bool
    keeps_pixels: bool
    reason: str  # why not, when not


def _window_cover(layer: Layer, row: Any, axis: int) -> list[bool]:
    """Which positions of the layer's input (along `axis`) some window of the layer covers."""
    length = row.input[1 + axis]
    if len(row.output) != 3 or isinstance(layer, (Flatten, GlobalAvgPool, AdaptiveAvgPool)):
        return [True] * length
    if isinstance(layer, Crop):
        return [True] * length  # a deliberate cut (FCN's alignment crop drops only its margin)
    if isinstance(layer, Upsample) and row.output[1 + axis] >= length:
        return [True] * length  # nearest or bilinear upsampling reads every input pixel
    steps = layer.rf_steps(row.input)
    if steps is None:  # the layer sees its whole input (none with a map in and out does, today)
        return [True] * length
    step = steps[axis]
    seen = [False] * length
    for o in range(row.output[1 + axis]):
        # a transposed conv or an unpooling has fractional steps (Fractions): its window is the
        # inputs from ⌈start⌉ to ⌊start + k − 1⌋, which is range(start, start + k) for integers
        start = o * step.stride - step.pad
        first, last = math.ceil(start), math.floor(start + step.kernel - 1)
        for j in range(max(first, 0), min(last + 1, length)):
            seen[j] = True
    return seen


def _dropped(report: Report, tape: _Tape, axis: int) -> str:
    """Each feature map's real pixels must each be covered by some window of some layer that
    reads it; return a description of the first map where one is not, or ''."""
    rows = report.rows
    cover: dict[Any, list[bool]] = {}
    readers: dict[Any, list[str]] = {}
    for i, (layer, parents) in enumerate(tape.nodes):
        row = rows[i]
        for p in parents:
            source = rows[p].output if p is not None else report.input
            if len(source) != 3:
                continue
            length = source[1 + axis]
            seen = _window_cover(layer, row, axis) if layer is not None else [True] * length
            mine = cover.setdefault(p, [False] * length)
            for j, flag in enumerate(seen):
                if flag:
                    mine[j] = True
            reader = f"{row.path} ({row.type} {row.detail})".replace(" )", ")")
            readers.setdefault(p, []).append(reader)
    for p in [None, *range(len(rows))]:
        if p in cover and not all(cover[p]):
            missing = [j for j, flag in enumerate(cover[p]) if not flag]
            where = "the input" if p is None else rows[p].path
            shown = ", ".join(map(str, missing[:3])) + (", ..." if len(missing) > 3 else "")
            return (
                f"no window of {' or '.join(readers[p])} covers {('row', 'column')[axis]} "
                f"{shown} of {where} ({len(cover[p])} wide)"
            )
    return ""


def _need_map(arch: Architecture) -> None:
    if len(arch.input) != 3:
        shown = "x".join(str(d) for d in arch.input)
        raise SpecError(
            f"sizes needs a feature-map input C x H x W; this architecture's input is the flat "
            f"vector {shown}, which has no height or width to vary",
            arch.input_where,
        )


def check(arch: Architecture, axis: int, size: int) -> Check:
    _need_map(arch)
    base = list(arch.input)
    if any(not isinstance(d, int) for d in base):
        raise SpecError("sizes needs a numeric default input (bind symbols in the file's input)")
    base[1 + axis] = size
    tape = _Tape()
    try:
        report = analyze_architecture(arch, tuple(base), runner=tape, x=None)
    except ShapeError as exc:
        return Check(size, False, False, exc.message)
    reason = _dropped(report, tape, axis)
    return Check(size, True, not reason, reason)


@dataclass(frozen=True)
class AxisSizes:
    """The answer for one axis: explicit checks below `regime`, residues modulo `period` from it."""

    axis: str
    smallest: int | None  # smallest working size; None if none up to MAX_SCAN
    period: int  # the total stride S
    regime: int  # from this size on, both answers repeat with period S
    works_residues: tuple[int, ...]
    keeps_residues: tuple[int, ...]
    checks: dict[int, Check]

    def _lookup(self, n: int) -> Check | None:
        if self.smallest is None or n < self.smallest:
            return None
        if n < self.regime:
            return self.checks[n]
        return self.checks[self.regime + (n - self.regime) % self.period]

    def works(self, n: int) -> bool:
        found = self._lookup(n)
        return found is not None and found.works

    def keeps(self, n: int) -> bool:
        found = self._lookup(n)
        return found is not None and found.keeps_pixels

    def near(self, n: int, count: int, keeps: bool) -> list[int]:
        """The `count` sizes closest to n that work (and keep every pixel, if asked)."""
        if self.smallest is None:
            return []
        test = self.keeps if keeps else self.works
        found: list[int] = []
        for d in range(0, 4 * self.period * count + 1):
            for m in sorted({n - d, n + d}):
                if m >= 1 and (m >= self.regime or n < self.regime) and test(m) and m not in found:
                    found.append(m)
            if len(found) >= count:
                break
        return sorted(found[:count])


WHOLE_MAP = frozenset({"global_avgpool", "global_maxpool", "adaptive_avgpool",
                       "adaptive_maxpool", "spp", "roi_pool", "flatten", "reshape"})


def total_stride(report: Report, axis: int) -> int:
    """The period of the answers: the least common multiple of every feature map's jump (the
    deepest downsampling, also in networks that upsample back to full size), leaving out the
    layers that pool a whole map."""
    import math

    period = 1
    for row in report.rows:
        if row.rf is None or len(row.output) != 3 or row.type in WHOLE_MAP:
            continue
        jump = row.rf[axis].jump
        if jump == int(jump) and jump >= 1:
            period = math.lcm(period, int(jump))
    return period


def axis_sizes(arch: Architecture, axis: int) -> AxisSizes:
    _need_map(arch)
    checks: dict[int, Check] = {}
    smallest = None
    name = ("height", "width")[axis]
    rows = _rows_hint(arch)
    for n in range(1, MAX_SCAN + 1):
        # the search costs about rows x n per size too: 1,000 valid 3x3 convs need 2,001 pixels
        # and took a minute to find
        _within_budget(name, 0, rows, 1, n + 1)
        checks[n] = check(arch, axis, n)
        if checks[n].works:
            smallest = n
            break
    if smallest is None:
        return AxisSizes(name, None, 1, 1, (), (), checks)
    base = list(arch.input)
    base[1 + axis] = smallest
    first = analyze_architecture(arch, tuple(base))
    period = total_stride(first, axis)
    end = smallest + 4 * period
    _within_budget(name, period, len(first.rows), smallest, end + period)
    for n in range(smallest + 1, end + period):
        checks[n] = check(arch, axis, n)

    def same(n: int) -> bool:
        a, b = checks[n], checks[n + period]
        return (a.works, a.keeps_pixels) == (b.works, b.keeps_pixels)

    regime = end
    while regime - 1 >= smallest and same(regime - 1):
        regime -= 1
    if regime > smallest + 2 * period:
        raise SpecError(
            f"the valid {name}s do not settle into a pattern repeating every {period} "
            f"(checked {smallest}..{end + period - 1}); try `cnncalc shapes` at the sizes you need"
        )
    window = range(regime, regime + period)
    works = tuple(sorted(n % period for n in window if checks[n].works))
    keeps = tuple(sorted(n % period for n in window if checks[n].keeps_pixels))
    return AxisSizes(name, smallest, period, regime, works, keeps, checks)


def _rows_hint(arch: Architecture) -> int:
    """Layers of the network at its default input (1 when that does not work)."""
    if any(type(d) is not int for d in arch.input):
        return 1  # check() refuses symbolic inputs with its own message
    try:
        return len(analyze_architecture(arch, tuple(arch.input)).rows)
    except ShapeError:
        return 1


def _within_budget(name: str, period: int, rows: int, first: int, stop: int) -> None:
    """The scan checks every size in [first, stop), each costing about rows x size: refuse
    before starting when that exceeds MAX_SIZES_WORK (20 stride-2 layers repeat every 2^20);
    period 0: the search for the smallest working size."""
    work = rows * (stop * (stop - 1) - first * (first - 1)) // 2
    if work > MAX_SIZES_WORK and not period:
        raise LimitError(
            f"no {name} up to {stop - 1:,} works, and trying each larger one on {rows:,} layers "
            f"would pass cnncalc's budget of {MAX_SIZES_WORK:,} layer-pixels ({SIZES_HINT}); "
            "`cnncalc shapes --input` answers for one size"
        )
    if work > MAX_SIZES_WORK:
        raise LimitError(
            f"the valid {name}s repeat only every {period:,} pixels (the network's total stride); "
            f"finding the pattern would check {stop - first:,} sizes of {rows:,} layers each "
            f"(about {work:,} layer-pixels, more than {MAX_SIZES_WORK:,}: {SIZES_HINT}); "
            "`cnncalc shapes --input` answers for one size"
        )


def probe(arch: Architecture, sizes: AxisSizes, axis: int, n: int) -> Check:
    """The check at size n itself up to MAX_SCAN (its reason then names n's own rows); past
    that, the check of the scanned size with the same residue (the answers repeat with the
    period from `regime` on), so a huge --near costs no more than a small one."""
    if sizes.smallest is None:
        if n > MAX_SCAN:
            return Check(n, False, False, f"not checked: no size from 1 to {MAX_SCAN} works")
        return check(arch, axis, n)
    if n <= MAX_SCAN or n < sizes.regime + sizes.period:
        return check(arch, axis, n)
    m = sizes.regime + (n - sizes.regime) % sizes.period
    found = check(arch, axis, m)
    reason = found.reason and (
        f"as at {m} (the answers repeat every {sizes.period} from {sizes.regime}): {found.reason}"
    )
    return Check(n, found.works, found.keeps_pixels, reason)


def same_answer(a: AxisSizes, b: AxisSizes) -> bool:
    fields = ("smallest", "period", "regime", "works_residues", "keeps_residues")
    return all(getattr(a, f) == getattr(b, f) for f in fields) and all(
        (a.checks[n].works, a.checks[n].keeps_pixels)
        == (b.checks[n].works, b.checks[n].keeps_pixels)
        for n in range(a.smallest or 1, a.regime)
    )


@dataclass(frozen=True)
class InputSizes:
    """`cnncalc sizes`: both axes' answers, and, with --near, the check at that size per axis."""

    name: str
    input: tuple[int, ...]
    axes: tuple[AxisSizes, AxisSizes]
    near: int | None
    probes: tuple[Check | None, Check | None]
    same: bool  # the width's answer is the height's


def input_sizes(arch: Architecture, near: int | None = None) -> InputSizes:
    answers = (axis_sizes(arch, 0), axis_sizes(arch, 1))
    probes = tuple(
        probe(arch, answer, axis, near) if near is not None else None
        for axis, answer in enumerate(answers)
    )
    return InputSizes(
        arch.name, tuple(arch.input), answers, near, (probes[0], probes[1]),
        same_answer(*answers),
    )
