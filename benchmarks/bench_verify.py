"""`cnncalc verify` at full size: wall time for vgg16 and resnet50 at 224x224 (target for vgg16:
under 10 s), and every zoo model at its default input (the suite runs them at reduced sizes).

    python benchmarks/bench_verify.py [--all]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time


def run(cli: list[str], args: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run([*cli, "verify", *args], capture_output=True, text=True)
    lines = done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or [""]
    return time.perf_counter() - start, done.returncode, lines[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--all", action="store_true", help="every zoo model, not just the two")
    args = parser.parse_args()
    exe = shutil.which("cnncalc")
    cli = [exe] if exe else [sys.executable, "-m", "cnncalc"]
    cases = [["vgg16"], ["resnet50"], ["vgg16", "--rf"], ["resnet50", "--rf"]]
    if args.all:
        from cnncalc import zoo

        for name in zoo.names():
            arch = zoo.load(name)
            if set(arch.symbols) <= set(arch.defaults):  # numeric as it stands
                cases.append([name])
            else:
                cases.append([name, "--set", "C=64,H=56,W=56"])
    failures = 0
    for case in cases:
        seconds, code, last = run(cli, case)
        failures += code != 0
        print(f"verify {' '.join(case):<32} {seconds:6.2f} s  exit {code}  {last}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
