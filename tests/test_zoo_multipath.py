"""ResNet, GoogLeNet, DenseNet and the multi-path building blocks against published figures and
hand-derived arithmetic.

Every expected number is either a published figure (torchvision's parameter counts and
"GFLOPS", which are MACs) or derived by hand below, never copied from cnncalc's output.
"""

from functools import cache
from pathlib import Path

import pytest

import cnncalc
from cnncalc.errors import ShapeError

BAD = Path(__file__).parent / "bad"


@cache
def report(name: str):
    return cnncalc.analyze(name)


@cache
def rows(name: str):
    return {r.path: r for r in report(name).rows}


# torchvision.models.<name>(weights=None) (GoogLeNet without its auxiliary heads, as the released
# weights are): sum(p.numel() for p in model.parameters())
TORCHVISION_PARAMS = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
    "resnet50-v1": 25_557_032,  # moving a stride does not change a weight
    "googlenet": 6_624_904,
    "densenet121": 7_978_856,
    "densenet161": 28_681_000,
    "densenet169": 14_149_480,
    "densenet201": 20_013_928,
}

# torchvision's model table, "GFLOPS" column (= GMACs), rounded as it prints them
TORCHVISION_GMACS = {
    "resnet18": 1.81,
    "resnet34": 3.66,
    "resnet50": 4.09,
    "resnet101": 7.80,
    "resnet152": 11.51,
    "googlenet": 1.50,
    "densenet121": 2.83,
    "densenet161": 7.73,
    "densenet169": 3.36,
    "densenet201": 4.29,
}


@pytest.mark.parametrize(("name", "params"), TORCHVISION_PARAMS.items())
def test_params_equal_torchvision(name, params):
    r = report(name)
    assert r.totals.params == params
    assert r.output == (1000,)
    assert r.diagnostics == ()  # every merge in these networks is aligned


@pytest.mark.parametrize(("name", "gmacs"), TORCHVISION_GMACS.items())
def test_macs_match_torchvision_table(name, gmacs):
    assert round(report(name).totals.macs / 1e9, 2) == gmacs


# ------------------------------------------------------------------ ResNet MACs by hand

STAGES = {  # (planes, blocks, stride) per stage
    "resnet18": [(64, 2, 1), (128, 2, 2), (256, 2, 2), (512, 2, 2)],
    "resnet50": [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)],
}


def resnet_macs_by_hand(stages, bottleneck: bool, stride_on_1x1: bool = False) -> int:
    """Σ C_out·H_o·W_o·C_in·k² over the convs, plus the fc (in·out)."""
    macs = 64 * 112 * 112 * 3 * 7 * 7  # stem: 7x7/2 -> 112x112
    c, size = 64, 56  # after the 3x3/2 max-pool
    for planes, blocks, stride in stages:
        for b in range(blocks):
            s = stride if b == 0 else 1
            out = size // s
            if bottleneck:
                # v1.5: conv1 (1x1) runs at the input size; v1 moves the stride onto it
                size1 = out if stride_on_1x1 else size
                macs += planes * size1 * size1 * c  # conv1 1x1
                macs += planes * out * out * planes * 9  # conv2 3x3
                macs += 4 * planes * out * out * planes  # conv3 1x1
                width = 4 * planes
            else:
                macs += planes * out * out * c * 9  # conv1 3x3 (strided)
                macs += planes * out * out * planes * 9  # conv2 3x3
                width = planes
            if c != width or s != 1:
                macs += width * out * out * c  # projection shortcut: 1x1, stride s
            c, size = width, out
    return macs + c * 1000


def test_resnet50_macs_by_hand():
    macs = report("resnet50").totals.macs
    assert macs == resnet_macs_by_hand(STAGES["resnet50"], bottleneck=True) == 4_089_184_256
    assert 4.08e9 <= macs <= 4.12e9  # torchvision: 4.09 GFLOPS (MACs)


def test_resnet18_macs_by_hand():
    macs = report("resnet18").totals.macs
    assert macs == resnet_macs_by_hand(STAGES["resnet18"], bottleneck=False) == 1_814_073_344


