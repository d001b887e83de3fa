"""Every bad input ends with one line naming the file, line and layer, and exit status 2.

Each case: the file's text, the line the message must name, and fragments it must contain.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

runner = CliRunner()

CASES = {
    "yaml_syntax": ("input: [3, 32, 32]\nlayers:\n  - conv: {out: 8, kernel: 3\n", 4,
                    ["YAML syntax error"]),
    "unknown_type": ("input: [3, 32, 32]\nlayers:\n  - cnov: {out: 8, kernel: 3}\n", 3,
                     ["unknown layer type 'cnov'", "did you mean 'conv'"]),
    "misspelled_field": (
        "input: [3, 32, 32]\nlayers:\n  - relu\n  - conv: {out: 8, kernel: 3, strid: 2}\n",
        4, ["layers[1]", "no argument 'strid'", "did you mean 'stride'"],
    ),
    "wrong_type": ("input: [3, 32, 32]\nlayers:\n  - conv: {out: 8, kernel: 3, stride: two}\n", 3,
                   ["'stride'", "unknown name 'two'"]),
    "wrong_length": ("input: [3, 32, 32]\nlayers:\n  - conv: {out: 8, kernel: [1, 2, 3]}\n", 3,
                     ["'kernel' must be a positive integer or a pair [h, w]"]),
    "negative": ("input: [3, 32, 32]\nlayers:\n  - conv: {out: 8, kernel: 3, stride: -1}\n", 3,
                 ["'stride' must be a positive integer or a pair [h, w], got -1"]),
    "zero_channels": ("input: [3, 32, 32]\nlayers:\n  - conv: {out: 0, kernel: 3}\n", 3,
                      ["'out' must be a positive integer, got 0"]),
    "missing_block_arg": (
        "input: [3, 32, 32]\nblocks:\n  unit:\n    args: {planes: required}\n    layers:\n"
        "      - conv: {out: planes, kernel: 3}\nlayers:\n  - {use: unit, name: first}\n",
        8, ["first", "block 'unit' needs the argument 'planes'"],
    ),
    "unknown_block_arg": (
        "input: [3, 32, 32]\nblocks:\n  unit:\n    args: {planes: 8}\n    layers:\n"
        "      - conv: {out: planes, kernel: 3}\nlayers:\n  - {use: unit, plane: 4}\n",
        8, ["no argument 'plane'", "did you mean 'planes'"],
    ),
    "unknown_name": (
        "input: [3, 32, 32]\nblocks:\n  unit:\n    args: {planes: 8}\n    layers:\n"
        "      - conv: {out: 4*plans, kernel: 3}\nlayers:\n  - use: unit\n",
        6, ["unknown name 'plans'", "did you mean 'planes'"],
    ),
    "empty_output": ("input: [3, 5, 5]\nlayers:\n  - conv: {out: 8, kernel: 7}\n    name: big\n", 3,
                     ["big", "conv output height would be ⌊(5 + 0 + 0 − 7)/1⌋ + 1 = -1"]),
    "groups": ("input: [6, 8, 8]\nlayers:\n  - conv: {out: 8, kernel: 3, groups: 4}\n", 3,
               ["input channels 6 are not divisible by groups=4"]),
    "linear_on_map": ("input: [3, 8, 8]\nlayers:\n  - linear: 10\n", 3,
                      ["linear needs a flat vector", "add `- flatten` before it"]),
    "recursion": (
        "input: [3, 8, 8]\nblocks:\n  a:\n    layers: [{use: b}]\n  b:\n    layers: [{use: a}]\n"
        "layers:\n  - use: a\n",
        6, ["blocks.b.layers[0]", "block 'a' uses itself: a -> b -> a"],
    ),
    "duplicate_names": (
        "input: [3, 8, 8]\nlayers:\n  - relu:\n    name: x\n  - relu:\n    name: x\n",
        5, ["the name 'x' is used twice"],
    ),
    "duplicate_key": ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 8, out: 4, kernel: 1}\n", 3,
                      ["'out' is given twice"]),
    "top_level_typo": ("input: [3, 8, 8]\nlayer:\n  - relu\n", 2,
                       ["unknown top-level key 'layer'", "did you mean 'layers'"]),
    "identity_mismatch": (
        "input: [64, 8, 8]\nlayers:\n  - residual:\n      body: [{conv: {out: 256, kernel: 1}}]\n"
        "      shortcut: identity\n",
        3, ["residual add of 256x8x8 (body) and 64x8x8 (shortcut identity)"],
    ),
    "concat_mismatch": (
        "input: [3, 8, 8]\nlayers:\n  - parallel:\n"
        "      - [{conv: {out: 4, kernel: 3, stride: 2}}]\n"
        "      - [{conv: {out: 4, kernel: 3, padding: 1}}]\n",
        3, ["concat needs equal spatial sizes", "branch1 4x3x3", "branch2 4x8x8"],
    ),
    "dense_on_flat": (
        "input: [3, 8, 8]\nlayers:\n  - flatten\n  - dense: 2\n    layers: [relu]\n",
        4, ["dense block needs a feature map", "flat vector 192"],
    ),
    "empty_file": ("", 0, ["the file is empty"]),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_file(case, tmp_path):
    text, line, fragments = CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["shapes", str(path)])
    assert result.exit_code == 2, result.output
    message = result.stderr
    assert message.startswith("cnncalc: error: ") and message.count("\n") == 1, message
    assert f"{case}.yaml:{line}" in message if line else f"{case}.yaml" in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["params", "vgg61"],
            "'vgg61' is neither a zoo name nor a file; did you mean vgg19 or vgg16",
        ),
        (["params", "no/such/file.yaml"], "no such file: no/such/file.yaml"),
        (["params", "vgg16", "--input", "3x0x224"], "sizes must be positive"),
        (["params", "vgg16", "--input", "3x2.5x224"], "expected CxHxW"),
        (["params", "3x3-stack", "--set", "C"], "expected NAME=POSITIVE_INTEGER"),
        (["params", "vgg16", "--set", "C=64"], "the architecture has no symbol 'C'"),
        (["compare", "vgg16"], "compare needs at least two designs"),
        (["conv", "5", "--kernel", "7"], "conv output height would be"),
    ],
)
def test_bad_command_line(args, fragment):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


def test_a_real_process_prints_one_line_and_exits_2(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "input: [3, 32, 32]\nlayers:\n  - relu\n  - conv: {out: 8, kernel: 3, strid: 2}\n"
    )
    done = subprocess.run([sys.executable, "-m", "cnncalc", "shapes", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"cnncalc: error: {path}:4 layers[1]: conv has no argument 'strid'; did you mean "
        "'stride'? (it takes: out, kernel, stride, padding, dilation, groups, bias, name, frozen)\n"
    )
