"""The smaller fixes of issue 11, item 5: each with the figure a person checks by hand."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.errors import SpecError
from cnncalc.zoo import names

runner = CliRunner()


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def refused(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnncalc: error: "), result.stderr
    return lines[0]


# ------------------------------------------------------------------ 1. --input binds symbols

# Three 3x3 convolutions C -> C (with bias) at C=64: 3 * (9*64*64 + 64) = 110,784 parameters;
# one 7x7: 49*64*64 + 64 = 200,768; MACs 3 * 9*64*64*56*56 = 346,816,512.
STACK_PARAMS, SEVEN_PARAMS, STACK_MACS = 3 * (9 * 64 * 64 + 64), 49 * 64 * 64 + 64, 346_816_512


def test_input_binds_the_symbols_it_names() -> None:
    by_input = cnncalc.analyze("3x3-stack", input="64x56x56")
    assert by_input.totals.params == STACK_PARAMS
    assert by_input.totals.macs == STACK_MACS
    assert by_input.output == (64, 56, 56)
    assert by_input.symbols == ()
    assert by_input.bindings == {"C": 64, "H": 56, "W": 56}
    by_set = cnncalc.analyze("3x3-stack", set={"C": 64, "H": 56, "W": 56})
    assert by_input.totals == by_set.totals


def test_input_binds_in_compare_params_and_verify() -> None:
    text = ok("compare", "3x3-stack", "vs", "7x7", "--input", "64x56x56")
    assert f"{STACK_PARAMS:,}" in text and f"{SEVEN_PARAMS:,}" in text
    assert "C^2" not in text and "27/49" in text
    assert f"{STACK_PARAMS:,}" in ok("params", "3x3-stack", "--input", "64x56x56")
    assert "6 of 6 layers agree" in ok("verify", "3x3-stack", "--input", "4x9x9")


def test_input_leaves_unnamed_axes_free() -> None:
    """`--input 56` names only H and W: C stays a symbol (27*C^2 + 3*C)."""
    report = cnncalc.analyze("3x3-stack", input="56")
    assert report.symbols == ("C",) and report.bindings == {"H": 56, "W": 56}
    assert str(report.totals.params) == "27*C**2 + 3*C"


def test_input_that_disagrees_with_set_is_refused() -> None:
    message = refused("params", "3x3-stack", "--input", "64x56x56", "--set", "C=32")
    assert "--input gives C=64 but --set gives C=32" in message
    with pytest.raises(SpecError, match="C=64 but --set gives C=32"):
        cnncalc.analyze("3x3-stack", input="64x56x56", set={"C": 32})
    # the same value twice is no conflict
    assert cnncalc.analyze("3x3-stack", input="64x56x56", set="C=64").totals.params == STACK_PARAMS


def test_input_with_two_sizes_for_one_name_is_refused(tmp_path) -> None:
    square = tmp_path / "square.yaml"
    square.write_text("input: [C, S, S]\nlayers:\n  - conv: {out: C, kernel: 3}\n")
    assert cnncalc.analyze(square, input="2x5x5").output == (2, 3, 3)
    message = refused("params", str(square), "--input", "3x224x200")
    assert "--input gives two sizes for S (224 and 200): the input is [C, S, S]" in message


# ------------------------------------------------------------------ 2. PyTorch/Keras names

FOREIGN = [
    ("conv: {in_channels: 3, out: 8, kernel: 3}", "in_channels is implied by the input shape"),
    ("conv: {out_channels: 8, kernel: 3}", "did you mean 'out', cnncalc's name for out_channels?"),
    ("conv: {filters: 8, kernel: 3}", "did you mean 'out', cnncalc's name for filters?"),
    ("conv: {out: 8, kernel_size: 3}", "did you mean 'kernel', cnncalc's name for kernel_size?"),
    ("conv: {out: 8, kernel: 3, strides: 2}", "did you mean 'stride', cnncalc's name for strides?"),
    ("maxpool: {pool_size: 2}", "did you mean 'kernel', cnncalc's name for pool_size?"),
    ("conv: {out: 8, kernel: 3, use_bias: false}", "did you mean 'bias', cnncalc's name for"),
    ("linear: {in_features: 96, out: 10}", "in_features is implied by the input shape: leave"),
    ("linear: {out_features: 10}", "did you mean 'out', cnncalc's name for out_features?"),
    ("linear: {units: 10}", "did you mean 'out', cnncalc's name for units?"),
    ("bn: {num_features: 3}", "num_features is implied by the input shape"),
]


@pytest.mark.parametrize(("layer", "fragment"), FOREIGN)
def test_foreign_argument_names_are_mapped(tmp_path, layer: str, fragment: str) -> None:
    flat = "  - flatten\n" if layer.startswith("linear") else ""
    path = tmp_path / "net.yaml"
    path.write_text(f"input: [3, 4, 8]\nlayers:\n{flat}  - {layer}\n")
    message = refused("params", str(path))
    assert fragment in message
    assert f"net.yaml:{3 + bool(flat)} layers[{int(bool(flat))}]" in message


def test_near_spellings_still_suggested(tmp_path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text("input: [3, 8, 8]\nlayers:\n  - conv: {out: 8, kernal: 3}\n")
    assert "did you mean 'kernel'?" in refused("params", str(path))


def test_channels_last_input_gets_a_hint(tmp_path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(
        "input: [224, 224, 3]\nlayers:\n  - conv: {out: 8, kernel: 3, padding: 1}\n"
        "  - maxpool: {kernel: 2}\n  - conv: {out: 8, kernel: 3}\n"
    )
    message = refused("params", str(path))
    assert "conv output width would be" in message
    assert message.endswith(
        "(the input [224, 224, 3] looks channels-last; cnncalc takes [C, H, W]: [3, 224, 224])"
    )
    # a channels-first input that is too small gets no such hint
    assert "channels-last" not in refused("params", "vgg16", "--input", "3x4x4")


# ------------------------------------------------------------------ 3. kernel: 3x3 in files


def _conv(tmp_path, args: str) -> str:
    path = tmp_path / "net.yaml"
    path.write_text(f"input: [3, 32, 32]\nlayers:\n  - conv: {{out: 8, {args}}}\n")
    return str(path)


@pytest.mark.parametrize(
    ("text", "lists"),
    [
        ("kernel: 3x3, stride: 2x1", "kernel: [3, 3], stride: [2, 1]"),
        ("kernel: 3x5, stride: 2", "kernel: [3, 5], stride: 2"),
        ("kernel: '3 × 5', padding: 1x2", "kernel: [3, 5], padding: [1, 2]"),
        ("kernel: 3X3, dilation: 2x1", "kernel: [3, 3], dilation: [2, 1]"),
    ],
)
def test_pair_text_in_files_is_the_list(tmp_path, text: str, lists: str) -> None:
    by_text = cnncalc.analyze(_conv(tmp_path, text))
    by_list = cnncalc.analyze(_conv(tmp_path, lists))
    assert by_text.rows == by_list.rows
    assert by_text.output == by_list.output


def test_pair_text_figures(tmp_path) -> None:
    """kernel 3x5, stride 2x1, padding 1x2 on 32x32: H = ⌊(32 + 2 − 3)/2⌋ + 1 = 16,
    W = ⌊(32 + 4 − 5)/1⌋ + 1 = 32; params 3·5·3·8 + 8 = 368."""
    report = cnncalc.analyze(_conv(tmp_path, "kernel: 3x5, stride: 2x1, padding: 1x2"))
    assert report.output == (8, 16, 32)
    assert report.totals.params == 368


@pytest.mark.parametrize("bad", ["3x", "x3", "3x3x3", "x", "3x-1"])
def test_malformed_pair_text_is_one_line(tmp_path, bad: str) -> None:
    message = refused("params", _conv(tmp_path, f"kernel: '{bad}'"))
    assert "net.yaml:3 layers[0]" in message
    if bad != "3x-1":
        assert f"conv: 'kernel' must be HxW (e.g. 3x3) or [h, w], got '{bad}'" in message


def test_pair_text_bounds(tmp_path) -> None:
    assert "'kernel' must be a positive integer, got 0" in refused(
        "params", _conv(tmp_path, "kernel: 0x3")
    )
    assert "refuses integers above" in refused("params", _conv(tmp_path, "kernel: 9999999999x3"))
    assert "refuses integers above" in refused("params", _conv(tmp_path, f"kernel: {'9' * 5000}x3"))


def test_zero_first_pair_text_is_not_hex(tmp_path) -> None:
    """YAML 1.1 reads a plain `0x1` as the hex number 1; for a pair it is 0x1 = [0, 1]."""
    by_text = cnncalc.analyze(_conv(tmp_path, "kernel: 3, padding: 0x1"))
    assert by_text.output == (8, 30, 32)


# ------------------------------------------------------------------ 4. no bare numbers beside names


@pytest.mark.parametrize("name", names())
def test_zoo_lists_with_named_rows_name_every_row(name: str) -> None:
    """A row path `2` beside `avgpool` and `classifier` reads as a count (`2 flatten`); where a
    list names some of its items, the zoo names them all (the flatten rows, alexnet-paper's
    relu1 … drop7). A function's row (`….chunk` beside torchvision's branch2.0 … branch2.7,
    Layer.NUMBERED) is named by its type and takes no number: it is not counted."""
    from cnncalc.layers import REGISTRY

    functions = {t for t, cls in REGISTRY.items() if not cls.NUMBERED}
    parents: dict[str, set[str]] = {}
    for row in cnncalc.analyze(name).rows:
        parts = row.path.split(".")
        if row.type in functions and parts[-1] == row.type:
            parts = parts[:-1]
        for depth, segment in enumerate(parts):
            parents.setdefault(".".join(parts[:depth]), set()).add(segment)
    for parent, segments in parents.items():
        numbered = [s for s in segments if s.isdigit()]
        assert not numbered or len(numbered) == len(segments), (name, parent or "top", numbered)


# ------------------------------------------------------------------ 5. conv -s


def test_conv_takes_s_for_stride() -> None:
    """224, kernel 7, stride 2, padding 3: ⌊(224 + 6 − 7)/2⌋ + 1 = 112, as ResNet's conv1."""
    short = ok("conv", "224", "-k", "7", "-s", "2", "-p", "3")
    assert "output shape    64x112x112" in short
    assert short == ok("conv", "224", "--kernel", "7", "--stride", "2", "--padding", "3")
    assert "64x56x56" in ok("conv", "224", "-k", "7", "-s", "4x4", "-p", "3")


