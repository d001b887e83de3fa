"""Symbolic results evaluated at numbers equal the numeric engine's, layer by layer."""

import sympy

import cnncalc
from cnncalc.shape import ceil_div, floordiv

from .sweeps import sample

H = sympy.Symbol("H", integer=True, positive=True)


def test_nested_floors_fold():
    # ⌊(⌊(H − 1)/2⌋ + 1 − 1)/2⌋ = ⌊(H − 1)/4⌋
    assert floordiv(floordiv(H - 1, 2), 2) == sympy.floor((H - 1) / 4)
    assert floordiv(floordiv(H + 3, 2) + 1, 3) == sympy.floor((H + 5) / 6)
    for h in range(1, 200):
        assert floordiv(floordiv(h - 1, 2), 2) == (h - 1) // 4
        assert ceil_div(h, 3) == -(-h // 3)
        assert ceil_div(H, 3).subs(H, h) == -(-h // 3)


def _sweep(name, sizes, input_text="3xHxW"):
    symbolic = cnncalc.analyze(name, input=input_text)
    W = sympy.Symbol("W", integer=True, positive=True)
    funcs = {}
    for row in symbolic.rows:
        for d in row.output:
            if isinstance(d, sympy.Basic) and d not in funcs:
                funcs[d] = sympy.lambdify((H, W), d, "math")
    for h in sizes:
        numeric = cnncalc.analyze(name, input=f"3x{h}x{h}")
        assert len(numeric.rows) == len(symbolic.rows)
        for srow, nrow in zip(symbolic.rows, numeric.rows, strict=True):
            got = tuple(int(funcs[d](h, h)) if d in funcs else d for d in srow.output)
            assert got == nrow.output, (name, h, srow.path)


def test_resnet50_shapes_for_every_size_from_32_to_600():
    _sweep("resnet50", sample(range(32, 601)))


def test_vgg16_and_alexnet_shapes():
    _sweep("vgg16", range(32, 300, 7))
    _sweep("alexnet", range(63, 400, 11))


def test_params_of_the_3x3_stack():
    C = sympy.Symbol("C", integer=True, positive=True)
    report = cnncalc.analyze("3x3-stack")
    assert sympy.expand(report.totals.params - (27 * C**2 + 3 * C)) == 0
    assert str(report.totals.params) == "27*C**2 + 3*C"
