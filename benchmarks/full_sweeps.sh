#!/usr/bin/env bash
# The size sweeps of the test suite over every size instead of a sample (tests/sweeps.py):
# sizes 1..1024 for `sizes` against the engine, 32..600 for symbolic resnet50.
# About a minute on two cores; run it after touching sizes.py, shape.py or the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m pytest -q -p no:cacheprovider --full-sweeps \
    tests/test_sizes.py tests/test_symbolic.py "$@"
