"""Property tests: on random architectures the engine's predictions equal the NumPy forward
pass, the symbolic engine equals the numeric one, and the receptive field measured by the
adjoint pass equals the predicted one. `--hypothesis-profile=thorough` runs thousands."""

from __future__ import annotations

import sympy
from hypothesis import assume, given

import cnncalc
from cnncalc.errors import ShapeError, SpecError
from cnncalc.loader import load_text
from cnncalc.verify import measure_rf, verify

from .strategies import architecture, broken_architecture


def _load(text):
    arch = load_text(text, "random.yaml")
    try:
        report = cnncalc.analyze(arch)
    except ShapeError:
        assume(False)  # spatial sizes ran out: not a valid architecture
    return arch, report


@given(architecture())
def test_engine_agrees_with_the_forward_pass(case):
    text, _ = case
    arch, report = _load(text)
    result = verify(arch, dtype=__import__("numpy").float64)
    assert result.ok, [
        (c.path, c.predicted_shape, c.computed_shape, c.error) for c in result.failures
    ]
    assert sum(c.allocated_params for c in result.checks) == report.totals.params


@given(architecture())
def test_symbolic_equals_numeric(case):
    text, (c, h, w) = case
    arch, numeric = _load(text)
    try:
        symbolic = cnncalc.analyze(arch, input=f"{c}xHxW")
    except SpecError as exc:  # the documented symbolic limit (ceil_mode with a small kernel)
        assume("symbolic" not in str(exc))
        raise
    except ShapeError:
        # merges of symbolic sizes that only agree for some H are refused symbolically
        assume(False)
    H, W = (
        sympy.Symbol("H", integer=True, positive=True),
        sympy.Symbol("W", integer=True, positive=True),
    )
    values = {H: h, W: w}
    for srow, nrow in zip(symbolic.rows, numeric.rows, strict=True):
        got = tuple(int(sympy.sympify(d).subs(values)) for d in srow.output)
        assert got == nrow.output, (srow.path, srow.output, nrow.output)
        assert sympy.sympify(srow.params).subs(values) == nrow.params
        assert sympy.sympify(srow.macs).subs(values) == nrow.macs, srow.path


@given(architecture())
def test_measured_receptive_field_equals_the_prediction(case):
    text, _ = case
    arch, report = _load(text)
    assume(any(len(r.output) == 3 and tuple(r.output[1:]) != (1, 1) for r in report.rows))
    result = verify(arch)
    measured = measure_rf(result)
    assert measured.size == measured.predicted_size, measured
    assert measured.center == measured.predicted_center, measured
    assert measured.jump == measured.predicted_jump, measured
    assert measured.ok, [u for u in measured.units if not u.ok]  # every unit, and the table


@given(broken_architecture())
def test_invalid_architectures_name_the_broken_layer(case):
    text, defect = case
    arch = load_text(text, "random.yaml")
    try:
        cnncalc.analyze(arch)
    except (SpecError, ShapeError) as exc:
        message = str(exc)
        if "broken" not in exc.path:
            # an earlier random layer may already fail (its sizes ran out): that is fine, as
            # long as it is reported the same way
            assert exc.path and "random.yaml:" in message, message
            return
        assert exc.path.endswith("broken"), (exc.path, message)
        assert "random.yaml:" in message, message
        return
    # the only way out: a strided branch on a 1x1 map, which concat accepts
    assert defect == "concat_mismatch", text
