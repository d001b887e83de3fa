"""AlexNet and VGG against published figures and hand-derived arithmetic."""

import pytest

import cnncalc

# torchvision.models.<name>(weights=None): sum(p.numel() for p in model.parameters())
TORCHVISION_PARAMS = {
    "alexnet": 61_100_840,
    "vgg11": 132_863_336,
    "vgg13": 133_047_848,
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "vgg11_bn": 132_868_840,
    "vgg13_bn": 133_053_736,
    "vgg16_bn": 138_365_992,
    "vgg19_bn": 143_678_248,
}


@pytest.mark.parametrize(("name", "params"), TORCHVISION_PARAMS.items())
def test_params_equal_torchvision(name, params):
    report = cnncalc.analyze(name)
    assert report.totals.params == params
    assert report.totals.trainable_params == params
    assert report.totals.non_trainable_params == 0
    assert report.output == (1000,)


def test_vgg16_bn_statistics_are_buffers_not_params():
    # 13 batch norms over 64,64,128,128,256×3,512×6 channels: running mean and variance each
    channels = [64, 64, 128, 128, 256, 256, 256] + [512] * 6
    report = cnncalc.analyze("vgg16_bn")
    assert report.totals.buffers == 2 * sum(channels) == 8_448
    assert report.totals.params == 138_357_544 + 2 * sum(channels)


VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16_macs_by_hand() -> int:
    macs, c, size = 0, 3, 224
    for v in VGG16:
        if v == "M":
            size //= 2
        else:
            macs += v * size * size * c * 3 * 3  # C_out·H_o·W_o·C_in·k_h·k_w
            c = v
    return macs + 25_088 * 4096 + 4096 * 4096 + 4096 * 1000


def test_vgg16_macs_by_hand():
    report = cnncalc.analyze("vgg16")
    assert report.totals.macs == vgg16_macs_by_hand() == 15_470_264_320
    assert round(report.totals.macs / 1e9, 2) == 15.47  # torchvision's "GFLOPS" (MACs)
    assert report.totals.flops == 2 * report.totals.macs


def test_vgg16_layer_macs_by_hand():
    rows = {r.path: r for r in cnncalc.analyze("vgg16").rows}
    assert rows["features.0"].macs == 64 * 224 * 224 * 3 * 9  # conv1_1
    assert rows["features.10"].macs == 256 * 56 * 56 * 128 * 9  # conv3_1
    assert rows["features.28"].macs == 512 * 14 * 14 * 512 * 9  # conv5_3
    assert rows["classifier.0"].macs == 25_088 * 4096  # fc6
    assert rows["features.10"].params == 3 * 3 * 128 * 256 + 256


def rf_by_hand(layers):
    """Araujo et al. 2019: r += (k−1)·j; j *= s, from the input (r = j = 1)."""
    r, j = 1, 1
    for k, s in layers:
        r, j = r + (k - 1) * j, j * s
    return r, j


def test_vgg16_receptive_fields():
    conv, pool = (3, 1), (2, 2)
    conv5_3 = [conv, conv, pool, conv, conv, pool, conv, conv, conv, pool]
    conv5_3 += [conv] * 3 + [pool] + [conv] * 3
    assert rf_by_hand(conv5_3) == (196, 16)
    assert rf_by_hand([*conv5_3, pool]) == (212, 32)
    rows = {r.path: r for r in cnncalc.analyze("vgg16").rows}
    for path, (size, jump) in {"features.28": (196, 16), "features.30": (212, 32)}.items():
        rf = rows[path].rf
        assert (rf[0].size, rf[0].jump) == (size, jump)
        assert (rf[1].size, rf[1].jump) == (size, jump)
    # the center of the first pool5 unit: −P + (r−1)/2 with P = 0 + 1 + 1·2 + ... (Distill eq.)
    assert rows["features.30"].rf[0].start == 15.5


def test_alexnet_receptive_field():
    layers = [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)]
    assert rf_by_hand(layers) == (195, 32)
    rows = {r.path: r for r in cnncalc.analyze("alexnet").rows}
    rf = rows["features.12"].rf
    assert (rf[0].size, rf[0].jump) == (195, 32)


def test_alexnet_paper_by_hand():
    # conv1..5 with the two-GPU grouping of conv2, conv4, conv5, then fc6..8 (Krizhevsky 2012)
    convs = [
        11 * 11 * 3 * 96 + 96,
        5 * 5 * 48 * 256 + 256,
        3 * 3 * 256 * 384 + 384,
        3 * 3 * 192 * 384 + 384,
        3 * 3 * 192 * 256 + 256,
    ]
    fcs = [9216 * 4096 + 4096, 4096 * 4096 + 4096, 4096 * 1000 + 1000]
    report = cnncalc.analyze("alexnet-paper")
    assert report.totals.params == sum(convs) + sum(fcs) == 60_965_224
    shapes = {r.path: r.output for r in report.rows}
    assert shapes["conv1"] == (96, 55, 55)  # (227 − 11)/4 + 1
    assert shapes["pool1"] == (96, 27, 27)
    assert shapes["pool2"] == (256, 13, 13)
    assert shapes["pool5"] == (256, 6, 6)


def test_o_equals_h_minus_k_plus_one(tmp_path):
    spec = tmp_path / "valid.yaml"
    spec.write_text("input: [1, 32, 32]\nlayers:\n  - conv: {out: 1, kernel: 5}\n")
    assert cnncalc.analyze(str(spec)).output == (1, 32 - 5 + 1, 32 - 5 + 1)


@pytest.mark.parametrize(
    ("name", "n", "params"),
    [("3x3-stack", 3, 27), ("3x3-pair", 2, 18), ("5x5", 1, 25), ("7x7", 1, 49)],
)
def test_building_blocks_at_c64(name, n, params):
    report = cnncalc.analyze(name, set={"C": 64, "H": 56, "W": 56})
    assert report.totals.params == params * 64 * 64 + n * 64
    rf = report.rf[0]
    assert rf.size == {"3x3-stack": 7, "3x3-pair": 5, "5x5": 5, "7x7": 7}[name]
    assert report.totals.nonlinearities == n