def test_resnet50_v1_macs_by_hand():
    # The paper's Table 1 says 3.8 x 10^9 FLOPs (multiply-adds) for ResNet-50. We compute 3.858 G:
    # with the stride on the first 1x1 conv, that conv of layer2.0, layer3.0 and layer4.0 runs on
    # the downsampled map, 4x fewer MACs than v1.5's: 3 x (3/4) x 102,760,448 = 231,211,008 fewer.
    # (The paper's figure is rounded, and it is usually quoted without the fc layer.)
    v1 = report("resnet50-v1").totals.macs
    assert v1 == resnet_macs_by_hand(STAGES["resnet50"], True, stride_on_1x1=True)
    assert v1 == 3_857_973_248
    assert report("resnet50").totals.macs - v1 == 3 * 77_070_336 == 231_211_008
    assert 3.8e9 <= v1 <= 4.1e9


# ------------------------------------------------------------------ layers inside the blocks

# (model, path, output shape, params, MACs), each from C_out·H_o·W_o·C_in·k_h·k_w and k·k·C_in·C_out
LAYER_CASES = [
    ("resnet50", "layer3.2.conv2", (256, 14, 14), 3 * 3 * 256 * 256, 256 * 14 * 14 * 256 * 9),
    ("resnet50", "layer1.0.conv3", (256, 56, 56), 64 * 256, 256 * 56 * 56 * 64),
    # layer1's first block changes only the channels: a stride-1 projection 64 -> 256
    ("resnet50", "layer1.0.shortcut.0", (256, 56, 56), 64 * 256, 256 * 56 * 56 * 64),
    ("resnet50", "layer1.0.shortcut.1", (256, 56, 56), 2 * 256, 0),
    # v1.5: the 1x1 conv1 of layer2.0 runs at 56x56, the 3x3 conv2 strides to 28x28
    ("resnet50", "layer2.0.conv1", (128, 56, 56), 256 * 128, 128 * 56 * 56 * 256),
    ("resnet50", "layer2.0.conv2", (128, 28, 28), 9 * 128 * 128, 128 * 28 * 28 * 128 * 9),
    ("resnet50", "layer2.0.shortcut.0", (512, 28, 28), 256 * 512, 512 * 28 * 28 * 256),
    ("resnet50", "layer4.2.conv3", (2048, 7, 7), 512 * 2048, 2048 * 7 * 7 * 512),
    ("resnet50", "fc", (1000,), 2048 * 1000 + 1000, 2048 * 1000),
    # v1: the stride sits on conv1, so conv1 already gives 28x28 and conv2 keeps it
    ("resnet50-v1", "layer2.0.conv1", (128, 28, 28), 256 * 128, 128 * 28 * 28 * 256),
    ("resnet50-v1", "layer2.0.conv2", (128, 28, 28), 9 * 128 * 128, 128 * 28 * 28 * 128 * 9),
    ("resnet18", "layer1.1.conv2", (64, 56, 56), 9 * 64 * 64, 64 * 56 * 56 * 64 * 9),
    ("resnet18", "layer2.0.shortcut.0", (128, 28, 28), 64 * 128, 128 * 28 * 28 * 64),
    ("resnet18", "layer4.1.add", (512, 7, 7), 0, 0),
    # torchvision's "5x5" branch is a 3x3 conv without bias; the paper's is a true 5x5 with bias
    (
        "googlenet",
        "inception3a.branch3.1.conv",
        (32, 28, 28),
        3 * 3 * 16 * 32,
        32 * 28 * 28 * 16 * 9,
    ),
    (
        "googlenet-paper",
        "inception3a.branch3.1.conv",
        (32, 28, 28),
        5 * 5 * 16 * 32 + 32,
        32 * 28 * 28 * 16 * 25,
    ),
    ("googlenet", "inception3a.concat", (64 + 128 + 32 + 32, 28, 28), 0, 0),
    ("googlenet", "inception4e.concat", (256 + 320 + 128 + 128, 14, 14), 0, 0),
    ("googlenet", "inception5b.concat", (384 + 384 + 128 + 128, 7, 7), 0, 0),
    ("googlenet", "inception5a.branch4.1.conv", (128, 7, 7), 832 * 128, 128 * 7 * 7 * 832),
    ("googlenet", "fc", (1000,), 1024 * 1000 + 1000, 1024 * 1000),
    # DenseNet-121: the 6th layer of block 1 sees 64 + 5·32 = 224 channels
    ("densenet121", "features.denseblock1.5.conv1", (128, 56, 56), 224 * 128, 128 * 56 * 56 * 224),
    (
        "densenet121",
        "features.denseblock1.5.conv2",
        (32, 56, 56),
        9 * 128 * 32,
        32 * 56 * 56 * 128 * 9,
    ),
    ("densenet121", "features.denseblock1.5.concat", (64 + 6 * 32, 56, 56), 0, 0),
    ("densenet121", "features.transition1.conv", (128, 56, 56), 256 * 128, 128 * 56 * 56 * 256),
    ("densenet121", "features.transition1.pool", (128, 28, 28), 0, 0),
    # block 4 of DenseNet-121: 512 + 16·32 = 1024; classifier in_features in torchvision
    ("densenet121", "features.norm5", (1024, 7, 7), 2 * 1024, 0),
    ("densenet161", "features.norm5", (2208, 7, 7), 2 * 2208, 0),
    ("densenet169", "features.norm5", (1664, 7, 7), 2 * 1664, 0),
    ("densenet201", "features.norm5", (1920, 7, 7), 2 * 1920, 0),
    # DenseNet-161, block 1: 96 initial features, growth 48, bottleneck 4·48 = 192
    ("densenet161", "features.denseblock1.1.conv1", (192, 56, 56), 144 * 192, 192 * 56 * 56 * 144),
]


