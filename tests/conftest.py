"""Shared test configuration."""

from hypothesis import HealthCheck, settings

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
