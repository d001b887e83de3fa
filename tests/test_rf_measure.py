"""Receptive fields measured through the reference kernels (cnncalc.rf_measure) against the
prediction, on small fixtures that hold every layer type and composite; and mutation tests: a
wrong RF formula of any layer type makes `verify --rf` disagree."""

from __future__ import annotations

import dataclasses
import functools
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc import load
from cnncalc.cli import app
from cnncalc.engine import analyze_architecture
from cnncalc.layers.base import REGISTRY, AxisStep
from cnncalc.layers.conv import Conv
from cnncalc.rf_measure import Prober
from cnncalc.verify import Verification, measure_rf, verify

FIXTURES = Path(__file__).parent / "rf"
runner = CliRunner()


@functools.cache
def verified(name: str) -> Verification:
    return verify(load(str(FIXTURES / f"{name}.yaml")))


@functools.cache
def prober(name: str) -> Prober:
    return Prober()  # one per fixture: its cache holds the measured layers


# (fixture, layer or None for the default, size, jump, center, global); sizes derived by hand
# where the comment says so, the others are what the measurement gives, equal to the prediction
CASES = [
    # conv 3/2 p1: r 3 j 2; dilated 3 d2: 3 + 4·2 = 11; two 3/2 p1 convs: 11 + 2·2 = 15 (j 4),
    # 15 + 2·4 = 23 (j 8). Unit 1 is centered at 1·8 = 8. The pool branch makes it global.
    ("image-pooling", None, 23, 8, 8, True),
    # A squeeze-excitation gate (C x 1 x 1, through a global pool) times the map: the same
    # chain as image-pooling, 23 (j 8, unit 1 at 8), global, the local field the identity's.
    ("squeeze-excite", "4", 23, 8, 8, True),
    # then a gate 1 x 1 x W repeated along height (local): along height every unit reads its
    # own rows and the gate's rows 0-3 of the 4x4 map, [-11, 11] ∪ [-11, 35] = [-11, 35]: 47
    # wide, centred at 12, the same for every unit (jump 0); along width as before.
    ("squeeze-excite", None, (47, 23), (0, 8), (12, 8), True),
    ("unet", None, 22, 2, Fraction(39, 2), False),
    ("unet-flat", None, 22, 2, Fraction(39, 2), False),  # the same net, skips by name
    ("resample", None, (27, 31), 4, (6, 8), False),
    ("misc", None, 22, 5, (Fraction(23, 2), Fraction(25, 2)), True),
    ("misc", "26", None, None, None, True),  # after a reshape that mixes positions: only global
    ("heads", "mix.add", 6, 4, Fraction(11, 2), True),  # roi_pool's branch is global
    # three 3x3/2 p1 convs: b r 7 j 4, c 15 j 8 (its 1x1 unit reads b's units -1..1, padding
    # included: local, not global). Both units of the join read [-7, 7] (through up and c)
    # ∪ their own b window ([-3, 3], [1, 7]): 15 wide, centred at 0, jump 0.
    ("small-map", None, 15, 0, 0, False),
    # 3x3 convs dilated 24 and 36 on an 8x8 map: 1 + 2·24 + 2·36 = 121, jump 1, unit 3 at 3.
    # Inside the map each unit reads only itself; the taps beyond it lie in the padding.
    ("dilated", None, 121, 1, 3, False),
    # zero_pad (top 0, left 1) then conv 3/2: r 3, j 2, start 0 + 1 = 1 (height), −1 + 1 = 0
    # (width); the chunk-and-conv branch 3 + 2·2 = 7 (its p1 keeps the start); the last conv
    # 7 + 2·2 = 11, start + 1·2: 3 x 2, and unit 1 is centered 2 further: 5 x 4. Every other
    # new type is the identity.
    ("channels", None, 11, 2, (5, 4), False),
]


@pytest.mark.parametrize(("name", "layer", "size", "jump", "center", "glob"), CASES)
def test_measured_equals_predicted(name, layer, size, jump, center, glob):
    m = measure_rf(verified(name), layer, prober(name))

    def pair(v):
        return v if isinstance(v, tuple) else (v, v)

    assert m.ok, [u for u in m.units if not u.ok]
    assert (m.size, m.jump, m.center, m.glob) == (pair(size), pair(jump), pair(center), glob)
    assert not m.unsure


