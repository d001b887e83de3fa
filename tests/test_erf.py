"""The effective receptive field (Luo et al., NeurIPS 2016): for a stack of n 3x3 convs with
uniform weights the radius holding 90 % of the gradient grows like √n, while the theoretical
field grows like n."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.erf import effective_rf
from cnncalc.loader import load_text


def stack(n: int) -> str:
    size = 2 * n + 41  # the field (2n + 1) and a margin, so the border does not cut the gradient
    return (
        f"name: stack\ninput: [1, {size}, {size}]\nlayers:\n  - repeat: {n}\n    layers:\n"
        "      - conv: {out: 1, kernel: 3, padding: 1, bias: false}\n"
    )


def test_erf_radius_grows_like_sqrt_n():
    ns = [4, 8, 16, 32, 64]
    fields, radii = [], []
    for n in ns:
        e = effective_rf(load_text(stack(n), "stack.yaml"), samples=1, uniform=True)
        fields.append(e.theoretical[0])
        radii.append(e.radii[90])
    erf_slope = np.polyfit(np.log(ns), np.log(radii), 1)[0]
    field_slope = np.polyfit(np.log(ns), np.log(fields), 1)[0]
    assert abs(erf_slope - 0.5) <= 0.1, (radii, erf_slope)
    assert field_slope > 0.9, fields  # the theoretical field: 2n + 1


def test_erf_cli_json():
    result = CliRunner().invoke(
        app,
        ["verify", "docs/examples/residual.yaml", "--erf", "--samples", "2", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    erf = json.loads(result.output)["erf"]
    assert erf["path"] == "block.relu" and erf["samples"] == 2
    assert erf["theoretical"] == [7, 7]
    assert 0 <= erf["radius"]["50"] <= erf["radius"]["90"] <= erf["radius"]["99"]
    assert abs(sum(erf["profile"]) - 1) < 1e-6


def test_erf_of_a_layer_without_a_map_is_one_line(tmp_path):
    # was an IndexError (exit 70): mypy saw the Optional receptive field read unchecked
    flat_head = "input: [3, 8, 8]\nlayers:\n  - conv: {out: 2, kernel: 3}\n  - flatten\n"
    flat_head += "  - linear: 4\n"
    reshaped = "input: [12]\nlayers:\n  - reshape: {to: [3, 2, 2]}\n  - conv: {out: 2, kernel: 1}\n"
    for text, layer, fragment in [
        (flat_head, "2", "2 has no spatial output to pick a unit from"),
        (reshaped, "1", "1 has no receptive field (the input is flat)"),
    ]:
        path = tmp_path / "net.yaml"
        path.write_text(text)
        result = CliRunner().invoke(app, ["verify", str(path), "--erf", "--layer", layer])
        assert result.exit_code == 2, result.output
        assert fragment in result.output and "Traceback" not in result.output


GRAD_NET = """name: g
input: [1, 12, 12]
layers:
  - conv: {out: 3, kernel: 3, stride: 2, padding: same}
  - bn
  - relu
  - maxpool: {kernel: 3, stride: 1, padding: 1}
  - residual:
      body: [{conv: {out: 3, kernel: 3, padding: 1}}, relu]
      shortcut: identity
  - avgpool: {kernel: 2, stride: 1}
  - parallel:
      branches:
        - [{conv: {out: 2, kernel: 3, padding: 1}}]
        - [{conv: {out: 2, kernel: 1}}]
"""


def test_erf_gradient_matches_finite_differences():
    """The backward pass (conv with `same` stride 2, bn, relu, max and average pooling, add,
    concat) against finite differences of the forward pass with the same seeded weights."""
    from cnncalc.engine import analyze_architecture
    from cnncalc.verify import NumpyRunner, Traced

    arch = load_text(GRAD_NET, "g.yaml")
    e = effective_rf(arch, samples=1, seed=3)

    def center_sum(x):
        runner = NumpyRunner(3, np.float32)
        runner.rng.standard_normal((1, 1, 12, 12), dtype=np.float32)  # effective_rf's draw order
        merges = []  # the last merge (the parallel concat) is the output
        merge = runner._merge
        runner._merge = lambda kind, xs, path: merges.append(merge(kind, xs, path)) or merges[-1]
        analyze_architecture(arch, runner=runner, x=Traced(x, None))
        return merges[-1][0, :, e.unit[0], e.unit[1]].sum()

    x0 = NumpyRunner(3, np.float32).rng.standard_normal((1, 1, 12, 12), dtype=np.float32)
    base, eps = center_sum(x0), 1e-2
    grad = np.zeros((12, 12))
    for i in range(12):
        for j in range(12):
            x = x0.copy()
            x[0, 0, i, j] += eps
            grad[i, j] = (center_sum(x) - base) / eps
    finite = np.abs(grad) / np.abs(grad).max()
    assert np.abs(finite - e.heat).max() < 0.01
