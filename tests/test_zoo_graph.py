"""Graphs: named references (`from:`, `concat: [a, b]`), side outputs (`outputs:`,
`train_only`, --mode) and the zoo models that need them — U-Net (Ronneberger et al. 2015,
Figure 1), inception_v3 with its aux head, googlenet-aux. Every expected figure is derived
by hand in the comments, or taken from the paper or torchvision's documentation; none is
computed by the code under test. (benchmarks/check_torchvision_graph.py compares every layer
with torchvision.)"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.errors import ShapeError, SpecError
from cnncalc.loader import load_text
from cnncalc.sizes import axis_sizes
from cnncalc.verify import measure_rf, verify

TESTS = Path(__file__).parent
runner = CliRunner()


def conv(k: int, cin: int, cout: int, bias: bool = True) -> int:
    return k * k * cin * cout + (cout if bias else 0)


# ---------------------------------------------------------------- U-Net, Figure 1


def test_unet_reproduces_every_feature_map_size_of_figure_1():
    # Figure 1, by hand: each unpadded 3x3 conv takes 2 pixels off, each 2x2 pool halves, each
    # 2x2 up-conv doubles, each skip is center-cropped to the up-conv's size.
    report = cnncalc.analyze("unet")
    out = {r.path: r.output for r in report.rows}
    expected = {
        "encoder.enc1.conv1": (64, 570, 570), "encoder.enc1.conv2": (64, 568, 568),
        "encoder.pool1": (64, 284, 284),
        "encoder.enc2.conv1": (128, 282, 282), "encoder.enc2.conv2": (128, 280, 280),
        "encoder.pool2": (128, 140, 140),
        "encoder.enc3.conv1": (256, 138, 138), "encoder.enc3.conv2": (256, 136, 136),
        "encoder.pool3": (256, 68, 68),
        "encoder.enc4.conv1": (512, 66, 66), "encoder.enc4.conv2": (512, 64, 64),
        "bottleneck.pool4": (512, 32, 32),
        "bottleneck.conv.conv1": (1024, 30, 30), "bottleneck.conv.conv2": (1024, 28, 28),
        "decoder.up4.upconv": (512, 56, 56), "decoder.up4.crop": (512, 56, 56),     # 64 -> 56
        "decoder.up4.concat": (1024, 56, 56),
        "decoder.up4.conv.conv1": (512, 54, 54), "decoder.up4.conv.conv2": (512, 52, 52),
        "decoder.up3.upconv": (256, 104, 104), "decoder.up3.crop": (256, 104, 104),  # 136 -> 104
        "decoder.up3.concat": (512, 104, 104),
        "decoder.up3.conv.conv1": (256, 102, 102), "decoder.up3.conv.conv2": (256, 100, 100),
        "decoder.up2.upconv": (128, 200, 200), "decoder.up2.crop": (128, 200, 200),  # 280 -> 200
        "decoder.up2.concat": (256, 200, 200),
        "decoder.up2.conv.conv1": (128, 198, 198), "decoder.up2.conv.conv2": (128, 196, 196),
        "decoder.up1.upconv": (64, 392, 392), "decoder.up1.crop": (64, 392, 392),    # 568 -> 392
        "decoder.up1.concat": (128, 392, 392),
        "decoder.up1.conv.conv1": (64, 390, 390), "decoder.up1.conv.conv2": (64, 388, 388),
        "head": (2, 388, 388),
    }
    assert {p: out[p] for p in expected} == expected
    assert report.input == (1, 572, 572) and report.output == (2, 388, 388)
    # the crops read the encoder's maps: their inputs are 64, 136, 280 and 568 wide
    inputs = {r.path: r.input[1] for r in report.rows if r.type == "crop"}
    assert inputs == {"decoder.up4.crop": 64, "decoder.up3.crop": 136,
                      "decoder.up2.crop": 280, "decoder.up1.crop": 568}


def test_unet_parameters_by_hand():
    # 3x3 convs with bias: encoder 1-64-64, 64-128-128, 128-256-256, 256-512-512; bottleneck
    # 512-1024-1024; 2x2 up-convs c -> c/2 (4·c·c/2 + c/2); decoder convs 2c' -> c' -> c' for
    # c' = 512, 256, 128, 64; the 1x1 head 64 -> 2. The commonly quoted figure is 31,030,658.
    encoder = sum(conv(3, a, b) + conv(3, b, b) for a, b in
                  [(1, 64), (64, 128), (128, 256), (256, 512), (512, 1024)])
    decoder = sum(conv(2, 2 * c, c) + conv(3, 2 * c, c) + conv(3, c, c)
                  for c in (512, 256, 128, 64))
    by_hand = encoder + decoder + conv(1, 64, 2)
    assert by_hand == 31_030_658
    assert cnncalc.analyze("unet").totals.params == by_hand


def test_unet_depth_1_shows_encoder_bottleneck_and_decoder():
    rows = cnncalc.analyze("unet").collapsed(1)
    assert [(r.path, r.output) for r in rows] == [
        ("encoder", (512, 64, 64)),
        ("bottleneck", (1024, 28, 28)),
        ("decoder", (64, 388, 388)),
        ("head", (2, 388, 388)),
    ]


def test_unet_sizes_are_those_that_keep_every_crop_centered():
    # Every 2x2 pool must see an even size: with a1 = H − 4 and a(k+1) = a(k)/2 − 4, a1..a4
    # even means a4 = H/8 − 7.5 is an even integer: H = 16m + 60, i.e. H ≡ 12 (mod 16). The
    # smallest: H = 188 (a1..a5 = 184, 88, 40, 16, 4; the decoder then gives 8 -> 4 each
    # step); H = 172 would leave the bottleneck at 3 − 4 < 1.
    arch = cnncalc.load("unet")
    answer = axis_sizes(arch, 0)
    for h in range(150, 260):
        assert answer.works(h) == (h % 16 == 12 and h >= 188), h
    with pytest.raises(ShapeError, match="margin 185 − 8 = 177 is odd"):
        cnncalc.analyze(arch, input="1x189x188")


def test_unet_verifies_and_its_field_is_measured():
    result = verify(cnncalc.load("unet"), input=(1, 188, 188))
    assert result.ok
    measured = measure_rf(result)
    assert measured.ok
    # every unit of the 4x4 output sees the whole 188-pixel input and more: the field is
    # measured through the crops and concatenations
    assert measured.size == (188, 188)


def test_flat_unet_is_shorter_than_the_nested_one_and_the_same_network():
    def lines(name: str) -> int:
        text = (TESTS / "rf" / name).read_text()
        return sum(1 for line in text.splitlines() if line.strip() and not line.startswith("#"))

    assert lines("unet-flat.yaml") < lines("unet.yaml")
    nested, flat = (cnncalc.analyze(str(TESTS / "rf" / n)) for n in ("unet.yaml", "unet-flat.yaml"))
    assert [(r.type, r.output, r.params, r.macs) for r in flat.rows] == [
        (r.type, r.output, r.params, r.macs) for r in nested.rows
    ]
    assert flat.rf == nested.rf
    assert "dense" not in (TESTS / "rf" / "unet-flat.yaml").read_text()


# ---------------------------------------------------------------- inception_v3, googlenet-aux

AUX_V3 = (  # InceptionAux on 768x17x17: 5x5/3 avg pool -> 5x5; conv0 1x1 768->128 (+bn),
    # conv1 5x5 128->768 (+bn) -> 1x1, fc 768->1000
    768 * 128 + 2 * 128 + 25 * 128 * 768 + 2 * 768 + 768 * 1000 + 1000
)


def test_inception_v3_matches_torchvision():
    # torchvision's docs: 27,161,264 params (aux_logits=True), 5.71 GFLOPS (MACs) at 299x299
    report = cnncalc.analyze("inception_v3")
    assert AUX_V3 == 3_326_696
    assert report.totals.params == 27_161_264
    assert sum(r.params for r in report.rows if not r.train_only) == 23_834_568
    assert sum(r.params for r in report.rows if r.train_only) == AUX_V3
    assert round(report.totals.macs / 1e9, 2) == 5.71
    assert report.outputs == (("fc", (1000,), False), ("AuxLogits", (1000,), True))
    # training adds the head: 128·5²·768 (conv0) + 768·(25·128) (conv1) + 768·1000 (fc)
    train = cnncalc.analyze("inception_v3", mode="train")
    assert train.totals.macs - report.totals.macs == 2 * 2_457_600 + 768_000
    assert train.totals.params == report.totals.params


def test_inception_v3_main_path_verifies_at_a_reduced_size():
    # The aux head needs Mixed_6e at 17x17 (its 5x5 conv after a 5x5/3 pool), which only
    # sizes near 299 give; the main path is verified at torchvision's min_size 75, the whole
    # network at 299 by benchmarks/bench_verify.py.
    arch = cnncalc.load("inception_v3")
    main = dataclasses.replace(
        arch, items=tuple(i for i in arch.items if i.name != "AuxLogits"), outputs=()
    )
    result = verify(main, input=(3, 75, 75))
    assert result.ok
    assert result.report.output == (1000,)
    assert measure_rf(result).ok  # through the branches that start `from: input`


def test_googlenet_aux_matches_torchvision():
    # InceptionAux (GoogLeNet): 4x4 adaptive pool, 1x1 conv C->128 (no bias) + bn, fc
    # 2048->1024, fc 1024->1000; on inception4a (512) and inception4d (528)
    def aux(c: int) -> int:
        return c * 128 + 2 * 128 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000

    plain, with_aux = cnncalc.analyze("googlenet"), cnncalc.analyze("googlenet-aux")
    assert plain.totals.params == 6_624_904  # the default stays aux-free
    assert with_aux.totals.params == 6_624_904 + aux(512) + aux(528) == 13_004_888
    assert with_aux.totals.macs == plain.totals.macs  # eval: the heads do not run
    train = cnncalc.analyze("googlenet-aux", mode="train")
    heads = sum(128 * 16 * c + 2048 * 1024 + 1024 * 1000 for c in (512, 528))
    assert train.totals.macs - plain.totals.macs == heads == 8_372_224
    assert [o[0] for o in with_aux.outputs] == ["fc", "aux2", "aux1"]


def test_googlenet_aux_verifies_and_its_field_is_measured():
    result = verify(cnncalc.load("googlenet-aux"), input=(3, 64, 64))
    assert result.ok
    measured = measure_rf(result)  # the default target skips the train_only heads
    assert measured.ok
    assert measured.size == (379, 379)  # googlenet's field (docs/composites.md)


# ---------------------------------------------------------------- YOLOv3


def yolov3_convs() -> list[tuple[int, int, int, int, bool]]:
    """(kernel, C_in, C_out, output size, batch norm) of every [convolutional] of Darknet's
    yolov3.cfg at 416x416, read off the cfg: conv 3x3 to 32; five stages, each a stride-2 3x3
    conv and n residual units (1x1 to half, 3x3 back); then per head five 1x1/3x3 convs
    (the neck), a 3x3 conv, and a 1x1 conv to 255 with bias; heads 2 and 3 start with a 1x1
    lateral conv on the previous neck, upsampled 2x and routed with stage 4 (512) or 3 (256)."""
    convs = [(3, 3, 32, 416, True)]
    c, size = 32, 416
    for out, n in ((64, 1), (128, 2), (256, 8), (512, 8), (1024, 4)):
        size //= 2
        convs.append((3, c, out, size, True))
        convs += [(1, out, out // 2, size, True), (3, out // 2, out, size, True)] * n
        c = out
    for width, cin, size in ((512, 1024, 13), (256, 256 + 512, 26), (128, 128 + 256, 52)):
        if width != 512:  # the lateral 1x1 conv on the previous neck (2·width channels)
            convs.append((1, 2 * width, width, size // 2, True))
        convs += [(1, cin, width, size, True), (3, width, 2 * width, size, True),
                  (1, 2 * width, width, size, True), (3, width, 2 * width, size, True),
                  (1, 2 * width, width, size, True), (3, width, 2 * width, size, True),
                  (1, 2 * width, 255, size, False)]
    return convs


def test_yolov3_matches_darknet():
    convs = yolov3_convs()
    assert len(convs) == 75  # Darknet's yolov3.cfg has 75 [convolutional] sections
    params = sum(k * k * ci * co + (2 * co if bn else co) for k, ci, co, _, bn in convs)
    macs = sum(k * k * ci * co * s * s for k, ci, co, s, _ in convs)
    assert params == 61_949_149  # the figure PyTorch ports of yolov3.cfg print
    assert round(2 * macs / 1e9, 3) == 65.864  # Darknet: "Total BFLOPS 65.864"
    report = cnncalc.analyze("yolov3")
    assert report.totals.params == params
    assert report.totals.macs == macs
    assert [(p, s) for p, s, _ in report.outputs] == [
        ("yolo1", (255, 13, 13)), ("yolo2", (255, 26, 26)), ("yolo3", (255, 52, 52))
    ]
    routes = {r.path: r.output for r in report.rows if r.type == "concat"}
    assert routes == {"route2": (768, 26, 26), "route3": (384, 52, 52)}


def test_yolov3_verifies_at_a_reduced_size():
    # 32, the smallest size: stage5 is 1x1, made by a padded 3x3/2 conv that covers the 2x2
    # map of stage4 (local, not global: tests/rf/small-map.yaml), and upsampled by both routes
    result = verify(cnncalc.load("yolov3"), input=(3, 32, 32))
    assert result.ok
    assert [s for _, s, _ in result.report.outputs] == [(255, 1, 1), (255, 2, 2), (255, 4, 4)]
    measured = measure_rf(result, "yolo3")  # the 4x4 map of yolo3, through both routes
    assert measured.ok and not measured.glob and not measured.predicted_glob


# ---------------------------------------------------------------- the graph features

GRAPH = """\
name: graph
input: [3, 16, 16]
blocks:
  twice:
    args: {skip: required}
    layers:
      - {conv: {out: C_block, kernel: 3, padding: 1}, name: a}
      - {conv: {out: C_in, kernel: 3, padding: 1}, from: input, name: b}
      - {add: [a, b], name: add}
      - {concat: [add, skip], name: cat}
