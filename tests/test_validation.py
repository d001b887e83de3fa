"""Validation that nothing slips past: folded symbolic constants, numbers at every entry point,
the Python API's arguments, exact human-readable figures, and text that reaches a terminal.

The bad files and command lines with one-line messages are rows of tests/test_bad_input.py; this
file holds what needs more than a row: the API, generated files, formatting and exactness.
"""

from __future__ import annotations

import random
import time
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc import zoo
from cnncalc.cli import app
from cnncalc.errors import CnnCalcError, LimitError, SpecError
from cnncalc.render import human, mib, printable, rf_text

runner = CliRunner()


def run_file(tmp_path: Path, text: str, *args: str):
    path = tmp_path / "arch.yaml"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    result = runner.invoke(app, [*(args or ("summary",)), str(path)])
    return result, time.perf_counter() - start


def refused(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("cnncalc: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


# ------------------------------------------------------------------ folded constants


def conv_on_symbols(args: str) -> str:
    return f"input: [C, H, W]\nlayers:\n  - conv: {{{args}}}\n  - conv: {{out: 4, kernel: 1}}\n"


def test_a_folded_constant_that_is_legal_gives_plain_integers(tmp_path):
    """`C - C + 4` is 4 for every C: 4 filters, counted as the int 4 (9C·4 + 4 params, then
    4·4 + 4), not as a sympy Integer that later checks would not recognise."""
    text = conv_on_symbols("out: C - C + 4, kernel: 3")
    result, _ = run_file(tmp_path, text, "params", "-f", "json")
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert data["layers"][0]["output"][0] == 4
    assert data["totals"]["params"] == "36*C + 24"


def test_a_size_that_folds_is_checked_by_the_next_layer(tmp_path):
    """A kernel as wide as the map leaves 1 row (⌊(H − H)/1⌋ + 1, a sympy Integer); a 3x3
    conv after it must see 1 and say the map is too small, not compute −1."""
    text = (
        "input: [C, H, W]\nlayers:\n  - conv: {out: 8, kernel: [H_in, 1]}\n"
        "  - conv: {out: 4, kernel: 3}\n"
    )
    result, _ = run_file(tmp_path, text, "shapes")
    refused(result, "conv output height would be ⌊(1 + 0 + 0 − 3)/1⌋ + 1 = -1")


def test_expressions_fold_to_plain_integers():
    """Each guard on its own (the files above pass through both): the parser's result..."""
    import sympy

    from cnncalc.expr import parse

    c = sympy.Symbol("C", integer=True, positive=True)
    assert type(parse("C - C + 4").evaluate({"C": c})) is int
    assert type(parse("C // C").evaluate({"C": c})) is int
    with pytest.raises(SpecError, match="division by zero"):
        parse("C % (C - C)").evaluate({"C": c})


def test_argument_checks_take_sympy_numbers_as_numbers():
    """... and the argument check, for a sympy number that reaches it some other way."""
    import sympy

    from cnncalc.layers.base import coerce

    assert type(coerce("pos", "out", sympy.Integer(4))) is int
    for bad, shown in ((sympy.Integer(0), "got 0"), (sympy.zoo, "got zoo"),
                       (sympy.nan, "got nan"), (sympy.Rational(1, 2), "got 1/2")):
        with pytest.raises(SpecError, match=shown):
            coerce("pos", "out", bad)
    with pytest.raises(LimitError, match="'out' is 2,000,000"):
        coerce("pos", "out", sympy.Integer(2_000_000))


def test_block_arguments_cannot_build_huge_integers(tmp_path):
    """Twelve nested blocks, each passing n·n·…·n (ten factors) on: 10^(10^11) unchecked. The
    product is refused from the operands' bit lengths before it is built, in well under a
    second."""
    lines = ["input: [3, 8, 8]", "blocks:"]
    for i in range(12):
        lines += [f"  b{i}:", "    args: {n: required}", "    layers:"]
        if i < 11:
            lines += [f"      - use: b{i + 1}", "        n: " + "*".join(["n"] * 10)]
        else:
            lines += ["      - conv: {out: n, kernel: 1}"]
    lines += ["layers:", "  - use: b0", "    n: 10"]
    result, seconds = run_file(tmp_path, "\n".join(lines) + "\n", "params")
    refused(result, "is 10,000,000,000; cnncalc refuses integers above 1,000,000",
            "(set CNNCALC_MAX_VALUE to allow more)")
    assert seconds < 5


def test_products_are_refused_before_they_exist():
    from cnncalc.expr import parse

    big = 10**600  # an operand already far past the limit: refused without multiplying
    with pytest.raises(LimitError, match="reaches more than"):
        parse("n * n").evaluate({"n": big})
    assert parse("n * n // n").evaluate({"n": 1000}) == 1000  # 10^6 in between is fine


def test_symbolic_sizes_above_the_limit_for_every_input_are_refused(tmp_path):
    text = "input: [3, H, W]\nlayers:\n  - repeat: 30\n    layers: [{upsample: 2}]\n"
    result, seconds = run_file(tmp_path, text, "shapes")
    refused(result, "upsample output height would be (1048576*H), above 1,000,000 for every size")
    assert seconds < 5


def test_numbers_in_files_are_bounded_before_python_reads_them(tmp_path):
    text = "input: [3, 8, 8]\nlayers:\n  - conv: {out: " + "9" * 5000 + ", kernel: 1}\n"
    result, _ = run_file(tmp_path, text, "params")
    refused(result, "a number of 5,000 characters; cnncalc refuses integers above 1,000,000")


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("1" + "0" * 400, "'eps' is a number of 401 digits; cnncalc refuses numbers above"),
        (".inf", "'eps' must be a number, got inf"),
        ("true", "'eps' must be a number, got True"),
    ],
)
def test_float_arguments_are_finite(tmp_path, value, fragment):
    text = f"input: [3, 8, 8]\nlayers:\n  - bn: {{eps: {value}}}\n"
    result, _ = run_file(tmp_path, text, "params")
    refused(result, fragment)


