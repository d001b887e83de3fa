"""`cnncalc export --to pytorch` (cnncalc/export_torch.py), sequential networks: the generated file
builds, with torch, a module whose parameter count, named-parameter shapes and per-layer output
shapes equal cnncalc's (and torchvision's published totals); what it cannot express is refused
with one line naming the layer, exit 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cnncalc import load
from cnncalc.cli import app
from cnncalc.engine import analyze_architecture
from cnncalc.layers import REGISTRY

runner = CliRunner()

# torchvision, weights=None (independent of cnncalc)
PUBLISHED = {"vgg16": 138_357_544, "alexnet": 61_100_840, "vgg11_bn": 132_868_840}


def exported(name: str, size: int):
    """The module the generated file defines, built on the meta device (shapes, no weights)."""
    torch = pytest.importorskip("torch")
    result = runner.invoke(app, ["export", name, "--to", "pytorch", "--input", str(size)])
    assert result.exit_code == 0, result.stderr
    namespace: dict = {}
    exec(compile(result.stdout, f"<export {name}>", "exec"), namespace)  # noqa: S102
    with torch.device("meta"):
        return namespace["Model"]()


@pytest.mark.torch
@pytest.mark.parametrize(("name", "size"), [("vgg16", 32), ("alexnet", 64), ("vgg11_bn", 32)])
def test_round_trip_params_names_and_shapes(name, size):
    torch = pytest.importorskip("torch")
    model = exported(name, size).eval()
    arch = load(name)
    result = analyze_architecture(arch, (3, size, size))

    assert sum(p.numel() for p in model.parameters()) == result.totals.params == PUBLISHED[name]
    expected = {
        f"{row.path}.{weight}": dims
        for row in result.rows
        for weight, dims in REGISTRY[row.type](**row.args).weight_shapes(row.input).items()
    }
    assert {n: tuple(p.shape) for n, p in model.named_parameters()} == expected

    outputs: dict[str, tuple[int, ...]] = {}
    for path, module in model.named_modules():
        if not list(module.children()):
            module.register_forward_hook(
                lambda m, i, o, path=path: outputs.__setitem__(path, tuple(o.shape[1:]))
            )
    with torch.no_grad():
        y = model(torch.empty(2, 3, size, size, device="meta"))
    assert tuple(y.shape) == (2, *result.output)
    assert outputs == {row.path: row.output for row in result.rows}


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("resnet18", "resnet18.yaml:31 layer1 (layers[4]): block `stage` is not exported"),
        ("alexnet-paper", "norm1 (layers[2]): layer type `lrn` is not exported"),
        ("inception-naive", "layers[0]: parallel is not exported"),
        ("googlenet-aux", "googlenet-aux.yaml:1: `outputs:` is not exported"),
        # a symbolic size would be written as an undefined name: nn.Conv2d(C, C, ...)
        ("3x3-stack", "export needs numbers, but 0 sees CxHxW: give a numeric --input"),
    ],
)
def test_refuses_what_it_cannot_express_in_one_line(name, says):
    result = runner.invoke(app, ["export", name, "--to", "pytorch"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("cnncalc: error: ")
    assert says in result.stderr


def test_the_header_names_the_input_it_was_built_for():
    result = runner.invoke(app, ["export", "vgg11", "-i", "32"])
    assert result.exit_code == 0
    assert "built for input 3x32x32 (C x H x W)" in result.stdout
