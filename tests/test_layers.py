"""Leaf layers against hand-derived values: one table per layer family.

Every expected number below is worked out by hand from the formula in the comment (or a published
figure), never taken from cnncalc's output.
"""

import pytest

from cnncalc.errors import ShapeError, SpecError
from cnncalc.layers.activation import Dropout
from cnncalc.layers.base import REGISTRY, coerce
from cnncalc.layers.conv import Conv
from cnncalc.layers.linear import Flatten, Linear
from cnncalc.layers.norm import BatchNorm, LocalResponseNorm
from cnncalc.layers.pool import AdaptiveAvgPool, AvgPool, GlobalAvgPool, MaxPool


def conv(out, kernel, stride=1, padding=0, dilation=1, groups=1, bias=True):
    return Conv(
        out=out,
        kernel=coerce("pair", "kernel", kernel),
        stride=coerce("pair", "stride", stride),
        padding=coerce("padding", "padding", padding),
        dilation=coerce("pair", "dilation", dilation),
        groups=groups,
        bias=bias,
    )


# (input C,H,W), conv arguments, expected output, params, MACs
CONV_CASES = [
    # the seed notes: 3x3x128x64 = 73,728 weights (no bias); O = H - K + 1 for stride 1, no padding
    ((128, 56, 56), dict(out=64, kernel=3, bias=False), (64, 54, 54), 73_728,
     64 * 54 * 54 * 128 * 9),
    ((128, 56, 56), dict(out=64, kernel=3, padding=1, bias=False), (64, 56, 56), 73_728,
     64 * 56 * 56 * 128 * 9),
    # ResNet stem: ⌊(224 + 6 − 6 − 1)/2⌋ + 1 = 112; 7·7·3·64 = 9,408
    ((3, 224, 224), dict(out=64, kernel=7, stride=2, padding=3, bias=False), (64, 112, 112), 9_408,
     64 * 112 * 112 * 3 * 49),
    # AlexNet conv1 (torchvision): ⌊(224 + 4 − 11)/4⌋ + 1 = 55; 11·11·3·64 + 64 = 23,296
    ((3, 224, 224), dict(out=64, kernel=11, stride=4, padding=2), (64, 55, 55), 23_296,
     64 * 55 * 55 * 3 * 121),
    # grouped (AlexNet 2012 conv2): 5·5·(96/2)·256 + 256 = 307,456
    ((96, 27, 27), dict(out=256, kernel=5, padding=2, groups=2), (256, 27, 27), 307_456,
     256 * 27 * 27 * 48 * 25),
    # depthwise: 3·3·1·32 + 32 = 320
    ((32, 112, 112), dict(out=32, kernel=3, padding=1, groups=32), (32, 112, 112), 320,
     32 * 112 * 112 * 9),
    # dilation 2: effective kernel 5: ⌊(64 + 4 − 4 − 1)/1⌋ + 1 = 64
    ((16, 64, 64), dict(out=16, kernel=3, padding=2, dilation=2), (16, 64, 64), 16 * 9 * 16 + 16,
     16 * 64 * 64 * 16 * 9),
    # non-square kernel and stride: H: ⌊(30 − 1)/2⌋ + 1 = 15, W: ⌊(40 + 2 − 5)/1⌋ + 1 = 38
    ((4, 30, 40), dict(out=8, kernel=[1, 5], stride=[2, 1], padding=[0, 1]), (8, 15, 38),
     1 * 5 * 4 * 8 + 8, 8 * 15 * 38 * 4 * 5),
    # TensorFlow `same` with stride 2 on an odd size: ⌈225/2⌉ = 113
    ((3, 225, 225), dict(out=8, kernel=3, stride=2, padding="same"), (8, 113, 113), 3 * 9 * 8 + 8,
     8 * 113 * 113 * 27),
    # `valid` is no padding: 10 − 3 + 1 = 8
    ((1, 10, 10), dict(out=1, kernel=3, padding="valid"), (1, 8, 8), 10, 64 * 9),
]


@pytest.mark.parametrize(("shape", "args", "out", "params", "macs"), CONV_CASES)
def test_conv(shape, args, out, params, macs):
    layer = conv(**args)
    assert layer.output_shape(shape) == out
    assert layer.params(shape) == params
    assert layer.macs(shape, out) == macs