layers:
  - {conv: {out: 4, kernel: 3, padding: 1}, name: stem}
  - {use: twice, skip: stem, name: block}
  - {conv: {out: C_0, kernel: H_0 // 8, stride: W_0 // 8}, name: head}
  - {conv: {out: 5, kernel: 1}, from: block.add, train_only: true, name: aux}
outputs: [head, aux]
"""


def test_references_merges_and_shape_names():
    report = cnncalc.analyze(load_text(GRAPH, "graph.yaml"))
    out = {r.path: (r.input, r.output) for r in report.rows}
    # block.a: C_block = 4 (the map at the use); block.b reads the use's input (`input`)
    assert out["block.a"] == ((4, 16, 16), (4, 16, 16))
    assert out["block.b"] == ((4, 16, 16), (4, 16, 16))
    assert out["block.add"][1] == (4, 16, 16)
    assert out["block.cat"][1] == (8, 16, 16)  # add (4) + stem (4), passed as `skip: stem`
    assert out["head"] == ((8, 16, 16), (3, 8, 8))  # C_0 = 3, kernel H_0 // 8 = 2, stride 2
    assert out["aux"] == ((4, 16, 16), (5, 16, 16))
    add = next(r for r in report.rows if r.path == "block.add")
    assert add.extra_flops == 4 * 16 * 16 and add.extra_kind == "merge"  # 1 addition per element
    # the aux conv: 4·5 + 5 = 25 params always; its 5·16²·4 = 5,120 MACs only in training
    aux = next(r for r in report.rows if r.path == "aux")
    assert (aux.params, aux.macs, aux.elements) == (25, 0, 0)
    train = cnncalc.analyze(load_text(GRAPH, "graph.yaml"), mode="train")
    assert next(r for r in train.rows if r.path == "aux").macs == 5_120
    assert train.totals.macs - report.totals.macs == 5_120
    # the field of `head` (the main output), not of the aux conv walked last (5): the stem's 3,
    # + 2 for block.a (and block.b): 5; the concat with the stem keeps the union, 5; the 2x2
    # conv adds 1: 6
    assert report.rf[0].size == 6
    assert verify(load_text(GRAPH, "graph.yaml")).ok


def test_outputs_in_text_and_json():
    path = TESTS / "rf" / "unet-flat.yaml"
    assert "Output: 2x40x40" in runner.invoke(app, ["shapes", str(path)]).stdout
    result = runner.invoke(app, ["shapes", "inception_v3", "-f", "json"])
    data = json.loads(result.stdout)
    assert data["outputs"] == [
        {"path": "fc", "shape": [1000], "train_only": False},
        {"path": "AuxLogits", "shape": [1000], "train_only": True},
    ]
    assert data["mode"] == "eval"
    text = runner.invoke(app, ["shapes", "inception_v3"]).stdout
    assert "Output fc: 1000\nOutput AuxLogits: 1000 (train only)\n" in text
    flops = runner.invoke(app, ["flops", "googlenet-aux", "--mode", "train"]).stdout
    assert "train mode" in flops and "1,506,748,416" in flops  # 1,498,376,192 + 8,372,224


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        # an eval layer reading a train_only node without `from:`
        ("  - {conv: {out: 4, kernel: 1}, train_only: true}\n  - relu\n",
         "its input comes from a train_only node"),
        # two nodes whose names end alike: the reference must say which
        ("  - {seq: [{relu, name: x}], name: a}\n  - {seq: [{relu, name: x}], name: b}\n"
         "  - {relu, from: x}\n", "'x' could be any of a.x, b.x"),
        ("  - {concat: [input], name: c}\n", "concat names at least two earlier nodes"),
        ("  - {relu, from: 'a b'}\n", "'from' names an earlier node"),
        ("  - {add: [input, input], from: input}\n", "`from:` does not apply"),
    ],
)
def test_graph_mistakes(layers, message):
    text = "input: [3, 8, 8]\nlayers:\n" + layers
    with pytest.raises(SpecError, match=message):
        cnncalc.analyze(load_text(text, "g.yaml"))


def test_a_later_name_is_not_an_unknown_one():
    # the same misspelling-free name: refused as coming later, not as unknown
    text = "input: [3, 8, 8]\nlayers:\n  - {relu, from: b}\n  - {relu, name: b}\n"
    with pytest.raises(SpecError, match="'b' comes later"):
        cnncalc.analyze(load_text(text, "g.yaml"))
