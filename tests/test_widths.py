"""Tables never cut a number (issue 11, item 2). Every table view of five zoo networks is drawn
on a forced terminal of 60 to 200 columns, through the same report_table the CLI uses, and
every figure of the view's JSON (params, MACs and FLOPs in human form, shapes, receptive field
size, jump and start, the Total row) must appear whole, in row order; a column left out for
width must be named in the line under the table. Printing a cell whole is what is tested:
the figures are taken from the JSON, not from the table's own cells. The same holds for the
other views (compare, sizes, verify, list), each checked against its own JSON.

Every view of all five networks runs at every width (issue 11's acceptance; about 30 s of CPU,
in one worker of the two); CNNCALC_ALL_WIDTHS=0 runs a sample while working on the renderers
(rich draws a row in about a millisecond, and sizes and verify compute for seconds)."""

from __future__ import annotations

import decimal
import io
import json
import os
import re
import sys
from collections import Counter
from fractions import Fraction
from functools import cache

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cnncalc import analyze, render
from cnncalc.cli import app

runner = CliRunner()

VIEWS = ("params", "shapes", "flops", "rf", "summary")
WIDTHS = (60, 80, 100, 120, 200)
MODELS = ("vgg16", "resnet50", "densenet121", "googlenet", "fcn8s")
ALL = os.environ.get("CNNCALC_ALL_WIDTHS", "1") != "0"
# Every width for two networks, one narrow width for the rest: rich takes a millisecond a row.
CASES = [(m, w) for m in MODELS for w in WIDTHS] if ALL else [
    (m, w) for m in ("vgg16", "resnet50") for w in WIDTHS
] + [("densenet121", 80), ("googlenet", 60), ("fcn8s", 100)]


@cache
def report(model: str):
    return analyze(model)


@cache
def document(model: str) -> dict:
    return json.loads(render.to_json(report(model)))


def draw(model: str, view: str, width: int, keys: tuple[str, ...] | None = None) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=width, color_system=None)
    return render.report_table(report(model), view, console, keys=keys)


def number(value) -> Fraction | int:
    return Fraction(value) if isinstance(value, str) else value


def pair(values: list, fmt=render.rf_text) -> str:
    a, b = (number(v) for v in values)
    return fmt(a) if a == b else f"{fmt(a)}x{fmt(b)}"


def shape(dims: list, copies=1) -> str:
    return ("" if copies == 1 else f"{copies}×") + "x".join(str(d) for d in dims)


def share(part: int, whole: int) -> str:
    """100·part/whole to two places, half to even, through decimal (not render.percent)."""
    with decimal.localcontext(prec=60):
        value = decimal.Decimal(100 * part) / decimal.Decimal(whole)
        return str(value.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_EVEN))


# What each column shows of a layer's JSON, formatted independently of the column's own code.
FIGURES = {
    "params": lambda x: f"{x['params']:,}",
    "macs": lambda x: render.human(x["macs"]),
    "flops": lambda x: render.human(x["flops"]),
    "extra_flops": lambda x: render.human(x["extra_flops"]),
    "activations": lambda x: render.human(x["activations"]),
    "input": lambda x: shape(x["input"]),
    "output": lambda x: shape(x["output"], x["copies"]),
    "rf_size": lambda x: pair(x["rf"]["size"]) if x["rf"] else "-",
    "rf_jump": lambda x: pair(x["rf"]["jump"]) if x["rf"] else "-",
    "rf_start": lambda x: pair(x["rf"]["start"]) if x["rf"] else "-",
}
SHARES = {
    "params%": lambda x, t: share(x["params"], t["params"]),
    "macs%": lambda x, t: share(x["macs"], t["macs"]),
}
TOTALS = {
    "params": lambda t: f"{t['params']:,}",
    "macs": lambda t: render.human(t["macs"]),
    "flops": lambda t: render.human(t["flops"]),
    "extra_flops": lambda t: render.human(sum(t["extra_flops"].values())),
    "activations": lambda t: render.human(t["activations"]),
    "params%": lambda t: "100.00",
    "macs%": lambda t: "100.00",
}


def whole(figure: str) -> re.Pattern[str]:
    """The figure with no digit, letter, separator or point glued to either end."""
    return re.compile(r"(?<![\w.,×/])" + re.escape(figure) + r"(?![\w.,/])")


