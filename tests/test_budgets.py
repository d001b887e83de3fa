"""Budgets on time and memory: legal but large inputs finish quickly, runaway ones are refused
quickly with a message that says which limit and what to set."""

from __future__ import annotations

import time

import sympy

import cnncalc

H = sympy.Symbol("H", integer=True, positive=True)
W = sympy.Symbol("W", integer=True, positive=True)


def _write(tmp_path, text: str, name: str = "net.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _same_chain(n: int) -> str:
    layers = "\n".join("  - conv: {out: 8, kernel: 3, stride: 2, padding: same}" for _ in range(n))
    return f"input: [C, H, W]\nlayers:\n{layers}\n"


# kernels below, at and above the stride, dilation, and a pool: the Max in the padding is needed
# only when d(k−1)+1 < s
MIXED_SAME = """input: [3, H, W]
layers:
  - conv: {out: 4, kernel: 3, stride: 2, padding: same}
  - conv: {out: 4, kernel: 1, stride: 2, padding: same}
  - conv: {out: 4, kernel: 2, stride: 3, padding: same}
  - maxpool: {kernel: 3, stride: 2, padding: same}
  - conv: {out: 4, kernel: 3, stride: 1, padding: same, dilation: 2}
  - conv: {out: 4, kernel: [5, 2], stride: [3, 2], padding: same}
  - avgpool: {kernel: 2, stride: 2, padding: same}
"""


def _value(v, h, w):
    return v if not isinstance(v, sympy.Basic) else sympy.sympify(v).subs({H: h, W: w})


def test_same_padding_symbolic_equals_numeric_at_every_size(tmp_path):
    path = _write(tmp_path, MIXED_SAME)
    symbolic = cnncalc.analyze(path)
    assert symbolic.symbols == ("H", "W")
    for h, w in [(h, h + 3) for h in range(1, 40)]:
        numeric = cnncalc.analyze(path, set={"H": h, "W": w})
        for srow, nrow in zip(symbolic.rows, numeric.rows, strict=True):
            got = tuple(_value(d, h, w) for d in srow.output)
            assert got == nrow.output, (h, w, srow.path)
            for sax, nax in zip(srow.rf, nrow.rf, strict=True):
                if nax.glob and not sax.glob:
                    # a window that reads the whole map at this size (kernel 2 on a 2x2 map) makes
                    # the units global; only numbers can tell (docs/conventions.md)
                    continue
                got_rf = tuple(_value(getattr(sax, f), h, w) for f in ("size", "jump", "start"))
                assert got_rf == (nax.size, nax.jump, nax.start), (h, w, srow.path)
        assert _value(symbolic.totals.macs, h, w) == numeric.totals.macs


def test_strided_same_chain_folds_to_one_ceiling(tmp_path):
    start = time.perf_counter()
    report = cnncalc.analyze(_write(tmp_path, _same_chain(12)))
    assert time.perf_counter() - start < 3  # was 2^n: five layers took 29 s, eight never ended
    # ⌈H/4096⌉, written ⌊(H − 1)/4096⌋ + 1 (the form every other window takes)
    assert report.output[1] == sympy.floor((H - 1) / 4096) + 1


def test_symbolic_size_past_the_bound_is_refused(tmp_path, monkeypatch):
    from cnncalc import engine
    from cnncalc.errors import LimitError

    monkeypatch.setattr(engine, "MAX_SYMBOLIC_NODES", 5)
    path = _write(tmp_path, _same_chain(3))
    try:
        cnncalc.analyze(path)
    except LimitError as exc:
        assert "grown past 5 terms" in str(exc) and "--set H=224" in str(exc)
        assert exc.path == "0"
    else:
        raise AssertionError("not refused")


def _block_tree(depth: int, leaf: str = "repeat: 0\n        layers: [relu]") -> str:
    lines = ["input: [3, 8, 8]", "blocks:"]
    for i in range(depth):
        lines.append(f"  b{i}:\n    layers:\n      - use: b{i + 1}\n      - use: b{i + 1}")
    lines.append(f"  b{depth}:\n    layers:\n      - {leaf}")
    lines.append("layers:\n  - use: b0")
    return "\n".join(lines) + "\n"


def _cli(*args: str):
    from typer.testing import CliRunner

    from cnncalc.cli import app

    return CliRunner().invoke(app, list(args))


def test_tree_of_empty_uses_is_refused_before_walking(tmp_path):
    # 2^40 uses that add no row: no layer limit fires, but walking them would take hours
    path = _write(tmp_path, _block_tree(40))
    start = time.perf_counter()
    result = _cli("summary", path)
    assert time.perf_counter() - start < 1
    assert result.exit_code == 2
    assert "steps (blocks, uses and repeats walked" in result.output
    assert "set CNNCALC_MAX_LAYERS" in result.output


def test_tree_of_uses_within_the_budget_is_walked(tmp_path):
    report = cnncalc.analyze(_write(tmp_path, _block_tree(10, "relu")))
    assert len(report.rows) == 2**10


def _run_limited(*args: str, memory: int = 1 << 30, timeout: float = 5, env=None):
    """The command line in a child process under an address-space limit and a wall-clock limit."""
    import os
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cnncalc", *args], capture_output=True, text=True,
        timeout=timeout, preexec_fn=limit, env={**os.environ, **(env or {})},
    )
    return done, time.perf_counter() - start


