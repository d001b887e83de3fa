"""`cnncalc compare`: the classic design arguments, worked out by hand."""

import json
from fractions import Fraction

import sympy
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.compare import compare_reports

C = sympy.Symbol("C", integer=True, positive=True)


def rows(*names, **kw):
    table = compare_reports([cnncalc.analyze(n, **kw) for n in names])
    return {row.label: row for row in table.rows}


def test_three_3x3_against_one_7x7_symbolically():
    table = rows("3x3-stack", "7x7")
    params = table["params"]
    # 3·(3·3·C·C + C) against 7·7·C·C + C
    assert sympy.expand(params.values[0] - (27 * C**2 + 3 * C)) == 0
    assert sympy.expand(params.values[1] - (49 * C**2 + C)) == 0
    assert params.ratios[0].limit == Fraction(27, 49)
    assert params.ratios[0].symbol == "C"
    assert table["receptive field"].values == (7, 7)
    assert table["nonlinearities"].values == (3, 1)


def test_without_bias_the_ratio_is_exactly_27_over_49():
    table = rows("3x3-stack", "7x7", no_bias=True)
    assert table["params"].ratios[0].value == Fraction(27, 49)


def test_numbers_at_c64():
    table = rows("3x3-stack", "7x7", set={"C": 64, "H": 56, "W": 56})
    assert table["params"].values == (27 * 64 * 64 + 3 * 64, 49 * 64 * 64 + 64)
    assert table["MACs"].values == (27 * 64 * 64 * 56 * 56, 49 * 64 * 64 * 56 * 56)


def test_inception_reductions_save_parameters():
    table = rows("inception-naive", "inception-reduced")
    naive, reduced = table["params"].values
    # inception (3a) on 192 channels: 1x1 64, 3x3 128, 5x5 32 (+ pool passes 192 through)
    assert naive == (192 * 64 + 64) + (9 * 192 * 128 + 128) + (25 * 192 * 32 + 32)
    # with reductions: 1x1 64; 1x1 96 -> 3x3 128; 1x1 16 -> 5x5 32; pool -> 1x1 32
    assert reduced == (
        (192 * 64 + 64)
        + (192 * 96 + 96) + (9 * 96 * 128 + 128)
        + (192 * 16 + 16) + (25 * 16 * 32 + 32)
        + (192 * 32 + 32)
    )


def test_cli_json_and_markdown():
    runner = CliRunner()
    result = runner.invoke(app, ["compare", "3x3-stack", "vs", "7x7", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    params = next(r for r in data["rows"] if r["measure"] == "params")
    assert params["values"] == ["27*C**2 + 3*C", "49*C**2 + C"]
    assert params["ratio_first_to"][0]["limit"] == "27/49"
    result = runner.invoke(app, ["compare", "resnet50", "vs", "resnet50-v1", "-f", "markdown"])
    assert result.exit_code == 0
    assert "| params | 25,557,032 | 25,557,032 | 1.000 |" in result.stdout
