"""Shared test configuration."""

import os
import re

import pytest
from hypothesis import HealthCheck, settings

# .ci/run's second pass sets CNNCALC_REQUIRE_OPTIONAL=1 after installing torch and onnx: there a
# test (or a whole module) that skips because one of them does not import fails instead, so a
# broken install cannot pass as a row of skips. Other skips (torchvision, which CI lacks) stay.
REQUIRE_OPTIONAL = os.environ.get("CNNCALC_REQUIRE_OPTIONAL") == "1"
# pytest.importorskip's reason: "could not import 'torch': No module named 'torch'"
_MISSING_OPTIONAL = re.compile(r"could not import '(torch|onnx)[.']")

# The property suite runs 300 random architectures per property in CI; pass
# `--hypothesis-profile=thorough` for 5,000.
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the golden files under tests/golden/ from the current output.",
    )
    parser.addoption(
        "--full-sweeps",
        action="store_true",
        default=False,
        help="Sweep every input size in the size sweeps (tests/sweeps.py) instead of a sample.",
    )
    parser.addoption(
        "--update-docs",
        action="store_true",
        default=False,
        help="Rewrite the output of every `$ cnncalc` example in README.md and docs/ from a run "
        "(examples with `...` lines are left for a person to edit).",
    )


def pytest_configure(config):
    from tests import sweeps

    sweeps.FULL = config.getoption("--full-sweeps")


def _skipped_for_missing_optional(report) -> str | None:
    """The skip reason when `report` is a skip for a torch or onnx import that failed."""
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return None
    reason = str(report.longrepr[2])
    return reason if _MISSING_OPTIONAL.search(reason) else None


def _fail_if_required(report):
    if REQUIRE_OPTIONAL and (reason := _skipped_for_missing_optional(report)):
        report.outcome = "failed"
        report.longrepr = f"CNNCALC_REQUIRE_OPTIONAL=1 but {reason}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    return _fail_if_required((yield))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    return _fail_if_required((yield))  # a module-level importorskip skips at collection
