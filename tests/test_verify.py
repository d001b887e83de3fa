"""`cnncalc verify`: the NumPy forward pass agrees with every prediction, and catches a wrong
one."""

import functools
import json

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc import zoo
from cnncalc.cli import app
from cnncalc.errors import ShapeError
from cnncalc.layers.conv import Conv
from cnncalc.verify import measure_rf, verify

runner = CliRunner()

# A reduced input keeps the suite fast: the smallest size from 64 up that the model takes
# (`python benchmarks/bench_verify.py` runs every model at its default input). Symbolic
# building blocks get small numbers.
SYMBOLS = "C=8,H=16,W=16"


def reduced(arch):
    c, h, w = cnncalc.analyze(arch).input  # the input as it stands, symbol defaults bound
    for n in range(64, 1025):
        size = f"{c}x{min(n, h)}x{min(n, w)}"
        try:
            cnncalc.analyze(arch, input=size)
        except ShapeError:
            continue
        return size
    raise AssertionError(f"{arch.name} takes no input from 64 to 1024")


def zoo_cases():
    for name in zoo.names():
        arch = zoo.load(name)
        if set(arch.symbols) <= set(arch.defaults):  # numeric as it stands (efficientnet_b0's size)
            yield name, ["--input", reduced(arch)]
        else:
            yield name, ["--set", SYMBOLS]


@pytest.mark.parametrize(("name", "args"), list(zoo_cases()))
def test_every_zoo_model_verifies(name, args):
    """And `verify --rf` measures each one's field equal to the prediction, at the default
    unit (the last local map up to the main output: at these sizes the last stage of a
    stride-32 network is still 2x2). The measurement adds about 0.1 s a model to the pass."""
    result = runner.invoke(app, ["verify", name, *args, "--rf", "--format", "json"])
    assert result.exit_code == 0, result.output + result.stderr
    data = json.loads(result.stdout)
    assert data["ok"]
    assert all(layer["ok"] for layer in data["layers"])
    rf = data["rf"]
    assert rf["measured"] == rf["predicted"], rf
    assert rf["ok"] and all(unit["ok"] for unit in rf["units"])
    # with several outputs the unit is the main one's, not a side head's written after it
    assert rf["path"] == {"fcn_resnet50": "out", "deeplabv3_resnet50": "out",
                          "yolov3": "yolo1"}.get(name, rf["path"])


def test_a_wrong_shape_formula_is_caught(monkeypatch):
    original = Conv.output_shape

    def off_by_one(self, shape):
        c, h, w = original(self, shape)
        return (c, h + 1, w)

    monkeypatch.setattr(Conv, "output_shape", off_by_one)
    result = runner.invoke(app, ["verify", "alexnet", "--input", "3x96x96"])
    assert result.exit_code == 1
    assert "disagreement at features.0 (conv): shape predicted 64x24x23, computed 64x23x23" in (
        result.stderr
    )


def test_a_wrong_parameter_formula_is_caught(monkeypatch):
    monkeypatch.setattr(Conv, "params", lambda self, shape: 7)
    result = runner.invoke(app, ["verify", "3x3-stack", "--set", SYMBOLS])
    assert result.exit_code == 1
    assert "params predicted 7, allocated 584" in result.stderr  # 3·3·8·8 + 8


def test_symbolic_input_needs_numbers():
    result = runner.invoke(app, ["verify", "3x3-stack"])
    assert result.exit_code == 2
    assert "--set" in result.stderr


@functools.cache
def verified(name):
    return verify(zoo.load(name))


@pytest.mark.parametrize(
    ("name", "layer", "size", "jump"),
    [
        ("vgg16", None, 212, 32),  # the feature extractor's output (after pool5)
        ("vgg16", "features.28", 196, 16),  # conv5_3
        ("resnet50", None, 427, 32),  # the last residual stage (torchvision v1.5)
        ("resnet50-v1", None, 483, 32),  # the 2015 paper's (Araujo et al. 2019)
    ],
)
def test_measured_receptive_fields(name, layer, size, jump):
    result = verified(name)
    measured = measure_rf(result, layer)
    assert measured.size == (size, size)
    assert measured.jump == (jump, jump)
    assert measured.ok


def test_a_seed_is_any_32_bit_number_not_only_a_size():
    """Seeds such as 20240101 are common; the size limit (CNNCALC_MAX_VALUE) does not apply."""
    from typer.testing import CliRunner

    from cnncalc.cli import app

    for seed in ("20240101", str(2**32 - 1)):
        result = CliRunner().invoke(
            app, ["verify", "3x3-stack", "--set", "C=1", "--input", "1x6x6", "--seed", seed]
        )
        assert result.exit_code == 0, (seed, result.stderr)
        assert "6 of 6 layers agree" in result.stdout
