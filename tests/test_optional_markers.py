"""Every test file that needs torch or onnx is marked so: .ci/run's second pass selects the tests
with `-m "torch or onnx"`, so an unmarked one would be skipped in the plain pass (no torch) and
deselected in the second: never run anywhere in CI."""

import re
from pathlib import Path

# importorskip("torch"), importorskip("onnx.helper"), import torch, from onnx import helper
NEEDS = re.compile(
    r"""importorskip\(\s*["'](torch|onnx)[."']|^\s*(import|from)\s+(torch|onnx)\b""", re.M
)
MARK = re.compile(r"pytest\.mark\.(torch|onnx)\b")


def test_files_needing_torch_or_onnx_are_marked():
    here = Path(__file__).parent
    unmarked = [
        p.name
        for p in sorted(here.glob("test_*.py"))
        if p.name != Path(__file__).name
        and NEEDS.search(p.read_text(encoding="utf-8"))
        and not MARK.search(p.read_text(encoding="utf-8"))
    ]
    assert unmarked == [], f"mark these pytest.mark.torch or pytest.mark.onnx: {unmarked}"


def test_the_pattern_sees_what_it_must():
    assert NEEDS.search('torch = pytest.importorskip("torch")')
    assert NEEDS.search("onnx = pytest.importorskip('onnx.helper')")
    assert NEEDS.search("x = 1\nfrom onnx import helper\n")
    assert NEEDS.search("    import torch\n")
    assert not NEEDS.search('ops = pytest.importorskip("torchvision.ops")')
    assert not NEEDS.search("# torch.chunk: parts of 3")