def left_out(text: str, keys: tuple[str, ...]) -> set[str]:
    """The keys the line under the table names as not shown (checked against the header)."""
    flat = " ".join(text.split())  # the line may wrap between words
    match = re.search(r"Not shown at width \d+: (.*?) \(keys (.*?)\); use --columns", flat)
    if match is None:
        return set()
    gone = match[2].split(", ")
    assert match[1].split(", ") == [render.COLUMNS[k].header for k in gone]
    return set(gone)


def check(model: str, view: str, width: int, keys: tuple[str, ...] | None = None) -> None:
    text = draw(model, view, width, keys)
    keys = keys or render.VIEWS[view]
    gone = left_out(text, keys)
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.strip() and line.lstrip()[0] in "─━")
    header = lines[rule - 1]
    for key in keys:  # a column is in the header, or announced as left out; never both
        shown = re.search(r"(?<!\S)" + re.escape(render.COLUMNS[key].header) + r"(?!\S)", header)
        assert bool(shown) != (key in gone), (model, view, width, key, header)
    assert "path" not in gone and "output" not in gone
    at = text.index(header)
    totals = document(model)["totals"]
    for layer in document(model)["layers"]:  # each row's figures, in order, after the last row's
        for key in keys:
            if key in gone or (key not in FIGURES and key not in SHARES):
                continue
            figure = FIGURES[key](layer) if key in FIGURES else SHARES[key](layer, totals)
            found = whole(figure).search(text, at)
            assert found, (model, view, width, layer["path"], key, figure)
            at = found.start()
    if view in ("params", "flops", "summary"):
        total = next(line for line in text.splitlines() if "Total" in line.split())
        for key in keys:
            if key in TOTALS and key not in gone:
                figure = TOTALS[key](totals)
                assert whole(figure).search(total), (model, view, width, key, figure, total)
    for line in render.summary_lines(report(model), view):  # wrapped, but no figure split
        for figure in re.findall(r"(?<![\w.,])\d(?:[\d,.]*\d)?(?: (?:[KMGT]|MiB)\b)?", line):
            on_one_line = r"(?<![\w.,])" + re.escape(figure) + r"(?![\d]|[.,]\d)"
            assert re.search(on_one_line, text), (model, view, width, figure, line)
    assert not re.search(r" +$", text, re.M), "a line ends in a space"


@pytest.mark.parametrize(("model", "width"), CASES)
def test_every_number_whole(model, width):
    for view in VIEWS:
        check(model, view, width)


def test_a_narrow_terminal_leaves_out_whole_columns_and_says_so():
    text = draw("resnet50", "summary", 80)
    assert "Not shown at width 80: Type, Args (keys type, args); use --columns" in text
    assert "25,557,032" in text and "64x112x112" in text and "118.01 M" in text
    assert max(len(line) for line in text.splitlines()[:-8]) <= 80  # the table fits
    assert "Not shown" not in draw("resnet50", "summary", 200)


def test_columns_pick_and_order():
    keys = ("macs%", "path", "params%", "params")
    check("vgg16", "params", 80, keys)
    check("resnet50", "summary", 60, ("path", "output", "macs%", "rf_start", "params%", "buffers"))
    text = draw("vgg16", "params", 200, keys)
    header = next(line for line in text.splitlines() if "Layer" in line)
    assert header.split() == ["%", "MACs", "Layer", "%", "params", "Params"]
    total = next(line for line in text.splitlines() if "Total" in line)
    assert total.split() == ["100.00", "Total", "100.00", "138,357,544"]
    # features.0: 1,792 of 138,357,544 params, 86,704,128 of 15,470,264,320 MACs
    row = next(line for line in text.splitlines() if line.split()[1:2] == ["features.0"])
    assert row.split() == ["0.56", "features.0", "0.00", "1,792"]
    # fc6: 25088·4096 + 4096 = 102,764,544 params (74.2746...%), 102,760,448 MACs (0.6642...%)
    fc6 = next(line for line in text.splitlines() if line.split()[1:2] == ["classifier.0"])
    assert fc6.split() == ["0.66", "classifier.0", "74.27", "102,764,544"]


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [
        (1, 8, "12.50"),  # exactly 12.5
        (1, 3, "33.33"),
        (2, 3, "66.67"),
        (1, 80000, "0.00"),  # 0.00125: half to even
        (3, 80000, "0.00"),  # 0.00375 -> 0.00 (below half of 0.01)
        (1, 400, "0.25"),
        (1, 1, "100.00"),
        (0, 0, "-"),
        (10**30 - 1, 10**30, "100.00"),  # a float would say the same; the Fraction is exact
        (1, 2 * 10**4, "0.00"),  # 0.005 exactly: half to even gives 0.00, not 0.01
        (3, 2 * 10**4, "0.02"),  # 0.015 exactly: half to even gives 0.02
    ],
)
def test_percent_is_exact(part, whole, text):
    assert render.percent(part, whole) == text


