"""Mutation tests: break each formula of each registered layer type on a tiny network and check
that `cnncalc verify` notices.

For every class in REGISTRY and each of its formulas (output shape, params, buffers, MACs, other
operations, `same`/explicit padding resolution, copies) a mutant is made with monkeypatch — off
by one, or a wrong factor of 2 — and `verify` must report a disagreement. A formula that no check
can observe is listed with the reason; the receptive-field steps are measured by another test
file. Run with `-s` to see the table:

    python -m pytest tests/test_mutations.py -s -q
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

import cnncalc.layers.conv as conv_module
import cnncalc.layers.pool as pool_module
from cnncalc.cli import app
from cnncalc.errors import CnnCalcError
from cnncalc.layers import REGISTRY
from cnncalc.layers.base import FORMULAS, Layer, missing_formulas, register
from cnncalc.loader import load_text
from cnncalc.verify import verify

# One tiny network per layer type (input, layers); the type under test comes last, or is
# followed only by layers that accept any size, so a wrong shape cannot stop the engine.
NETWORKS: dict[str, tuple[list[int], str]] = {
    "conv": ([2, 9, 9], """
  - conv: {out: 3, kernel: 3, stride: 2, padding: same}
  - conv: {out: 2, kernel: 2, padding: [[1, 0], [0, 2]]}"""),
    "maxpool": ([2, 9, 9], """
  - maxpool: {kernel: 3, stride: 2, padding: same, ceil_mode: true}
  - maxpool: {kernel: 2, stride: 1, padding: [[1, 0], [1, 0]]}"""),
    "avgpool": ([2, 9, 9], """
  - avgpool: {kernel: 3, stride: 2, padding: same, count_include_pad: false}
  - avgpool: {kernel: 2, stride: 1, padding: [[1, 0], [1, 0]]}"""),
    "global_avgpool": ([2, 5, 4], "\n  - global_avgpool"),
    "global_maxpool": ([2, 5, 4], "\n  - global_maxpool"),
    "adaptive_avgpool": ([2, 7, 8], "\n  - adaptive_avgpool: {out: [3, 2]}"),
    "adaptive_maxpool": ([2, 7, 8], "\n  - adaptive_maxpool: {out: [3, 2]}"),
    "conv_transpose": ([2, 4, 4], """
  - conv_transpose: {out: 3, kernel: 3, stride: 2, padding: 1, output_padding: 1}"""),
    "upsample": ([2, 3, 4], """
  - upsample: 2
  - upsample: {size: [7, 9], mode: bilinear}"""),
    "max_unpool": ([2, 6, 7], """
  - {maxpool: {kernel: 2, ceil_mode: true}, name: pool}
  - max_unpool: {of: pool}"""),
    "spp": ([2, 8, 8], "\n  - spp: [4, 2, 1]"),
    "roi_pool": ([2, 8, 8], """
  - roi_pool: {out: [2, 2], regions: 3, scale: 0.5}
  - flatten
  - linear: 4"""),
    "reshape": ([2, 4, 4], "\n  - reshape: [8, 2, 2]"),
    "crop": ([2, 5, 5], """
  - conv: {out: 2, kernel: 1, padding: 1}
  - crop: {to: input, offset: 1}"""),
    "linear": ([2, 3, 3], "\n  - flatten\n  - linear: 4"),
    "flatten": ([2, 3, 3], "\n  - flatten"),
    "bn": ([2, 3, 3], "\n  - bn"),
    "lrn": ([4, 3, 3], "\n  - lrn: 3"),
    "leaky_relu": ([2, 3, 3], "\n  - leaky_relu: 0.2"),
    "dropout": ([2, 3, 3], "\n  - dropout: 0.3"),
    "layer_norm": ([3, 2, 3], "\n  - layer_norm: {eps: 1.0e-6}"),
    "group_norm": ([4, 2, 3], "\n  - group_norm: 2"),
    "layer_scale": ([3, 2, 3], "\n  - layer_scale"),
    "identity": ([2, 3, 3], "\n  - identity"),
    "zero_pad": ([2, 3, 3], "\n  - zero_pad: [1, 2, 0, 3]"),
    "channel_shuffle": ([4, 2, 3], "\n  - channel_shuffle: 2"),
    "chunk": ([5, 2, 3], "\n  - chunk: {chunks: 2, index: 1}"),  # torch.chunk: 5 -> 3 + 2
    "stochastic_depth": ([2, 3, 3], "\n  - stochastic_depth: 0.2"),
}
for _name in ("relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid",
              "elu", "mish", "softmax", "log_softmax"):
    NETWORKS[_name] = ([2, 3, 3], f"\n  - {_name}")

CLASSES = {cls: cls.TYPE for cls in REGISTRY.values()}  # one row per class, by its first name

# What verify compares: shapes (the kernels' real outputs), params and buffers (the allocated
# tensors), MACs (counted in the kernels' matmuls). Anything else is listed here with the reason.
NOT_OBSERVED = {
    "extra_flops": "not observable: verify counts no operations besides MACs; other-op counts are "
    "a convention (k²−1 comparisons, 7 per bilinear output...) pinned by hand-derived tables in "
    "tests/test_layers.py",
    "rf_steps": "rf_step: covered by tests/test_rf_measure.py (the field measured through the "
    "kernels, verify --rf)",
}
PADDED = {"conv", "maxpool", "avgpool"}  # the types whose padding is resolved by the layer


def network(kind: str):
    shape, layers = NETWORKS[kind]
    return load_text(f"name: {kind}-mutant\ninput: {shape}\nlayers:{layers}\n", f"{kind}.yaml")


def shape_plus_one(out: Any) -> Any:
    return (*out[:-1], out[-1] + 1)


def shape_doubled(out: Any) -> Any:
    return (*out[:-1], out[-1] * 2)


def mutate(monkeypatch, cls: type[Layer], name: str, change: Callable[[Any], Any]) -> list[bool]:
    """Replace cls.<name> by change(original); returns a flag list set when the value changed."""
    original = getattr(cls, name)
    changed = [False]

    def mutant(self, *args):
        value = original(self, *args)
        new = change(value)
        changed[0] |= new != value
        return new

    monkeypatch.setattr(cls, name, mutant)
    return changed


def mutate_padding(monkeypatch, which: str) -> list[bool]:
    """`same`: one more pixel on each side in the engine's same_padding; `explicit`: one more
    pixel after, for an explicit ((top, bottom), (left, right)) padding."""
    changed = [True]
    if which == "same":
        original = conv_module.same_padding
        monkeypatch.setattr(
            conv_module, "same_padding", lambda *a: tuple(p + 1 for p in original(*a))
        )
        return changed
    original_resolve = conv_module.resolve_padding

    def resolve(padding, *args):
        pads = original_resolve(padding, *args)
        return pads if isinstance(padding, str) else tuple((b, a + 1) for b, a in pads)

    for module in (conv_module, pool_module):  # pool imports the name itself
        monkeypatch.setattr(module, "resolve_padding", resolve)
    return changed


def verdict(kind: str, changed: list[bool]) -> str:
    try:
        result = verify(network(kind))
    except CnnCalcError as exc:
        return f"REFUSED (not a disagreement): {exc}"
    if not changed[0]:
        return "equivalent mutant (the value is 0 here)"
    if result.ok:
        return "MISSED"
    return "caught"


def mutants(cls: type[Layer], kind: str):
    """(formula, mutation, apply) for every mutation of this layer type."""
    shape_changes = (("+1", shape_plus_one), ("×2", shape_doubled))
    number_changes = (("+1", lambda v: v + 1), ("×2", lambda v: v * 2))
    for label, change in shape_changes:
        yield "output_shape", label, lambda mp, c=change: mutate(mp, cls, "output_shape", c)
    for formula in ("params", "buffers", "macs", "extra_flops"):
        for label, change in number_changes:
            yield formula, label, lambda mp, f=formula, c=change: mutate(mp, cls, f, c)
    if kind == "roi_pool":
        for label, change in number_changes:
            yield "copies", label, lambda mp, c=change: mutate(mp, cls, "copies", c)
    if kind in PADDED:
        for which in ("same", "explicit"):
            yield "padding", which, lambda mp, w=which: mutate_padding(mp, w)


def mutation_table() -> list[tuple[str, str, str, str]]:
    rows = []
    for cls, kind in CLASSES.items():
        for formula, label, apply in mutants(cls, kind):
            with pytest.MonkeyPatch.context() as mp:
                rows.append((kind, formula, label, verdict(kind, apply(mp))))
        rows.append((kind, "rf_steps", "-", NOT_OBSERVED["rf_steps"]))
    return rows


def acceptable(formula: str, result: str) -> bool:
    if result == "caught" or result.startswith("equivalent"):
        return True
    if result.startswith("rf_step: covered"):
        return formula == "rf_steps"
    return result == "MISSED" and formula in NOT_OBSERVED


def render(rows: list[tuple[str, str, str, str]]) -> str:
    lines = [f"{'layer':18} {'formula':13} {'mutant':8} verify"]
    for kind, formula, label, result in rows:
        if result == "MISSED" and formula in NOT_OBSERVED:
            result = NOT_OBSERVED[formula]
        lines.append(f"{kind:18} {formula:13} {label:8} {result}")
    return "\n".join(lines)


def test_every_layer_type_has_a_network():
    assert sorted(set(CLASSES.values()) - set(NETWORKS)) == []


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_the_unmutated_networks_verify(kind):
    result = verify(network(kind))
    assert result.ok, result.failures


def test_every_formula_mutant_is_caught_or_listed_with_a_reason():
    rows = mutation_table()
    table = render(rows)
    print("\n" + table)
    bad = [row for row in rows if not acceptable(row[1], row[3])]
    assert bad == [], table
    # no formula hides behind "equivalent": each is caught by at least one of its mutants
    caught = {(k, f) for k, f, _, r in rows if r == "caught"}
    for kind, formula, _, _ in rows:
        if formula not in NOT_OBSERVED:
            assert (kind, formula) in caught, (kind, formula)


# ------------------------------------------------------------ the acceptance probe, end to end

SAME_225 = """name: same-225
input: [1, 225, 225]
layers:
  - conv: {out: 2, kernel: 3, stride: 2, padding: same}
