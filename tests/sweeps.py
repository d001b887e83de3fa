"""Input-size sweeps: every size under `pytest --full-sweeps` (benchmarks/full_sweeps.sh), a sample
otherwise, so the main pass stays within its time budget.

The sample keeps every size of the first `head` (where the small-size edge cases live: the
smallest valid size, the first periods of every stride) and then every `step`-th size. `step` is
prime, so the sample still meets every residue class of the networks' strides (powers of two,
3·2^k) over the range.
"""

from collections.abc import Sequence

FULL = False  # set by tests/conftest.py from --full-sweeps


def sample(sizes: Sequence[int], head: int = 130, step: int = 11) -> Sequence[int]:
    if FULL:
        return sizes
    return [*sizes[:head], *sizes[head::step]]
