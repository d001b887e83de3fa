"""The symbolic engine on the deepest zoo model: `cnncalc params resnet152 --input 3xHxW`,
wall time of the whole command (target: under 2 s), next to the numeric run.

    python benchmarks/bench_symbolic.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def median_wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    exe = shutil.which("cnncalc")
    cli = [exe] if exe else [sys.executable, "-m", "cnncalc"]
    for label, extra in (("numeric  3x224x224", []), ("symbolic 3xHxW    ", ["--input", "3xHxW"])):
        for fmt in ("table", "json"):
            t = median_wall([*cli, "params", "resnet152", *extra, "--format", fmt], args.runs)
            print(f"params resnet152 {label} --format {fmt:<5}  median {t * 1000:7.1f} ms")
    t = median_wall([*cli, "sizes", "resnet50", "--near", "500"], args.runs)
    print(f"sizes resnet50 --near 500                       median {t * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