"""


def test_a_same_padding_off_by_one_fails_cnncalc_verify(tmp_path, monkeypatch):
    path = tmp_path / "same.yaml"
    path.write_text(SAME_225)
    runner = CliRunner()
    ok = runner.invoke(app, ["verify", str(path)])
    assert ok.exit_code == 0, ok.output
    mutate_padding(monkeypatch, "same")  # TensorFlow's ⌈225/2⌉ = 113 becomes 114
    result = runner.invoke(app, ["verify", str(path)])
    assert result.exit_code == 1
    assert "disagreement at 0 (conv): shape predicted 2x114x114, computed 2x113x113" in (
        result.stderr
    )


def test_a_wrong_mac_formula_fails_cnncalc_verify(monkeypatch):
    from cnncalc.layers.conv import Conv

    monkeypatch.setattr(Conv, "macs", lambda self, shape, out: 7)
    result = CliRunner().invoke(app, ["verify", "3x3-stack", "--set", "C=8,H=6,W=6"])
    assert result.exit_code == 1
    # 8 outputs x 6x6 x 8 inputs x 3x3, performed by the kernel's matmul
    assert "MACs predicted 7, counted by the kernels 20736" in result.stderr


# ------------------------------------------------------------ forgetting a formula is loud


def test_every_registered_type_states_every_formula():
    assert {cls.TYPE: missing_formulas(cls) for cls in CLASSES if missing_formulas(cls)} == {}


@pytest.mark.parametrize("forgotten", FORMULAS)
def test_a_layer_type_that_forgets_a_formula_is_refused_at_registration(forgotten):
    from dataclasses import dataclass

    from cnncalc.layers.base import IDENTITY_STEP

    formulas = {
        "output_shape": lambda self, shape: shape,
        "params": lambda self, shape: 0,
        "buffers": lambda self, shape: 0,
        "macs": lambda self, shape, out: 0,
        "extra_flops": lambda self, shape, out: 0,
        "rf_steps": lambda self, shape: IDENTITY_STEP,
    }
    del formulas[forgotten]
    cls = dataclass(frozen=True)(type("Forgetful", (Layer,), dict(formulas)))
    before = dict(REGISTRY)
    with pytest.raises(TypeError, match=f"does not state {forgotten}"):
        register("forgetful_test_layer")(cls)
    assert before == REGISTRY  # the refused class left nothing behind
