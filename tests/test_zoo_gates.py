"""The squeeze-excitation zoo against torchvision's published figures (weights=None).

Params are torchvision's model docs figures. The exact MACs were derived independently of
cnncalc's formulas: benchmarks/torchvision_compare.py (engineer Z's, run with torch 2.14.1 /
torchvision 0.29.1) hooks every leaf module of torchvision's model, counts each Conv2d's
C_out·H_o·W_o·C_in/g·k_h·k_w and each Linear's in·out, and pairs all weight layers in order
(kind, output shape and params all agree; module names too, except RegNet's `block1-0` and
`proj`, which cnncalc spells `block1.0` and `shortcut`):

    /work/venvs/tv/bin/python benchmarks/torchvision_compare.py NAME --cnncalc cnncalc

mobilenet_v3_large 110 weight layers, mobilenet_v3_small 88, efficientnet_b0 131,
efficientnet_b3 209 (at its 300x300), regnet_y_400mf 139. The sums are the integers below, and
round to the docs' GFLOPS. One block of each new family is also derived by hand below.
"""

from functools import cache

import pytest

import cnncalc
from cnncalc.verify import verify

# name: (params, MACs at the model's input, torchvision's GFLOPS)
PUBLISHED = {
    "mobilenet_v3_large": (5_483_032, 216_589_760, 0.22),
    "mobilenet_v3_small": (2_542_856, 56_510_400, 0.06),
    "efficientnet_b0": (5_288_548, 385_814_752, 0.39),
    "efficientnet_b3": (12_233_232, 1_827_141_392, 1.83),  # at 300x300
    "regnet_y_400mf": (4_344_144, 401_842_848, 0.40),
}


@cache
def rows(name: str) -> dict:
    return {r.path: r for r in cnncalc.analyze(name).rows}


@pytest.mark.parametrize("name", PUBLISHED)
def test_params_and_macs_equal_torchvisions(name):
    params, macs, gflops = PUBLISHED[name]
    report = cnncalc.analyze(cnncalc.load(name))
    assert report.totals.params == params
    assert report.totals.macs == macs
    assert f"{report.totals.macs / 1e9:.2f}" == f"{gflops:.2f}"
    assert report.output == (1000,)


def test_module_names_follow_torchvision():
    """features.N.block.I.J as torchvision's InvertedResidual numbers its layers: no expand
    conv in the first block (so its depthwise conv is block.0), the SE module's names."""
    paths = {r.path for r in cnncalc.analyze(cnncalc.load("mobilenet_v3_large")).rows}
    for path in ("features.0.0", "features.1.block.0.0", "features.1.block.1.0",
                 "features.4.block.0.0", "features.4.block.2.fc1", "features.4.block.2.fc2",
                 "features.4.block.2.scale_activation", "features.5.add", "features.16.0",
                 "classifier.0", "classifier.3"):
        assert path in paths, path
    assert "features.4.add" not in paths  # stride 2: no shortcut


@pytest.mark.parametrize("name", PUBLISHED)
def test_verify_passes_at_a_reduced_input(name):
    result = verify(cnncalc.load(name), (3, 32, 32))
    assert result.ok, result.failures[:3]


def block_totals(name: str, prefix: str) -> tuple[int, int]:
    inside = [r for path, r in rows(name).items() if path.startswith(prefix)]
    return sum(r.params for r in inside), sum(r.macs for r in inside)


def test_efficientnet_b0_first_mbconv_by_hand():
    """features.1.0 at 112x112: ratio 1 (no expand conv), depthwise 3x3 on 32 channels, SE
    squeezing to max(1, 32 // 4) = 8 with biases, project 1x1 to 16, bns of 32 and 16."""
    params = 9 * 32 + 2 * 32 + (32 * 8 + 8) + (8 * 32 + 32) + 32 * 16 + 2 * 16  # 1,448
    macs = 32 * 112 * 112 * 9 + 32 * 8 + 8 * 32 + 16 * 112 * 112 * 32  # 10,035,712
    assert block_totals("efficientnet_b0", "features.1.0.") == (params, macs)
    assert rows("efficientnet_b0")["features.1.0.block.2.0"].output == (16, 112, 112)


def test_efficientnet_squeeze_is_a_quarter_of_the_block_input():
    """torchvision's MBConv squeezes to max(1, input_channels // 4) of the block's input, not of
    the expanded width: features.2.0 expands 16 -> 96 and squeezes to 4 (96·4 + 4 = 388)."""
    row = rows("efficientnet_b0")["features.2.0.block.2.fc1"]
    assert (row.output, row.params) == ((4, 1, 1), 96 * 4 + 4)


def test_efficientnet_b3_widths_and_depths():
    """B3: make_divisible(c · 1.2, 8) of 32, 16, 24, 40, 80, 112, 192, 320 is 40, 24, 32, 48, 96,
    136, 232, 384 (19.2 rounds to 16, below 0.9·19.2, so 24), and ⌈n · 1.4⌉ of 1, 2, 2, 3, 3, 4,
    1 blocks is 2, 3, 3, 5, 5, 6, 2; the last conv is 4·384 = 1536 wide, at 300x300."""
    found = rows("efficientnet_b3")
    assert found["features.0.0"].output == (40, 150, 150)
    widths = [24, 32, 48, 96, 136, 232, 384]
    depths = [2, 3, 3, 5, 5, 6, 2]
    for stage, (width, depth) in enumerate(zip(widths, depths, strict=True), start=1):
        inside = [p for p in found if p.startswith(f"features.{stage}.")]
        assert {p.split(".")[2] for p in inside} == {str(k) for k in range(depth)}, stage
        assert found[inside[-1]].output[0] == width, stage
    assert found["features.8.0"].output == (1536, 10, 10)
    assert found["classifier.1"].params == 1536 * 1000 + 1000


def test_efficientnet_names_follow_torchvision():
    paths = rows("efficientnet_b0")
    for path in ("features.0.0", "features.1.0.block.0.0", "features.1.0.block.1.fc1",
                 "features.2.0.block.0.0", "features.2.1.block.2.scale_activation",
                 "features.2.1.stochastic_depth", "features.2.1.add", "features.8.0",
                 "avgpool", "classifier.1"):
        assert path in paths, path
    assert "features.2.0.add" not in paths  # a stage's first block: no shortcut


def test_regnet_y_400mf_block_by_hand():
    """trunk_output.block2.0: 48 -> 104 at stride 2 (56 -> 28), groups 104 // 8 = 13 of 8
    channels, SE squeezing to round(0.25·48) = 12 (of the block's input), 1x1 proj shortcut."""
    a = (48 * 104 + 2 * 104, 104 * 56 * 56 * 48)
    b = (9 * 8 * 104 + 2 * 104, 104 * 28 * 28 * 8 * 9)
    se = (104 * 12 + 12 + 12 * 104 + 104, 2 * 104 * 12)
    c = (104 * 104 + 2 * 104, 104 * 28 * 28 * 104)
    proj = (48 * 104 + 2 * 104, 104 * 28 * 28 * 48)
    parts = (a, b, se, c, proj)
    expected = (sum(p for p, _ in parts), sum(m for _, m in parts))  # 31,732 / 33,921,472
    assert block_totals("regnet_y_400mf", "trunk_output.block2.0.") == expected
    found = rows("regnet_y_400mf")
    assert found["trunk_output.block2.0.f.se.fc1"].output == (12, 1, 1)
    assert found["trunk_output.block4.5.relu"].output == (440, 7, 7)
