"""The command line: every command runs, every format keeps the documented contract, and the
figures a person checks by hand come out right. Most run in-process with typer's CliRunner (not
a terminal, so output is piped text); a few run as real processes."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import pty
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app

runner = CliRunner()
VIEWS = ("params", "shapes", "flops", "rf", "summary")
FORMATS = ("table", "json", "csv", "markdown")
ESC = "\x1b["

# The documented JSON contract (docs/json.md): at least these keys.
TOP_KEYS = {"schema_version", "name", "input", "output", "totals", "layers"}
TOTAL_KEYS = {
    "params",
    "trainable_params",
    "non_trainable_params",
    "buffers",
    "macs",
    "flops",
    "param_bytes",
    "activation_bytes",
}
LAYER_KEYS = {"path", "type", "output", "params", "macs", "flops", "rf"}
RF_KEYS = {"size", "jump", "start"}

VGG16_PARAMS = 138_357_544  # torchvision, weights=None
ALEXNET_PARAMS = 61_100_840


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    return result.stdout


def report(*args: str) -> dict:
    return json.loads(run(*args, "--format", "json"))


def csv_rows(*args: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(run(*args, "--format", "csv"))))


def is_raw_int(value: object) -> bool:
    return type(value) is int


# ------------------------------------------------------------------ every command, every format


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("arch", ["vgg16", "alexnet"])
@pytest.mark.parametrize("view", VIEWS)
def test_every_view_in_every_format(view, arch, fmt):
    out = run(view, arch, "--format", fmt)
    assert ESC not in out
    if fmt == "table":
        assert out.startswith(f"{arch} — ")
        assert "input 3x224x224 · batch 1 · fp32" in out
        assert "classifier.6" in out
    elif fmt == "json":
        assert json.loads(out)["name"] == arch
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        if rows[-1]["path"] == "Total":  # params, flops, summary: the Total row last
            rows.pop()
        assert rows[0]["path"] == "features.0" and rows[-1]["path"] == "classifier.6"
    else:
        assert out.startswith(f"**{arch}**: input 3x224x224, output 1000\n")
        assert "| classifier.6 | linear |" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_list(fmt):
    out = run("list", "--format", fmt)
    for name in ("vgg16", "alexnet", "resnet50", "3x3-stack"):
        assert name in out
    if fmt == "json":
        document = json.loads(out)
        assert list(document) == ["schema_version", "models"] and document["schema_version"] == 1
        entries = {e["name"]: e for e in document["models"]}
        assert entries["vgg16"]["params"] == VGG16_PARAMS
        assert entries["alexnet"]["params"] == ALEXNET_PARAMS


def test_show_prints_a_file_that_loads_to_the_same_network(tmp_path):
    text = run("show", "vgg16")
    assert yaml.safe_load(text)["name"] == "vgg16"
    copy = tmp_path / "my-vgg.yaml"
    copy.write_text(text)
    assert report("params", str(copy))["totals"]["params"] == VGG16_PARAMS


def test_layers_lists_types_and_composites():
    out = run("layers")
    assert out.startswith("relu")
    assert "\nconv (also conv2d): " in out
    assert "composites: repeat, seq, use, residual, parallel, dense" in out


def test_compare_3x3_stack_vs_7x7():
    c, h, w = 64, 56, 56
    stack = 3 * (9 * c * c + c)  # three 3x3 convs C -> C with bias
    single = 49 * c * c + c
    out = run("compare", "3x3-stack", "vs", "7x7", "--set", f"C={c},H={h},W={w}")
    assert f"{stack:,}" in out and f"{single:,}" in out  # 110,784 and 200,768
    assert f"{27 * c * c * h * w:,}" in out  # MACs of the stack: 346,816,512
    data = json.loads(
        run("compare", "3x3-stack", "vs", "7x7", "--set", "C=64,H=56,W=56", "--format", "json")
    )
    params = next(r for r in data["rows"] if r["measure"] == "params")
    assert params["values"] == [stack, single]
    for fmt in ("csv", "markdown"):
        assert "110784" in run(
            "compare", "3x3-stack", "vs", "7x7", "--set", "C=64,H=56,W=56", "--format", fmt
        ).replace(",", "")


def test_version_and_help():
    assert run("--version") == f"cnncalc {cnncalc.__version__}\n"
    for args in (["-h"], ["--help"], ["params", "-h"], ["conv", "-h"]):
        assert "Usage: cnncalc" in run(*args)


def test_python_m_cnncalc_in_a_process():
    done = subprocess.run(
        [sys.executable, "-m", "cnncalc", "params", "vgg16"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert f"{VGG16_PARAMS:,}" in done.stdout
    assert ESC not in done.stdout


# ------------------------------------------------------------------ the JSON contract


@pytest.mark.parametrize("arch", ["vgg16", "alexnet", "resnet18", "googlenet"])
def test_json_contract(arch):
    data = report("summary", arch)
    assert data.keys() >= TOP_KEYS
    assert data["schema_version"] == 1
    assert data["totals"].keys() >= TOTAL_KEYS
    assert all(is_raw_int(data["totals"][k]) for k in TOTAL_KEYS), data["totals"]
    assert all(is_raw_int(d) for d in (*data["input"], *data["output"]))
    paths = [layer["path"] for layer in data["layers"]]
    assert len(paths) == len(set(paths)), "layer paths must be unique"
    for layer in data["layers"]:
        assert layer.keys() >= LAYER_KEYS, layer
        assert all(is_raw_int(layer[k]) for k in ("params", "macs", "flops")), layer
        assert layer["flops"] == 2 * layer["macs"]
        if layer["rf"] is not None:
            assert layer["rf"].keys() >= RF_KEYS
    assert sum(layer["params"] for layer in data["layers"]) == data["totals"]["params"]


def test_all_views_print_the_same_json():
    first = report("params", "alexnet")
    for view in VIEWS[1:]:
        assert report(view, "alexnet") == first


@pytest.mark.parametrize("arch", ["vgg16", "alexnet", "resnet18"])
@pytest.mark.parametrize("depth", [None, 1, 2])
def test_csv_rows_sum_to_the_json_totals(arch, depth):
    extra = () if depth is None else ("--depth", str(depth))
    totals = report("summary", arch, *extra)["totals"]
    *rows, total = csv_rows("summary", arch, *extra)
    assert total["path"] == "Total"  # the last row: the totals, as the table's footer
    for key in ("params", "macs", "activations"):
        assert sum(int(r[key]) for r in rows) == totals[key] == int(total[key]), key
    *flops, total = csv_rows("flops", arch, *extra)
    assert sum(int(r["flops"]) for r in flops) == totals["flops"] == int(total["flops"])
    extra_flops = sum(int(r["extra_flops"]) for r in flops)
    assert extra_flops == sum(totals["extra_flops"].values()) == int(total["extra_flops"])


def test_depth_1_collapses_vgg16_to_its_four_parts():
    data = report("params", "vgg16", "--depth", "1")
    rows = [(layer["path"], layer["type"]) for layer in data["layers"]]
    assert rows == [
        ("features", "seq"),
        ("avgpool", "adaptive_avgpool"),
        ("flatten", "flatten"),
        ("classifier", "seq"),
    ]
    assert sum(layer["params"] for layer in data["layers"]) == VGG16_PARAMS
    # 13 convolutions: 14,714,688; three linear layers: 123,642,856 (torchvision's split).
    assert [layer["params"] for layer in data["layers"]] == [14_714_688, 0, 0, 123_642_856]
    table = run("params", "vgg16", "--depth", "1")
    assert "features.0" not in table and "classifier.6" not in table
    assert f" Total {VGG16_PARAMS:,} " in " ".join(table.split()) + " "


def test_batch_and_dtype_scale_memory_exactly():
    base = report("summary", "vgg16")["totals"]
    half = report("summary", "vgg16", "--batch", "2", "--dtype", "fp16")["totals"]
    assert half["activations"] == base["activations"]  # per sample, unchanged
    assert half["activation_bytes"] == base["activation_bytes"]  # ×2 batch, ×½ bytes
    assert base["activation_bytes"] == 4 * base["activations"]
    assert half["param_bytes"] * 2 == base["param_bytes"] == 4 * VGG16_PARAMS
    int8 = report("summary", "vgg16", "--batch", "3", "--dtype", "int8")["totals"]
    assert int8["activation_bytes"] == 3 * base["activations"]


# ------------------------------------------------------------------ the single-layer calculator


def test_conv_shows_the_seed_derivation():
    seed = "56 --kernel 3 --padding 1 --in 128 --out 64 --no-bias"
    out = run("conv", *seed.split(" "))
    assert "3×3×128×64 = 73,728" in out
    assert "params          73,728 (no bias)" in out
    assert "output shape    64x56x56" in out


def test_conv_resnet_stem():
    stem = "224 --kernel 7 --stride 2 --padding 3 --in 3 --out 64"
    args = ["conv", *stem.split(" ")]
    lines = run(*args).splitlines()
    assert "output          ⌊(224 + 2·3 − (7−1) − 1)/2⌋ + 1 = 112" in lines
    assert "output shape    64x112x112" in lines
    assert "params          9,408 + 64 = 9,472" in lines  # 7·7·3·64 weights + 64 biases
    assert json.loads(run(*args, "--format", "json"))["params"] == 9_472


# ------------------------------------------------------------------ plain output


def test_piped_table_is_plain_and_not_wrapped():
    data = report("summary", "vgg16")
    out = run("summary", "vgg16")
    assert ESC not in out
    lines = out.splitlines()
    assert lines[0] == f"vgg16 — {data['title']}"  # the title is one line, however long
    assert max(len(line) for line in lines) > 100  # wider than a terminal's 80: not folded
    starts = [line.split()[0] for line in lines if line.strip()]
    for layer in data["layers"]:  # every row is one line holding its whole row
        assert starts.count(layer["path"]) == 1, layer["path"]
        line = next(x for x in lines if x.split() and x.split()[0] == layer["path"])
        assert f"{layer['params']:,}" in line and layer["type"] in line


def test_no_color_gives_no_escape_codes():
    for args in (["params", "vgg16"], ["list"], ["compare", "3x3-stack", "vs", "7x7"]):
        assert ESC not in run(*args, env={"NO_COLOR": "1"})


def on_a_terminal(*args: str, **env: str) -> str:
    """Run cnncalc with stdout on a pseudo-terminal (CliRunner is never one)."""
    master, slave = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environ.update(TERM="xterm-256color", **env)
    process = subprocess.Popen(
        [sys.executable, "-m", "cnncalc", *args], stdout=slave, stderr=subprocess.PIPE, env=environ
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait() == 0
    return b"".join(chunks).decode()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_no_color_on_a_terminal_is_plain_text():
    assert ESC in on_a_terminal("params", "vgg11", "--depth", "1")  # styled without it
    plain = on_a_terminal("params", "vgg11", "--depth", "1", NO_COLOR="1")
    assert ESC not in plain  # not even the bold Total row
    assert "132,863,336" in plain


# ------------------------------------------------------------------ golden files
#
# Plain table output compared with tests/golden/NAME.txt (trailing spaces of each line dropped:
# rich pads cells, editors strip them). `pytest --update-golden` rewrites the files; review the
# diff. The files are the tool's own output, so each test also checks an invariant of the table
# and at least one number known independently of cnncalc.

GOLDEN = Path(__file__).parent / "golden"


def golden(request: pytest.FixtureRequest, name: str, *args: str) -> str:
    out = "".join(line.rstrip() + "\n" for line in run(*args).splitlines())
    path = GOLDEN / f"{name}.txt"
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(out, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run pytest --update-golden"
    assert out == path.read_text(encoding="utf-8"), f"differs from {path}"
    return out


@dataclass
class Table:
    headers: list[str]
    rows: list[dict[str, str]]
    total: dict[str, str]
    after: list[str]  # the lines below the table


def parse_table(text: str) -> Table:
    """Columns are runs of characters separated by two or more spaces blank in every line."""
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if line.strip().startswith("─")]
    head = rules[0] - 1
    end = next(i for i in range(rules[0] + 1, len(lines)) if not lines[i].strip() or i in rules)
    block = [lines[head], *lines[rules[0] + 1 : end]]
    footer = lines[end + 1] if end in rules else ""
    block.append(footer)
    width = max(len(line) for line in block)
    blank = [all(c >= len(line) or line[c] == " " for line in block) for c in range(width)]
    spans, start = [], None
    for c in range(width + 2):
        gap = c >= width or (blank[c] and (c + 1 >= width or blank[c + 1]))
        if not gap and start is None:
            start = c
        elif gap and start is not None and (c >= width or blank[c]):
            spans.append((start, c))
            start = None
    cells = [[line[a:b].strip() for a, b in spans] for line in block]
    headers = cells[0]
    rows = [dict(zip(headers, row, strict=True)) for row in cells[1:-1]]
    total = dict(zip(headers, cells[-1], strict=True)) if footer else {}
    after = [line for line in lines[(end + 2 if footer else end) :] if line.strip()]
    return Table(headers, rows, total, after)


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_golden_params_vgg16(request):
    table = parse_table(golden(request, "params_vgg16", "params", "vgg16"))
    assert table.headers == ["Layer", "Type", "Args", "Output", "Params"]
    assert sum(number(r["Params"]) for r in table.rows) == number(table.total["Params"])
    assert table.total["Params"] == f"{VGG16_PARAMS:,}"  # torchvision
    assert table.rows[0]["Params"] == "1,792"  # 3·3·3·64 + 64
    assert table.rows[-1]["Params"] == "4,097,000"  # 4096·1000 + 1000


def test_golden_rf_alexnet(request):
    table = parse_table(golden(request, "rf_alexnet", "rf", "alexnet"))
    assert table.headers == ["Layer", "Type", "Args", "Output", "RF", "Jump", "Start"]
    rf, jump = 1, 1
    for row in table.rows:  # r_out = r_in + (k − 1)·j_in, j_out = j_in·s, from the Args column
        if match := re.fullmatch(r"(\d+) s(\d+)(?: p\d+)?", row["Args"]):
            kernel, stride = int(match[1]), int(match[2])
            rf, jump = rf + (kernel - 1) * jump, jump * stride
        if row["Type"] != "flatten":  # flatten sees the whole map; nothing after it widens
            assert (number(row["RF"]), number(row["Jump"])) == (rf, jump), row
        rf, jump = number(row["RF"]), number(row["Jump"])
    pool5 = next(r for r in table.rows if r["Layer"] == "features.12")
    assert (pool5["RF"], pool5["Jump"]) == ("195", "32")  # AlexNet's pool5: 195 pixels, stride 32
    assert table.after[1].startswith(f"Receptive field of the output: {table.rows[-1]['RF']},")


def test_golden_summary_vgg11_depth_1(request):
    table = parse_table(golden(request, "summary_vgg11_depth1", "summary", "vgg11", "--depth", "1"))
    assert [r["Layer"] for r in table.rows] == ["features", "avgpool", "flatten", "classifier"]
    assert sum(number(r["Params"]) for r in table.rows) == number(table.total["Params"])
    assert table.total["Params"] == "132,863,336"  # torchvision's VGG-11
    # By hand: 9·(3·64 + 64·128 + 128·256 + 256·256 + 256·512 + 3·512·512) + 4,224 biases.
    assert table.rows[0]["Params"] == "9,220,480"
    assert table.rows[0]["Args"] == "21 layers"  # 8 conv + 8 relu + 5 maxpool


def test_golden_shapes_alexnet_paper(request):
    table = parse_table(golden(request, "shapes_alexnet_paper", "shapes", "alexnet-paper"))
    assert table.rows[0]["Input"] == "3x227x227"
    for before, row in itertools.pairwise(table.rows):  # a chain: each input is the last output
        assert row["Input"] == before["Output"], row
    shapes = {r["Layer"]: r["Output"] for r in table.rows}
    # Krizhevsky et al. 2012, figure 2 (one tower doubled): 55, 27, 13, 13, 13, 6.
    assert shapes["conv1"] == "96x55x55"  # ⌊(227 − 11)/4⌋ + 1
    assert shapes["pool2"] == "256x13x13"
    assert shapes["pool5"] == "256x6x6"
    assert table.after[-1] == f"Output: {table.rows[-1]['Output']}" == "Output: 1000"


def test_golden_params_3x3_stack_symbolic(request):
    import sympy

    table = parse_table(golden(request, "params_3x3_stack", "params", "3x3-stack"))

    def expression(text: str) -> sympy.Expr:
        return sympy.sympify(text.replace("^", "**"))

    rows = sum(expression(r["Params"]) for r in table.rows)
    assert sympy.expand(rows - expression(table.total["Params"])) == 0
    c = sympy.Symbol("C")
    assert sympy.expand(expression(table.total["Params"]) - 3 * (9 * c**2 + c)) == 0
    assert table.total["Params"] == "27*C^2 + 3*C"  # three 3x3 convs C -> C with bias
    assert {r["Output"] for r in table.rows} == {"CxHxW"}


@pytest.mark.parametrize(
    "args",
    [
        ["sizes", "vgg11"],
        ["verify", "3x3-stack", "--set", "C=2", "--input", "2x8x8"],
        ["conv", "56", "-k", "3"],
        ["compare", "3x3-stack", "vs", "7x7"],
        ["params", "vgg11"],
    ],
    ids=lambda a: a[0],
)
def test_every_json_document_starts_with_its_schema_version(args):
    result = runner.invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert next(iter(document.items())) == ("schema_version", 1)
