"""ConvNeXt-T (torchvision's convnext_tiny) against torchvision's published figures and
arithmetic derived by hand from torchvision's modules.

`benchmarks/torchvision_compare.py convnext_tiny` pairs all 100 of torchvision's weight layers
(convolutions, linears, layer norms and the blocks' layer_scale parameters) with cnncalc's rows:
kinds, output shapes, parameters and names agree.
"""

from functools import cache

import cnncalc
from cnncalc import load
from cnncalc.verify import verify


@cache
def report(input: str | None = None):
    return cnncalc.analyze("convnext_tiny", input=input)


def convnext_macs(size: int, dims=(96, 192, 384, 768), blocks=(3, 3, 9, 3)) -> int:
    """Conv and linear MACs, from torchvision's modules: the 4x4/4 stem 3→96; per block of
    width d on an h x h map, the depthwise 7x7 (d·49 per position) and the two Linears d→4d→d on
    channels last (8d² per position); per downsample to 2d, a 2x2/2 conv (2d·4d per output
    position, on (h/2)²); the classifier's Linear 768→1000."""
    h = size // 4
    macs = dims[0] * h * h * 3 * 16
    for k, (d, n) in enumerate(zip(dims, blocks, strict=True)):
        if k:
            h //= 2
            macs += d * h * h * dims[k - 1] * 4
        macs += n * h * h * (49 * d + 8 * d * d)
    return macs + dims[-1] * 1000


def test_params_and_macs_equal_torchvisions():
    # torchvision's docs for ConvNeXt_Tiny_Weights: 28,589,128 params, 4.46 GFLOPS (MACs)
    totals = report().totals
    assert totals.params == 28_589_128
    assert totals.macs == convnext_macs(224) == 4_455_531_264
    assert round(totals.macs / 1e9, 2) == 4.46


def test_the_hand_formula_holds_at_another_size():
    assert report("3x160x160").totals.macs == convnext_macs(160)


def test_paths_follow_torchvision():
    rows = {r.path: r for r in report().rows}
    for path, out, params in [
        ("features.0.0", (96, 56, 56), 4 * 4 * 3 * 96 + 96),
        ("features.0.1", (96, 56, 56), 2 * 96),  # LayerNorm2d: γ and β
        ("features.1.0.block.0", (96, 56, 56), 49 * 96 + 96),  # depthwise 7x7, with bias
        ("features.1.0.block.3", (384, 56, 56), 96 * 384 + 384),  # Linear 96 → 384
        ("features.1.0.block.5", (96, 56, 56), 384 * 96 + 96),
        ("features.1.0.layer_scale", (96, 56, 56), 96),
        ("features.2.1", (192, 28, 28), 2 * 2 * 96 * 192 + 192),  # downsample 2x2/2
        ("features.5.8.block.3", (1536, 14, 14), 384 * 1536 + 1536),  # the 9th block of stage 3
        ("features.7.2.add", (768, 7, 7), 0),
        ("classifier.0", (768, 1, 1), 2 * 768),
        ("classifier.2", (1000,), 768 * 1000 + 1000),
    ]:
        assert (tuple(rows[path].output), rows[path].params) == (out, params), path
    assert "features.5.9.block.0" not in rows  # 9 blocks: features.5.0 … features.5.8


def test_verify_passes_at_a_reduced_input():
    # 3x64x64: the stages run at 16x16, 8x8, 4x4 and 2x2
    result = verify(load("convnext_tiny"), input=(3, 64, 64))
    assert result.ok, result.failures
    assert result.report.totals.macs == convnext_macs(64)