def test_same_padding_puts_the_odd_pixel_at_the_bottom():
    # 224, k=3, s=2: out 112, total padding (112−1)·2 + 3 − 224 = 1 -> 0 before, 1 after
    steps = conv(8, 3, stride=2, padding="same").rf_steps((3, 224, 224))
    assert steps[0].pad == 0
    # 225, k=3, s=2: out 113, total (113−1)·2 + 3 − 225 = 2 -> 1 before
    steps = conv(8, 3, stride=2, padding="same").rf_steps((3, 225, 225))
    assert steps[0].pad == 1


def test_conv_empty_output_names_the_arithmetic():
    with pytest.raises(ShapeError, match=r"⌊\(5 \+ 0 \+ 0 − 7\)/1⌋ \+ 1 = -1"):
        conv(8, 7).output_shape((3, 5, 5))


def test_conv_groups_must_divide_channels():
    with pytest.raises(SpecError, match="not divisible by groups=4"):
        conv(8, 3, groups=4).output_shape((6, 8, 8))


POOL_CASES = [
    # VGG 2x2/2: 224 -> 112
    (MaxPool(kernel=(2, 2)), (64, 224, 224), (64, 112, 112)),
    # AlexNet overlapping 3x3/2: ⌊(55 − 3)/2⌋ + 1 = 27
    (MaxPool(kernel=(3, 3), stride=(2, 2)), (64, 55, 55), (64, 27, 27)),
    # ResNet stem pool 3x3/2 pad 1: ⌊(112 + 2 − 3)/2⌋ + 1 = 56
    (MaxPool(kernel=(3, 3), stride=(2, 2), padding=((1, 1), (1, 1))), (64, 112, 112), (64, 56, 56)),
    # ceil_mode (GoogLeNet): ⌈(112 − 3)/2⌉ + 1 = 56 against floor's 55
    (MaxPool(kernel=(3, 3), stride=(2, 2), ceil_mode=True), (64, 112, 112), (64, 56, 56)),
    (MaxPool(kernel=(3, 3), stride=(2, 2)), (64, 112, 112), (64, 55, 55)),
    # ceil_mode's rule: 5, k=2, s=2, pad 1: ⌈(5 + 2 − 2)/2⌉ + 1 = 4, but the last window would start
    # at 6 ≥ 5 + 1, past the input and its left padding, so 3
    (
        MaxPool(kernel=(2, 2), stride=(2, 2), padding=((1, 1), (1, 1)), ceil_mode=True),
        (1, 5, 5),
        (1, 3, 3),
    ),
    (AvgPool(kernel=(2, 2), stride=(2, 2)), (256, 28, 28), (256, 14, 14)),
    (GlobalAvgPool(), (2048, 7, 7), (2048, 1, 1)),
    (AdaptiveAvgPool(out=(7, 7)), (512, 7, 7), (512, 7, 7)),
    (AdaptiveAvgPool(out=(6, 6)), (256, 13, 13), (256, 6, 6)),
]


@pytest.mark.parametrize(("layer", "shape", "out"), POOL_CASES)
def test_pool_shapes(layer, shape, out):
    assert layer.output_shape(shape) == out
    assert layer.params(shape) == 0
    assert layer.macs(shape, out) == 0


def test_pool_padding_over_half_the_kernel_is_refused():
    with pytest.raises(SpecError, match="more than half the kernel"):
        MaxPool(kernel=(2, 2), padding=((2, 2), (2, 2))).output_shape((1, 8, 8))


def test_pooling_operations():
    # 3x3 max: 8 comparisons per output; 2x2 average: 4 operations per output
    max_pool = MaxPool(kernel=(3, 3), stride=(2, 2))
    assert max_pool.extra_flops((1, 55, 55), (1, 27, 27)) == 27 * 27 * 8
    assert AvgPool(kernel=(2, 2)).extra_flops((2, 4, 4), (2, 2, 2)) == 8 * 4


def test_adaptive_windows_follow_pytorch():
    # 13 -> 6: windows [⌊13i/6⌋, ⌈13(i+1)/6⌉) have sizes 3,3,3,3,3,3 (starting 0,2,4,6,8,10)
    layer = AdaptiveAvgPool(out=(6, 6))
    assert layer.rf_steps((1, 13, 13))[0].kernel == 3
    assert layer.extra_flops((1, 13, 13), (1, 6, 6)) == 18 * 18