# ------------------------------------------------------------------ the Python API


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"input": (0, 64, 64)}, SpecError, "sizes must be positive integers or names, got 0"),
        ({"input": (3, 64.5, 64)}, SpecError, "got 64.5"),
        ({"input": (True, True, True)}, SpecError, "got True"),
        ({"input": (3, 2_000_000, 64)}, LimitError, "input size 2,000,000 is above 1,000,000"),
        ({"input": (3, 64)}, SpecError, "has 2 dimensions but vgg16 takes 3"),
        ({"input": "f0"}, SpecError, "sizes must be positive"),
        ({"input": 3.5}, TypeError, "input must be"),
        ({"batch": -5}, SpecError, "batch -5: must be at least 1"),
        ({"batch": 0}, SpecError, "batch 0: must be at least 1"),
        ({"batch": 10**7}, LimitError, "batch 10,000,000 is above 1,000,000"),
        ({"batch": "x"}, TypeError, "batch must be an int, got 'x'"),
        ({"batch": 2.0}, TypeError, "batch must be an int"),
        ({"batch": True}, TypeError, "batch must be an int, got True"),
        ({"dtype": "fp64"}, SpecError, "dtype 'fp64': expected one of fp32, fp16, bf16, int8"),
        ({"dtype": 4}, TypeError, "dtype must be one of"),
        ({"set": [("H", 3)]}, TypeError, "set must be a mapping"),
        ({"set": {"H": 0}}, SpecError, "set: H=0; values must be positive integers"),
        ({"set": {"H": True}}, SpecError, "set: H=True"),
        ({"set": {"H": 10**9}}, LimitError, "set: H=1,000,000,000 is above 1,000,000"),
        ({"set": {"H": 224}}, SpecError, "the architecture has no symbol 'H'"),
        ({"no_bias": "yes"}, TypeError, "no_bias must be True or False"),
    ],
)
def test_analyze_checks_its_arguments(kwargs, error, fragment):
    with pytest.raises(error) as caught:
        cnncalc.analyze("vgg16", **kwargs)
    assert fragment in str(caught.value)
    if error is not TypeError:
        assert isinstance(caught.value, CnnCalcError)


@pytest.mark.parametrize("arch", [123, None, ["vgg16"]])
def test_analyze_names_a_wrong_arch(arch):
    with pytest.raises(TypeError, match="arch must be a zoo name, a path or a loaded Architecture"):
        cnncalc.analyze(arch)


