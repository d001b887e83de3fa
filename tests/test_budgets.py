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
    for h, w in [(h, h + 3) for h in range(1, 70)]:
        numeric = cnncalc.analyze(path, set={"H": h, "W": w})
        for srow, nrow in zip(symbolic.rows, numeric.rows, strict=True):
            got = tuple(_value(d, h, w) for d in srow.output)
            assert got == nrow.output, (h, w, srow.path)
            for sax, nax in zip(srow.rf, nrow.rf, strict=True):
                got_rf = tuple(_value(getattr(sax, f), h, w) for f in ("size", "jump", "start"))
                assert got_rf == (nax.size, nax.jump, nax.start), (h, w, srow.path)
        assert _value(symbolic.totals.macs, h, w) == numeric.totals.macs


def test_strided_same_chain_folds_to_one_ceiling(tmp_path):
    start = time.perf_counter()
    report = cnncalc.analyze(_write(tmp_path, _same_chain(12)))
    assert time.perf_counter() - start < 3  # was 2^n: five layers took 29 s, eight never ended
    # ⌈H/4096⌉, written ⌊(H + 4095)/4096⌋
    assert report.output[1] == sympy.floor((H + 4095) / 4096)


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
