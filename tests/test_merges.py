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


# ---------------------------------------------------------------- squeeze_excite

SE = """
input: [72, 28, 28]
layers:
  - {squeeze_excite: {squeeze: "make_divisible(C_in // 4, 8)", gate: hardsigmoid}, name: se}
  - squeeze_excite: 8
"""


def test_squeeze_excite_is_torchvisions_module():
    """SqueezeExcitation(72, 24): fc1 72·24 + 24 = 1,752 and fc2 24·72 + 72 = 1,800 params;
    MACs 72·24 each; the product 72·28·28 = 56,448 multiplications. The squeeze is
    make_divisible(72 // 4, 8) = 24, as MobileNetV3 computes it."""
    report = cnncalc.analyze(arch(SE))
    rows = {r.path: r for r in report.rows}
    assert [r.path for r in report.rows[:6]] == [
        "se.avgpool", "se.fc1", "se.activation", "se.fc2", "se.scale_activation", "se.mul",
    ]
    assert [rows[p].type for p in ("se.activation", "se.scale_activation", "1.activation",
                                   "1.scale_activation")] == ["relu", "hardsigmoid", "relu",
                                                              "sigmoid"]
    assert (rows["se.fc1"].output, rows["se.fc1"].params) == ((24, 1, 1), 1752)
    assert (rows["se.fc2"].output, rows["se.fc2"].params) == ((72, 1, 1), 1800)
    assert rows["se.fc1"].macs == rows["se.fc2"].macs == 72 * 24
    assert (rows["se.mul"].output, rows["se.mul"].extra_flops) == ((72, 28, 28), 56448)
    assert rows["1.fc1"].params == 72 * 8 + 8
    assert rows["se.mul"].rf[0].glob and rows["se.mul"].rf[0].local
    assert rows["se.mul"].rf[0].size == 1
    assert not report.diagnostics  # the gate's global pool is what the block is: no note


def test_squeeze_excite_equals_the_parallel_it_stands_for():
    written = cnncalc.analyze(arch(GATES[: GATES.index("  - parallel:", GATES.index("name: se"))]))
    composite = cnncalc.analyze(arch("input: [16, 8, 8]\nlayers:\n  - squeeze_excite: 4\n"))
    assert (written.totals.params, written.totals.macs, written.totals.extra_flops) == (
        composite.totals.params, composite.totals.macs, composite.totals.extra_flops)


def test_squeeze_excite_verifies_and_is_symbolic():
    assert verify(arch(SE)).ok
    report = cnncalc.analyze(arch(SE.replace("[72, 28, 28]", "[C, H, W]")))
    fc1 = {r.path: r for r in report.rows}["se.fc1"]
    assert fc1.output[0].free_symbols  # make_divisible(C // 4, 8), symbolic in C


def test_squeeze_excite_on_a_flat_vector_is_a_shape_error():
    with pytest.raises(ShapeError, match="squeeze_excite needs a feature map"):
        cnncalc.analyze(arch("input: [64]\nlayers:\n  - squeeze_excite: 4\n"))


def test_squeeze_excite_round_trips_through_emit():
    from cnncalc.emit import architecture_yaml

    first = arch(SE)
    again = load_text(architecture_yaml(first), "again.yaml")
    def summary(a):
        return [(r.path, r.type, r.output, r.params) for r in cnncalc.analyze(a).rows]

    assert summary(again) == summary(first)
