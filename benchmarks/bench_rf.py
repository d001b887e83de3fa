"""`cnncalc verify --rf` on the networks of issue 12's acceptance list and the issue 13 zoo
models added here, at full size: each must pass verify (every shape and parameter count), measure
(not refuse) and agree with the prediction on every checked unit (size, jump and start on both
axes); prints the center unit's field and the time the measurement itself took.

    python benchmarks/bench_rf.py

Too slow for the suite (FCN and SegNet run 500x500 and 360x480 inputs); the suite runs the same
code on small fixtures (tests/test_rf_measure.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

CASES = [
    ("fcn32s", None), ("fcn8s", None), ("segnet", None), ("vgg11", (3, 256, 256)),
    ("googlenet", None), ("resnet50", None), ("resnet50-v1", None), ("alexnet", None),
    ("vgg16", None), ("tests/rf/unet.yaml", None), ("tests/rf/image-pooling.yaml", None),
    ("shufflenet_v2_x1_0", None), ("convnext_tiny", None),  # full size; tests verify at 64x64
]


def main() -> None:
    from cnncalc import load
    from cnncalc.verify import measure_rf, verify

    root = Path(__file__).resolve().parent.parent
    failures = 0
    for name, shape in CASES:
        arch = load(str(root / name) if name.endswith(".yaml") else name)
        start = time.perf_counter()
        result = verify(arch, shape)
        ran = time.perf_counter()
        m = measure_rf(result)
        took = time.perf_counter() - ran
        failures += not (m.ok and result.ok)
        print(
            f"{name:28} {m.path:22} size {m.size} jump {m.jump} center {m.center} "
            f"global {m.glob} exact {not m.inexact} {'ok' if m.ok else 'DIFFERS'}"
            f"{'' if result.ok else ' VERIFY FAILS'}  "
            f"verify {ran - start:5.2f} s, measure {took:5.2f} s"
        )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
