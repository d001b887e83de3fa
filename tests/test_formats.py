"""One --format path for every command (issue 11, item 3): each command prints table, JSON, CSV
and Markdown; CSV and Markdown carry a Total row; CSV columns are the JSON's names; compare's
ratios are decimals beside the exact fraction. The expected figures are derived by hand here
(or are published ones), never taken from cnncalc's own output."""

from __future__ import annotations

import csv
import decimal
import io
import json
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

runner = CliRunner()
VGG16_PARAMS = 138_357_544  # torchvision, weights=None


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def csv_of(*args: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(run(*args, "-f", "csv"))))


def six(fraction: Fraction) -> str:
    """Six decimals, half to even, by the decimal module (not cnncalc's own rounding)."""
    with decimal.localcontext(prec=50):
        value = decimal.Decimal(fraction.numerator) / decimal.Decimal(fraction.denominator)
        return str(value.quantize(decimal.Decimal("0.000001"), decimal.ROUND_HALF_EVEN))


@pytest.mark.parametrize("view", ["params", "flops", "summary"])
def test_csv_and_markdown_end_with_the_total(view):
    *rows, total = csv_of(view, "vgg16")
    assert total["path"] == "Total" and rows[-1]["path"] == "classifier.6"
    if "params" in total:
        assert int(total["params"]) == VGG16_PARAMS
    markdown = run(view, "vgg16", "-f", "markdown")
    last_row = [line for line in markdown.splitlines() if line.startswith("| ")][-1]
    assert last_row.startswith("| **Total** |")
    if view != "flops":
        assert f"**{VGG16_PARAMS:,}**" in last_row


@pytest.mark.parametrize("view", ["shapes", "rf"])
def test_views_without_a_sum_have_no_total_row(view):
    assert csv_of(view, "vgg11")[-1]["path"] == "classifier.6"


def test_csv_columns_are_the_json_names():
    layer = json.loads(run("summary", "resnet18", "-f", "json"))["layers"][0]
    header = next(csv.reader(io.StringIO(run("summary", "resnet18", "-f", "csv"))))
    assert header == [
        "path", "type", "args", "output", "params", "macs", "activations", "rf_size", "rf_jump"
    ]
    for key in header:
        assert key in layer or (key.startswith("rf_") and key[3:] in layer["rf"]), key


def test_the_old_column_names_still_pick_their_columns():
    new = run("params", "vgg11", "--columns", "path,args,activations", "-f", "csv")
    assert run("params", "vgg11", "--columns", "path,detail,elements", "-f", "csv") == new


def test_compare_ratios_are_decimals_beside_the_exact_fraction():
    c = 64
    stack, single = 3 * (9 * c * c + c), 49 * c * c + c  # 110,784 and 200,768 with biases
    args = ("compare", "3x3-stack", "vs", "7x7", "--set", f"C={c},H=56,W=56")
    rows = {r["measure"]: r for r in csv_of(*args)}
    assert rows["params"]["3x3-stack / 7x7"] == six(Fraction(stack, single)) == "0.551801"
    assert rows["MACs"]["3x3-stack / 7x7"] == six(Fraction(27, 49))  # 27·C²HW / 49·C²HW
    document = json.loads(run(*args, "-f", "json"))
    params = next(r for r in document["rows"] if r["measure"] == "params")
    ratio = params["ratio_first_to"][0]
    assert Fraction(ratio["value"]) == Fraction(stack, single)  # the exact fraction, kept
    assert ratio["decimal"] == float(six(Fraction(stack, single)))
    markdown = run(*args, "-f", "markdown")
    assert "| params | 110,784 | 200,768 | 0.552 |" in markdown


def test_compare_of_three_shows_each_against_the_first_labelled():
    c = 64
    stack, five, seven = 3 * (9 * c * c + c), 25 * c * c + c, 49 * c * c + c
    args = ("compare", "3x3-stack", "vs", "5x5", "vs", "7x7", "--set", f"C={c},H=56,W=56")
    document = json.loads(run(*args, "-f", "json"))
    assert document["ratios"] == ["3x3-stack / 5x5", "3x3-stack / 7x7"]
    params = next(r for r in document["rows"] if r["measure"] == "params")
    assert [Fraction(r["value"]) for r in params["ratio_first_to"]] == [
        Fraction(stack, five), Fraction(stack, seven)
    ]
    header = run(*args, "-f", "csv").splitlines()[0]
    assert header == "measure,3x3-stack,5x5,7x7,3x3-stack / 5x5,3x3-stack / 7x7"


def test_symbolic_ratio_keeps_its_expression_in_csv():
    rows = {r["measure"]: r for r in csv_of("compare", "3x3-stack", "vs", "7x7")}
    assert rows["params"]["3x3-stack / 7x7"] == "(27*C + 3)/(49*C + 1)"
    assert rows["MACs"]["3x3-stack / 7x7"] == six(Fraction(27, 49))


def test_conv_in_every_format():
    # the source notes' 3x3x128x64 = 73,728; output 56 - 3 + 1 = 54
    args = ("conv", "56", "--kernel", "3", "--in", "128", "--out", "64", "--no-bias")
    (row,) = csv_of(*args)
    assert row["params"] == row["weights"] == "73728"
    assert row["output"] == "64x54x54" and row["padding"] == "[[0,0],[0,0]]"
    assert int(row["macs"]) == 64 * 54 * 54 * 128 * 9 and row["rf"] == "3x3"
    assert "| weights | 3×3×128×64 = 73,728 |" in run(*args, "-f", "markdown")


def test_verify_csv_total_is_the_allocated_parameters():
    args = ("verify", "3x3-stack", "--set", "C=2,H=16,W=16")
    *rows, total = csv_of(*args)
    assert total["path"] == "Total" and total["ok"] == "true"
    assert int(total["allocated_params"]) == 3 * (9 * 2 * 2 + 2)  # three 3x3 convs 2 -> 2, bias
    assert int(total["counted_macs"]) == 3 * 2 * 16 * 16 * 2 * 9
    assert "| **Total** |  |  |  | **114** | **114** |  |" in run(*args, "-f", "markdown")


def test_sizes_csv_and_markdown():
    height, width = csv_of("sizes", "vgg16")
    assert (height["axis"], height["smallest"], height["period"]) == ("height", "32", "32")
    assert height["keeps_residues"] == "0"  # five stride-2 pools: multiples of 32
    assert width["axis"] == "width"
    assert "- smallest height that works: 32" in run("sizes", "vgg16", "-f", "markdown")


def test_list_markdown_has_human_units_and_csv_exact_numbers():
    assert "| vgg16 | 3x224x224 | 138.36 M |" in run("list", "-f", "markdown")
    vgg16 = next(r for r in csv_of("list") if r["name"] == "vgg16")
    assert int(vgg16["params"]) == VGG16_PARAMS and vgg16["description"]
