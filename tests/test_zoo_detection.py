"""The segmentation and detection networks of the zoo (issue 6): FCN-32s/16s/8s, SegNet, SPP-net,
Fast R-CNN and YOLO v1.

Every expected figure is derived here by hand from the papers' layer tables and the reference
Caffe models (conv k·k·C_in·C_out + C_out, linear in·out + out, transposed convs without bias
21·21·k·k; MACs C_out·H_o·W_o·C_in·k² for a conv, C_in·H_i·W_i·C_out·k² for a transposed conv,
in·out for a linear layer), never copied from cnncalc's output.
"""

import json
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc import zoo
from cnncalc.cli import app
from cnncalc.errors import ShapeError
from cnncalc.loader import load_text
from cnncalc.sizes import axis_sizes, check

runner = CliRunner()
ZOO = Path(__file__).parent.parent / "architectures"


def conv(c_in, c_out, k, bias=True):
    return k * k * c_in * c_out + (c_out if bias else 0)


def linear(n_in, n_out):
    return n_in * n_out + n_out


def variant(name, old, new):
    """The zoo file with one piece of text replaced, loaded as an architecture."""
    text = (ZOO / f"{name}.yaml").read_text()
    assert old in text
    return load_text(text.replace(old, new), f"{name}-variant.yaml")


@cache
def report(name, size=None):
    return cnncalc.analyze(name, input=size)


def rows(r):
    return {row.path.rsplit(".", 1)[-1]: row for row in r.rows}


def ceil_half(n):
    return (n + 1) // 2


