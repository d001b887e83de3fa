"""A folder of bad inputs: each ends with one line on stderr that names the file, the line and the
layer, contains the fragment the table gives, exits with status 2, and shows no traceback.

tests/bad/NAME.yaml holds one mistake; BAD_FILES below says what its message must contain. Command
line mistakes (ARCH, --input, --set, conv's options) are in BAD_ARGS.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

BAD = Path(__file__).parent / "bad"
PREFIX = "cnncalc: error: "
runner = CliRunner()


class Bad(NamedTuple):
    line: int  # the line the message names; 0 when it can only name the file
    path: str  # what follows FILE:LINE: the layer path, the YAML path, or both as `path (yaml)`
    fragments: tuple[str, ...]


BAD_FILES: dict[str, Bad] = {
    "yaml_syntax": Bad(
        6, "", ("YAML syntax error", "expected ',' or '}'", "flow mapping that starts at line 4")
    ),
    "unknown_layer_type": Bad(
        4, "layers[0]", ("unknown layer type 'cnov'", "did you mean 'conv'?")
    ),
    "misspelled_field": Bad(
        8, "layers[1]", ("conv has no argument 'strid'", "did you mean 'stride'?")
    ),
    "stride_text": Bad(
        4,
        "layers[0]",
        ("conv: 'stride' must be a positive integer or a pair [h, w]", "unknown name 'two'"),
    ),
    "stride_three_values": Bad(
        4,
        "layers[0]",
        ("'stride' must be a positive integer or a pair [h, w], got a list [1, 2, 3]",),
    ),
    "stride_mapping": Bad(
        4,
        "layers[0]",
        ("conv: 'stride' must be a positive integer or a pair [h, w], got a mapping",),
    ),
    "stride_negative": Bad(
        5, "layers[1]", ("conv: 'stride' must be a positive integer or a pair [h, w], got -1",)
    ),
    "out_zero": Bad(4, "layers[0]", ("conv: 'out' must be a positive integer, got 0",)),
    "missing_block_arg": Bad(
        10, "second (layers[1])", ("block 'unit' needs the argument 'planes'",)
    ),
    "unknown_block_arg": Bad(
        9, "0 (layers[0])", ("block 'unit' has no argument 'plane'", "did you mean 'planes'?")
    ),
    "unknown_name": Bad(
        8,
        "blocks.unit.layers[1]",
        ("'out': unknown name 'plans' in '4*plans'", "did you mean 'planes'?"),
    ),
    "empty_output": Bad(
        6, "big (layers[1])", ("conv output height would be ⌊(5 + 0 + 0 − 7)/1⌋ + 1 = -1",)
    ),
    "groups_indivisible": Bad(
        4, "0 (layers[0])", ("conv input channels 6 are not divisible by groups=4",)
    ),
    "linear_unflattened": Bad(
        6,
        "2 (layers[2])",
        ("linear needs a flat vector", "the feature map 4x6x6", "add `- flatten` before it"),
    ),
    "block_recursion": Bad(
        10, "loop.1 (blocks.b.layers[0])", ("block 'a' uses itself: a -> b -> a",)
    ),
    "duplicate_names": Bad(7, "layers[2]", ("the name 'act' is used twice in the same list",)),
    "duplicate_key": Bad(7, "layers[0]", ("'out' is given twice",)),
    "empty": Bad(0, "", ("the file is empty",)),
    "comments_only": Bad(0, "", ("the file is empty",)),
    "top_level_typo": Bad(4, "layer", ("unknown top-level key 'layer'", "did you mean 'layers'?")),
    "expression_injection": Bad(
        4, "layers[0]", ("'out': cannot read expression", 'unexpected "\'"')
    ),
    "name_not_a_word": Bad(4, "layers[0]", ("'name' must be a word", "got a list")),
    "nested_shape_error": Bad(
        8,
        "stage.0.spatial (blocks.unit.layers[1])",
        ("conv input channels 16 are not divisible by groups=3",),
    ),
    "group_norm_indivisible": Bad(
        7, "1 (layers[1])", ("group_norm: 48 channels are not divisible by groups=32",)
    ),
    "chunk_past_the_parts": Bad(
        9,
        "split.branch2 (layers[0].branches[1][0])",
        ("chunk index 3", "parts of ⌈5/4⌉ = 2 make only 3 parts", "torch.chunk"),
    ),
    "concat_spatial_mismatch": Bad(
        6,
        "mixed (layers[0])",
        ("concat needs equal spatial sizes", "branch1 64x28x28", "branch2 128x14x14"),
    ),
    "mul_broadcast_mismatch": Bad(
        6,
        "se (layers[0])",
        ("mul cannot broadcast branch1 16x8x8, branch2 4x1x1", "the channels differ"),
    ),
    "dense_flat_input": Bad(
        7, "1 (layers[1])", ("dense block needs a feature map", "flat vector 4096")
    ),
    # named references (docs/format.md, Named references): the graph stays acyclic
    "reference_unknown": Bad(
        6, "cat (layers[2])", ("no earlier node is named 'enc3'", "did you mean 'enc2'?")
    ),
    "reference_forward": Bad(
        5, "enc2 (layers[1])", ("'head' comes later in the file", "must stay acyclic")
    ),
    "reference_cycle": Bad(
        6, "block.add (layers[0].seq[1])", ("'block' contains this node", "a cycle")
    ),
    "output_unknown": Bad(6, "outputs[1]", ("no node is named 'aux'",)),
    "residual_identity_mismatch": Bad(
        7,
        "block (layers[1])",
        ("residual add of 128x56x56 (body) and 64x56x56 (shortcut identity)",),
    ),
    # Symbolic expressions that fold to constants meet the same checks as numbers.
    "folded_zero_division": Bad(4, "0 (layers[0])", ("division by zero in 'C // (C - C)'",)),
    "make_divisible_zero": Bad(
        9,
        "stem (blocks.stem.layers[0])",
        ("division by zero in 'make_divisible(16 * width, divisor)'", "divisor is 0"),
    ),
    "folded_modulo_zero": Bad(4, "0 (layers[0])", ("division by zero in 'C % (H - H)'",)),
    "folded_zero_channels": Bad(
        4, "0 (layers[0])", ("'out' must be a positive integer, got 0 (from 'C - C')",)
    ),
    "folded_zero_kernel": Bad(
        4, "0 (layers[0])", ("'kernel' must be a positive integer or a pair [h, w], got 0",)
    ),
    "folded_negative_channels": Bad(
        5, "1 (layers[1])", ("'out' must be a positive integer, got -5 (from 'C - C - 5')",)
    ),
    "folded_negative_stride": Bad(
        4, "0 (layers[0])", ("'stride' must be a positive integer or a pair [h, w], got -2",)
    ),
    "symbolic_negative_channels": Bad(
        4, "0 (layers[0])", ("'out' must be a positive integer, got -C (negative for every size)",)
    ),
    "roi_pool_scale_zero": Bad(
        4, "layers[0]", ("roi_pool: 'scale' must be a positive number, got 0",)
    ),
    "roi_pool_scale_nan": Bad(
        4, "layers[0]", ("roi_pool: 'scale' must be a positive number, got nan",)
    ),
    "upsample_too_big": Bad(
        6,
        "16 (layers[0].layers[0])",
        ("upsample output height would be 1,048,576; cnncalc refuses sizes above 1,000,000",
         "(set CNNCALC_MAX_VALUE to allow more)"),
    ),
    "block_argument_too_big": Bad(
        9,
        "0 (layers[0])",
        ("block 'wide' argument 'n' is 99,999,999,999,999,999,999,999,999,999; cnncalc refuses "
         "integers above 1,000,000",),
    ),
}

# Command-line mistakes: arguments -> fragments of the one-line message.
BAD_ARGS: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "arch_typo": (
        ["params", "vgg61"],
        ("'vgg61' is neither a zoo name nor a file", "did you mean", "vgg16"),
    ),
    "arch_typo_show": (["show", "vgg61"], ("'vgg61' is neither a zoo name nor a file",)),
    "arch_typo_compare": (
        ["compare", "3x3-stack", "vs", "7x8"],
        ("'7x8' is neither a zoo name nor a file", "did you mean 7x7"),
    ),
    "no_such_file": (["shapes", "no/such/file.yaml"], ("no such file: no/such/file.yaml",)),
    "folder": (["shapes", str(BAD)], ("is a folder, not an architecture file",)),
    "input_zero": (
        ["params", "vgg16", "--input", "3x0x224"],
        ("--input '3x0x224': sizes must be positive",),
    ),
    "input_word": (["params", "vgg16", "--input", "abc"], ("--input 'abc'", "3xHxW")),
    "input_four_dims": (
        ["params", "vgg16", "--input", "3x224x224x2"],
        ("--input '3x224x224x2': expected CxHxW",),
    ),
    "input_fraction": (["params", "vgg16", "--input", "3x2.5x224"], ("expected CxHxW",)),
    "input_flat_for_map": (
        ["params", "vgg16", "--input", "f100"],
        ("--input 'f100' has 1 dimensions but vgg16 takes 3",),
    ),
    "input_too_small": (
        ["shapes", "vgg16", "--input", "3x8x8"],
        ("vgg16.yaml:", "features.23", "maxpool output height would be", "too small"),
    ),
    "set_no_value": (
        ["params", "3x3-stack", "--set", "C"],
        ("--set 'C': expected NAME=POSITIVE_INTEGER",),
    ),
    "set_zero": (["params", "3x3-stack", "--set", "C=0"], ("expected NAME=POSITIVE_INTEGER",)),
    "set_word": (["params", "3x3-stack", "--set", "C=big"], ("expected NAME=POSITIVE_INTEGER",)),
    "set_unknown_symbol": (
        ["params", "3x3-stack", "--set", "C=64,Q=3"],
        ("the architecture has no symbol 'Q'", "its symbols: C, H, W"),
    ),
    "set_on_numeric_arch": (
        ["params", "vgg16", "--set", "H=224"],
        ("the architecture has no symbol 'H'", "it has no symbols"),
    ),
    "compare_one_design": (["compare", "vgg16"], ("compare needs at least two designs",)),
    "conv_empty_output": (
        ["conv", "5", "--kernel", "7"],
        ("conv output height would be ⌊(5 + 0 + 0 − 7)/1⌋ + 1 = -1",),
    ),
    "conv_negative_padding": (["conv", "56", "--padding", "-1"], ("--padding '-1'",)),
    "conv_zero_kernel": (["conv", "56", "--kernel", "0"], ("--kernel '0': must be at least 1",)),
    # Numbers: ASCII digits only, at most CNNCALC_MAX_VALUE, everywhere.
    "input_flat_zero": (
        ["params", "vgg16", "--input", "f0"], ("--input 'f0': sizes must be positive",)
    ),
    "input_flat_huge": (
        ["params", "vgg16", "--input", "f99999999999999999999"],
        ("sizes above 1,000,000 are refused (set CNNCALC_MAX_VALUE to allow more)",),
    ),
    "input_unicode_digit": (
        ["params", "vgg16", "--input", "f²"], ("--input 'f²': expected CxHxW",)
    ),
    "input_arabic_digits": (
        ["params", "vgg16", "--input", "3x٢٢٤x٢٢٤"], ("expected CxHxW",)
    ),
    "input_5000_digits": (
        ["params", "vgg16", "--input", "3x" + "9" * 5000 + "x4"],
        ("(5,004 characters): sizes above 1,000,000 are refused",),
    ),
    "set_unicode_digit": (
        ["params", "3x3-stack", "--set", "C=²"], ("--set 'C=²': expected NAME=",)
    ),
    "set_5000_digits": (
        ["params", "3x3-stack", "--set", "C=" + "9" * 5000],
        ("(5,002 characters): values above 1,000,000 are refused",),
    ),
    "conv_unicode_digit": (["conv", "²"], ("size '²': give a number or HxW",)),
    "conv_5000_digits": (
        ["conv", "9" * 5000], ("(5,000 characters): values above 1,000,000 are refused",)
    ),
    "conv_kernel_huge": (
        ["conv", "56", "--kernel", "3x99999999999"], ("--kernel '3x99999999999': values above",)
    ),
    "conv_in_huge": (
        ["conv", "56", "--in", "99999999999999999999999"],
        ("Invalid value for '--in'", "is above 1,000,000 (set CNNCALC_MAX_VALUE"),
    ),
    "conv_out_unicode": (["conv", "56", "--out", "٣"], ("'٣' is not a whole number",)),
    "batch_float": (["params", "vgg16", "--batch", "1e400"], ("'1e400' is not a whole number",)),
    "batch_huge": (
        ["params", "vgg16", "--batch", "9" * 5000],
        ("Invalid value for '--batch'", "(5,000 characters) is above 1,000,000"),
    ),
    "batch_underscore": (
        ["params", "vgg16", "--batch", "1_000"], ("'1_000' is not a whole number",)
    ),
    "near_float": (["sizes", "vgg16", "--near", "1e30"], ("Invalid value for '--near'", "'1e30'")),
    "near_huge": (
        ["sizes", "vgg16", "--near", "10000000000"], ("'10000000000' is above 1,000,000",)
    ),
    "seed_negative": (
        ["verify", "3x3-stack", "--set", "C=1,H=4,W=4", "--seed", "-1"],
        ("Invalid value for '--seed'", "'-1' is not in the range x>=0"),
    ),
    "seed_past_32_bits": (
        ["verify", "3x3-stack", "--set", "C=1,H=4,W=4", "--seed", str(2**32)],
        ("Invalid value for '--seed'", "'4294967296' is above 4,294,967,295."),
    ),
    "seed_huge": (
        ["verify", "3x3-stack", "--set", "C=1,H=4,W=4", "--seed", "9" * 30],
        ("Invalid value for '--seed'", "is above 4,294,967,295"),
    ),
    "depth_huge": (["params", "vgg16", "--depth", "9" * 30], ("Invalid value for '--depth'",)),
    # Mistakes typer/click catch while reading the options end the same way: one line.
    "batch_zero": (
        ["params", "vgg16", "--batch", "0"],
        ("Invalid value for '--batch'", "0 is not in the range x>=1", "cnncalc params -h"),
    ),
    "dtype_unknown": (["params", "vgg16", "--dtype", "fp8"], ("'fp8' is not one of 'fp32'",)),
    "format_unknown": (["shapes", "vgg16", "--format", "xml"], ("'xml' is not one of 'table'",)),
    "missing_arch": (["params"], ("Missing argument",)),
    "unknown_option": (["params", "vgg16", "--inptu", "3x8x8"], ("No such option: --inptu",)),
    "unknown_command": (["parms", "vgg16"], ("No such command 'parms'",)),
}

# A few of each run in a real process, to see what a person sees (and the exit status).
IN_A_PROCESS = ["yaml_syntax", "empty_output", "nested_shape_error", "empty", "folded_modulo_zero"]


def location(file: str, bad: Bad) -> str:
    """The start of the message: `FILE:LINE PATH: ` (or less, when less is known)."""
    where = f"{file}:{bad.line}" if bad.line else file
    return f"{PREFIX}{where} {bad.path}: " if bad.path else f"{PREFIX}{where}: "


def check_message(stderr: str, fragments: tuple[str, ...], start: str = PREFIX) -> None:
    assert stderr.endswith("\n") and stderr.count("\n") == 1, f"not one line:\n{stderr}"
    assert stderr.startswith(start), f"expected {start!r} at the start:\n{stderr}"
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in stderr, f"{fragment!r} missing from:\n{stderr}"


def test_every_bad_file_has_a_row_and_every_row_a_file():
    assert sorted(p.stem for p in BAD.glob("*.yaml")) == sorted(BAD_FILES)


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file(name):
    bad = BAD_FILES[name]
    file = str(BAD / f"{name}.yaml")
    result = runner.invoke(app, ["shapes", file])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    check_message(result.stderr, bad.fragments, location(file, bad))


@pytest.mark.parametrize("name", BAD_ARGS)
def test_bad_command_line(name):
    args, fragments = BAD_ARGS[name]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    check_message(result.stderr, fragments)


@pytest.mark.parametrize("name", IN_A_PROCESS)
def test_bad_file_in_a_process(name):
    bad = BAD_FILES[name]
    file = str(BAD / f"{name}.yaml")
    done = subprocess.run(
        [sys.executable, "-m", "cnncalc", "shapes", file], capture_output=True, text=True
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    check_message(done.stderr, bad.fragments, location(file, bad))


@pytest.mark.parametrize(
    "name", ["arch_typo", "batch_zero", "input_5000_digits", "conv_unicode_digit", "seed_negative"]
)
def test_bad_command_line_in_a_process(name):
    args, fragments = BAD_ARGS[name]
    done = subprocess.run([sys.executable, "-m", "cnncalc", *args], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stdout == ""
    check_message(done.stderr, fragments)


def test_no_arguments_still_prints_the_help():
    result = runner.invoke(app, [])
    assert result.exit_code == 2
    assert "Usage: cnncalc" in result.output and "Commands" in result.output
