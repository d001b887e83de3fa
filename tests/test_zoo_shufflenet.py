"""ShuffleNetV2 1.0x (torchvision's shufflenet_v2_x1_0) against torchvision's published figures
and arithmetic derived by hand from torchvision's modules.

benchmarks/torchvision_compare.py checks the file module by module against torchvision itself
(params, MACs and output shape of each of its 113 weighted modules).
"""

from functools import cache

import cnncalc
from cnncalc import load
from cnncalc.verify import verify


@cache
def report(input: str | None = None):
    return cnncalc.analyze("shufflenet_v2_x1_0", input=input)


def shufflenet_macs(size: int, widths=(116, 232, 464), units=(4, 8, 4)) -> int:
    """Conv and linear MACs, from torchvision's modules: conv1 3x3/2 3→24; maxpool /2; per stage
    of width w on c channels at H (h = H/2 after the strided unit), the strided unit's branch1
    (depthwise 3x3/2 on c, 1x1 c→w/2) and branch2 (1x1 c→w/2 at H, depthwise 3x3/2, 1x1
    w/2→w/2), then units − 1 units of b = w/2: 1x1 b→b, depthwise 3x3, 1x1 b→b; conv5 1x1 →1024;
    fc 1024→1000."""
    h = -(-size // 2)  # conv1, stride 2, p1
    macs = 24 * h * h * 3 * 9
    h = -(-h // 2)  # maxpool 3/2 p1
    c = 24
    for w, n in zip(widths, units, strict=True):
        b, big = w // 2, h
        h = -(-h // 2)
        macs += c * h * h * 9 + b * h * h * c  # branch1
        macs += b * big * big * c + b * h * h * 9 + b * b * h * h  # branch2
        macs += (n - 1) * (2 * b * b + 9 * b) * h * h
        c = w
    return macs + 1024 * h * h * c + 1024 * 1000


def test_params_and_macs_equal_torchvisions():
    # torchvision's docs for ShuffleNet_V2_X1_0_Weights: 2,278,604 params, 0.14 GFLOPS (MACs)
    totals = report().totals
    assert totals.params == 2_278_604
    assert totals.macs == shufflenet_macs(224) == 144_907_992
    assert round(totals.macs / 1e9, 2) == 0.14


def test_the_hand_formula_holds_at_another_size():
    assert report("3x160x160").totals.macs == shufflenet_macs(160)


def test_paths_follow_torchvision():
    paths = {r.path: r for r in report().rows}
    # torchvision's module names: conv1.0, stage2.0.branch1.0 (strided unit), branch2.7; the
    # stride-1 units have only branch2 (x1 passes through the chunk)
    for path, out in [
        ("conv1.0", (24, 112, 112)),
        ("maxpool", (24, 56, 56)),
        ("stage2.0.branch1.0", (24, 28, 28)),
        ("stage2.0.branch1.2", (58, 28, 28)),
        ("stage2.0.branch2.0", (58, 56, 56)),
        ("stage2.0.branch2.7", (58, 28, 28)),
        ("stage2.3.branch2.7", (58, 28, 28)),
        ("stage3.7.branch2.5", (116, 14, 14)),
        ("stage4.3.channel_shuffle", (464, 7, 7)),
        ("conv5.2", (1024, 7, 7)),
        ("fc", (1000,)),
    ]:
        assert tuple(paths[path].output) == out, path
    # the depthwise 3x3 of a stride-1 unit in stage 3: 116·9 weights, no bias
    assert paths["stage3.1.branch2.3"].params == 116 * 9
    assert "stage2.4.branch2.0" not in paths  # 4 units: stage2.0 … stage2.3


def test_verify_passes_at_a_reduced_input():
    # 3x64x64: stages at 8x8, 4x4 and 2x2, the strided and the chunked units both run
    result = verify(load("shufflenet_v2_x1_0"), input=(3, 64, 64))
    assert result.ok, result.failures
    assert result.report.totals.macs == shufflenet_macs(64)
