"""cnncalc.reference against torch.nn.functional (and torchvision.ops.roi_pool) on generated cases.

Skipped where torch is not installed (the plain pass); .ci/run's second pass installs torch and
runs it with `-m "torch or onnx"`, where a missing torch fails (see README: the torch pass).
test_roi_pool needs torchvision too, which CI does not install: it skips there. The hyperparameters
are drawn with the same strategies as tests/test_reference.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.torch  # before the skip, so `-m torch` selects the module
torch = pytest.importorskip("torch")
F = torch.nn.functional

try:  # tests/ may or may not be a package
    from .test_reference import MANY, close, draw_pair, draw_pool, rand
except ImportError:
    from test_reference import MANY, close, draw_pair, draw_pool, rand  # type: ignore[no-redef]

from cnncalc import reference as R  # noqa: E402


def T(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def same(actual, expected):
    """Values to 1e-10 (float64), indices exactly."""
    if isinstance(expected, tuple):
        for a, e in zip(actual, expected, strict=True):
            same(a, e)
        return
    expected = expected.numpy()
    assert actual.dtype == expected.dtype
    if expected.dtype.kind == "i":
        np.testing.assert_array_equal(actual, expected)
    else:
        close(actual, expected)


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch: even kernel copies input
@MANY
@given(st.data())
def test_conv2d(data):
    groups = data.draw(st.integers(1, 3), label="groups")
    cg, cog = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    k, s, d = draw_pair(data, 1, 4, "k"), draw_pair(data, 1, 3, "s"), draw_pair(data, 1, 3, "d")
    padding = data.draw(
        st.one_of(
            st.integers(0, 3),
            st.tuples(st.integers(0, 3), st.integers(0, 3)),
            st.sampled_from(["same", "valid"]),
        ),
        label="padding",
    )
    if padding == "same":
        s = (1, 1)
    pads = (0, 0) if isinstance(padding, str) else np.broadcast_to(padding, 2)
    hw = [
        data.draw(st.integers(max(1, dd * (kk - 1) + 1 - 2 * pp), 12), label="size")
        for dd, kk, pp in zip(d, k, pads, strict=True)
    ]
    x = rand(data, (data.draw(st.integers(1, 2)), groups * cg, *hw))
    w = rand(data, (groups * cog, cg, *k))
    b = rand(data, (groups * cog,)) if data.draw(st.booleans(), label="bias") else None
    expected = F.conv2d(T(x), T(w), None if b is None else T(b), s, padding, d, groups)
    same(R.conv2d(x, w, b, s, padding, d, groups), expected)


def test_conv2d_asymmetric_padding_is_pad_then_conv():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 4, 7, 8)), rng.standard_normal((6, 2, 3, 3))
    pads = ((0, 1), (2, 1))  # TensorFlow "same", stride 2 on 7 x 8
    expected = F.conv2d(F.pad(T(x), (2, 1, 0, 1)), T(w), stride=2, groups=2)
    same(R.conv2d(x, w, stride=2, padding=pads, groups=2), expected)


def tf_same(n, k, s, d):
    """TensorFlow's "same" by its definition: output ⌈n/s⌉, total padding what that needs (at
    least 0), the odd pixel after."""
    total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


@MANY
@given(st.data())
def test_same_and_asymmetric_padding_at_any_stride_is_pad_then_torch(data):
    """The kernels resolve "same" (TensorFlow's, strided too) and ((t, b), (l, r)) themselves:
    the result equals torch's kernels on an input padded by F.pad, for conv, max and avg pools."""
    k, s, d = draw_pair(data, 1, 4, "k"), draw_pair(data, 1, 3, "s"), draw_pair(data, 1, 2, "d")
    hw = draw_pair(data, 1, 11, "size")
    if data.draw(st.booleans(), label="same"):
        padding = "same"
        pads = tuple(tf_same(n, kk, ss, dd) for n, kk, ss, dd in zip(hw, k, s, d, strict=True))
    else:
        pads = padding = tuple(
            tuple(data.draw(st.integers(0, 2), label=side) for side in sides)
            for sides in (("top", "bottom"), ("left", "right"))
        )
    if any(n + sum(p) < dd * (kk - 1) + 1 for n, p, dd, kk in zip(hw, pads, d, k, strict=True)):
        return  # the window does not fit
    (t, b), (left, r) = pads
    x = rand(data, (data.draw(st.integers(1, 2)), 2, *hw))
    w = rand(data, (3, 2, *k))
    expected = F.conv2d(F.pad(T(x), (left, r, t, b)), T(w), None, s, 0, d)
    same(R.conv2d(x, w, None, s, padding, d), expected)
    neg = F.pad(T(x), (left, r, t, b), value=-np.inf)
    same(R.max_pool2d(x, k, s, padding, d), F.max_pool2d(neg, k, s, 0, d))
    if padding == "same":  # avg_pool2d has no dilation: its "same" is the d = 1 one
        (t, b), (left, r) = (tf_same(n, kk, ss, 1) for n, kk, ss in zip(hw, k, s, strict=True))
    zero = F.pad(T(x), (left, r, t, b))  # count_include_pad: padding counts in every divisor
    same(R.avg_pool2d(x, k, s, padding), F.avg_pool2d(zero, k, s, 0))


def test_conv2d_float32_matches_torch():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 16, 20, 21), dtype=np.float32)
    for w, kw in [
        (rng.standard_normal((32, 16, 3, 3), dtype=np.float32), dict(padding=1)),
        (rng.standard_normal((8, 16, 1, 1), dtype=np.float32), dict(stride=2)),
        (
            rng.standard_normal((16, 1, 3, 3), dtype=np.float32),
            dict(padding=2, dilation=2, groups=16),
        ),
    ]:
        y = R.conv2d(x, w, **kw)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y, F.conv2d(T(x), T(w), **kw).numpy(), rtol=1e-4, atol=1e-4)