# ------------------------------------------------------------------ 6. --help: whole sentences


def test_top_level_help_gives_each_command_a_whole_sentence() -> None:
    import typer.main

    group = typer.main.get_command(app)
    commands = group.list_commands(None)  # type: ignore[attr-defined,arg-type]
    assert len(commands) >= 14
    text = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout
    listing = text[text.index("Commands:") :].splitlines()[1:]
    shown = {line.split()[0]: line.split(None, 1)[1] for line in listing if line.strip()}
    assert sorted(shown) == sorted(commands)
    for name, line in shown.items():
        assert line.endswith(".") and not line.endswith("..."), (name, line)
        assert line[0].isupper(), (name, line)


# ------------------------------------------------------------------ 7. HxW pairs of compound parts


def test_axes_text_parenthesises_compound_parts() -> None:
    from fractions import Fraction

    import sympy

    from cnncalc.render import axes_text

    h, w = sympy.symbols("H W", integer=True, positive=True)
    assert axes_text((212, 212)) == "212"
    assert axes_text((212, 276)) == "212x276"
    assert axes_text((Fraction(31, 2), Fraction(95, 2))) == "15.5x47.5"  # dyadic: decimals
    assert axes_text((Fraction(3852, 7), Fraction(3244, 7))) == "(3852/7)x(3244/7)"
    assert axes_text((404, Fraction(3660, 7))) == "404x(3660/7)"
    assert axes_text((Fraction(-3, 2), 3)) == "-1.5x3"  # a leading minus is no compound
    one, other = 32 * sympy.floor((h - 1) / 32) + 427, 32 * sympy.floor((w - 1) / 32) + 427
    assert axes_text((one, other)) == "(32*⌊(H - 1)/32⌋ + 427)x(32*⌊(W - 1)/32⌋ + 427)"
    assert axes_text((one, one)) == "32*⌊(H - 1)/32⌋ + 427"  # alone it needs none


