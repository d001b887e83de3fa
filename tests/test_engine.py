"""The engine's own rules: path naming, --depth collapse, frozen layers, lean imports."""

import subprocess
import sys
import textwrap

import pytest

import cnncalc
from cnncalc.errors import LimitError
from cnncalc.loader import load_text


def analyze(text, **kw):
    return cnncalc.analyze(load_text(textwrap.dedent(text), "t.yaml"), **kw)


def test_paths_use_names_positions_and_flattened_repeats():
    report = analyze(
        """
        input: [3, 32, 32]
        layers:
          - seq:
              - repeat: 2
                layers: [{conv: {out: 8, kernel: 3, padding: 1}}, relu]
              - maxpool: {kernel: 2}
            name: features
          - global_avgpool
          - flatten
          - linear: 10
            name: fc
        """
    )
    assert [r.path for r in report.rows] == [
        "features.0", "features.1", "features.2", "features.3", "features.4", "1", "2", "fc",
    ]


def test_named_repeat_numbers_its_copies_and_single_items_add_no_segment():
    report = analyze(
        """
        input: [8, 16, 16]
        blocks:
          unit:
            args: {c: required}
            layers:
              - residual:
                  body:
                    - conv: {out: c, kernel: 3, padding: 1, bias: false}
                      name: conv1
                    - bn:
                      name: bn1
                activation: relu
        layers:
          - repeat: 2
            name: layer1
            layers: [{use: unit, c: 8}]
        """
    )
    paths = [r.path for r in report.rows]
    assert paths[:4] == ["layer1.0.conv1", "layer1.0.bn1", "layer1.0.add", "layer1.0.relu"]
    assert len(paths) == len(set(paths)) == 8


def test_depth_collapse_keeps_totals():
    report = cnncalc.analyze("vgg16")
    rows = report.collapsed(1)
    assert [r.path for r in rows] == ["features", "avgpool", "flatten", "classifier"]
    assert sum(r.params for r in rows) == report.totals.params
    assert sum(r.macs for r in rows) == report.totals.macs
    assert rows[0].output == (512, 7, 7)


def test_frozen_layers_are_non_trainable():
    report = analyze(
        """
        input: [3, 8, 8]
        layers:
          - conv: {out: 4, kernel: 3, frozen: true}
          - flatten
          - linear: 2
        """
    )
    frozen = 3 * 9 * 4 + 4
    assert report.totals.non_trainable_params == frozen
    assert report.totals.trainable_params == 4 * 6 * 6 * 2 + 2


def test_activation_memory_scales_with_batch_and_dtype():
    base = cnncalc.analyze("alexnet")
    half = cnncalc.analyze("alexnet", batch=8, dtype="fp16")
    assert half.totals.activation_bytes == base.totals.activation_elements * 2 * 8
    assert base.totals.activation_bytes == 4 * sum(r.elements for r in base.rows)


def test_input_override():
    report = cnncalc.analyze("vgg16", input="3x320x320")
    assert {r.path: r.output for r in report.rows}["features.30"] == (512, 10, 10)
    assert report.output == (1000,)  # the adaptive pool brings it back to 7x7


def test_huge_repeat_is_refused_quickly():
    with pytest.raises(LimitError, match="1,000,000"):
        analyze(
            """
            input: [3, 8, 8]
            layers:
              - repeat: 1000000000
                layers: [relu]
            """
        )


def test_numeric_path_does_not_import_sympy_or_numpy():
    code = (
        "import sys, cnncalc; cnncalc.analyze('resnet50' if False else 'vgg16');"
        "from cnncalc import render; render.to_json(cnncalc.analyze('alexnet'));"
        "print('sympy' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_symbolic_input_gives_expressions_that_evaluate_to_the_numbers():
    import sympy

    symbolic = cnncalc.analyze("3x3-stack")
    C = sympy.Symbol("C", integer=True, positive=True)
    assert sympy.expand(symbolic.totals.params - (27 * C**2 + 3 * C)) == 0
    numeric = cnncalc.analyze("3x3-stack", set={"C": 64, "H": 56, "W": 56})
    assert symbolic.totals.params.subs(C, 64) == numeric.totals.params


def test_functions_take_no_position_so_modules_keep_torchvisions_numbers():
    """ShuffleNetV2's unit: `x1, x2 = x.chunk(2, dim=1)` and `channel_shuffle(out, 2)` are
    functions in torchvision, not modules; its modules are branch2.0 … branch2.2 and the block is
    stage.0, so the chunk and shuffle rows are named by their types."""
    report = analyze(
        """
        input: [8, 6, 6]
        blocks:
          unit:
            layers:
              - parallel:
                  branches:
                    - [chunk: {chunks: 2, index: 0}]
                    - [chunk: {chunks: 2, index: 1}, {conv: {out: 4, kernel: 1}}, bn, relu]
              - channel_shuffle: 2
        layers:
          - repeat: 2
            layers: [use: unit]
            name: stage
        """
    )
    paths = [r.path for r in report.rows][:8]
    assert paths == [
        "stage.0.branch1", "stage.0.branch2.chunk", "stage.0.branch2.0", "stage.0.branch2.1",
        "stage.0.branch2.2", "stage.0.concat", "stage.0.channel_shuffle", "stage.1.branch1",
    ]


def test_two_unnamed_functions_in_one_list_are_refused_not_given_one_path():
    from cnncalc.errors import SpecError

    with pytest.raises(SpecError, match="two unnamed channel_shuffle layers in one list would "
                       "both be channel_shuffle; give one a name"):
        analyze("input: [4, 2, 2]\nlayers: [{channel_shuffle: 2}, relu, {channel_shuffle: 2}]\n")
    named = analyze("input: [4, 2, 2]\nlayers: [{channel_shuffle: 2}, relu, "
                    "{channel_shuffle: 2, name: shuffle2}]\n")
    assert [r.path for r in named.rows] == ["channel_shuffle", "0", "shuffle2"]