def test_parse_input_takes_text_only():
    with pytest.raises(TypeError, match="input must be text"):
        cnncalc.parse_input(224)  # type: ignore[arg-type]
    assert cnncalc.parse_input("f4096") == (4096,)
    with pytest.raises(SpecError, match="expected CxHxW"):
        cnncalc.parse_input("3x٢٢٤x٢٢٤")


def test_analyze_takes_a_path_as_the_readme_says():
    path = zoo.zoo_path("vgg16")
    assert path is not None
    by_path = cnncalc.analyze(Path(path))
    assert by_path.totals.params == 138_357_544  # torchvision's VGG-16
    assert cnncalc.load(Path(path)).name == "vgg16"


def test_analyze_accepts_what_the_command_line_accepts():
    report = cnncalc.analyze("3x3-stack", input=("C", 56, 56), set={"C": 64}, batch=2, dtype="fp16")
    # three 3x3 convs of 64 -> 64 with bias: 3·(9·64·64 + 64)
    assert report.totals.params == 3 * (9 * 64 * 64 + 64)
    assert report.totals.activation_bytes == report.totals.activation_elements * 2 * 2
    assert cnncalc.analyze("3x3-stack", set="C=64").totals.params == 3 * (9 * 64 * 64 + 64)


# ------------------------------------------------------------------ exact figures


def test_human_figures_come_from_the_exact_integer():
    assert human(138_357_544) == "138.36 M"
    assert human(26_999_999_892_000_002_048) == "26999999.89 T"  # a float said ...02048.00 T
    assert human(10**400).endswith("0.00 T") and human(10**400).startswith("1" + "0" * 387)
    assert human(-1_234_567) == "-1.23 M"
    assert mib(2**20 * 3 + 2**19) == "3.50 MiB"
    assert mib(10**400).endswith(" MiB")  # a float overflows past 1e308
    assert rf_text(Fraction(31, 2)) == "15.5" and rf_text(Fraction(-3, 8)) == "-0.375"
    assert rf_text(Fraction(10**400 + 1, 2)) == "5" + "0" * 399 + ".5"


def test_human_rounds_half_to_even_exactly():
    """Against an independent reference: Fraction's round() (exact, half to even)."""
    rng = random.Random(10)
    values = [rng.randrange(10**k) for k in range(3, 40) for _ in range(30)]
    values += [1_005, 1_015, 2_500_005_000, 999_995, 10**30 + 5 * 10**27]  # exact ties
    for value in values:
        text = human(value)
        if value < 1000:
            assert text == str(value)
            continue
        number, prefix = text.split()
        factor = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}[prefix]
        assert Fraction(number) == round(Fraction(value, factor), 2), (value, text)


def test_huge_figures_in_the_summary_are_exact(tmp_path):
    """A 1000x1000 kernel, 10^6 channels in and out, on a 10^6 x 10^6 map: MACs
    10^6 (out) · 999,001² (positions) · 10^6 · 10^6 (kernel) · 10^6 (in), far past 2^53."""
    text = "input: [1000000, 1000000, 1000000]\nlayers:\n  - conv: {out: 1000000, kernel: 1000}\n"
    result, _ = run_file(tmp_path, text, "summary")
    assert result.exit_code == 0, result.output
    macs = 10**6 * 999_001**2 * 10**6 * 10**6  # out · H·W · (k² · C_in)
    assert f"MACs per sample: {macs:,} ({macs // 10**12}.00 T)" in result.stdout
    params = 10**6 * 10**6 * 10**6 + 10**6
    assert f"Params: {params:,} (" in result.stdout
    exact = round(Fraction(4 * params, 2**20), 2)
    whole, frac = divmod(int(exact * 100), 100)
    assert f"Param memory: {whole:,}.{frac:02d} MiB" in result.stdout


# ------------------------------------------------------------------ text for a terminal


def test_control_characters_and_markup_in_a_title_are_shown_as_text(tmp_path):
    text = (
        'name: "evil\\e[2J"\ntitle: "[/oops] \\e]0;pwned\\a [bold]b"\ninput: [3, 8, 8]\n'
        "layers:\n  - relu\n"
    )
    for fmt in ("table", "markdown"):
        result, _ = run_file(tmp_path, text, "params", "-f", fmt)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert "evil\\x1b[2J" in result.stdout
    table, _ = run_file(tmp_path, text, "params")
    # rich markup is text, not a tag ("[/oops]" raised MarkupError)
    assert "evil\\x1b[2J — [/oops] \\x1b]0;pwned\\x07 [bold]b" in table.stdout
    as_json, _ = run_file(tmp_path, text, "params", "-f", "json")
    assert '"name": "evil\\u001b[2J"' in as_json.stdout  # JSON keeps the text, escaped