@MANY
@given(st.data())
def test_conv_transpose2d(data):
    groups = data.draw(st.integers(1, 3), label="groups")
    cg, cog = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    k, s, d = draw_pair(data, 1, 4, "k"), draw_pair(data, 1, 3, "s"), draw_pair(data, 1, 2, "d")
    op = tuple(data.draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d, strict=True))
    hw = draw_pair(data, 1, 6, "size")
    p = tuple(
        data.draw(st.integers(0, max(0, ((h - 1) * ss + dd * (kk - 1) + o) // 2)), label="p")
        for h, ss, dd, kk, o in zip(hw, s, d, k, op, strict=True)
    )
    x = rand(data, (data.draw(st.integers(1, 2)), groups * cg, *hw))
    w = rand(data, (groups * cg, cog, *k))
    b = rand(data, (groups * cog,)) if data.draw(st.booleans(), label="bias") else None
    expected = F.conv_transpose2d(T(x), T(w), None if b is None else T(b), s, p, op, groups, d)
    same(R.conv_transpose2d(x, w, b, s, p, op, groups, d), expected)


@MANY
@given(st.data())
def test_max_pool2d_and_unpool(data):
    k, _, stride, p, d, hw, ceil_mode = draw_pool(data, dilation=True)
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)), *hw)
    x = rand(data, shape, ints=data.draw(st.booleans(), label="ties"))
    args = (k, stride, p, d, ceil_mode, True)
    y, idx = R.max_pool2d(x, *args)
    same((y, idx), F.max_pool2d(T(x), *args))
    if d == (1, 1) and not ceil_mode and (idx >= 0).all():
        unpool = (k, stride, p, hw)
        same(R.max_unpool2d(y, idx, *unpool), F.max_unpool2d(T(y), T(idx), *unpool))


@MANY
@given(st.data())
def test_avg_pool2d(data):
    k, _, stride, p, _, hw, ceil_mode = draw_pool(data, dilation=False)
    include = data.draw(st.booleans(), label="count_include_pad")
    override = data.draw(st.sampled_from([None, None, 1, 5]), label="divisor_override")
    x = rand(data, (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)), *hw))
    args = (k, stride, p, ceil_mode, include, override)
    same(R.avg_pool2d(x, *args), F.avg_pool2d(T(x), *args))


@MANY
@given(st.data())
def test_adaptive_pools(data):
    hw, out = draw_pair(data, 1, 12, "size"), draw_pair(data, 1, 8, "out")
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)), *hw)
    x = rand(data, shape, ints=data.draw(st.booleans(), label="ties"))
    same(R.adaptive_avg_pool2d(x, out), F.adaptive_avg_pool2d(T(x), out))
    same(R.adaptive_max_pool2d(x, out, True), F.adaptive_max_pool2d(T(x), out, True))


@MANY
@given(st.data())
def test_interpolate(data):
    hw = draw_pair(data, 1, 12, "size")
    mode = data.draw(st.sampled_from(["nearest", "nearest-exact", "bilinear"]), label="mode")
    align = data.draw(st.booleans(), label="align_corners") if mode == "bilinear" else None
    x = rand(data, (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)), *hw))
    if data.draw(st.booleans(), label="by scale_factor"):
        f = data.draw(st.sampled_from([0.5, 0.7, 1.3, 1.5, 2.0, 2.5, 3.0]), label="scale_factor")
        if min(int(n * f) for n in hw) < 1:
            return
        kw = dict(scale_factor=f, mode=mode, align_corners=align)
    else:
        kw = dict(size=draw_pair(data, 1, 100, "out"), mode=mode, align_corners=align)
    same(R.interpolate(x, **kw), F.interpolate(T(x), **kw))


