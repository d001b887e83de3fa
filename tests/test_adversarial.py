"""The adversarial suite: every case of tests/hostile.py runs in its own process under a time and
an address-space limit, and must end in a result (exit 0) or one clear message (exit 2).

The cases run two at a time in a module fixture (the machine has two cores); each test then checks
one case's outcome, so a failure names its case.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from .hostile import EITHER, ERROR, OK, Case, all_cases

CASES = all_cases()


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float  # the child's own CPU time (user + system)
    peak_rss: int  # bytes, from the child's own rusage


def _limits(memory: int, seconds: float):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(seconds) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    return apply


def run_case(case: Case) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, content in case.files:
            data = content.encode("utf-8") if isinstance(content, str) else content
            (root / name).write_bytes(data)
        if "fifo" in case.extra:
            os.mkfifo(root / case.extra["fifo"])
        argv = [a.replace("{dir}", folder) for a in case.argv]
        env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "OPENBLAS_NUM_THREADS": "1"}
        env.pop("FORCE_COLOR", None)
        if case.stdout == "devfull":
            stdout = open("/dev/full", "wb")  # noqa: SIM115
        elif case.stdout == "closed":
            stdout = None
        else:
            stdout = subprocess.PIPE
        command = [sys.executable, "-m", "cnncalc", *argv]
        if case.stdout == "closed":  # the child starts with file descriptor 1 closed
            command = [sys.executable, "-c",
                       "import os, runpy, sys; os.close(1); sys.argv = ['cnncalc', *sys.argv[1:]];"
                       " runpy.run_module('cnncalc', run_name='__main__')", *argv]
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout,
                                 stderr=subprocess.PIPE, env=env, cwd=folder,
                                 preexec_fn=_limits(case.memory, case.seconds))
        if stdout is not None and stdout is not subprocess.PIPE:
            stdout.close()  # the child holds its own copy of /dev/full
        if case.stdout == "head":  # read one line, then close the pipe as `| head -1` does
            child.stdout.readline()  # type: ignore[union-attr]
            child.stdout.close()  # type: ignore[union-attr]
        streams = {"out": child.stdout if case.stdout == "pipe" else None, "err": child.stderr}
        texts = {"out": b"", "err": b""}

        def drain(key: str) -> None:
            texts[key] = streams[key].read()  # type: ignore[union-attr]

        readers = [threading.Thread(target=drain, args=(k,)) for k in streams if streams[k]]
        for reader in readers:
            reader.start()
        # the wall-clock limit is only a backstop (RLIMIT_CPU ends a busy child first); the
        # budget is checked on the child's own CPU time, which another process's load on this
        # two-core machine does not stretch
        killer = threading.Timer(case.seconds * 3 + 5, child.kill)
        killer.start()
        _, status, usage = os.wait4(child.pid, 0)
        killer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        for reader in readers:
            reader.join()
        return Outcome(child.returncode, texts["out"].decode("utf-8", "replace"),
                       texts["err"].decode("utf-8", "replace"),
                       usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip((c.id for c in CASES), pool.map(run_case, CASES), strict=True))


def problem(case: Case, outcome: Outcome) -> str:
    """'' when the run kept the contract, else what went wrong."""
    if "Traceback" in outcome.stderr:
        return "a traceback"
    if outcome.code == 2:
        if case.expect == OK:
            return "refused a legal input"
        lines = outcome.stderr.strip().splitlines()
        if len(lines) != 1 or not lines[0].startswith("cnncalc: error: "):
            return "stderr is not one error line"
        if "\x1b" in outcome.stderr:
            return "a raw escape character on stderr"
        if case.expect == ERROR and case.fragment and case.fragment not in outcome.stderr:
            return f"the message lacks {case.fragment!r}"
    elif outcome.code == 0:
        if case.expect == ERROR:
            return "accepted (exit 0) an input it must refuse"
        if outcome.stderr.strip():
            return "exit 0 but something on stderr"
        if case.expect == OK and case.fragment and case.fragment not in outcome.stdout:
            return f"the output lacks {case.fragment!r}"
        if case.absent and case.absent in outcome.stdout:
            return f"the output holds {case.absent!r}"
    else:
        return f"exit status {outcome.code}"
    if outcome.seconds > case.seconds:
        return f"took {outcome.seconds:.1f} s, more than {case.seconds} s"
    return ""


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_case(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.id]
    found = problem(case, outcome)
    assert not found, (
        f"{case.id}: {found}\n  argv: {' '.join(case.argv)[:300]}\n  exit {outcome.code}, "
        f"{outcome.seconds:.2f} s\n  stderr: {outcome.stderr[-600:]!r}\n"
        f"  stdout: {outcome.stdout[:300]!r}"
    )


def test_the_contract_check_can_fail() -> None:
    """The checker itself: a traceback, a second stderr line, exit 1 and a slow run are caught."""
    error = Case("x", ("params",))
    assert problem(error, Outcome(1, "", "cnncalc: error: x", 0.1, 0))
    assert problem(error, Outcome(2, "", "cnncalc: error: x\nmore", 0.1, 0))
    assert problem(error, Outcome(2, "", "Traceback (most recent call last):", 0.1, 0))
    assert problem(error, Outcome(0, "fine", "", 0.1, 0))
    assert problem(error, Outcome(2, "", "cnncalc: error: x", 9.0, 0))
    assert not problem(error, Outcome(2, "", "cnncalc: error: x", 0.1, 0))
    legal = Case("y", ("params",), expect=OK, absent="\x1b")
    assert problem(legal, Outcome(0, "title \x1b[2J", "", 0.1, 0))
    assert problem(legal, Outcome(2, "", "cnncalc: error: x", 0.1, 0))
    assert not problem(Case("z", (), expect=EITHER), Outcome(2, "", "cnncalc: error: x", 0.1, 0))
