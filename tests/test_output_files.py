"""--output: never a half-written file, never an overwrite without --force."""

import json
import os

from typer.testing import CliRunner

from cnncalc.cli import app

runner = CliRunner()


def test_writes_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "vgg16.json"
    result = runner.invoke(app, ["params", "vgg16", "-f", "json", "-o", str(target)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text())["totals"]["params"] == 138_357_544
    result = runner.invoke(app, ["params", "alexnet", "-f", "json", "-o", str(target)])
    assert result.exit_code == 2
    assert "exists; pass --force" in result.stderr
    assert json.loads(target.read_text())["name"] == "vgg16"  # untouched
    result = runner.invoke(app, ["params", "alexnet", "-f", "json", "-o", str(target), "--force"])
    assert result.exit_code == 0
    assert json.loads(target.read_text())["name"] == "alexnet"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vgg16.json"]


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "out.yaml"

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    result = runner.invoke(app, ["show", "vgg16", "-o", str(target)])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "No space left" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_table_and_convolutionalize_to_files(tmp_path):
    table = tmp_path / "vgg16.txt"
    assert runner.invoke(app, ["summary", "vgg11", "-o", str(table)]).exit_code == 0
    text = table.read_text()
    assert "\x1b[" not in text and "132,863,336" in text  # torchvision's VGG-11
    yaml_out = tmp_path / "vgg16-fcn.yaml"
    assert runner.invoke(app, ["convolutionalize", "vgg16", "-o", str(yaml_out)]).exit_code == 0
    result = runner.invoke(app, ["params", str(yaml_out), "-f", "json"])
    assert json.loads(result.stdout)["totals"]["params"] == 138_357_544