def test_rf_lines_parenthesise_fractions_and_expressions() -> None:
    """VGG-16 at 320x256: pool5 is 10x8 (field 212, jump 32); the adaptive pool to 7x7 takes
    windows of up to 3 and 2 (fields 276 and 244) at mean jumps 320/7 and 256/7; the flatten
    sees the whole 7x7: 276 + 6·320/7 = 3852/7 and 244 + 6·256/7 = 3244/7."""
    text = ok("rf", "vgg16", "--input", "3x320x256")
    assert "Receptive field of the output: (3852/7)x(3244/7), jump 320x256" in text
    assert " (320/7)x(256/7) " in text
    symbolic = ok("rf", "resnet50", "--input", "3xHxW")
    assert (
        "Receptive field of the output: (32*⌊(H - 1)/32⌋ + 427)x(32*⌊(W - 1)/32⌋ + 427), "
        "jump "
        "(32*⌊(H - 1)/32⌋ + 32)x(32*⌊(W - 1)/32⌋ + 32)"
    ) in symbolic


# ------------------------------------------------------------------ 8. flops --batch


VGG16_MACS = 15_470_264_320  # torchvision's 15.47 GFLOPS (which are MACs)


def test_flops_line_says_per_sample_and_gives_the_batch_total() -> None:
    text = ok("flops", "vgg16", "--batch", "64")
    assert "batch 64" in text
    per_sample = f"MACs per sample: {VGG16_MACS:,} (15.47 G) · FLOPs = 2·MACs: {2 * VGG16_MACS:,}"
    assert per_sample in text
    # 64 · 15,470,264,320 = 990,096,916,480
    assert "MACs at batch 64: 990,096,916,480 (990.10 G) · FLOPs: 1,980,193,832,960 (1.98 T)" in (
        text
    )
    assert "Other ops per sample, not in the totals above:" in text
    single = ok("flops", "vgg16")
    assert f"MACs per sample: {VGG16_MACS:,}" in single and "at batch" not in single