def _one_line_error(done, fragment: str) -> None:
    assert done.returncode == 2, done.stderr[-500:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnncalc: error: "), done.stderr[-500:]
    assert fragment in lines[0], lines[0]


HEAD = "input: [3, 8, 8]\nlayers: [relu]\n"


def test_a_million_notes_are_refused_before_composing(tmp_path):
    # 1.98 MB, under the size limit: composed in 35 s and accepted before
    path = _write(tmp_path, HEAD + "notes: [" + ",".join(["1"] * 990_000) + "]\n")
    start = time.perf_counter()
    result = _cli("summary", path)
    assert time.perf_counter() - start < 1.5
    assert result.exit_code == 2
    assert "net.yaml:3: the file holds more than 200,000 YAML values" in result.output


def test_the_size_limit_counts_bytes_not_characters(tmp_path):
    path = _write(tmp_path, HEAD + 'title: "' + "€" * 700_000 + '"\n')  # 0.7 M chars, 2.1 MB
    result = _cli("summary", path)
    assert result.exit_code == 2
    assert "larger than 2,000,000 bytes (2,100,042 bytes)" in result.output


def test_a_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as f:  # sparse: 1.2 GB on paper, nothing on disk
        f.write(HEAD.encode())
        f.truncate(1_200_000_000)
    done, seconds = _run_limited("summary", str(path), memory=512 << 20)
    _one_line_error(done, "the file is larger than 2,000,000 bytes (1,200,000,000 bytes)")
    assert seconds < 5


def test_brackets_in_quoted_strings_and_comments_do_not_nest(tmp_path):
    text = (
        HEAD + 'title: "' + "[" * 3000 + "\"\ndescription: '{{{{" + "{" * 3000
        + "'\n# " + "[" * 3000 + "\n"
    )
    result = _cli("summary", _write(tmp_path, text))
    assert result.exit_code == 0, result.output


def test_a_bad_byte_is_reported_with_its_line_and_offset(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(HEAD.encode() + b"title: caf\xe9\n")
    result = _cli("summary", str(path))
    assert result.exit_code == 2
    assert "latin1.yaml:3: the file is not UTF-8 text: byte 0xe9 at byte offset 42" in result.output
    assert "(line 3, column 11)" in result.output


def test_sizes_refuses_a_period_too_long_to_scan(tmp_path):
    # 20 stride-2 1x1 convs repeat every 2^20: scanning five periods took hours
    text = "input: [3, 64, 64]\nlayers:\n" + "  - conv: {out: 4, kernel: 1, stride: 2}\n" * 20
    start = time.perf_counter()
    result = _cli("sizes", _write(tmp_path, text))
    assert time.perf_counter() - start < 1
    assert result.exit_code == 2
    assert "repeat only every 1,048,576 pixels" in result.output
    assert "set CNNCALC_MAX_SIZES_WORK" in result.output


def test_sizes_near_a_huge_size_uses_the_period(tmp_path):
    # kernel 2, stride 2, no padding, three times: every size from 8 works; a pixel is kept
    # only when each map is even, i.e. the size is a multiple of 8 (hand-derived)
    text = "input: [3, 64, 64]\nlayers:\n" + "  - conv: {out: 4, kernel: 2, stride: 2}\n" * 3
    # --near is a size, held to CNNCALC_MAX_VALUE: raise it, as a user with huge maps would
    done, seconds = _run_limited("sizes", _write(tmp_path, text), "--near", "100000000",
                                 env={"CNNCALC_MAX_VALUE": "1000000000"})
    assert done.returncode == 0, done.stderr
    assert seconds < 5
    assert (
        "near 100000000: works 99999998, 99999999, 100000000, 100000001, 100000002; "
        "keeps every pixel 99999984, 99999992, 100000000, 100000008, 100000016"
    ) in done.stdout
    assert (
        "keeps every pixel (no layer drops a real pixel): sizes ≡ 0 (mod 8) from 8" in done.stdout
    )


def test_sizes_of_a_flat_input_is_one_line(tmp_path):
    result = _cli("sizes", _write(tmp_path, "input: [100]\nlayers:\n  - linear: {out: 4}\n"))
    assert result.exit_code == 2
    assert "net.yaml:1 input: sizes needs a feature-map input C x H x W" in result.output


def test_compare_ratio_without_a_series_shows_no_limit(monkeypatch):
    from cnncalc.compare import ratio

    # the shape `same` padding gave before it was folded: sympy's limit() raised
    # NotImplementedError (Max has no series); the ratio is still shown, without a limit
    # (the real case takes sympy five seconds to give up on; the stand-in fails at once)
    def no_series(*args):
        raise NotImplementedError("The _eval_nseries method should be added to Max")

    out = sympy.floor((H + sympy.Max(0, -H + 2 * sympy.floor((H + 1) / 2) + 1) - 3) / 2) + 1
    monkeypatch.setattr(sympy, "limit", no_series)
    found = ratio(576 * out**2, 576 * H**2)
    assert found is not None and found.limit is None and found.symbol == "H"
    assert found.value.subs(H, 10) == sympy.Rational(25, 100)


def test_compare_same_padding_symbolically(tmp_path):
    head = "input: [8, H, H]\nlayers:\n"
    same = "  - conv: {out: 8, kernel: 3, stride: 2, padding: same}\n"
    a = _write(tmp_path, head + same, "a.yaml")
    b = _write(tmp_path, head + "  - conv: {out: 8, kernel: 3, padding: 1}\n", "b.yaml")
    result = _cli("compare", a, b, "--format", "json")
    assert result.exit_code == 0, result.output
    # MACs 576·⌈H/2⌉² against 576·H²: the ratio tends to 1/4
    assert (
        '"value": "(floor((H - 1)/2)**2 + 2*floor((H - 1)/2) + 1)/H**2",\n          "limit": "1/4"'
    ) in result.output


# ------------------------------------------------------------------ big legal networks

ODD = """name: "odd [bold]x[/bold] :smile:"
title: "漢字 title [red]r[/red] :thumbs_up: a:b"
input: [3, H, W]
layers:
  - conv: {out: 8, kernel: 3, name: 漢字層, padding: [[1, 2], [0, 1]]}
  - conv: {out: 8, kernel: 3, stride: 2, padding: same}
  - residual:
      - conv: {out: 8, kernel: 3, padding: 1}
  - relu
"""


def _table_text(report, view, depth=None):
    import io

    from rich.console import Console

    from cnncalc import render

    console = Console(
        file=io.StringIO(), width=10_000, no_color=True, highlight=False, soft_wrap=True
    )
    return render.report_table(report, view, console, depth)


def test_plain_tables_are_what_rich_writes(tmp_path, monkeypatch):
    # the table is written directly on a plain console (rich took a millisecond a row); it must
    # be rich's text character for character: wide characters, markup and emoji in names
    from cnncalc import render
    from cnncalc.render import columns

    reports = [cnncalc.analyze("googlenet")]
    reports += [cnncalc.analyze(_write(tmp_path, ODD)), cnncalc.analyze("resnet18", input="3xHxW")]
    cases = [(r, v, d) for r in reports for v in render.VIEWS for d in (None, 1)]
    fast = [_table_text(*case) for case in cases]
    monkeypatch.setattr(columns, "plain_table", lambda *args: None)
    for case, text in zip(cases, fast, strict=True):
        assert text == _table_text(*case), case[:2]


def test_json_is_what_json_dumps_writes(tmp_path):
    import json

    from cnncalc import render

    reports = [cnncalc.analyze(n) for n in ("vgg16", "resnet18", "googlenet", "fcn8s", "fast_rcnn")]
    reports += [cnncalc.analyze(_write(tmp_path, ODD)), cnncalc.analyze("resnet18", input="3xHxW")]
    for report in reports:
        for depth in (None, 1):
            expected = json.dumps(render.report_json(report, depth), indent=2, ensure_ascii=False)
            assert render.to_json(report, depth) == expected, report.name


def test_ten_thousand_layers_summary_is_quick(tmp_path):
    text = (
        "input: [8, 8, 8]\nlayers:\n  - repeat: 5000\n    layers:\n"
        "      - conv: {out: 8, kernel: 3, padding: 1}\n      - relu\n"
    )
    path = _write(tmp_path, text)
    for fmt in ("table", "json"):
        start = time.perf_counter()
        result = _cli("summary", path, "--format", fmt)
        assert result.exit_code == 0
        assert time.perf_counter() - start < 4, fmt  # the table took 20 s; ~0.5 s on an idle core
    assert '"params": 2920000,' in result.output  # 5,000 x (8·8·9 + 8)


def test_sizes_refuses_a_search_for_the_smallest_size_past_the_budget(tmp_path):
    # 1,000 valid 3x3 convs need 2,001 pixels: trying 1, 2, ... took a minute
    text = (
        "input: [3, 2001, 2001]\nlayers:\n"
        "  - repeat: 1000\n    layers:\n      - conv: {out: 3, kernel: 3}\n"
    )
    start = time.perf_counter()
    result = _cli("sizes", _write(tmp_path, text))
    assert time.perf_counter() - start < 2
    assert result.exit_code == 2
    assert "no height up to 200 works, and trying each larger one on 1,000 layers" in result.output


def test_same_then_a_residual_keeps_the_identity_shortcut_symbolically(tmp_path):
    """Found by the symbolic == numeric property: ⌈H/2⌉ written ⌊(H + 1)/2⌋ and the next 1x1
    conv's ⌊(H − 1)/2⌋ + 1 are equal but not the same expression, so `auto` chose a projection
    that the numeric run does not have."""
    text = (
        "input: [1, 6, 6]\nlayers:\n"
        "  - conv: {out: 1, kernel: 1, stride: 2, padding: same, dilation: 2}\n"
        "  - residual:\n      body:\n        - conv: {out: 1, kernel: 1}\n      shortcut: auto\n"
    )
    path = _write(tmp_path, text)
    numeric = cnncalc.analyze(path)
    symbolic = cnncalc.analyze(path, input="1xHxW")
    assert [r.path for r in symbolic.rows] == [r.path for r in numeric.rows] == ["0", "1", "1.add"]
