"""Merges (cnncalc/merges.py): `mul` with torch's broadcasting rule — shapes, counted
operations, the reference kernel, symbolic sizes — and identity branches."""

import textwrap

import numpy as np
import pytest

import cnncalc
from cnncalc import reference
from cnncalc.errors import ShapeError
from cnncalc.loader import load_text
from cnncalc.verify import verify


def arch(text):
    return load_text(textwrap.dedent(text), "t.yaml")


GATES = """
input: [16, 8, 8]
layers:
  - parallel:
      branches:
        - identity
        - [global_avgpool, {conv: {out: 4, kernel: 1}}, relu, {conv: {out: 16, kernel: 1}}, sigmoid]
      merge: mul
    name: se
  - parallel:
      branches:
        - identity
        - [{conv: {out: 1, kernel: 7, padding: 3}}, sigmoid]
      merge: mul
    name: spatial
"""


def test_mul_broadcasts_and_counts_one_multiplication_per_output_element():
    report = cnncalc.analyze(arch(GATES))
    rows = {r.path: r for r in report.rows}
    assert rows["se.mul"].output == rows["spatial.mul"].output == (16, 8, 8)
    assert rows["se.mul"].detail == "16x8x8 * 16x1x1"
    assert rows["spatial.mul"].detail == "16x8x8 * 1x8x8"
    # 16·8·8 = 1,024 products each, under "merge"; no MACs, no params
    for path in ("se.mul", "spatial.mul"):
        assert (rows[path].extra_flops, rows[path].extra_kind) == (1024, "merge")
        assert rows[path].macs == rows[path].params == 0
    assert report.totals.extra_flops["merge"] == 2048
    # params by hand: fc1 16·4 + 4, fc2 4·16 + 16, the 7x7 conv 49·16 + 1
    assert report.totals.params == 68 + 80 + 785
    # an identity branch has no rows of its own
    assert not any(r.path.startswith(("se.branch1", "spatial.branch1")) for r in report.rows)


def test_mul_is_verified_by_the_reference_kernel():
    result = verify(arch(GATES))
    assert result.ok, result.failures


def test_mul_with_symbolic_sizes():
    report = cnncalc.analyze(arch(GATES.replace("[16, 8, 8]", "[16, H, W]")))
    row = {r.path: r for r in report.rows}["spatial.mul"]
    assert [str(d) for d in row.output] == ["16", "H", "W"]
    assert str(row.extra_flops) == "16*H*W"


@pytest.mark.parametrize(
    ("gate", "fragment"),
    [
        ("[global_avgpool, {conv: {out: 4, kernel: 1}}]", "the channels differ"),
        ("[{maxpool: {kernel: 2}}]", "the height differ"),
        ("[global_avgpool, flatten]", "feature maps or all flat vectors"),
    ],
)
def test_a_broadcast_that_does_not_fit_is_a_shape_error(gate, fragment):
    text = f"""
    input: [16, 8, 8]
    layers:
      - parallel:
          branches: [identity, {gate}]
          merge: mul
    """
    with pytest.raises(ShapeError, match=fragment):
        cnncalc.analyze(arch(text))


def test_symbolic_sizes_that_differ_do_not_broadcast():
    text = """
    input: [16, H, W]
    layers:
      - parallel:
          branches: [identity, [{maxpool: {kernel: 2}}]]
          merge: mul
    """
    with pytest.raises(ShapeError, match="mul cannot broadcast"):
        cnncalc.analyze(arch(text))


def _loop_mul(a, b):
    """The broadcast product written out element by element (torch's rule by hand)."""
    n, c, h, w = (max(x, y) for x, y in zip(a.shape, b.shape, strict=True))
    out = np.empty((n, c, h, w))
    for i in range(n):
        for k in range(c):
            for y in range(h):
                for x in range(w):
                    pick = [(i if s[0] > 1 else 0, k if s[1] > 1 else 0,
                             y if s[2] > 1 else 0, x if s[3] > 1 else 0)
                            for s in (a.shape, b.shape)]
                    out[i, k, y, x] = a[pick[0]] * b[pick[1]]
    return out


@pytest.mark.parametrize("gate", [(2, 3, 1, 1), (2, 1, 4, 5), (2, 3, 4, 5), (2, 1, 1, 5)])
def test_reference_mul_against_a_loop(gate):
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal(gate)
    np.testing.assert_allclose(reference.mul([x, g]), _loop_mul(x, g))
    np.testing.assert_allclose(reference.mul([g, x]), _loop_mul(g, x))


def test_reference_mul_refuses_what_torch_refuses():
    with pytest.raises(ValueError, match="do not broadcast"):
        reference.mul([np.ones((1, 3, 4, 4)), np.ones((1, 2, 1, 1))])
    assert reference.broadcast_shape((3, 1, 5), (4, 1)) == (3, 4, 5)  # torch.broadcast_shapes
