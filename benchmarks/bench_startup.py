"""Cold start of `cnncalc params vgg16` against the bare imports it cannot avoid, and the engine's
cost on generated specs of 10,000 and 20,000 layers (it must grow linearly).

    python benchmarks/bench_startup.py [--runs 15]
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
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def generated_spec(layers: int) -> str:
    """A chain of `layers` leaf layers: conv/bn/relu triples on a small map, then a classifier."""
    triples = (layers - 3) // 3
    lines = ["name: generated", "input: [16, 32, 32]", "layers:", f"  - repeat: {triples}",
             "    layers: [{conv: {out: 16, kernel: 3, padding: 1}}, bn, relu]"]
    lines += ["  - global_avgpool", "  - flatten", "  - linear: 10"]
    return "\n".join(lines) + "\n"


def engine_time(layers: int, runs: int) -> tuple[float, int]:
    import cnncalc
    from cnncalc.loader import load_text

    arch = load_text(generated_spec(layers), "generated.yaml")
    times, rows = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        report = cnncalc.analyze(arch)
        times.append(time.perf_counter() - start)
        rows = len(report.rows)
    return statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("cnncalc")
    cli = [exe] if exe else [sys.executable, "-m", "cnncalc"]
    bare = median_wall([sys.executable, "-c", "import typer, rich, yaml"], args.runs)
    ours = median_wall([*cli, "params", "vgg16"], args.runs)
    print(f"import typer, rich, yaml     median {bare * 1000:7.1f} ms over {args.runs} runs")
    print(f"cnncalc params vgg16          median {ours * 1000:7.1f} ms over {args.runs} runs")
    print(f"ratio                         {ours / bare:.2f}x  (target: at most 2.0x, issue 11)")
    small, n_small = engine_time(10_000, 5)
    large, n_large = engine_time(20_000, 5)
    print(f"engine, {n_small:,} layers          median {small * 1000:7.1f} ms  (target: under 1 s)")
    print(f"engine, {n_large:,} layers          median {large * 1000:7.1f} ms")
    print(f"ratio 20k/10k                 {large / small:.2f}  (linear growth: about 2)")


if __name__ == "__main__":
    main()
