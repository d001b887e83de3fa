"""The squeeze-excitation zoo against torchvision's published figures (weights=None).

Params are torchvision's model docs figures. The exact MACs were derived independently of
cnncalc's formulas: benchmarks/torchvision_compare.py (engineer Z's, run with torch 2.14.1 /
torchvision 0.29.1) hooks every leaf module of torchvision's model, counts each Conv2d's
C_out·H_o·W_o·C_in/g·k_h·k_w and each Linear's in·out, and pairs all weight layers in order
(110 for mobilenet_v3_large, 88 for mobilenet_v3_small: kind, output shape, params and module
name all agree); the sums are the integers below, and round to the docs' GFLOPS (0.22, 0.06).
"""

import pytest

import cnncalc
from cnncalc.verify import verify

# name: (params, MACs at 224x224, torchvision's GFLOPS)
PUBLISHED = {
    "mobilenet_v3_large": (5_483_032, 216_589_760, 0.22),
    "mobilenet_v3_small": (2_542_856, 56_510_400, 0.06),
}


@pytest.mark.parametrize("name", PUBLISHED)
def test_params_and_macs_equal_torchvisions(name):
    params, macs, gflops = PUBLISHED[name]
    report = cnncalc.analyze(cnncalc.load(name))
    assert report.totals.params == params
    assert report.totals.macs == macs
    assert round(report.totals.macs / 1e9, 2) == gflops
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