def test_unknown_column_is_one_line():
    result = runner.invoke(app, ["params", "vgg16", "--columns", "path,parms"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "unknown column 'parms'; did you mean 'params'?" in result.stderr
    assert "rf_start" in result.stderr  # the columns listed
    result = runner.invoke(app, ["params", "vgg16", "--columns", "params", "-f", "json"])
    assert result.exit_code == 2


def test_columns_help_lists_every_key():
    result = runner.invoke(app, ["params", "-h"])
    flat = " ".join(result.output.split())
    listed = flat[flat.index("by key:") :]
    assert all(f" {key}," in listed or f" {key}." in listed for key in render.COLUMNS)


def test_piped_and_written_tables_end_no_line_in_a_space(tmp_path):
    for view in VIEWS:
        result = runner.invoke(app, [view, "googlenet", "--columns", "path,args,params%,output"])
        assert result.exit_code == 0 and "googlenet" in result.stdout
        assert not re.search(r" +$", result.stdout, re.M), view
    for command in (["list"], ["compare", "3x3-stack", "vs", "7x7"], ["summary", "fcn8s"]):
        assert not re.search(r" +$", runner.invoke(app, command).stdout, re.M), command
    written = tmp_path / "rf.txt"
    assert runner.invoke(app, ["rf", "resnet50", "-o", str(written)]).exit_code == 0
    assert not re.search(r" +$", written.read_text(encoding="utf-8"), re.M)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_the_command_line_on_a_narrow_terminal():
    from tests.test_cli import on_a_terminal

    text = on_a_terminal("summary", "resnet50", COLUMNS="80", NO_COLOR="1")
    assert "Not shown at width 80: Type, Args (keys type, args)" in text
    assert "64x112x112" in text and "118.01 M" in text and "25,557,032" in text


# ------------------------------------------------------------------ the other views


def terminal(width: int) -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=width, color_system=None)


def gone_keys(text: str) -> set[str]:
    """The column keys the line under a table names as left out (none: every column shown)."""
    flat = " ".join(text.split())
    match = re.search(r"Not shown at width \d+: .*? \(keys (.*?)\); use ", flat)
    return set(match[1].split(", ")) if match else set()


def three(fraction: Fraction) -> str:
    """Three decimals, half to even, by the decimal module."""
    with decimal.localcontext(prec=60):
        value = decimal.Decimal(fraction.numerator) / decimal.Decimal(fraction.denominator)
        return str(value.quantize(decimal.Decimal("0.001"), rounding=decimal.ROUND_HALF_EVEN))


def assert_whole(text: str, figure: str, *where) -> None:
    """Each number of `figure` whole in `text`; a figure of several words (`0 (mod 32)`) may
    wrap between its words, as the lines under a table do."""
    for word in figure.split():
        assert whole(word.strip("()")).search(text), (*where, figure, word)
    assert whole(figure).search(" ".join(text.split())), (*where, figure)
    assert not re.search(r" +$", text, re.M), (*where, "a line ends in a space")


@cache
def comparison(model: str):
    from cnncalc.compare import compare_reports

    return compare_reports([report(model), report("resnet18")])


def check_compare(model: str, width: int) -> None:
    from cnncalc.render.compare import compare_json, render_compare

    text = render_compare(comparison(model), "table", terminal(width))
    document = compare_json(comparison(model))
    gone = gone_keys(text)
    designs, ratios = document["designs"], document["ratios"]
    for row in document["rows"]:
        assert_whole(text, row["measure"].split()[0], model, width)
        for name, value in zip(designs, row["values"], strict=True):
            if name in gone or value is None:
                continue
            figure = f"{value:,}" if isinstance(value, int) else "x".join(map(str, value)) if (
                isinstance(value, list)) else str(value)
            assert_whole(text, figure, model, width, row["measure"], name)
        for label, ratio in zip(ratios, row["ratio_first_to"], strict=True):
            if ratio is None or label in gone:
                continue
            exact = Fraction(ratio["value"])
            assert_whole(text, three(exact), model, width, row["measure"], label)
            if exact.denominator != 1:
                assert_whole(text, str(exact), model, width, row["measure"], label)


@cache
def zoo_entries():
    from cnncalc import zoo

    return [(n, zoo.load(n), analyze(n)) for n in MODELS]


def check_list(width: int) -> None:
    from cnncalc.render.listing import list_json, render_list

    text = render_list(zoo_entries(), "table", terminal(width))
    gone = gone_keys(text)
    for entry in list_json(zoo_entries()):
        assert_whole(text, entry["name"], width)
        assert_whole(text, "x".join(map(str, entry["input"])), width, entry["name"])
        for key in ("params", "macs"):
            if key not in gone:
                assert_whole(text, render.human(entry[key]), width, entry["name"], key)


@cache
def verification(model: str):
    from cnncalc import load
    from cnncalc.cli_args import input_for
    from cnncalc.verify import VerifyRun, verify

    arch = load(model)
    return VerifyRun(verify(arch, input_for(arch, "3x32x32"), {}, 0))


def check_verify(model: str, width: int) -> None:
    from cnncalc.render.verify import render_verify, verify_json

    text = render_verify(verification(model), "table", terminal(width))
    gone = gone_keys(text)
    document = verify_json(verification(model))
    wanted: Counter[str] = Counter()  # each figure the table shows, as often as it shows it
    for layer in document["layers"]:
        for key in ("predicted_shape", "computed_shape", "predicted_params", "allocated_params"):
            value = layer[key]
            if key not in gone:
                wanted["x".join(map(str, value)) if isinstance(value, list) else f"{value:,}"] += 1
    for figure, count in wanted.items():
        assert len(whole(figure).findall(text)) >= count, (model, width, figure, count)
    allocated = sum(layer["allocated_params"] for layer in document["layers"])
    assert_whole(text, f"{allocated:,}", model, width, "the agreement line")
    assert_whole(text, str(len(document["layers"])), model, width, "the layer count")


@cache
def sizes(model: str):
    from cnncalc import load
    from cnncalc.sizes import input_sizes

    return input_sizes(load(model), 500)


def check_sizes(model: str, width: int) -> None:
    from cnncalc.render.sizes import render_sizes, sizes_json

    text = render_sizes(sizes(model), "table", terminal(width))
    document = sizes_json(sizes(model))
    for axis in document["axes"][:1 if sizes(model).same else 2]:
        assert_whole(text, str(axis["smallest"]), model, width, axis["axis"])
        for listed in (axis["near"]["works"], axis["near"]["keeps"]):
            assert_whole(text, ", ".join(map(str, listed)), model, width, axis["axis"], "near")
        if len(axis["keeps_residues"]) < axis["period"] and axis["keeps_residues"]:
            residues = ", ".join(map(str, axis["keeps_residues"]))
            assert_whole(text, f"{residues} (mod {axis['period']})", model, width, axis["axis"])
    assert max(len(line) for line in text.splitlines()) <= width or any(
        " " not in line.strip() for line in text.splitlines()
    ), (model, width, "a line longer than the terminal that could be wrapped")


# compare and list are cheap: every model at every width. sizes and verify compute for seconds
# per model (vgg16's and fcn8s's fully connected weights, densenet121's 430 layers at every
# size): by default the models that are fast, each at every width.
CHEAP_VERIFY = MODELS if ALL else ("resnet50", "densenet121", "googlenet")
CHEAP_SIZES = MODELS if ALL else ("vgg16",)


@pytest.mark.parametrize("model", MODELS)
def test_compare_never_cuts_a_number(model):
    for width in WIDTHS:
        check_compare(model, width)


def test_list_never_cuts_a_number():
    for width in WIDTHS:
        check_list(width)


@pytest.mark.parametrize("model", CHEAP_VERIFY)
def test_verify_never_cuts_a_number(model):
    for width in WIDTHS:
        check_verify(model, width)


@pytest.mark.parametrize("model", CHEAP_SIZES)
def test_sizes_never_cuts_a_number(model):
    for width in WIDTHS:
        check_sizes(model, width)
