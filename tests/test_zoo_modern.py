"""The 2016–2020 zoo that needs no new layer type: SqueezeNet, MobileNetV2, MnasNet, RegNetX,
ResNeXt, Wide ResNet and the two segmentation models, against torchvision.

Parameters are torchvision's published counts (its model docs, `num_params`); the segmentation
models have their aux head, as the published counts do, and without it are those counts less
the head, derived by hand below. MACs are torchvision's "GFLOPS" (MACs in G) to the printed
precision, and the exact integers are those of benchmarks/torchvision_compare.py, which counts
each Conv2d and Linear of torchvision's own model with forward hooks (torch 2.14.1,
torchvision 0.29.1):

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
# name: (published params with aux, published GFLOPS with aux at 520x520, hook MACs with aux,
# hook MACs without: torchvision_compare.py NAME --kw aux_loss=true / aux_loss=false)
SEGMENTATION = {
    "fcn_resnet50": (35_322_218, "152.72", 152_716_512_000, 142_725_772_800),
    "deeplabv3_resnet50": (42_004_074, "178.72", 178_721_945_088, 168_731_205_888),
}


@pytest.mark.parametrize("name", SEGMENTATION)
def test_segmentation_models_equal_torchvision_with_their_aux_head(name):
    with_aux, gflops, hook_macs, hook_macs_without = SEGMENTATION[name]
    r = report(name)
    assert r.totals.params == with_aux
    assert r.totals.macs == hook_macs
    assert f"{r.totals.macs / 1e9:.2f}" == gflops
    # the aux head's rows are the hand-derived head, and the rest is torchvision's model
    # built with aux_loss=False (the published count less the head: 32,957,013 and 39,638,869)
    aux = [row for row in r.rows if row.path.split(".")[0] in ("aux_classifier", "aux")]
    assert sum(row.params for row in aux) == AUX_PARAMS == 2_365_205
    assert sum(row.macs for row in aux) == AUX_MACS
    assert r.totals.params - AUX_PARAMS == {"fcn_resnet50": 32_957_013,
                                            "deeplabv3_resnet50": 39_638_869}[name]
    assert r.totals.macs - AUX_MACS == hook_macs_without
    assert r.input == (3, 520, 520) and r.output == (21, 520, 520)
    assert [(path, shape, train_only) for path, shape, train_only in r.outputs] == [
        ("out", (21, 520, 520), False), ("aux", (21, 520, 520), False)
    ]


@pytest.mark.parametrize("name", SEGMENTATION)
def test_the_aux_head_runs_in_eval_mode_as_torchvision_runs_it(name):
    """_SimpleSegmentationModel.forward computes result["aux"] whenever aux_classifier is not
    None, in eval mode too: not train_only, so both modes count the same MACs."""
    assert report(name, mode="train").totals == report(name).totals


@pytest.mark.parametrize("name", SEGMENTATION)
def test_segmentation_rows_are_torchvision_modules(name):
    rows = report(name).collapsed(1)
    assert [(row.path, row.output) for row in rows] == [
        ("backbone", (2048, 65, 65)),
        ("classifier", (21, 65, 65)),
        ("out", (21, 520, 520)),
        ("aux_classifier", (21, 65, 65)),
        ("aux", (21, 520, 520)),
    ]
    paths = {row.path for row in report(name).rows}
    assert {"backbone.conv1", "backbone.layer3.0.shortcut.0", "backbone.layer4.2.conv3",
            "classifier.4", "aux_classifier.0", "aux_classifier.4"} <= paths


def test_deeplab_aspp_has_torchvisions_module_names():
    paths = [row.path for row in report("deeplabv3_resnet50").rows if row.params]
    aspp = [p for p in paths if p.startswith("classifier.0.")]
    assert aspp == [
        "classifier.0.convs.0.0", "classifier.0.convs.0.1",
        *(f"classifier.0.convs.{k}.{j}" for k in (1, 2, 3) for j in (0, 1)),
        "classifier.0.convs.4.1", "classifier.0.convs.4.2",
        "classifier.0.project.0", "classifier.0.project.1",
    ]


def test_the_final_upsampling_follows_the_input():
    for name in SEGMENTATION:
        r = report(name, input="3x480x640")
        assert [shape for _, shape, _ in r.outputs] == [(21, 480, 640), (21, 480, 640)]


def test_composites_md_tables_state_these_figures():
    """docs/composites.md's multi-path tables give the published params and the hook MACs."""
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "composites.md").read_text()
    table = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")] if line.startswith("|") else []
        if len(cells) >= 3 and cells[0] in {*TORCHVISION, *SEGMENTATION}:
            numbers = [c for c in cells[1:] if c.replace(",", "").isdigit()]
            table[cells[0]] = tuple(int(c.replace(",", "")) for c in numbers[:2])
    expected = {name: (params, macs) for name, (params, macs, _) in TORCHVISION.items()}
    expected |= {name: (params, macs) for name, (params, _, macs, _) in SEGMENTATION.items()}
    assert table == expected


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
