"""Budgets on big legal inputs and on the hostile ones cnncalc refuses, each a separate process
measured for wall time, CPU time and peak memory (ru_maxrss of the child), with its budget:

- `summary` of 200,000 layers (the default CNNCALC_MAX_LAYERS), as a table and as JSON, and of
  199,999 ReLUs as JSON: at most 10 s and 1 GiB each;
- `shapes` of 100,000 convolutions: at most 10 s;
- the engine alone on 10,000 layers: at most 1 s;
- symbolic `padding: same`: five stride-2 convs on [C, H, W] at most 1 s, twenty at most 5 s;
- refused at once (under 1 s each): a 1.98 MB file of 990,000 notes, a 1.2 GB file, a tree of
  2^40 uses, `sizes` of 20 stride-2 layers.

    python benchmarks/bench_big.py [--quick]   # --quick: 20,000 layers instead of 200,000

Exit status 1 when a budget is exceeded. The figures depend on the machine: on a shared one,
compare CPU time (user + sys) with the budget as well as wall time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIB = 1 << 30


def run(args: list[str]) -> tuple[float, float, int, int, str]:
    """(wall s, cpu s, peak bytes, exit status, last stderr line) of `cnncalc ARGS`."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "cnncalc", *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    stderr = child.stderr.read() if child.stderr else ""
    _, status, usage = os.wait4(child.pid, 0)  # this child's own CPU time and peak memory
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    last = (stderr.strip().splitlines() or [""])[-1]
    return wall, cpu, usage.ru_maxrss * 1024, child.returncode, last


def chain(n: int) -> str:
    layers = "\n".join("  - conv: {out: 8, kernel: 3, stride: 2, padding: same}" for _ in range(n))
    return f"input: [C, H, W]\nlayers:\n{layers}\n"


def tree(depth: int) -> str:
    lines = ["input: [3, 8, 8]", "blocks:"]
    for i in range(depth):
        lines.append(f"  b{i}:\n    layers:\n      - use: b{i + 1}\n      - use: b{i + 1}")
    lines.append(f"  b{depth}:\n    layers:\n      - repeat: 0\n        layers: [relu]")
    return "\n".join(lines) + "\nlayers:\n  - use: b0\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    big = 20_000 if args.quick else 200_000
    folder = Path(tempfile.mkdtemp(prefix="cnncalc-bench-"))

    def file(name: str, text: str) -> str:
        path = folder / name
        path.write_text(text)
        return str(path)

    pairs = file("pairs.yaml", f"input: [8, 8, 8]\nlayers:\n  - repeat: {big // 2}\n    layers:\n"
                 "      - conv: {out: 8, kernel: 3, padding: 1}\n      - relu\n")
    convs = file("convs.yaml", f"input: [8, 8, 8]\nlayers:\n  - repeat: {big // 2}\n    layers:\n"
                 "      - conv: {out: 8, kernel: 3, padding: 1}\n")
    relus = file("relus.yaml", f"input: [8, 8, 8]\nlayers:\n  - repeat: {big - 1}\n"
                 "    layers: [relu]\n")
    notes = file("notes.yaml", "input: [3, 8, 8]\nlayers: [relu]\nnotes: ["
                 + ",".join(["1"] * 990_000) + "]\n")
    huge = folder / "huge.yaml"
    with open(huge, "wb") as f:
        f.write(b"input: [3, 8, 8]\nlayers: [relu]\n")
        f.truncate(1_200_000_000)  # sparse: takes no disk
    strided = file("strided.yaml", "input: [3, 64, 64]\nlayers:\n"
                   + "  - conv: {out: 4, kernel: 1, stride: 2}\n" * 20)

    cases = [  # (label, args, seconds, bytes, expected exit status)
        ("same x5 symbolic", ["summary", file("same5.yaml", chain(5))], 1, GIB, 0),
        ("same x20 symbolic", ["summary", file("same20.yaml", chain(20))], 5, GIB, 0),
        ("990,000 notes (refused)", ["summary", notes], 1, GIB, 2),
        ("1.2 GB file (refused)", ["summary", str(huge)], 1, GIB, 2),
        ("2^40 uses (refused)", ["summary", file("tree.yaml", tree(40))], 1, GIB, 2),
        ("sizes 20 x stride 2 (refused)", ["sizes", strided], 1, GIB, 2),
        (f"shapes {big // 2:,} convs", ["shapes", convs], 10, GIB, 0),
        (f"summary {big:,} layers table", ["summary", pairs], 10, GIB, 0),
        (f"summary {big:,} layers json", ["summary", pairs, "--format", "json"], 10, GIB, 0),
        (f"summary {big - 1:,} relus json", ["summary", relus, "--format", "json"], 10, GIB, 0),
    ]
    failed = 0
    for label, argv, seconds, limit, status in cases:
        wall, cpu, peak, code, last = run(argv)
        ok = code == status and min(wall, cpu) <= seconds and peak <= limit
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {label:<34} wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
              f"peak {peak / 2**20:7.1f} MiB  exit {code} "
              f"(budget {seconds} s, {limit // 2**20} MiB)")
        if code != status:
            print(f"     {last[:200]}")

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_startup import engine_time  # the 10,000-layer engine, in this process

    t, rows = engine_time(10_000, 5)
    ok = t <= 1
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} engine {rows:,} layers                 "
          f"median {t:6.2f} s  (budget 1 s)")
    os.remove(huge)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