def test_fields_keep_updating_after_a_global_branch():
    """The issue's probe: two stride-2 convs after the image-pooling merge double the jump."""
    rows = {r.path: r for r in verified("image-pooling").report.rows}
    assert [(rows[p].output[1], rows[p].rf[0].jump) for p in ("aspp.concat", "2", "3")] == [
        (16, 2), (8, 4), (4, 8)
    ]
    assert rows["3"].rf[0].glob and rows["3"].rf[0].local
    assert rows["aspp.branch1"].rf[0].glob is False


def test_fields_keep_updating_after_a_squeeze_excitation_gate():
    """After `mul` with a gate that passed a global pool, two stride-2 convs double the jump;
    the merge is global and local (the identity's field), the gate branch global only."""
    rows = {r.path: r for r in verified("squeeze-excite").report.rows}
    assert [(rows[p].output[1], rows[p].rf[0].jump) for p in ("se.mul", "3", "4")] == [
        (16, 2), (8, 4), (4, 8)
    ]
    assert rows["4"].rf[0].glob and rows["4"].rf[0].local and rows["4"].rf[0].exact
    assert rows["se.scale.4"].rf[0].glob and not rows["se.scale.4"].rf[0].local
    # the repeated local gate makes the height approximate in the table, not the width
    assert not rows["columns.mul"].rf[0].exact and rows["columns.mul"].rf[1].exact


def test_a_window_the_size_of_the_map_is_global_a_padded_one_is_not(tmp_path):
    """A 1x1 map is global only when the layer that made it reads exactly its input map
    (covers_map: unpadded, the map's size); a padded 3x3/2 conv on a 2x2 map reads padding
    too and stays local (small-map above). Unpadded 2x2/2 instead: c reads b's units 0..1
    only, and its field is global on both sides."""
    text = (FIXTURES / "small-map.yaml").read_text().replace(
        "{out: 2, kernel: 3, stride: 2, padding: 1}, name: c",
        "{out: 2, kernel: 2, stride: 2}, name: c",
    )
    assert "kernel: 2, stride: 2}, name: c" in text
    path = tmp_path / "map-sized.yaml"
    path.write_text(text)
    m = measure_rf(verify(load(str(path))))
    assert m.ok and m.glob and m.predicted_glob
    assert m.size == (7, 7)  # the local field is b's alone: unit 0 [-3, 3]


def test_uneven_adaptive_is_exact_per_unit():
    """misc's adaptive_avgpool 12 -> 5 (uneven): the table's model is approximate there, the
    per-unit windows are exact and measured equal."""
    m = measure_rf(verified("misc"), None, prober("misc"))
    assert m.inexact and m.ok and len(m.units) == 4


def test_wrong_conv_rf_steps_fails_verify(monkeypatch):
    """The issue's probe: a wrong Conv.rf_steps no longer passes `verify --rf` (AlexNet's
    measured 195 stays 195; the prediction moves)."""
    right = Conv.rf_steps

    def wrong(self, shape):
        return tuple(AxisStep(s.kernel + 1, s.stride, s.pad) for s in right(self, shape))

    monkeypatch.setattr(Conv, "rf_steps", wrong)
    result = runner.invoke(app, ["verify", "tests/rf/image-pooling.yaml", "--rf"])
    assert result.exit_code == 1, result.output
    assert "✗" in result.output and "differs from the predicted" in result.stderr


# ---------------------------------------------------------------- mutation table

TARGETS = {
    "unet": [None],
    "image-pooling": [None],
    "squeeze-excite": [None, "4"],
    "resample": [None],
    "misc": [None, "even", "26"],
    "heads": [None, "mix.add"],
    "channels": [None],
}


def _perturbed_steps(right, how):
    def wrong(self, shape):
        steps = right(self, shape)
        if steps is None:
            return steps
        s = steps[0]
        changed = {
            "kernel+1": AxisStep(s.kernel + 1, s.stride, s.pad),
            "stride+1": AxisStep(s.kernel, s.stride + 1, s.pad),
            "pad+1": AxisStep(s.kernel, s.stride, s.pad + 1),
        }[how]
        return (changed, steps[1])

    return wrong


