"""The 2016–2020 zoo that needs no new layer type: SqueezeNet, MobileNetV2, MnasNet, RegNetX,
ResNeXt, Wide ResNet and the two segmentation models, against torchvision.

Parameters are torchvision's published counts (its model docs, `num_params`); the segmentation
models' main-head counts are the published counts with aux head less that head, derived by hand
below. MACs are torchvision's "GFLOPS" (MACs in G) to the printed precision, and the exact
integers are those of benchmarks/torchvision_compare.py, which counts each Conv2d and Linear
of torchvision's own model with forward hooks (torch 2.14.1, torchvision 0.29.1):

    /work/venvs/tv/bin/python benchmarks/torchvision_compare.py NAME --cnncalc cnncalc

The hooks count torchvision's modules, not cnncalc's rows: a source independent of the code
under test. A few are also derived by hand in the tests below.
"""

from functools import cache

import pytest

import cnncalc
from cnncalc import zoo
from cnncalc.errors import SpecError


@cache
def report(name: str, **kw):
    return cnncalc.analyze(name, **kw)


# name: (params, MACs from torchvision's hooks, torchvision's GFLOPS as printed)
TORCHVISION = {
    "squeezenet1_0": (1_248_424, 818_924_576, "0.82"),
    "squeezenet1_1": (1_235_496, 349_151_936, "0.35"),
    "mobilenet_v2": (3_504_872, 300_774_272, "0.30"),
    "mnasnet1_0": (4_383_312, 314_415_872, "0.31"),
    "regnet_x_400mf": (5_495_976, 413_812_608, "0.41"),
    "resnext50_32x4d": (25_028_904, 4_230_479_872, "4.23"),
    "wide_resnet50_2": (68_883_240, 11_398_021_120, "11.40"),  # docs: 11.4
}

# torchvision's aux head on layer3 (FCNHead(1024, 21)): a 3x3 conv 1024 -> 256 without bias,
# bn(256) and a 1x1 conv 256 -> 21 with bias. At 520x520 layer3 is 65x65 (output stride 8).
AUX_PARAMS = 9 * 1024 * 256 + 2 * 256 + 256 * 21 + 21  # 2,365,205
AUX_MACS = 65 * 65 * (9 * 1024 * 256 + 256 * 21)  # 9,990,739,200
# name: (published params with aux, published GFLOPS with aux at 520x520)
SEGMENTATION = {
    "fcn_resnet50": (35_322_218, "152.72", 142_725_772_800),
    "deeplabv3_resnet50": (42_004_074, "178.72", 168_731_205_888),
}


@pytest.mark.parametrize("name", TORCHVISION)
def test_params_and_macs_equal_torchvision(name):
    params, macs, gflops = TORCHVISION[name]
    totals = report(name).totals
    assert totals.params == params
    assert totals.macs == macs
    assert f"{totals.macs / 1e9:.2f}" == gflops


@pytest.mark.parametrize("name", SEGMENTATION)
def test_segmentation_main_head_is_the_published_model_less_its_aux_head(name):
    with_aux, gflops, hook_macs = SEGMENTATION[name]
    r = report(name)
    assert AUX_PARAMS == 2_365_205
    assert r.totals.params == with_aux - AUX_PARAMS
    assert r.totals.macs == hook_macs
    assert f"{(r.totals.macs + AUX_MACS) / 1e9:.2f}" == gflops
    assert r.input == (3, 520, 520) and r.output == (21, 520, 520)


def test_the_final_upsampling_follows_the_input():
    r = report("fcn_resnet50", input="3x480x640")
    assert r.output == (21, 480, 640)