# VGG-16's 13 convolutions (3x3, pad 1, with bias): (C_in, C_out)
VGG16_CONVS = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
               (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
VGG16_STAGES = [2, 2, 3, 3, 3]  # convs per stage, each stage ending in a 2x2/2 pool
VGG16_CONV_PARAMS = sum(conv(a, b, 3) for a, b in VGG16_CONVS)


def test_vgg16_conv_params():
    assert VGG16_CONV_PARAMS == 14_714_688  # torchvision's vgg16 138,357,544 minus its 3 fc layers
    assert 138_357_544 - linear(25_088, 4096) - linear(4096, 4096) - linear(4096, 1000) == (
        VGG16_CONV_PARAMS
    )


# ------------------------------------------------------------------ FCN

def deconv(k):  # 21 -> 21 transposed conv, no bias
    return 21 * 21 * k * k


# VGG-16 convs, fc6 as a 7x7 conv on pool5, fc7 as 1x1, score_fr 1x1 to 21 classes
FCN_COMMON = VGG16_CONV_PARAMS + conv(512, 4096, 7) + conv(4096, 4096, 1) + conv(4096, 21, 1)
FCN_PARAMS = {
    "fcn32s": FCN_COMMON + deconv(64),  # upscore 64x64/32
    # upscore2 4x4/2, score_pool4 1x1 on pool4, upscore16 32x32/16
    "fcn16s": FCN_COMMON + deconv(4) + conv(512, 21, 1) + deconv(32),
    # ... + upscore_pool4 4x4/2, score_pool3 1x1 on pool3, upscore8 16x16/8 (no upscore16)
    "fcn8s": FCN_COMMON + deconv(4) + conv(512, 21, 1) + deconv(4) + conv(256, 21, 1) + deconv(16),
}


def test_fcn_params_by_hand():
    assert FCN_COMMON == 14_714_688 + 102_764_544 + 16_781_312 + 86_037 == 134_346_581
    assert FCN_PARAMS == {"fcn32s": 136_152_917, "fcn16s": 134_815_994, "fcn8s": 134_489_759}
    for name, params in FCN_PARAMS.items():
        r = report(name)
        assert r.totals.params == params, name
        assert r.totals.trainable_params == params


def fcn_maps(h):
    """Pool sizes along one axis: conv1_1 pads by 100 (H + 198), each Caffe pool rounds up."""
    pools, size = [], h + 198
    for _ in range(5):
        size = ceil_half(size)
        pools.append(size)
    return pools  # pool1 .. pool5


def test_fcn32s_shapes_and_macs_by_hand_at_500():
    p = fcn_maps(500)
    assert p == [349, 175, 88, 44, 22]
    r = report("fcn32s")
    by = rows(r)
    assert by["fc6"].output == (4096, 16, 16)  # 22 − 7 + 1
    assert by["upscore"].output == (21, 544, 544)  # (16 − 1)·32 + 64
    assert r.output == (21, 500, 500)  # cropped at 19: 19 + 500 ≤ 544
    sizes = [698] + p[:4]  # the map each VGG stage's convs run on
    macs = 0
    convs = iter(VGG16_CONVS)
    for stage, n in enumerate(VGG16_STAGES):
        for _ in range(n):
            a, b = next(convs)
            macs += b * sizes[stage] ** 2 * a * 9
    macs += 4096 * 16 * 16 * 512 * 49 + 4096 * 16 * 16 * 4096 + 21 * 16 * 16 * 4096
    macs += 21 * 16 * 16 * 21 * 64 * 64  # upscore: C_in·H_i·W_i·C_out·k²
    assert r.totals.macs == macs


@pytest.mark.parametrize("name", ["fcn32s", "fcn16s", "fcn8s"])
def test_fcn_every_size_is_valid(name):
    # By hand: pool5 = ⌈(H + 198)/32⌉ ≥ 7 for every H ≥ 1, so fc6 (7x7, no padding) always fits;
    # upscore2 is 2·pool5 − 10 ≤ pool4 − 5, upscore_pool4 4·pool5 − 18 ≤ pool3 − 9, and the last
    # map is 32·pool5 − 160 (32s) or − 144 (16s, 8s) ≥ H + 38 ≥ H + offset: every crop fits.
    # The pools round up and the convs have stride 1, so no pixel is ever dropped.
    result = runner.invoke(app, ["sizes", name, "--format", "json"])
    assert result.exit_code == 0, result.output
    for axis in json.loads(result.stdout)["axes"]:
        assert axis["smallest"] == 1
        assert len(axis["works_residues"]) == axis["period"]  # every residue: every size
        assert len(axis["keeps_residues"]) == axis["period"]
    arch = zoo.load(name)
    answer = axis_sizes(arch, 0)
    for h in range(1, 257):
        assert answer.works(h) and answer.keeps(h), h
        assert cnncalc.analyze(arch, input=f"3x{h}x500").output == (21, h, 500), h
    # `sizes` takes its period from the last map's jump, 1 here: check three periods of the
    # network's real stride (32) directly rather than through its extrapolation
    for h in range(1, 97):
        found = check(arch, 0, h)
        assert found.works and found.keeps_pixels, (h, found.reason)


@pytest.mark.parametrize("name", ["fcn32s", "fcn16s", "fcn8s"])
@pytest.mark.parametrize("size", ["3x1x1", "3x31x33", "3x224x224", "3x375x500", "3x513x97"])
def test_fcn_output_is_the_input_size(name, size):
    _, h, w = map(int, size.split("x"))
    assert report(name, size).output == (21, h, w)


# The final receptive field by hand, per axis: VGG-16 to pool5 212 (jump 32); fc6 7x7 adds
# 6·32 = 192 -> 404; a transposed conv k/s at jump j adds (k − 1)/s·j. Every merge is centered
# (the Caffe offsets align the branches) and the crop to the input centers output (0, 0) on
# input pixel 0.
FCN_RF = {
    "fcn32s": 404 + 63,  # upscore 64/32 at jump 32
    "fcn16s": 404 + 48 + 31,  # upscore2 4/2 at 32 -> 452 (contains score_pool4's 100), upscore16
    "fcn8s": 404 + 48 + 24 + 15,  # ... upscore_pool4 4/2 at 16 -> 476, upscore8 16/8 at 8
}


@pytest.mark.parametrize("name", ["fcn32s", "fcn16s", "fcn8s"])
def test_fcn_crops_align(name):
    r = report(name)
    assert r.diagnostics == ()  # no "not aligned" merge
    for axis in r.rows[-1].rf:
        assert (axis.size, axis.jump, axis.start) == (FCN_RF[name], 1, 0)


def test_fcn_crop_names_a_layer_of_the_other_branch():
    by = rows(report("fcn8s"))
    assert by["upscore2"].output == (21, 34, 34)  # (16 − 1)·2 + 4
    assert by["score_pool4"].output == (21, 44, 44)
    assert by["score_pool4c"].output == (21, 34, 34)  # cropped at 5: 5 + 34 ≤ 44
    assert by["upscore_pool4"].output == (21, 70, 70)  # (34 − 1)·2 + 4
    assert by["score_pool3c"].output == (21, 70, 70)  # 88 cropped at 9
    assert by["upscore8"].output == (21, 568, 568)  # (70 − 1)·8 + 16, cropped at 31 to 500


def test_fcn_without_the_padding_of_100_is_a_shape_error(tmp_path):
    # conv1_1 with padding 1 instead: at 100x100 pool5 is 4x4 (100 -> 50 -> 25 -> 13 -> 7 -> 4),
    # too small for fc6's 7x7 window
    arch = variant("fcn8s", "padding: 100}", "padding: 1}")
    with pytest.raises(ShapeError, match="fc6"):
        cnncalc.analyze(arch, input="3x100x100")
    spec = tmp_path / "fcn8s-pad1.yaml"
    spec.write_text((ZOO / "fcn8s.yaml").read_text().replace("padding: 100}", "padding: 1}"))
    result = runner.invoke(app, ["shapes", str(spec), "--input", "3x100x100"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "fc6" in lines[0] and "(4 + 0 + 0 − 7)/1" in lines[0] and "too small" in lines[0]


# ------------------------------------------------------------------ SegNet

SEGNET_ENCODER = VGG16_CONVS
SEGNET_DECODER = [(512, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 256),
                  (256, 256), (256, 256), (256, 128), (128, 128), (128, 64), (64, 64)]


def test_segnet_params_by_hand():
    convs = SEGNET_ENCODER + SEGNET_DECODER
    bn = sum(2 * b for _, b in convs)  # every conv but the last is followed by bn (γ, β)
    params = sum(conv(a, b, 3) for a, b in convs) + conv(64, 11, 3) + bn
    assert params == 29_449_355
    r = report("segnet")
    assert r.totals.params == params
    assert r.totals.buffers == bn  # the running mean and variance


def test_segnet_output_and_unpooling_shapes():
    r = report("segnet")
    assert r.output == (11, 360, 480)
    by = rows(r)
    # Caffe pools round up: 360x480 -> 180x240 -> 90x120 -> 45x60 -> 23x30 -> 12x15
    assert by["pool4"].output == (512, 23, 30)
    assert by["pool5"].output == (512, 12, 15)
    # each unpooling restores its pool's input size
    assert by["upsample5"].output == (512, 23, 30)
    assert by["upsample4"].output == (512, 45, 60)
    assert by["upsample3"].output == (256, 90, 120)
    assert by["upsample2"].output == (128, 180, 240)
    assert by["upsample1"].output == (64, 360, 480)


def test_segnet_macs_by_hand():
    sizes = [360 * 480, 180 * 240, 90 * 120, 45 * 60, 23 * 30]  # the map of each stage
    stage_of = [0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]  # encoder conv -> stage
    macs = sum(b * sizes[s] * a * 9 for (a, b), s in zip(SEGNET_ENCODER, stage_of, strict=True))
    back = [4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 0]  # decoder conv -> stage
    macs += sum(b * sizes[s] * a * 9 for (a, b), s in zip(SEGNET_DECODER, back, strict=True))
    macs += 11 * sizes[0] * 64 * 9
    assert report("segnet").totals.macs == macs


# ------------------------------------------------------------------ SPP-net (ZF-5)

def zf5_conv5(h):
    """conv1 7x7/2 pad 1, pool 3x3/2 (rounds up), conv2 5x5/2, pool 3x3/2, conv3-5 keep it."""
    h = (h + 2 - 7) // 2 + 1
    h = -(-(h - 3) // 2) + 1
    h = (h - 5) // 2 + 1
    return -(-(h - 3) // 2) + 1


ZF5_PARAMS = (conv(3, 96, 7) + conv(96, 256, 5) + conv(256, 384, 3) + conv(384, 384, 3)
              + conv(384, 256, 3))


@pytest.mark.parametrize(("size", "conv5"), [("3x180x180", (10, 10)), ("3x224x224", (13, 13)),
                                             ("3x300x400", (17, 24))])
def test_sppnet_feature_length_does_not_depend_on_the_input(size, conv5):
    _, h, w = map(int, size.split("x"))
    assert (zf5_conv5(h), zf5_conv5(w)) == conv5
    r = report("sppnet", size)
    by = rows(r)
    assert by["conv5"].output == (256, *conv5)
    assert by["pool5_spm"].output == (256 * (36 + 9 + 4 + 1),) == (12_800,)
    assert by["fc6"].params == linear(12_800, 4096)
    assert r.output == (1000,)
    params = ZF5_PARAMS + linear(12_800, 4096) + linear(4096, 4096) + linear(4096, 1000)
    assert params == 77_037_672
    assert r.totals.params == params


def test_sppnet_he2014_rule_fails_where_adaptive_is_needed():
    # window ⌈a/n⌉, stride ⌊a/n⌋: at a = 13 the levels 6, 3, 2, 1 get windows 3, 5, 7, 13 and
    # strides 2, 4, 6, 13: (13 − 3)//2 + 1 = 6, (13 − 5)//4 + 1 = 3, (13 − 7)//6 + 1 = 2, 1 bins.
    # At a = 10: window 2, stride 1 -> 9 bins, not 6; at a = 17: window 3, stride 2 -> 8.
    arch = variant("sppnet", "rule: adaptive", "rule: he2014")
    assert rows(cnncalc.analyze(arch, input="3x224x224"))["pool5_spm"].output == (12_800,)
    with pytest.raises(ShapeError, match="gives 9 bins"):
        cnncalc.analyze(arch, input="3x180x180")
    with pytest.raises(ShapeError, match="gives 8 bins"):
        cnncalc.analyze(arch, input="3x300x400")


# ------------------------------------------------------------------ Fast R-CNN

FAST_RCNN_HEAD_MACS = 25_088 * 4096 + 4096 * 4096 + 4096 * 21 + 4096 * 84  # per region


def vgg16_conv_macs(h, w):
    """The 13 convs at h x w with Caffe's round-up pools between the stages."""
    macs, convs = 0, iter(VGG16_CONVS)
    for n in VGG16_STAGES:
        for _ in range(n):
            a, b = next(convs)
            macs += b * h * w * a * 9
        h, w = ceil_half(h), ceil_half(w)
    return macs


def test_fast_rcnn_params_by_hand():
    params = (VGG16_CONV_PARAMS + linear(25_088, 4096) + linear(4096, 4096) + linear(4096, 21)
              + linear(4096, 84))
    assert params == 134_690_729
    assert report("fast-rcnn").totals.params == params


@pytest.mark.parametrize("regions", [1, 64, 128, 2000])
def test_fast_rcnn_head_macs_scale_with_regions(regions):
    arch = variant("fast-rcnn", "{use: head, name: head}",
                   f"{{use: head, regions: {regions}, name: head}}")
    r = cnncalc.analyze(arch)
    assert r.output == (21 + 84,)
    assert r.totals.macs == vgg16_conv_macs(600, 800) + regions * FAST_RCNN_HEAD_MACS
    by = rows(r)
    assert by["conv5_3"].output == (512, 38, 50)  # ⌈600/16⌉ x 800/16
    assert by["conv5_3"].copies == 1
    assert by["roi_pool5"].output == (512, 7, 7)
    for name in ("roi_pool5", "fc6", "fc7", "cls_score", "bbox_pred", "concat"):
        assert by[name].copies == regions, name
    assert by["fc6"].macs == regions * 25_088 * 4096
    assert r.totals.params == report("fast-rcnn").totals.params  # the weights are shared


def test_fast_rcnn_default_is_128_regions():
    r = report("fast-rcnn")
    assert rows(r)["fc6"].copies == 128
    assert r.totals.macs == vgg16_conv_macs(600, 800) + 128 * FAST_RCNN_HEAD_MACS


# ------------------------------------------------------------------ YOLO v1

# Figure 3 of Redmon et al.: (kernel, C_out, stride) of the 24 convs; "M" a 2x2/2 max-pool
YOLO_TABLE = (
    [(7, 64, 2), "M", (3, 192, 1), "M", (1, 128, 1), (3, 256, 1), (1, 256, 1), (3, 512, 1), "M"]
    + [(1, 256, 1), (3, 512, 1)] * 4 + [(1, 512, 1), (3, 1024, 1), "M"]
    + [(1, 512, 1), (3, 1024, 1)] * 2 + [(3, 1024, 1), (3, 1024, 2), (3, 1024, 1), (3, 1024, 1)]
)


def yolo_by_hand(s=7, b=2, c=20):
    params = macs = 0
    size, c_in = 448, 3
    for entry in YOLO_TABLE:
        if entry == "M":
            size //= 2
            continue
        k, c_out, stride = entry
        size = (size + 2 * (k // 2) - k) // stride + 1
        params += conv(c_in, c_out, k)
        macs += c_out * size * size * c_in * k * k
        c_in = c_out
    assert (c_in, size) == (1024, 7)
    out = s * s * (5 * b + c)
    params += linear(1024 * 7 * 7, 4096) + linear(4096, out)
    macs += 1024 * 7 * 7 * 4096 + 4096 * out
    return params, macs


def test_yolov1_output_and_cost_by_hand():
    assert sum(1 for e in YOLO_TABLE if e != "M") == 24
    r = report("yolov1")
    assert r.output == (30, 7, 7)
    by = rows(r)
    assert by["fc2"].output == (1470,) == (7 * 7 * (5 * 2 + 20),)
    assert by["fc1"].input == (50_176,)
    params, macs = yolo_by_hand()
    assert params == 271_703_550
    assert r.totals.params == params
    assert r.totals.macs == macs
    assert sum(1 for row in r.rows if row.type == "conv") == 24
    assert sum(1 for row in r.rows if row.type == "linear") == 2
    assert sum(1 for row in r.rows if row.type == "leaky_relu") == 25  # all but the last layer


@pytest.mark.parametrize(("s", "b", "c"), [(7, 3, 80), (14, 2, 20), (5, 1, 1)])
def test_yolov1_head_arguments(s, b, c):
    arch = variant("yolov1", "{use: head, name: head}",
                   f"{{use: head, S: {s}, B: {b}, C: {c}, name: head}}")
    r = cnncalc.analyze(arch)
    assert r.output == (5 * b + c, s, s)
    assert rows(r)["fc2"].output == (s * s * (5 * b + c),)
    params, macs = yolo_by_hand(s, b, c)
    assert (r.totals.params, r.totals.macs) == (params, macs)
