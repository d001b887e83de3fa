"""`cnncalc sizes` against a brute-force sweep of the numeric engine over 1..1024."""

import functools

import cnncalc
from cnncalc import zoo
from cnncalc.errors import ShapeError
from cnncalc.sizes import axis_sizes

from .sweeps import sample

SWEEP = sample(range(1, 1025))


@functools.cache
def load(name: str):
    return zoo.load(name)


def engine_works(name: str, h: int) -> bool:
    try:
        cnncalc.analyze(load(name), input=f"3x{h}x224")
    except ShapeError:
        return False
    return True


def test_vgg16():
    answer = axis_sizes(zoo.load("vgg16"), 0)
    assert answer.smallest == 32  # five 2x2/2 pools: 32 -> 1
    for h in SWEEP:
        assert answer.works(h) == engine_works("vgg16", h), h
        # by hand: 3x3 pad-1 convs cover everything; each 2x2/2 pool drops its input's last row
        # exactly when that input is odd, so every pool input must be even: h ≡ 0 (mod 32)
        assert answer.keeps(h) == (h >= 32 and h % 32 == 0), h


def test_resnet50_keeps_every_pixel_at_every_size():
    answer = axis_sizes(zoo.load("resnet50"), 0)
    for h in SWEEP:
        works = engine_works("resnet50", h)
        assert answer.works(h) == works, h
        # 7x7/2 pad 3, 3x3/2 pad 1 and 3x3/2 pad-1 bodies: (L + 2p − k) mod 2 ≤ p always holds,
        # and each strided 1x1 shortcut reads a map that its block's first 1x1 conv covers
        assert answer.keeps(h) == works, h


def test_googlenet():
    answer = axis_sizes(zoo.load("googlenet"), 0)
    for h in SWEEP:
        works = engine_works("googlenet", h)
        assert answer.works(h) == works, h
        # ceil-mode pools never leave a trailing pixel; its convs are stride 1 but the 7x7/2 pad 3
        assert answer.keeps(h) == works, h


def test_resnet50_v1_skips_pixels_at_every_size():
    # its 1x1 stride-2 convolutions (body and shortcut) read every other pixel of layer1's output
    answer = axis_sizes(zoo.load("resnet50-v1"), 0)
    assert not any(answer.keeps(h) for h in sample(range(16, 1025)))


def test_no_size_works(tmp_path):
    spec = tmp_path / "split.yaml"
    spec.write_text(
        "input: [3, 64, 64]\n"
        "layers:\n"
        "  - parallel:\n"
        "      - [{conv: {out: 4, kernel: 3, stride: 2, padding: 1}}]\n"
        "      - [{conv: {out: 4, kernel: 3, padding: 1}}]\n"
    )
    from typer.testing import CliRunner

    from cnncalc.cli import app

    result = CliRunner().invoke(app, ["sizes", str(spec)])
    assert result.exit_code == 0
    assert "no height from 1 to 4096 works: concat needs equal spatial sizes" in result.stdout


def test_skip_merging_resolutions_works_only_on_multiples_of_the_deepest_stride(tmp_path):
    # U-Net in miniature: three 2x2 pools, an 8x upsampling, added to a full-size branch. The
    # add needs 8·⌊⌊⌊H/2⌋/2⌋/2⌋ = H, i.e. H ≡ 0 (mod 8) — even though the output's jump is 1.
    from cnncalc.loader import load_text

    text = (
        "input: [3, 64, 64]\nlayers:\n  - parallel:\n      merge: add\n      branches:\n"
        "        - [{conv: {out: 3, kernel: 3, padding: 1}}]\n"
        "        - [{maxpool: {kernel: 2}}, {maxpool: {kernel: 2}}, {maxpool: {kernel: 2}},"
        " {upsample: {scale: 8}}]\n"
    )
    arch = load_text(text, "unet.yaml")
    answer = axis_sizes(arch, 0)
    for h in range(1, 257):
        try:
            cnncalc.analyze(arch, input=f"3x{h}x64")
            works = True
        except ShapeError:
            works = False
        assert works == (h % 8 == 0 and h >= 8), h
        assert answer.works(h) == works, h
