"""Throughput of cnncalc.reference.conv2d against torch.nn.functional.conv2d (float32, CPU).

    python benchmarks/bench_conv.py [--repeat 15]

FLOPs = 2·MACs, MACs = Cout·Ho·Wo·Cin·kh·kw (groups 1). Prints the median time, GFLOP/s, the
BLAS numpy runs on (threadpoolctl if installed, else numpy.show_config), and torch's figures in
the same run when torch is importable. The OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE variables, when
set, change OpenBLAS's kernel choice: compare with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cnncalc.reference import conv2d  # noqa: E402

# name, input (N, C, H, W), weight (Cout, Cin, kh, kw), padding
CASES = [
    ("VGG-16 conv3_1  3x3 128->256 @56", (1, 128, 56, 56), (256, 128, 3, 3), 1),
    ("ResNet 1x1      256->64 @56", (1, 256, 56, 56), (64, 256, 1, 1), 0),
]


def median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: first-touch allocations, BLAS thread start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def blas_description() -> str:
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        np.show_config()
        return f"(threadpoolctl not installed; see numpy.show_config above) env {env}"
    pools = [
        f"{p['internal_api']} {p.get('version')} kernel={p.get('architecture')} "
        f"threads={p['num_threads']}"
        for p in threadpool_info()
        if p["user_api"] == "blas"
    ]
    return "; ".join(pools) + f"  env {env or 'OPENBLAS_* unset'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        torch = None
    print(f"numpy {np.__version__} BLAS: {blas_description()}")
    if torch is not None:
        print(f"torch {torch.__version__} threads={torch.get_num_threads()}")
    rng = np.random.default_rng(0)
    for name, xs, ws, pad in CASES:
        x = rng.standard_normal(xs, dtype=np.float32)
        w = rng.standard_normal(ws, dtype=np.float32)
        y = conv2d(x, w, padding=pad)
        macs = ws[0] * y.shape[2] * y.shape[3] * ws[1] * ws[2] * ws[3]
        t_np = median_time(lambda x=x, w=w, pad=pad: conv2d(x, w, padding=pad), args.repeat)
        line = f"{name}: numpy {t_np * 1e3:7.2f} ms {2 * macs / t_np / 1e9:6.1f} GFLOP/s"
        if torch is not None:
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            with torch.no_grad():
                err = np.abs(F.conv2d(tx, tw, padding=pad).numpy() - y).max()
                t_t = median_time(
                    lambda tx=tx, tw=tw, pad=pad: F.conv2d(tx, tw, padding=pad), args.repeat
                )
            line += (
                f" | torch {t_t * 1e3:7.2f} ms {2 * macs / t_t / 1e9:6.1f} GFLOP/s"
                f" | numpy/torch throughput {t_t / t_np:.2f} | max |diff| {err:.1e}"
            )
        print(line)


if __name__ == "__main__":
    main()