def _perturbed_window(right, how):
    def wrong(self, shape, axis, o):
        lo, hi = right(self, shape, axis, o)
        return (lo, hi + 1) if how == "hi+1" else (lo - 1, hi)

    return wrong


# what no check can observe, with the reason
UNOBSERVABLE = {
    ("GlobalAvgPool", "stride+1"): "one window, one output unit: no second unit to step to",
    ("GlobalMaxPool", "stride+1"): "one window, one output unit: no second unit to step to",
    ("SpatialPyramidPool", "kernel+1"): "its output is a flat vector: every feature is global by "
    "its shape, whatever its step says",
    ("SpatialPyramidPool", "stride+1"): "flat output (see kernel+1)",
    ("SpatialPyramidPool", "pad+1"): "flat output (see kernel+1)",
    ("Flatten", "kernel+1"): "flat output: every feature is global by its shape",
    ("Flatten", "stride+1"): "flat output",
    ("Flatten", "pad+1"): "flat output",
    ("Linear", "kernel+1"): "runs on flat vectors only, after the field is already global",
    ("Linear", "stride+1"): "flat input",
    ("Linear", "pad+1"): "flat input",
    ("RoIPool", "stride+1"): "one window over the map (a region may be anywhere)",
    ("Upsample", "kernel+1"): "the table's model is approximate after upsampling (fractional "
    "jump, exact: false); verify checks single units through rf_window, mutated below",
    ("Upsample", "stride+1"): "as kernel+1: only the approximate table model uses it",
    ("Upsample", "pad+1"): "as kernel+1: only the approximate table model uses it",
}


def _mutations():
    classes = {cls for cls in REGISTRY.values()}
    for cls in sorted(classes, key=lambda c: c.__name__):
        for how in ("kernel+1", "stride+1", "pad+1"):
            yield cls, "rf_steps", how
        if hasattr(cls, "rf_window"):
            for how in ("hi+1", "lo-1"):
                yield cls, "rf_window", how


def test_rf_mutation_table(monkeypatch, capsys):
    """Perturb each layer type's RF formula (rf_steps; rf_window where a type has one) and run
    the measurement against the perturbed prediction on every fixture holding that type."""
    archs = {name: load(str(FIXTURES / f"{name}.yaml")) for name in TARGETS}
    types = {name: {r.type for r in verified(name).report.rows} for name in TARGETS}
    table = []
    for cls, method, how in _mutations():
        holders = [n for n in TARGETS if cls.TYPE in types[n]]
        assert holders, f"no fixture holds a {cls.TYPE}"
        right = getattr(cls, method)
        wrong = (_perturbed_steps if method == "rf_steps" else _perturbed_window)(right, how)
        caught: str | bool = False
        with monkeypatch.context() as patch:
            patch.setattr(cls, method, wrong)
            for name in holders:
                base = verified(name)
                try:
                    report = analyze_architecture(archs[name])
                except Exception as exc:  # noqa: BLE001  (the engine refuses the formula)
                    caught = f"caught: the engine refuses it ({type(exc).__name__})"
                    break
                result = dataclasses.replace(base, report=report)
                for layer in TARGETS[name]:
                    try:
                        m = measure_rf(result, layer, prober(name))
                    except Exception as exc:  # noqa: BLE001
                        caught = f"caught: the measurement refuses it ({type(exc).__name__}: {exc})"
                        break
                    if not m.ok:
                        caught = f"caught at {name} {m.path}"
                        break
                if caught:
                    break
        reason = UNOBSERVABLE.get((cls.__name__, how if method == "rf_steps" else method))
        table.append((cls.__name__, f"{method} {how}", caught, reason))
    with capsys.disabled():
        print("\nRF mutation table (layer, formula, caught by verify --rf):")
        for name, what, caught, reason in table:
            print(f"  {name:20} {what:20} {caught or 'not caught: ' + str(reason)}")
    missed = [(n, w) for n, w, caught, reason in table if not caught and reason is None]
    stale = [(n, w) for n, w, caught, reason in table if caught and reason is not None]
    assert not missed, f"wrong RF formulas that verify --rf does not catch: {missed}"
    assert not stale, f"listed as unobservable but caught: {stale}"