def test_linear_and_flatten():
    assert Flatten().output_shape((512, 7, 7)) == (25_088,)
    fc6 = Linear(out=4096)
    assert fc6.params((25_088,)) == 25_088 * 4096 + 4096 == 102_764_544  # torchvision's fc6
    assert fc6.macs((25_088,), (4096,)) == 25_088 * 4096
    assert Linear(out=10, bias=False).params((20,)) == 200


def test_linear_on_a_feature_map_is_an_error():
    with pytest.raises(ShapeError, match="add `- flatten`"):
        Linear(out=10).output_shape((512, 7, 7))


def test_batch_norm_counts_running_statistics_as_buffers():
    bn = BatchNorm()
    assert bn.params((64, 56, 56)) == 128
    assert bn.buffers((64, 56, 56)) == 128
    assert BatchNorm(affine=False).params((64, 8, 8)) == 0


def test_lrn_and_dropout_have_no_parameters():
    assert LocalResponseNorm(size=5).params((96, 55, 55)) == 0
    assert LocalResponseNorm(size=5).extra_flops((96, 55, 55), (96, 55, 55)) == 13 * 96 * 55 * 55
    assert Dropout().output_shape((4096,)) == (4096,)


def test_hardsigmoid_and_stochastic_depth():
    """hardsigmoid: one activation op per element (2·3·3 = 18), no params; stochastic depth:
    the identity at inference, nothing counted (torchvision's StochasticDepth has no params)."""
    hard = REGISTRY["hardsigmoid"]()
    assert hard.output_shape((2, 3, 3)) == (2, 3, 3)
    assert (hard.params((2, 3, 3)), hard.macs((2, 3, 3), (2, 3, 3))) == (0, 0)
    assert (hard.extra_flops((2, 3, 3), (2, 3, 3)), hard.EXTRA_KIND) == (18, "activation")
    assert hard.NONLINEAR
    drop = REGISTRY["stochastic_depth"](p=0.2)
    assert drop.output_shape((40, 7, 7)) == (40, 7, 7)
    assert (drop.params((40, 7, 7)), drop.buffers((40, 7, 7))) == (0, 0)
    assert (drop.macs((40, 7, 7), (40, 7, 7)), drop.extra_flops((40, 7, 7), (40, 7, 7))) == (0, 0)
    assert not drop.NONLINEAR and REGISTRY["drop_path"] is type(drop)


def test_every_registered_layer_has_a_one_line_formula_docstring():
    for name, cls in REGISTRY.items():
        assert cls.__doc__ and cls.__doc__.strip(), name


# ---------------------------------------------------------------- 2017–2022 layer types


def test_layer_and_group_norm_have_two_parameters_per_channel():
    from cnncalc.layers.norm import GroupNorm, LayerNorm

    # ConvNeXt-T's stem LayerNorm2d on 96x56x56: γ and β, 96 each; no running statistics
    assert LayerNorm(eps=1e-6).params((96, 56, 56)) == 192
    assert LayerNorm().buffers((96, 56, 56)) == 0
    assert LayerNorm(affine=False).params((96, 56, 56)) == 0
    assert GroupNorm(groups=32).params((256, 14, 14)) == 512
    # fvcore's count: 5 per element with the affine, 4 without
    assert LayerNorm().extra_flops((96, 56, 56), (96, 56, 56)) == 5 * 96 * 56 * 56
    assert GroupNorm(groups=2, affine=False).extra_flops((4, 3, 3), (4, 3, 3)) == 4 * 36
    assert LayerNorm().output_shape((768,)) == (768,)  # torch.nn.LayerNorm on features


def test_group_norm_groups_must_divide_the_channels():
    from cnncalc.layers.norm import GroupNorm

    with pytest.raises(SpecError, match="group_norm: 30 channels are not divisible by groups=4"):
        GroupNorm(groups=4).output_shape((30, 8, 8))


def test_layer_scale_has_one_parameter_per_channel():
    from cnncalc.layers.norm import LayerScale

    assert LayerScale().params((768, 7, 7)) == 768
    assert LayerScale().weight_shapes((768, 7, 7)) == {"layer_scale": (768, 1, 1)}  # torch's
    assert LayerScale().extra_flops((768, 7, 7), (768, 7, 7)) == 768 * 49


