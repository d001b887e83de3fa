"""Fuzzing the loader and the command line: mutated zoo files and random YAML end in a result
(exit 0) or one clear message (exit 2), never a traceback or a hang. Cases that once broke it are
kept in tests/fuzz_corpus/ and replayed here."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc import zoo

from .fuzzing import COMMANDS, acceptable, mutate, run

CORPUS = Path(__file__).parent / "fuzz_corpus"
SEEDS = ["alexnet-paper", "vgg11_bn", "resnet18", "googlenet", "densenet121", "3x3-stack",
         "inception-reduced", "dense-block"]
LIMIT_SECONDS = 2.0


@pytest.mark.parametrize("seed", range(300))
def test_mutated_zoo_files(seed, tmp_path):
    rng = random.Random(seed)
    name = SEEDS[seed % len(SEEDS)]
    text = mutate(zoo.zoo_path(name).read_text(), rng)
    path = tmp_path / f"{name}-mutated.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    code, stderr, seconds, exception = run(path, COMMANDS[seed % len(COMMANDS)])
    problem = acceptable(code, stderr, exception)
    assert not problem, f"{problem}\n--- {path.name}:\n{text}"
    assert seconds < LIMIT_SECONDS, f"took {seconds:.2f} s\n{text}"


@pytest.mark.parametrize("case", sorted(CORPUS.glob("*.yaml")), ids=lambda p: p.stem)
def test_corpus(case):
    for command in COMMANDS:
        code, stderr, seconds, exception = run(case, command)
        assert not acceptable(code, stderr, exception), (case.name, command, stderr, exception)
        assert seconds < LIMIT_SECONDS


scalars = st.one_of(
    st.integers(-5, 300), st.text(max_size=8), st.booleans(), st.none(),
    st.sampled_from(["relu", "conv", "maxpool", "same", "C_in", "4*planes", "use", "repeat"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["conv", "out", "kernel", "stride", "layers", "input", "name",
                             "blocks", "args", "body", "repeat", "use", "padding", "x"]),
            inner, max_size=4,
        ),
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(value=values)
def test_random_yaml(value, tmp_path_factory):
    path = tmp_path_factory.mktemp("random") / "random.yaml"
    path.write_text(yaml.safe_dump(value), encoding="utf-8")
    code, stderr, seconds, exception = run(path, ["summary"])
    assert not acceptable(code, stderr, exception), (value, stderr, exception)