def test_squeezenet1_1_by_hand():
    """Fire(in, s, e): in·s + s + s·e + e + 9·s·e + e params (1x1 squeeze, 1x1 and 3x3 expands,
    with biases). SqueezeNet 1.1: conv1 3x3x3x64 + 64, eight fires, conv10 512·1000 + 1000."""

    def fire(c_in, s, e):
        return c_in * s + s + s * e + e + 9 * s * e + e

    fires = [(64, 16, 64), (128, 16, 64), (128, 32, 128), (256, 32, 128),
             (256, 48, 192), (384, 48, 192), (384, 64, 256), (512, 64, 256)]
    params = 27 * 64 + 64 + sum(fire(*f) for f in fires) + 512 * 1000 + 1000
    assert params == 1_235_496
    assert report("squeezenet1_1").totals.params == params
    # MACs: conv1 on 111x111, fires at 55, 55, 27, 27, 13, 13, 13, 13, conv10 on 13x13
    sizes = [55, 55, 27, 27, 13, 13, 13, 13]
    macs = 64 * 111 * 111 * 27 + 1000 * 13 * 13 * 512 + sum(
        n * n * (c * s + s * e + 9 * s * e) for n, (c, s, e) in zip(sizes, fires, strict=True)
    )
    assert report("squeezenet1_1").totals.macs == macs == 349_151_936


def test_resnext_bottleneck_by_hand():
    """ResNeXt's layer1.0: 1x1 64 -> 128, 3x3 128 -> 128 in 32 groups (4 channels each),
    1x1 128 -> 256; torchvision's width int(64 · 4/64) · 32 = 128."""
    rows = {r.path: r for r in report("resnext50_32x4d").rows}
    assert rows["layer1.0.conv1"].params == 64 * 128
    assert rows["layer1.0.conv2"].params == 9 * 4 * 128
    assert rows["layer1.0.conv3"].params == 128 * 256
    assert rows["layer1.0.conv2"].macs == 128 * 56 * 56 * 4 * 9


def test_variants_are_resnet50_with_bindings():
    base = report("resnet50")
    assert base.totals.params == 25_557_032 and base.bindings == {}
    for name in ("resnext50_32x4d", "wide_resnet50_2"):
        bound = zoo.VARIANTS[name].bindings
        given = ",".join(f"{k}={v}" for k, v in bound.items())
        same = cnncalc.analyze("resnet50", set=given)
        assert same.totals.params == TORCHVISION[name][0]
        assert same.totals.macs == TORCHVISION[name][1]
        arch = zoo.load(name)
        assert arch.name == name and arch.title != zoo.load("resnet50").title
    # a variant is named in the list and in reports, and shows its base file with a note
    assert {"resnext50_32x4d", "wide_resnet50_2"} <= set(zoo.names())
    assert report("resnext50_32x4d").name == "resnext50_32x4d"
    text, label, _ = zoo.locate("resnext50-32x4d")
    assert label == "resnet50.yaml"
    assert text.endswith("# resnext50_32x4d: this file with --set groups=32,width_per_group=4\n")


def test_a_symbol_default_holds_until_set(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(
        "input: [3, 8, 8]\nsymbols: {width: 4}\nlayers:\n  - conv: {out: width, kernel: 1}\n"
    )
    assert cnncalc.analyze(str(path)).output == (4, 8, 8)
    assert cnncalc.analyze(str(path), set="width=6").output == (6, 8, 8)
    assert cnncalc.analyze(str(path)).bindings == {}


@pytest.mark.parametrize(
    ("symbols", "message"),
    [("{width: 0}", "must be a positive integer"), ("{width: x}", "must be a positive integer")],
)
def test_a_bad_symbol_default_is_refused(tmp_path, symbols, message):
    path = tmp_path / "d.yaml"
    path.write_text(f"input: [3, 8, 8]\nsymbols: {symbols}\nlayers:\n  - relu\n")
    with pytest.raises(SpecError, match=message):
        cnncalc.analyze(str(path))


def test_mobilenet_v2_names_follow_torchvision():
    paths = [r.path for r in report("mobilenet_v2").rows]
    for path in ("features.0.0", "features.1.conv.0.0", "features.1.conv.1",
                 "features.2.conv.0.0", "features.3.conv.3", "features.18.0",
                 "classifier.1"):
        assert path in paths
