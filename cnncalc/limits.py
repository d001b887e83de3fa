"""Safety limits against runaway or hostile files. Each refusal is a LimitError that names the
limit; those a legitimate file might reach can be raised with environment variables (the
message says which). docs/limits.md lists them all."""

from __future__ import annotations

import os


def _env(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


MAX_LAYERS = _env("CNNCALC_MAX_LAYERS", 200_000)  # rows after expanding repeats and blocks
STEPS_PER_LAYER = 8
MAX_STEPS = STEPS_PER_LAYER * MAX_LAYERS  # nodes the engine walks (uses, repeats, layers)
MAX_VALUE = _env("CNNCALC_MAX_VALUE", 1_000_000)  # any integer argument or input size
# `sizes`: layer-pixels the period scan may visit (checks x layers x size; ~3 s on a slow core)
MAX_SIZES_WORK = _env("CNNCALC_MAX_SIZES_WORK", 20_000_000)
MAX_YAML_NODES = 200_000  # YAML values read, aliases expanded
MAX_ALIAS_REPEATS = 10_000  # values reached again through aliases (billion laughs)
MAX_NESTING = 64  # nested lists of layers or values
MAX_FILE_BYTES = 2_000_000
MAX_BLOCK_DEPTH = 64  # blocks using blocks
MAX_SYMBOLIC_NODES = 2_000  # sympy nodes in one symbolic feature-map size

LAYERS_HINT = "set CNNCALC_MAX_LAYERS to allow more"
VALUE_HINT = "set CNNCALC_MAX_VALUE to allow more"
SIZES_HINT = "set CNNCALC_MAX_SIZES_WORK to allow more"