@MANY
@given(st.data())
def test_linear_batch_norm_lrn(data):
    n, c = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 8))
    x = rand(data, (n, c, *draw_pair(data, 1, 5, "size")))
    out = data.draw(st.integers(1, 5))
    w, b = rand(data, (out, x.shape[3])), rand(data, (out,))
    same(R.linear(x, w, b), F.linear(T(x), T(w), T(b)))
    same(R.linear(x, w), F.linear(T(x), T(w)))
    mean, var, gamma, beta = (rand(data, (c,)) for _ in range(4))
    var = var**2
    eps = data.draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    same(
        R.batch_norm(x, mean, var, gamma, beta, eps=eps),
        F.batch_norm(T(x), T(mean), T(var), T(gamma), T(beta), False, 0.1, eps),
    )
    size = data.draw(st.integers(1, 9), label="lrn size")
    alpha, beta_, k = (
        data.draw(st.sampled_from([1e-4, 0.3])),
        0.75,
        data.draw(st.sampled_from([1.0, 2.0])),
    )
    same(
        R.local_response_norm(x, size, alpha, beta_, k),
        F.local_response_norm(T(x), size, alpha, beta_, k),
    )


@MANY
@given(st.data())
def test_activations(data):
    x = rand(data, (data.draw(st.integers(1, 2)), 3, *draw_pair(data, 1, 5, "size")))
    x *= data.draw(st.sampled_from([1.0, 4.0, 40.0]), label="spread")
    tx = T(x)
    for name in ["relu", "relu6", "sigmoid", "tanh", "silu", "elu", "hardswish", "hardsigmoid",
                 "gelu", "mish"]:
        same(getattr(R, name)(x), getattr(F, name)(tx))
    same(R.leaky_relu(x, 0.2), F.leaky_relu(tx, 0.2))
    same(R.elu(x, 0.5), F.elu(tx, 0.5))
    same(R.gelu(x, "tanh"), F.gelu(tx, approximate="tanh"))
    same(R.dropout(x, 0.3), F.dropout(tx, 0.3, training=False))
    dim = data.draw(st.integers(0, 3), label="dim")
    same(R.softmax(x, dim), F.softmax(tx, dim))
    same(R.log_softmax(x, dim), F.log_softmax(tx, dim))


@MANY
@given(st.data())
def test_layer_and_group_norm_shuffle_chunk_pad(data):
    groups = data.draw(st.integers(1, 3), label="groups")
    c = groups * data.draw(st.integers(1, 3), label="channels per group")
    x = rand(data, (data.draw(st.integers(1, 2)), c, *draw_pair(data, 1, 5, "size")))
    tx = T(x)
    gamma, beta = rand(data, (c,)), rand(data, (c,))
    eps = data.draw(st.sampled_from([1e-6, 1e-5, 0.1]))
    # ConvNeXt's LayerNorm2d: permute to channels last, F.layer_norm over C, permute back
    last = np.moveaxis(x, 1, -1)
    same(R.layer_norm(last, (c,), gamma, beta, eps),
         F.layer_norm(T(last), (c,), T(gamma), T(beta), eps))
    same(R.layer_norm(x, x.shape[2:], eps=eps), F.layer_norm(tx, x.shape[2:], eps=eps))
    if x.shape[0] * x.shape[2] * x.shape[3] > 1:  # torch refuses one value per channel
        same(R.group_norm(x, groups, gamma, beta, eps),
             F.group_norm(tx, groups, T(gamma), T(beta), eps))
    same(R.channel_shuffle(x, groups), F.channel_shuffle(tx, groups))
    chunks = data.draw(st.integers(1, c + 1), label="chunks")
    same(tuple(R.chunk(x, chunks, 1)), tuple(torch.chunk(tx, chunks, 1)))
    same(R.layer_scale(x, gamma.reshape(c, 1, 1)), T(gamma.reshape(c, 1, 1)) * tx)
    left, right, top, bottom = (data.draw(st.integers(0, 2)) for _ in range(4))
    same(R.pad2d(x, ((top, bottom), (left, right))),
         torch.nn.ZeroPad2d((left, right, top, bottom))(tx))
    same(R.identity(x), torch.nn.Identity()(tx))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest_index_rounding_every_size(mode, dtype):
    """Every 1..40 → 1..260 resize, on both sides of torch's Ho + Wo <= 128 kernel switch."""
    for n in range(1, 41):
        x = np.arange(n, dtype=dtype).reshape(1, 1, 1, n)
        for o in range(1, 261):
            np.testing.assert_array_equal(
                R.interpolate(x, size=(1, o), mode=mode),
                F.interpolate(T(x), size=(1, o), mode=mode).numpy(),
                err_msg=f"{n} -> {o}",
            )


@MANY
@given(st.data())
def test_roi_pool(data):
    ops = pytest.importorskip("torchvision.ops")
    n, c = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))
    h, w = draw_pair(data, 1, 12, "size")
    out = draw_pair(data, 1, 5, "out")
    scale = data.draw(st.sampled_from([1.0, 0.5, 0.25, 0.3]), label="scale")
    coords = st.integers(-8, 2 * 12 / scale + 8).map(lambda v: v / 2)
    boxes = np.array(
        [
            [data.draw(st.integers(0, n - 1))] + [data.draw(coords) for _ in range(4)]
            for _ in range(data.draw(st.integers(1, 4), label="boxes"))
        ]
    )
    x = rand(data, (n, c, h, w))
    same(R.roi_pool(x, boxes, out, scale), ops.roi_pool(T(x), T(boxes), out, scale))
