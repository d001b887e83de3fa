"""The ONNX importer (cnncalc/importers/onnx.py, `cnncalc import`, `cnncalc summary x.onnx`).

The fixtures are small graphs built here with onnx.helper (no binary files in the repository);
each expected figure is derived by hand in the comment beside it, from the ONNX operator's own
definition (weights O x I/g x kh x kw, output (H + pads − d(k − 1) − 1) // s + 1) — never from
cnncalc. Every fixture is also written out with `cnncalc import -o` and read back: the YAML must
give the same report as the .onnx file itself.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")
pytestmark = pytest.mark.onnx

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc.cli import app  # noqa: E402
from cnncalc.errors import CnnCalcError  # noqa: E402

runner = CliRunner()


def weight(name: str, *dims: int) -> onnx.TensorProto:
    import numpy as np

    return numpy_helper.from_array(np.zeros(dims, dtype=np.float32), name)


def ints(name: str, *values: int) -> onnx.TensorProto:
    import numpy as np

    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def index(name: str, value: int) -> onnx.TensorProto:
    """A 0-d int64 tensor: Gather by it gives a scalar, as exporters write x.size(i)."""
    import numpy as np

    return numpy_helper.from_array(np.array(value, dtype=np.int64), name)


def scalar(name: str, value: float) -> onnx.TensorProto:
    import numpy as np

    return numpy_helper.from_array(np.array(value, dtype=np.float32), name)


def node(op: str, inputs: list[str], outputs: list[str] | str, name: str, **attrs):
    outs = [outputs] if isinstance(outputs, str) else outputs
    return helper.make_node(op, inputs, outs, name=name, **attrs)


def save(tmp_path: Path, nodes, inits, shape=(1, 3, 8, 8), outputs=("y",), opset=13,
         inputs=None, file="m.onnx") -> Path:
    graph_inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))]
    graph = helper.make_graph(
        nodes, "fixture", graph_inputs,
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs], inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    path = tmp_path / file
    onnx.save(model, str(path))
    return path


def figures(arch, **kw):
    report = cnncalc.analyze(str(arch), **kw)
    return report.totals.params, report.totals.macs, tuple(report.output)


def types(arch) -> list[str]:
    return [row.type for row in cnncalc.analyze(str(arch)).rows]


def round_trip(tmp_path: Path, path: Path, **kw) -> str:
    """The YAML `cnncalc import` writes gives the same rows and totals as the .onnx file."""
    out = tmp_path / (path.stem + ".yaml")
    result = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    direct, written = cnncalc.analyze(str(path), **kw), cnncalc.analyze(str(out), **kw)
    assert [(r.path, r.type, r.output, r.params, r.macs) for r in direct.rows] == [
        (r.path, r.type, r.output, r.params, r.macs) for r in written.rows
    ]
    assert direct.totals == written.totals
    return out.read_text()


# ----------------------------------------------------------------------------- convolutions
def test_conv_bn_relu(tmp_path):
    path = save(tmp_path, [
        node("Conv", ["x", "w", "b"], "c", "/conv1/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
             strides=[2, 2]),
        node("BatchNormalization", ["c", "g", "beta", "mean", "var"], "n", "/bn1/BatchNorm"),
        node("Relu", ["n"], "y", "/relu/Relu"),
    ], [weight("w", 16, 3, 3, 3), weight("b", 16), *(weight(n, 16) for n in
                                                        ("g", "beta", "mean", "var"))])
    # out (8 + 2 − 3) // 2 + 1 = 4; conv 16·3·3·3 + 16 = 448, bn γ and β 2·16 = 32 (mean and
    # var are buffers); MACs 16·4·4 outputs × 27 = 6,912
    assert figures(path) == (480, 6912, (16, 4, 4))
    assert cnncalc.analyze(str(path)).totals.buffers == 32
    assert types(path) == ["conv", "bn", "relu"]
    text = round_trip(tmp_path, path)
    assert "name: conv1}" in text and "name: relu}" in text  # torch's `/conv1/Conv` -> conv1


def test_depthwise_dilated_asymmetric(tmp_path):
    path = save(tmp_path, [
        node("Conv", ["x", "w1"], "a", "dw", group=3, dilations=[2, 2], pads=[2, 2, 2, 2]),
        node("Conv", ["a", "w2"], "y", "asym", strides=[2, 2], pads=[0, 0, 1, 1]),
    ], [weight("w1", 6, 1, 3, 3), weight("w2", 4, 6, 3, 3)])
    # dw: 8 + 4 − 2·2 − 1 = 7, //1 + 1 = 8: 6x8x8, 6·1·9 = 54 params, 6·64·9 = 3,456 MACs;
    # asym: (8 + 0 + 1 − 3) // 2 + 1 = 4: 4x4x4, 4·6·9 = 216 params, 4·16·54 = 3,456 MACs
    assert figures(path) == (270, 6912, (4, 4, 4))
    round_trip(tmp_path, path)


def test_auto_pad(tmp_path):
    path = save(tmp_path, [
        node("Conv", ["x", "w1"], "a", "same", auto_pad="SAME_UPPER"),
        node("Conv", ["a", "w2"], "y", "valid", auto_pad="VALID"),
    ], [weight("w1", 4, 3, 2, 2), weight("w2", 2, 4, 3, 3)], shape=(1, 3, 7, 7))
    # SAME_UPPER keeps 7 with a 2x2 kernel (one pixel of padding, at the bottom and right; no
    # padding gives 6, one each side 8): 4·12 = 48 params, 4·49·12 = 2,352 MACs.
    # VALID 3x3: 7 − 2 = 5; 2·36 = 72 params, 2·25·36 = 1,800 MACs
    assert figures(path) == (120, 4152, (2, 5, 5))
    round_trip(tmp_path, path)


def test_conv_transpose(tmp_path):
    path = save(tmp_path, [
        node("ConvTranspose", ["x", "w", "b"], "y", "up", strides=[2, 2], pads=[1, 1, 1, 1],
             output_padding=[1, 1]),
    ], [weight("w", 3, 5, 3, 3), weight("b", 5)])
    # weight in x out x k x k: (8 − 1)·2 − 2 + 3 + 1 = 16; 3·5·9 + 5 = 140 params;
    # every input element meets every kernel weight: 3·64·5·9 = 8,640 MACs
    assert figures(path) == (140, 8640, (5, 16, 16))
    round_trip(tmp_path, path)


# ----------------------------------------------------------------------------- the head
def test_gemm_after_flatten(tmp_path):
    path = save(tmp_path, [
        node("GlobalAveragePool", ["x"], "g", "gap"),
        node("Flatten", ["g"], "f", "flatten"),
        node("Gemm", ["f", "w1", "b1"], "h", "fc1", transB=1),
        node("Gemm", ["h", "w2"], "y", "fc2"),
    ], [weight("w1", 10, 3), weight("b1", 10), weight("w2", 10, 4)])
    # fc1 (W 10x3, transposed): 3·10 + 10 = 40 params, 30 MACs; fc2 (W 10x4): 40, 40
    assert figures(path) == (80, 70, (4,))
    assert types(path) == ["global_avgpool", "flatten", "linear", "linear"]
    round_trip(tmp_path, path)


def test_matmul_add_is_a_linear_with_bias(tmp_path):
    path = save(tmp_path, [
        node("Flatten", ["x"], "f", "flatten"),
        node("MatMul", ["f", "w"], "m", "fc_matmul"),
        node("Add", ["m", "b"], "y", "fc_add"),
    ], [weight("w", 192, 5), weight("b", 5)])
    # 3·8·8 = 192 features; 192·5 + 5 = 965 params, 960 MACs; the Add is the bias, no row
    assert figures(path) == (965, 960, (5,))
    assert types(path) == ["flatten", "linear"]
    round_trip(tmp_path, path)


def test_reshape_to_flat_and_to_a_map(tmp_path):
    path = save(tmp_path, [
        node("Reshape", ["x", "t1"], "r", "to_map"),
        node("Reshape", ["r", "t2"], "f", "to_flat"),
        node("MatMul", ["f", "w"], "y", "fc"),
    ], [ints("t1", 1, 12, 4, 4), ints("t2", 0, -1), weight("w", 192, 2)])
    # 3x8x8 -> 12x4x4 (192 elements) -> 192 -> 2: 384 params and MACs
    assert figures(path) == (384, 384, (2,))
    assert types(path) == ["reshape", "flatten", "linear"]
    round_trip(tmp_path, path)


# ----------------------------------------------------------------------------- element-wise
ACTIVATIONS = [
    (node("Relu", ["x"], "y", "a"), [], 13, "relu"),
    (node("Sigmoid", ["x"], "y", "a"), [], 13, "sigmoid"),
    (node("HardSigmoid", ["x"], "y", "a", alpha=1 / 6), [], 13, "hardsigmoid"),
    (node("HardSwish", ["x"], "y", "a"), [], 14, "hardswish"),
    (node("LeakyRelu", ["x"], "y", "a", alpha=0.2), [], 13, "leaky_relu"),
    (node("Clip", ["x", "lo", "hi"], "y", "a"), [scalar("lo", 0), scalar("hi", 6)], 13, "relu6"),
    (node("Clip", ["x"], "y", "a", min=0.0, max=6.0), [], 6, "relu6"),
    (node("Clip", ["x", "lo"], "y", "a"), [scalar("lo", 0)], 13, "relu"),
    (node("Identity", ["x"], "y", "a"), [], 13, "identity"),
    (node("Dropout", ["x"], "y", "a"), [], 13, "dropout"),
    (node("Softmax", ["x"], "y", "a", axis=1), [], 13, "softmax"),
    (node("Tanh", ["x"], "y", "a"), [], 13, "tanh"),
]


@pytest.mark.parametrize(("op", "inits", "opset", "kind"), ACTIVATIONS,
                         ids=[f"{a[0].op_type}-{a[3]}-{a[2]}" for a in ACTIVATIONS])
def test_activations(tmp_path, op, inits, opset, kind):
    path = save(tmp_path, [op], inits, opset=opset)
    assert figures(path) == (0, 0, (3, 8, 8))  # element-wise: no weights, no MACs
    assert types(path) == [kind]
    text = round_trip(tmp_path, path)
    if kind == "leaky_relu":
        assert "negative_slope: 0.2" in text


def test_softmax_over_features_at_opset_13(tmp_path):
    path = save(tmp_path, [node("Flatten", ["x"], "f", "flat"), node("Softmax", ["f"], "y", "sm")],
                [])
    assert figures(path) == (0, 0, (192,))  # default axis −1 of a flat N x F is the features
    assert types(path) == ["flatten", "softmax"]


# ----------------------------------------------------------------------------- pooling
def test_pools(tmp_path):
    path = save(tmp_path, [
        node("MaxPool", ["x"], "a", "pool1", kernel_shape=[3, 3], strides=[2, 2],
             pads=[1, 1, 1, 1]),
        node("MaxPool", ["a"], "b", "pool2", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        node("AveragePool", ["b"], "y", "pool3", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    ], [], shape=(1, 3, 15, 15))
    # pool1: (15 + 2 − 3) // 2 + 1 = 8; pool2 with ceil: ⌈(8 − 3)/2⌉ + 1 = 4 (floor gives 3);
    # pool3 stride 1 (ONNX's default, not the kernel): (4 + 2 − 3) + 1 = 4
    assert figures(path) == (0, 0, (3, 4, 4))
    report = cnncalc.analyze(str(path))
    assert report.rows[2].args["count_include_pad"] is False  # ONNX's default is 0, torch's 1
    assert report.rows[2].args["stride"] in (1, (1, 1))
    round_trip(tmp_path, path)


def test_average_pool_count_include_pad(tmp_path):
    path = save(tmp_path, [
        node("AveragePool", ["x"], "y", "p", kernel_shape=[2, 2], strides=[2, 2],
             count_include_pad=1),
    ], [])
    assert figures(path) == (0, 0, (3, 4, 4))
    assert cnncalc.analyze(str(path)).rows[0].args["count_include_pad"] is True


# ----------------------------------------------------------------------------- graphs
def test_residual_add_and_concat(tmp_path):
    path = save(tmp_path, [
        node("Conv", ["x", "wa"], "a", "branch_a"),
        node("Conv", ["x", "wb"], "b", "branch_b", pads=[1, 1, 1, 1]),
        node("Concat", ["a", "b"], "cat", "cat", axis=1),
        node("Conv", ["cat", "wc"], "c", "mix"),
        node("Add", ["c", "cat"], "y", "residual"),
    ], [weight("wa", 4, 3, 1, 1), weight("wb", 4, 3, 3, 3), weight("wc", 8, 8, 1, 1)])
    # params 4·3 + 4·27 + 8·8 = 184; MACs 64 pixels × 184 = 11,776; output 8x8x8
    assert figures(path) == (184, 11776, (8, 8, 8))
    assert types(path) == ["conv", "conv", "concat", "conv", "add"]
    text = round_trip(tmp_path, path)
    assert "from: input" in text and "concat: [branch_a, branch_b]" in text
    assert "add: [mix, cat]" in text


def test_squeeze_excitation_mul(tmp_path):
    path = save(tmp_path, [
        node("GlobalAveragePool", ["x"], "g", "se_pool"),
        node("Conv", ["g", "w1", "b1"], "s1", "se_fc1"),
        node("Relu", ["s1"], "s2", "se_relu"),
        node("Conv", ["s2", "w2", "b2"], "s3", "se_fc2"),
        node("Sigmoid", ["s3"], "s4", "se_gate"),
        node("Mul", ["x", "s4"], "y", "se_scale"),
    ], [weight("w1", 2, 8, 1, 1), weight("b1", 2), weight("w2", 8, 2, 1, 1), weight("b2", 8)],
        shape=(1, 8, 4, 4))
    # fc1 8·2 + 2 = 18, fc2 2·8 + 8 = 24: 42 params; MACs 16 + 16 = 32; output 8x4x4
    assert figures(path) == (42, 32, (8, 4, 4))
    assert types(path)[-1] == "mul"
    text = round_trip(tmp_path, path)
    assert "mul: [input, se_gate]" in text


def test_two_outputs(tmp_path):
    path = save(tmp_path, [
        node("Conv", ["x", "w1"], "y1", "head1"),
        node("Conv", ["x", "w2"], "y2", "head2"),
    ], [weight("w1", 2, 3, 1, 1), weight("w2", 5, 3, 1, 1)], outputs=("y1", "y2"))
    report = cnncalc.analyze(str(path))
    assert report.totals.params == 6 + 15
    shapes = [(p, tuple(s)) for p, s, _ in report.outputs]
    assert shapes == [("head1", (2, 8, 8)), ("head2", (5, 8, 8))]
    text = round_trip(tmp_path, path)
    assert "outputs: [head1, head2]" in text


def test_dim_param_is_a_symbol(tmp_path):
    path = save(tmp_path, [
        node("Conv", ["x", "w"], "c", "conv", strides=[2, 2], pads=[1, 1, 1, 1]),
        node("Relu", ["c"], "y", "relu"),
    ], [weight("w", 4, 3, 3, 3)], shape=("batch", 3, "height", "width"))
    arch = cnncalc.load(str(path))
    assert [getattr(s, "text", s) for s in arch.input] == [3, "height", "width"]
    # at 32x32: (32 + 2 − 3) // 2 + 1 = 16; 4·27 = 108 params, 4·256·27 = 27,648 MACs
    assert figures(path, set={"height": 32, "width": 32}) == (108, 27648, (4, 16, 16))
    symbolic = cnncalc.analyze(str(path))
    assert set(symbolic.symbols) == {"height", "width"}
    round_trip(tmp_path, path, set={"height": 32, "width": 32})


# ----------------------------------------------------------------------------- bad input
def error(path: Path) -> str:
    with pytest.raises(CnnCalcError) as caught:
        cnncalc.analyze(str(path))
    return str(caught.value)


def cli_error(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr


def test_unsupported_op_is_named(tmp_path):
    path = save(tmp_path, [
        node("Relu", ["x"], "r", "ok"),
        node("LpNormalization", ["r"], "y", "/head/norm"),
    ], [])
    message = error(path)
    assert message.startswith(f"{path}: ") and "'/head/norm'" in message
    assert "LpNormalization" in message
    assert "LpNormalization" in cli_error(["summary", str(path)])
    assert "LpNormalization" in cli_error(["import", str(path)])


def test_truncated_and_foreign_files(tmp_path):
    good = save(tmp_path, [node("Conv", ["x", "w"], "y", "c")], [weight("w", 4, 3, 3, 3)])
    data = good.read_bytes()
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(data[: len(data) // 2])
    assert "not a readable ONNX model" in error(cut) or "not an ONNX model" in error(cut)
    text = tmp_path / "text.onnx"
    text.write_text("name: x\ninput: [3, 8, 8]\nlayers: [relu]\n")
    message = cli_error(["shapes", str(text)])
    assert str(text) in message and "ONNX" in message
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    assert "not an ONNX model" in error(empty)


def test_two_inputs(tmp_path):
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 3, 8, 8]) for n in "ab"]
    path = save(tmp_path, [node("Add", ["a", "b"], "y", "sum")], [], inputs=inputs)
    message = cli_error(["params", str(path)])
    assert "2 inputs" in message and "'a', 'b'" in message and str(path) in message


def test_constant_operand_is_refused(tmp_path):
    path = save(tmp_path, [node("Mul", ["x", "k"], "y", "scale")], [scalar("k", 2.0)])
    assert "'scale' (Mul)" in error(path)


def test_a_second_output_in_use_is_refused(tmp_path):
    path = save(tmp_path, [
        node("MaxPool", ["x"], ["y", "idx"], "pool", kernel_shape=[2, 2], strides=[2, 2]),
    ], [], outputs=("y", "idx"))
    assert "'pool' (MaxPool): its output 'idx' is used" in error(path)


def test_import_refuses_other_files(tmp_path):
    other = tmp_path / "m.pt"
    other.write_bytes(b"x")
    assert ".onnx" in cli_error(["import", str(other)])


def test_zoo_commands_do_not_import_onnx():
    code = ("import sys; from cnncalc.cli import app; import cnncalc; cnncalc.analyze('vgg11'); "
            "print('onnx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- shape subgraphs
def test_channel_shuffle_with_constant_targets(tmp_path):
    path = save(tmp_path, [
        node("Reshape", ["x", "t5"], "r5", "view"),
        node("Transpose", ["r5"], "tr", "transpose", perm=[0, 2, 1, 3, 4]),
        node("Reshape", ["tr", "t4"], "y", "shuffle"),
    ], [ints("t5", 1, 2, 3, 8, 8), ints("t4", 1, -1, 8, 8)], shape=(1, 6, 8, 8))
    assert figures(path) == (0, 0, (6, 8, 8))  # a permutation of the channels
    assert types(path) == ["channel_shuffle"]
    text = round_trip(tmp_path, path)
    assert "channel_shuffle: {groups: 2}" in text


def test_channel_shuffle_from_a_dynamic_shape_subgraph(tmp_path):
    # torch.onnx with dynamic H, W writes x.view(b, g, c // g, h, w) as Shape -> Gather ->
    # Div/Unsqueeze -> Concat feeding the Reshape; only g is a constant there
    nodes = [node("Conv", ["x", "w"], "c", "conv")]
    for i in range(4):
        nodes += [node("Shape", ["c"], f"s{i}", f"shape{i}"),
                  node("Gather", [f"s{i}", f"i{i}"], f"d{i}", f"gather{i}", axis=0)]
    nodes += [
        node("Div", ["d1", "g"], "cg", "div"),
        *(node("Unsqueeze", [n, "ax"], f"u{n}", f"unsq_{n}") for n in ("d0", "cg", "d2", "d3")),
        node("Concat", ["ud0", "g1", "ucg", "ud2", "ud3"], "t5", "target5", axis=0),
        node("Reshape", ["c", "t5"], "r5", "view"),
        node("Transpose", ["r5"], "tr", "transpose", perm=[0, 2, 1, 3, 4]),
        node("Concat", ["ud0", "minus1", "ud2", "ud3"], "t4", "target4", axis=0),
        node("Reshape", ["tr", "t4"], "y", "shuffle"),
    ]
    inits = [weight("w", 8, 3, 1, 1), *(index(f"i{i}", i) for i in range(4)), ints("g", 4),
             ints("g1", 4), ints("ax", 0), ints("minus1", -1)]
    path = save(tmp_path, nodes, inits, shape=("N", 3, "H", "W"))
    # the conv: 8·3 = 24 params, 8·3 = 24 MACs per pixel; the shuffle adds nothing
    assert figures(path, set={"H": 5, "W": 7}) == (24, 24 * 35, (8, 5, 7))
    assert types(path) == ["conv", "channel_shuffle"]
    text = round_trip(tmp_path, path, set={"H": 5, "W": 7})
    assert "channel_shuffle: {groups: 4}" in text


def test_transpose_alone_is_refused(tmp_path):
    path = save(tmp_path, [node("Transpose", ["x"], "y", "t", perm=[0, 1, 3, 2])], [])
    assert "'t' (Transpose)" in error(path)


def test_reshape_target_folded_from_constants(tmp_path):
    path = save(tmp_path, [
        node("Div", ["k24", "k2"], "c", "div"),
        node("Concat", ["one", "c", "four", "four"], "t", "target", axis=0),
        node("Reshape", ["x", "t"], "y", "view"),
    ], [ints("k24", 24), ints("k2", 2), ints("one", 1), ints("four", 4)])
    # 24 // 2 = 12: 3x8x8 (192 elements) -> 12x4x4
    assert figures(path) == (0, 0, (12, 4, 4))


def test_other_transpose_of_a_rank5_reshape_is_refused(tmp_path):
    path = save(tmp_path, [
        node("Reshape", ["x", "t5"], "r5", "view"),
        node("Transpose", ["r5"], "tr", "transpose", perm=[0, 1, 2, 4, 3]),
        node("Reshape", ["tr", "t4"], "y", "back"),
    ], [ints("t5", 1, 2, 3, 8, 8), ints("t4", 1, -1, 8, 8)], shape=(1, 6, 8, 8))
    assert "'transpose' (Transpose)" in error(path)


# ----------------------------------------------------------------------------- more ops
def test_reduce_mean_over_height_and_width(tmp_path):
    path = save(tmp_path, [
        node("ReduceMean", ["x"], "m", "keep", axes=[2, 3], keepdims=1),
        node("ReduceMean", ["m"], "y", "drop", axes=[-2, -1], keepdims=0),
    ], [])
    # 3x8x8 -> 3x1x1 -> mean over 1x1, axes dropped -> 3
    assert figures(path) == (0, 0, (3,))
    assert types(path) == ["global_avgpool", "global_avgpool", "flatten"]
    round_trip(tmp_path, path)


def test_pad(tmp_path):
    path = save(tmp_path, [node("Pad", ["x", "p"], "y", "pad")],
                [ints("p", 0, 0, 1, 2, 0, 0, 3, 4)])
    # pads [x1_begin, ..., x4_end]: top 1, left 2, bottom 3, right 4: 8 + 4 = 12, 8 + 6 = 14
    assert figures(path) == (0, 0, (3, 12, 14))
    round_trip(tmp_path, path)


def test_resize_and_upsample(tmp_path):
    empty = helper.make_tensor("roi", TensorProto.FLOAT, [0], [])
    path = save(tmp_path, [
        node("Resize", ["x", "roi", "s"], "a", "up2", mode="nearest"),
        node("Resize", ["a", "", "", "sz"], "y", "to_size", mode="linear",
             coordinate_transformation_mode="align_corners"),
    ], [empty, helper.make_tensor("s", TensorProto.FLOAT, [4], [1, 1, 2, 2]),
        ints("sz", 1, 3, 20, 30)])
    # 8 x 2 = 16, then to 20x30
    assert figures(path) == (0, 0, (3, 20, 30))
    assert types(path) == ["upsample", "upsample"]
    assert tuple(cnncalc.analyze(str(path)).rows[0].output) == (3, 16, 16)
    text = round_trip(tmp_path, path)
    assert "mode: bilinear, align_corners: true" in text


def test_split_into_equal_channel_parts(tmp_path):
    path = save(tmp_path, [
        node("Split", ["x", "parts"], ["a", "b"], "split", axis=1),
        node("Conv", ["b", "w"], "c", "branch"),
        node("Concat", ["a", "c"], "y", "cat", axis=1),
    ], [ints("parts", 3, 3), weight("w", 5, 3, 1, 1)], shape=(1, 6, 4, 4))
    # halves of 3 channels; the conv 3 -> 5: 15 params, 15·16 = 240 MACs; 3 + 5 = 8 channels
    assert figures(path) == (15, 240, (8, 4, 4))
    assert types(path) == ["chunk", "chunk", "conv", "concat"]
    text = round_trip(tmp_path, path)
    assert "chunk: {chunks: 2, index: 1}" in text


def test_unequal_split_is_refused(tmp_path):
    path = save(tmp_path, [node("Split", ["x", "parts"], ["a", "y"], "split", axis=1)],
                [ints("parts", 1, 2)], outputs=("a", "y"))
    assert "'split' (Split)" in error(path)


def test_identity_of_an_initializer_is_that_initializer(tmp_path):
    # torch.onnx writes an Identity where two initializers hold equal values (shared weights)
    path = save(tmp_path, [
        node("Identity", ["w"], "w2", "Identity_0"),
        node("Conv", ["x", "w2"], "y", "conv"),
    ], [weight("w", 4, 3, 1, 1)])
    assert figures(path) == (12, 12 * 64, (4, 8, 8))
    assert types(path) == ["conv"]


def test_slices_of_the_channels_are_chunks(tmp_path):
    # ShuffleNetV2's x.chunk(2, dim=1) as torch.onnx writes it: two Slices, the half computed
    # from Shape (the channel count the conv gives, 6) // 2
    path = save(tmp_path, [
        node("Conv", ["x", "w"], "c", "conv"),
        node("Shape", ["c"], "s", "shape"),
        node("Gather", ["s", "one"], "ch", "gather", axis=0),
        node("Div", ["ch", "two"], "half", "div"),
        node("Unsqueeze", ["half", "ax"], "h1", "unsq"),
        node("Slice", ["c", "zero", "h1", "axis1"], "a", "left"),
        node("Slice", ["c", "h1", "big", "axis1"], "b", "right"),
        node("Conv", ["b", "w2"], "b2", "branch"),
        node("Concat", ["a", "b2"], "y", "cat", axis=1),
    ], [weight("w", 6, 3, 1, 1), index("one", 1), ints("two", 2), ints("ax", 0),
        ints("zero", 0), ints("axis1", 1), ints("big", 2**63 - 1), weight("w2", 4, 3, 1, 1)])
    # conv 6·3 = 18, branch 4·3 = 12 params; MACs (18 + 12)·64 = 1,920; 3 + 4 = 7 channels
    assert figures(path) == (30, 1920, (7, 8, 8))
    assert types(path) == ["conv", "chunk", "chunk", "conv", "concat"]
    text = round_trip(tmp_path, path)
    assert "chunk: {chunks: 2, index: 1}" in text


def test_a_slice_of_unequal_parts_is_refused(tmp_path):
    path = save(tmp_path, [node("Slice", ["x", "zero", "two", "axis1"], "y", "part")],
                [ints("zero", 0), ints("two", 2), ints("axis1", 1)])
    assert "channels 0:2 of 3 are not one of equal parts" in error(path)