@pytest.mark.parametrize(
    ("value", "pads", "out"),
    [
        (1, ((1, 1), (1, 1)), (3, 10, 12)),
        ([1, 2], ((1, 1), (2, 2)), (3, 10, 14)),  # [h, w]
        ("1x2", ((1, 1), (2, 2)), (3, 10, 14)),
        # torch.nn.ZeroPad2d((left, right, top, bottom)): H 8 + 3 + 4, W 10 + 1 + 2
        ([1, 2, 3, 4], ((3, 4), (1, 2)), (3, 15, 13)),
        (0, ((0, 0), (0, 0)), (3, 8, 10)),
    ],
)
def test_zero_pad_follows_torch_zeropad2d(value, pads, out):
    from cnncalc.layers.base import pair_text
    from cnncalc.layers.channels import ZeroPad

    raw = pair_text("padding", value) if isinstance(value, str) else value
    layer = ZeroPad(padding=coerce("pad4", "padding", raw))
    assert layer.padding == pads
    assert layer.output_shape((3, 8, 10)) == out
    (top, _), (left, _) = pads
    assert [(s.kernel, s.stride, s.pad) for s in layer.rf_steps((3, 8, 10))] == [
        (1, 1, top), (1, 1, left)
    ]


@pytest.mark.parametrize("value", [[1, 2, 3], [1, -1], -1, [1, 2, 3, -4]])
def test_zero_pad_refuses_other_forms(value):
    with pytest.raises(SpecError, match="'padding' must be"):
        coerce("pad4", "padding", value)


@pytest.mark.parametrize(
    ("channels", "chunks", "index", "out"),
    [
        (116, 2, 0, 58),  # ShuffleNetV2 x1.0, stage 2: 116 = 58 + 58
        (116, 2, 1, 58),
        (5, 2, 0, 3),  # torch.chunk: parts of ⌈5/2⌉ = 3, the last 5 − 3 = 2
        (5, 2, 1, 2),
        (10, 4, 3, 1),  # ⌈10/4⌉ = 3: 3, 3, 3, 1
    ],
)
def test_chunk_follows_torch_chunk(channels, chunks, index, out):
    from cnncalc.layers.channels import Chunk

    assert Chunk(chunks=chunks, index=index).output_shape((channels, 4, 4)) == (out, 4, 4)


def test_chunk_refuses_a_part_torch_does_not_make():
    from cnncalc.layers.channels import Chunk

    # ⌈5/4⌉ = 2: parts 2, 2, 1; torch.chunk(4) of 5 channels gives 3 parts
    with pytest.raises(ShapeError, match="5 channels in parts of ⌈5/4⌉ = 2 make only 3 parts"):
        Chunk(chunks=4, index=3).output_shape((5, 4, 4))
    with pytest.raises(SpecError, match="chunk index 2 must be below chunks=2"):
        Chunk(chunks=2, index=2).output_shape((8, 4, 4))


def test_channel_shuffle_keeps_the_shape_and_needs_divisible_groups():
    from cnncalc.layers.channels import ChannelShuffle

    assert ChannelShuffle(groups=2).output_shape((116, 28, 28)) == (116, 28, 28)
    with pytest.raises(SpecError, match="6 channels are not divisible by groups=4"):
        ChannelShuffle(groups=4).output_shape((6, 4, 4))


def test_data_movement_layers_compute_nothing():
    from cnncalc.layers.channels import ChannelShuffle, Chunk, Identity, ZeroPad

    for layer, shape in [
        (Identity(), (8, 4, 4)),
        (ZeroPad(padding=((1, 1), (1, 1))), (8, 4, 4)),
        (ChannelShuffle(groups=2), (8, 4, 4)),
        (Chunk(chunks=2, index=0), (8, 4, 4)),
    ]:
        out = layer.output_shape(shape)
        assert (layer.params(shape), layer.buffers(shape), layer.macs(shape, out),
                layer.extra_flops(shape, out)) == (0, 0, 0, 0), layer


def test_mish_counts_one_operation_per_element_like_every_activation():
    cls = REGISTRY["mish"]
    assert cls().extra_flops((4, 3, 3), (4, 3, 3)) == 36
    assert cls.NONLINEAR