@pytest.mark.parametrize(("name", "path", "shape", "params", "macs"), LAYER_CASES)
def test_layer_inside_block(name, path, shape, params, macs):
    row = rows(name)[path]
    assert (row.output, row.params, row.macs) == (shape, params, macs)


def test_identity_shortcuts_have_no_layers():
    paths = rows("resnet50")
    assert "layer1.1.shortcut.0" not in paths and "layer2.1.shortcut.0" not in paths
    assert "layer1.0.shortcut.0" not in rows("resnet18")  # 64 -> 64 at stride 1: identity


def test_googlenet_paper_has_no_batch_norm_and_two_lrns():
    types = [r.type for r in report("googlenet-paper").rows]
    assert "bn" not in types
    assert types.count("lrn") == 2
    # the paper's network is larger: true 5x5 branches and biases
    assert report("googlenet-paper").totals.params == 6_998_552 > 6_624_904


# ------------------------------------------------------------------ building blocks


def test_basic_vs_bottleneck_block():
    # He et al. Figure 5: similar cost, the bottleneck works on 4x the channels
    basic = report("basic-block")
    assert basic.output == (64, 56, 56)
    assert basic.totals.params == 2 * (9 * 64 * 64) + 2 * (2 * 64) == 73_984
    assert basic.totals.macs == 2 * (64 * 56 * 56 * 64 * 9)
    bottle = report("bottleneck-block")
    assert bottle.output == (256, 56, 56)
    weights = 256 * 64 + 9 * 64 * 64 + 64 * 256
    assert bottle.totals.params == weights + 2 * (64 + 64 + 256) == 70_400
    assert bottle.totals.macs == 56 * 56 * weights


def test_inception_naive_vs_reduced():
    naive = report("inception-naive")  # 192x28x28 in; the pool branch passes 192 channels on
    assert naive.output == (64 + 128 + 32 + 192, 28, 28)
    naive_w = 192 * 64 + 9 * 192 * 128 + 25 * 192 * 32
    assert naive.totals.params == naive_w + 64 + 128 + 32 == 387_296
    assert naive.totals.macs == 28 * 28 * naive_w
    reduced = report("inception-reduced")
    assert reduced.output == (256, 28, 28)
    reduced_w = 192 * 64 + 192 * 96 + 9 * 96 * 128 + 192 * 16 + 25 * 16 * 32 + 192 * 32
    assert reduced_w == 163_328  # Table 1 lists 159K for inception (3a): 163,328 / 1024
    assert reduced.totals.params == reduced_w + 64 + 96 + 128 + 16 + 32 + 32
    assert reduced.totals.macs == 28 * 28 * reduced_w == 128_049_152  # Table 1: 128M


def test_dense_block():
    r = report("dense-block")
    assert r.output == (64 + 6 * 32, 56, 56)
    params = sum(2 * c + c * 128 + 2 * 128 + 9 * 128 * 32 for c in range(64, 256, 32))
    assert r.totals.params == params == 335_040
    assert r.rf[0].size == 1 + 6 * 2  # six 3x3 convs in a chain, the longest path


# ------------------------------------------------------------------ receptive fields by hand


def rf_by_hand(layers: list[tuple[int, int]]) -> int:
    """r += (k − 1)·j, j *= s along one path (Araujo et al. 2019)."""
    r, j = 1, 1
    for k, s in layers:
        r += (k - 1) * j
        j *= s
    return r


