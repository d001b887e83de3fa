"""Hostile files are refused quickly, with a message that names the limit."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

runner = CliRunner()

BILLION_LAUGHS = """
notes:
  a: &a {seq: [relu, relu, relu, relu, relu, relu, relu, relu, relu, relu]}
  b: &b {seq: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]}
  c: &c {seq: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]}
  d: &d {seq: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]}
  e: &e {seq: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]}
  f: &f {seq: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]}
  g: &g {seq: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]}
input: [3, 8, 8]
layers: [*g]
"""


def nested_seqs(depth: int) -> str:
    text = "relu"
    for _ in range(depth):
        text = "{seq: [" + text + "]}"
    return f"input: [3, 8, 8]\nlayers: [{text}]\n"


CASES = {
    "alias_bomb": (BILLION_LAUGHS, "aliases repeat more than 10,000 YAML values"),
    "nested_layers": (nested_seqs(100), "layers nest deeper than 64 levels"),
    "nested_values": ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 1, kernel: " + "[" * 5000
                      + "1" + "]" * 5000 + "}\n", "nests too deeply"),
    "repeat_count": ("input: [3, 8, 8]\nlayers:\n  - repeat: 1000000000\n    layers: [relu]\n",
                     "refuses integers above 1,000,000 (set CNNCALC_MAX_VALUE"),
    "repeat_of_repeats": (
        "input: [3, 8, 8]\nlayers:\n  - repeat: 1000\n    layers:\n      - repeat: 1000\n"
        "        layers: [relu]\n",
        "expands to about 1,000,000 layers, more than 200,000 (set CNNCALC_MAX_LAYERS",
    ),
    "huge_input": ("input: [3, 1000000000000, 1000000000000]\nlayers: [relu]\n",
                   "input size 1,000,000,000,000 is above 1,000,000"),
    "huge_channels": ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 99999999999, kernel: 1}\n",
                      "'out' is 99,999,999,999"),
    "long_expression": ("input: [3, 8, 8]\nlayers:\n  - conv: {out: " + "+".join(["1"] * 150)
                        + ", kernel: 1}\n", "the limit is 200"),
    "power_operator": ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 2**40, kernel: 1}\n",
                       "unexpected '*'"),
    "code_injection": (
        "input: [3, 8, 8]\nlayers:\n  - conv: {out: \"__import__('os').system('x')\", kernel: 1}\n",
        "cannot read expression",
    ),
    "python_tag": ("input: [3, 8, 8]\nlayers:\n  - !!python/object/apply:os.system [echo hi]\n",
                   "the YAML tag tag:yaml.org,2002:python/object/apply:os.system is not allowed"),
    "huge_file": (
        "input: [3, 8, 8]\nlayers:\n" + "  - relu\n" * 300_000, "larger than 2,000,000 bytes"
    ),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_refused_quickly_with_the_limit_named(case, tmp_path):
    text, fragment = CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    start = time.perf_counter()
    result = runner.invoke(app, ["summary", str(path)])
    seconds = time.perf_counter() - start
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert seconds < 1.0, f"{case} took {seconds:.2f} s"


def test_the_limits_can_be_raised(tmp_path):
    import os
    import subprocess
    import sys

    path = tmp_path / "many.yaml"
    path.write_text("input: [3, 8, 8]\nlayers:\n  - repeat: 30\n    layers:\n"
                    "      - repeat: 100\n        layers: [relu]\n")
    command = [sys.executable, "-m", "cnncalc", "params", str(path), "--format", "json"]

    def run(limit):
        env = {**os.environ, "CNNCALC_MAX_LAYERS": str(limit)}
        return subprocess.run(command, capture_output=True, text=True, env=env)

    refused = run(1000)
    assert refused.returncode == 2
    assert "more than 1,000 (set CNNCALC_MAX_LAYERS" in refused.stderr
    assert run(5000).returncode == 0
