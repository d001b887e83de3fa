"""`cnncalc convolutionalize`: the same weights as convolutions, and a heat map for larger
inputs."""

from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.loader import load_text


def convolutionalized(name: str, *extra: str) -> str:
    result = CliRunner().invoke(app, ["convolutionalize", name, *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_vgg16_keeps_its_parameters_and_gives_a_6x6_map_at_384():
    text = convolutionalized("vgg16", "--input", "3x384x384")
    arch = load_text(text, "vgg16-fcn.yaml")
    at_224 = cnncalc.analyze(arch)
    assert at_224.totals.params == 138_357_544  # torchvision's VGG-16
    assert at_224.output == (1000, 1, 1)
    # 384 / 32 = 12 after pool5; the 7x7 fc6 convolution leaves 12 − 7 + 1 = 6
    assert cnncalc.analyze(arch, input="3x384x384").output == (1000, 6, 6)
    rows = {r.path: r for r in at_224.rows}
    assert rows["classifier.0"].type == "conv"
    assert rows["classifier.0"].params == 512 * 7 * 7 * 4096 + 4096  # fc6's weights, reshaped
    assert "# accepts any input of at least 224x224" in text
    assert "# at 3x384x384: a 6x6 heat map of 1000 channels" in text


def test_alexnet():
    arch = load_text(convolutionalized("alexnet"), "alexnet-fcn.yaml")
    assert cnncalc.analyze(arch).totals.params == 61_100_840
    # 224 + 32·k gives a map 6 + k wide after the last max-pool: fc6 (6x6) leaves 1 + k
    assert cnncalc.analyze(arch, input="3x288x288").output == (1000, 3, 3)


def test_refuses_a_network_without_a_classifier():
    result = CliRunner().invoke(app, ["convolutionalize", "3x3-stack"])
    assert result.exit_code == 2
    assert "nothing to convolutionalize" in result.stderr