def resnet50_longest_path(stride_on_1x1: bool) -> list[tuple[int, int]]:
    path = [(7, 2), (3, 2)]  # conv1, maxpool
    for blocks, stride in [(3, 1), (4, 2), (6, 2), (3, 2)]:
        for b in range(blocks):
            s = stride if b == 0 else 1
            if stride_on_1x1:
                path += [(1, s), (3, 1), (1, 1)]
            else:
                path += [(1, 1), (3, s), (1, 1)]
    return path


def test_resnet50_receptive_field_v1_vs_v1_5():
    # The body is the longest path of every block (the shortcut is a 1x1 or nothing), so the
    # union at each add is the body's field. All other convs are the same in both versions; the
    # difference is the 3x3 conv2 of layer2.0, layer3.0 and layer4.0. In v1.5 that conv is the
    # strided one, so it grows the field at the old jump: 2·4 + 2·8 + 2·16 = 56. In v1 the 1x1
    # before it has already doubled the jump: 2·8 + 2·16 + 2·32 = 112. 112 − 56 = 483 − 427.
    v15 = rf_by_hand(resnet50_longest_path(stride_on_1x1=False))
    v1 = rf_by_hand(resnet50_longest_path(stride_on_1x1=True))
    assert (v15, v1) == (427, 483)
    for name, expected in (("resnet50", v15), ("resnet50-v1", v1)):
        rf = rows(name)["layer4.2.relu"].rf
        assert rf[0].size == rf[1].size == expected
        assert rf[0].jump == 32 and rf[0].start == 0  # centered: every pad is (k − 1)/2


def test_googlenet_receptive_field_through_the_branches():
    # the widest branch sets the field: the "5x5" branch (two convs, 1x1 then 3x3 or 5x5) and
    # the pool branch (3x3 pool then 1x1) grow it by 2 or 4 jumps per module
    stem = [(7, 2), (3, 2), (1, 1), (3, 1), (3, 2)]
    tv = stem + [(3, 1)] * 2 + [(3, 2)] + [(3, 1)] * 5 + [(2, 2)] + [(3, 1)] * 2
    paper = stem + [(5, 1)] * 2 + [(3, 2)] + [(5, 1)] * 5 + [(3, 2)] + [(5, 1)] * 2
    assert rows("googlenet")["inception5b.concat"].rf[0].size == rf_by_hand(tv) == 379
    assert rows("googlenet-paper")["inception5b.concat"].rf[0].size == rf_by_hand(paper) == 715


# ------------------------------------------------------------------ shape errors


@pytest.mark.parametrize(
    ("file", "line", "fragments"),
    [
        ("residual_identity_mismatch.yaml", 7, ["128x56x56", "64x56x56", "identity", "block"]),
        ("concat_spatial_mismatch.yaml", 6, ["64x28x28", "128x14x14", "concat", "mixed"]),
        ("dense_flat_input.yaml", 7, ["dense", "flat", "4096"]),
    ],
)
def test_shape_errors_name_file_line_and_shapes(file, line, fragments):
    with pytest.raises(ShapeError) as exc:
        cnncalc.analyze(str(BAD / file))
    message = str(exc.value)
    assert f"{file}:{line}" in message
    for fragment in fragments:
        assert fragment in message


# ------------------------------------------------------------------ docs/composites.md examples

DOCS = Path(__file__).parent.parent / "docs" / "examples"


@pytest.mark.parametrize(
    ("file", "output", "params", "macs", "rf"),
    [
        # the hand derivations are in docs/composites.md, next to each example
        ("seq.yaml", (32, 16, 16), 3 * 9 * 16 + 16 + 16 * 9 * 32 + 32, 1_622_016, 8),
        ("repeat.yaml", (96, 4, 4), 2 * 2_320 + 4_640 + 18_496 + 55_392, 7_962_624, 19),
        ("use.yaml", (128, 32, 32), 864 + 18_432 + 73_728 + 2 * (32 + 64 + 128), 95_256_576, 11),
        ("residual.yaml", (128, 28, 28), 73_728 + 147_456 + 8_192 + 768, 128 * 784 * 1792, 7),
    ],
)
def test_docs_examples(file, output, params, macs, rf):
    r = cnncalc.analyze(str(DOCS / file))
    assert (r.output, r.totals.params, r.totals.macs, r.rf[0].size) == (output, params, macs, rf)