def test_printable():
    assert printable("plain — text 3×3") == "plain — text 3×3"
    assert printable("a\x1b[31mb\x07\r\u009b") == "a\\x1b[31mb\\x07\\r\\x9b"


def test_yaml_words_that_look_like_booleans_are_the_text_written(tmp_path):
    text = (
        "name: yes\ntitle: 1e3\ndescription: off\ninput: [3, 8, 8]\nlayers:\n"
        "  - conv: {out: 4, kernel: 3, name: no}\n  - relu: {name: on}\n"
    )
    result, _ = run_file(tmp_path, text, "params", "-f", "json")
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert (data["name"], data["title"]) == ("yes", "1e3")
    assert [layer["path"] for layer in data["layers"]] == ["no", "on"]
    table, _ = run_file(tmp_path, text, "params")
    assert table.stdout.startswith("yes — 1e3")


# ------------------------------------------------------------------ exact outputs everywhere


def _exact(value, symbolic: bool) -> bool:
    if type(value) in (int, Fraction):
        return True
    # an expression in the free symbols; a sympy number (Integer(4), zoo) would have been made
    # a plain int or refused
    sympy_expr = type(value).__module__.startswith("sympy")
    return symbolic and sympy_expr and not value.is_number


@pytest.mark.parametrize(
    "name, input",
    [(n, None) for n in zoo.names()] + [("resnet18", "3xHxW"), ("googlenet", "CxHxW")],
)
def test_every_zoo_figure_is_exact(name, input):
    """Every number the engine reports for a zoo model is an int or a Fraction (a sympy
    expression only in symbolic mode): never a float, never a bool, never a sympy Integer where
    a plain int is meant."""
    report = cnncalc.analyze(name, input=input)
    symbolic = report.symbolic
    t = report.totals
    numbers = [t.params, t.trainable_params, t.non_trainable_params, t.buffers, t.macs, t.flops,
               t.param_bytes, t.activation_elements, t.activation_bytes, t.weight_layers,
               t.nonlinearities, *t.extra_flops.values(), *report.input, *report.output]
    for row in report.rows:
        numbers += [row.params, row.trainable, row.buffers, row.macs, row.extra_flops,
                    row.elements, row.copies, *row.input, *row.output]
        for axis in row.rf or ():
            numbers += [axis.size, axis.jump, axis.start, axis.padding]
    bad = [v for v in numbers if not _exact(v, symbolic)]
    assert not bad, bad[:5]


def test_figures_past_the_float_range_are_formatted_exactly(tmp_path):
    """With CNNCALC_MAX_VALUE raised to 10^200, 600 upsamples give maps of 8·2^600 pixels a
    side: activations near 10^363, past a float's 1.8e308 (this raised OverflowError)."""
    import os
    import subprocess
    import sys

    path = tmp_path / "huge.yaml"
    path.write_text(
        "input: [3, 8, 8]\nlayers:\n  - repeat: 600\n    layers: [{upsample: 2}]\n"
        "  - conv_transpose: {out: 3, kernel: 2, stride: 2}\n"
        "  - roi_pool: {out: 2, regions: 1000000}\n  - roi_pool: {out: 2, regions: 1000000}\n"
    )
    env = {**os.environ, "CNNCALC_MAX_VALUE": "1" + "0" * 200}
    done = subprocess.run(
        [sys.executable, "-m", "cnncalc", "summary", str(path)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # 3·(8·2^k)² after upsample k, 3·(16·2^600)² after the transposed conv, then 3x2x2 maps
    # for 10^6 regions and for 10^6 regions of each of those
    elements = sum(3 * (8 * 2**k) ** 2 for k in range(1, 601)) + 3 * (16 * 2**600) ** 2
    elements += 12 * 10**6 + 12 * 10**12
    assert elements > 10**360
    assert f"Activations: {elements:,} per sample" in done.stdout
    mib = round(Fraction(4 * elements, 2**20), 2)
    whole, frac = divmod(int(mib * 100), 100)
    assert f"· {whole:,}.{frac:02d} MiB at batch 1, fp32" in done.stdout
