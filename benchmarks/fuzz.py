"""Fuzz the loader and the command line with N mutated zoo files (default 10,000): every run must
end with exit 0 or with exit 2 and one error line, within 2 s. Prints the counts, the slowest run,
and writes each failing input to fuzz-failures/ for the regression corpus (tests/fuzz_corpus/).

    python benchmarks/fuzz.py [--runs 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnncalc import zoo  # noqa: E402
from tests.fuzzing import COMMANDS, acceptable, mutate, run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    names = zoo.names()
    texts = {n: zoo.zoo_path(n).read_text() for n in names}
    outcomes: Counter[str] = Counter()
    slowest = (0.0, "")
    failures = Path("fuzz-failures")
    bad = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            rng = random.Random(args.seed * 1_000_003 + i)
            name = names[i % len(names)]
            text = mutate(texts[name], rng)
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(text, encoding="utf-8", errors="surrogateescape")
            command = COMMANDS[i % len(COMMANDS)]
            code, stderr, seconds, exception = run(path, command)
            problem = acceptable(code, stderr, exception)
            if seconds > 2.0:
                problem = problem or f"took {seconds:.2f} s"
            outcomes["exit 0" if code == 0 else "exit 2" if not problem else "FAILED"] += 1
            if seconds > slowest[0]:
                slowest = (seconds, f"run {i} ({name}, {' '.join(command)})")
            if problem:
                bad += 1
                failures.mkdir(exist_ok=True)
                (failures / f"{i:05d}-{name}.yaml").write_text(
                    f"# {problem}\n# {' '.join(command)}\n{text}", encoding="utf-8",
                    errors="surrogateescape",
                )
                print(f"run {i}: {problem}", file=sys.stderr)
    total = time.perf_counter() - start
    print(f"{args.runs:,} fuzzed runs in {total:.1f} s: " + ", ".join(
        f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    print(f"slowest run: {slowest[0]:.3f} s ({slowest[1]})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