def test_a_probability_or_epsilon_from_a_block_argument_is_its_exact_fraction(tmp_path):
    # decimals in expressions are exact fractions (0.2 is 1/5); float-valued arguments take them
    spec = tmp_path / "p.yaml"
    spec.write_text(
        "input: [3, 8, 8]\n"
        "blocks:\n"
        "  b:\n"
        "    args: {p: 0.5, eps: 0.001}\n"
        "    layers: [{dropout: p}, {bn: {eps: eps}}]\n"
        "layers:\n"
        "  - {use: b, p: 0.2}\n"
        "  - {use: b, p: 0.5*0.5}\n"
    )
    report = cnncalc.analyze(spec)
    assert [row.output for row in report.rows] == [(3, 8, 8)] * 4
    spec.write_text(spec.read_text().replace("p: 0.5*0.5", "p: 3*0.5"))
    with pytest.raises(SpecError, match=r"'p' must be a number from 0 to 1, got 3/2"):
        cnncalc.analyze(spec)


def test_a_strided_body_on_a_one_pixel_map_still_gets_its_projection(tmp_path):
    # hypothesis found it: the 2x2/1 pool makes the field global (it reads the whole map), the
    # jump stopped following the strides, and `shortcut: auto` read the stride-2 body as stride
    # 1 at 13x13 but not at HxW. torchvision builds the downsample whenever the stride is not 1.
    spec = tmp_path / "r.yaml"
    spec.write_text(
        "input: [1, 13, 13]\n"
        "layers:\n"
        "  - {conv: {out: 2, kernel: 1, stride: 4}}\n"
        "  - {maxpool: {kernel: 2, stride: 2}}\n"
        "  - {maxpool: {kernel: 2, stride: 1}}\n"
        "  - residual: {body: [{conv: {out: 2, kernel: 1, stride: 2}}], shortcut: auto}\n"
    )
    paths = [row.path for row in cnncalc.analyze(spec).rows]
    assert paths[-3:] == ["3.shortcut.0", "3.shortcut.1", "3.add"], paths
    symbolic = [row.path for row in cnncalc.analyze(spec, input="1xHxW").rows]
    assert symbolic == paths
    jumps = [row.rf[0].jump for row in cnncalc.analyze(spec).rows]
    assert jumps[:4] == [4, 8, 8, 16]  # the global field's jump still doubles at the conv
