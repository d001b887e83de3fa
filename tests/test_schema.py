"""`cnncalc schema`: a JSON Schema (draft 2020-12) of the architecture file, generated from the
layer registry and the loader's tables.

It must accept every file cnncalc accepts (the zoo, docs/examples, a table of forms checked
against the loader here) and refuse the structural mistakes of tests/bad/; the semantic ones
(names, shapes, recursion) are listed with the reason the schema cannot see them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from cnncalc import loader, schema
from cnncalc.cli import app
from cnncalc.errors import SpecError
from cnncalc.layers import REGISTRY
from cnncalc.layers.base import Elementwise, NoOtherOps, register

ROOT = Path(__file__).parent.parent
BAD = Path(__file__).parent / "bad"
GOOD = sorted((ROOT / "architectures").glob("*.yaml")) + sorted(
    (ROOT / "docs" / "examples").glob("*.yaml")
)
runner = CliRunner()

# Structural mistakes: the schema refuses them, at this path, with this in the message (the
# error jsonschema's best_match picks, as an editor would underline it).
STRUCTURAL: dict[str, tuple[list[Any], str]] = {
    "unknown_layer_type": (["layers", 0], "'cnov' is not one of"),
    "misspelled_field": (["layers", 1, "conv"], "'strid' was unexpected"),
    "top_level_typo": ([], "'layers' is a required property"),
    "stride_mapping": (["layers", 0, "conv", "stride"], "is not valid under any"),
    "stride_three_values": (["layers", 0, "conv", "stride"], "[1, 2, 3] is not valid"),
    "stride_negative": (["layers", 1, "conv", "stride"], "-1 is less than the minimum of 1"),
    "out_zero": (["layers", 0, "conv", "out"], "0 is less than the minimum of 1"),
    "name_not_a_word": (["layers", 0, "relu", "name"], "is not of type 'string'"),
    "expression_injection": (["layers", 0, "conv", "out"], "does not match"),
    "empty": ([], "None is not of type 'object'"),
    "comments_only": ([], "None is not of type 'object'"),
    "roi_pool_scale_zero": (["layers", 0, "roi_pool", "scale"],
                            "0 is less than or equal to the minimum of 0"),
}

# Mistakes the schema cannot see: it checks each value alone and evaluates nothing.
SEMANTIC: dict[str, str] = {
    "stride_text": "'two' is a well-formed name; only cnncalc knows no such name is defined",
    "unknown_name": "'4*plans' is a well-formed expression; the names in scope are not in it",
    "unknown_block_arg": "a use's arguments are the block's, which the schema cannot look up",
    "missing_block_arg": "which arguments a block requires is data in the file, not schema",
    "block_recursion": "a cycle between blocks is a property of the whole file",
    "duplicate_names": "names unique within a list: JSON Schema compares items, not their keys",
    "duplicate_key": "yaml.safe_load keeps the last of two keys, so the schema never sees two "
    "(the YAML language server reports duplicate keys itself)",
    "empty_output": "shape arithmetic: the input is too small for the kernel",
    "groups_indivisible": "shape arithmetic: channels not divisible by groups",
    "linear_unflattened": "shape arithmetic: linear on a feature map",
    "nested_shape_error": "shape arithmetic, inside a block",
    "concat_spatial_mismatch": "shape arithmetic: branches of different sizes",
    "group_norm_indivisible": "shape arithmetic: channels not divisible by groups",
    "chunk_past_the_parts": "shape arithmetic: torch.chunk makes fewer parts than asked",
    "mul_broadcast_mismatch": "shape arithmetic: a gate whose channels neither match nor are 1",
    "dense_flat_input": "shape arithmetic: a dense block on a flat vector",
    "residual_identity_mismatch": "shape arithmetic: body and identity shortcut differ",
    "reference_unknown": "a reference is a well-formed name; which nodes exist is the file's data",
    "reference_forward": "whether the named node comes earlier is a property of the whole file",
    "reference_cycle": "a merge reading the group that holds it: a property of the graph",
    "output_unknown": "an output is a well-formed name; which nodes exist is the file's data",
    "upsample_too_big": "shape arithmetic: a size past CNNCALC_MAX_VALUE after 1,000 doublings",
    "block_argument_too_big": "the value limit is CNNCALC_MAX_VALUE, an environment setting",
    "folded_modulo_zero": "an expression's value: the schema evaluates nothing",
    "make_divisible_zero": "an expression's value: the schema evaluates nothing",
    "folded_negative_channels": "an expression's value: the schema evaluates nothing",
    "folded_negative_stride": "an expression's value: the schema evaluates nothing",
    "folded_zero_channels": "an expression's value: the schema evaluates nothing",
    "folded_zero_division": "an expression's value: the schema evaluates nothing",
    "folded_zero_kernel": "an expression's value: the schema evaluates nothing",
    "symbolic_negative_channels": "an expression's value: the schema evaluates nothing",
    "roi_pool_scale_nan": "JSON has no NaN: a YAML .nan compares as no number does",
}
NOT_YAML = {"yaml_syntax": "a syntax error: no document to validate (the editor's YAML "
            "parser reports it)"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def validator(document: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(document)


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _problems(validator: Any, data: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(data)]


def test_is_a_draft_2020_12_schema(document):
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)
    # The YAML language server implements draft 7: the schema must read the same there.
    jsonschema.Draft7Validator.check_schema(document)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_accepts_every_zoo_and_example_file(validator, path):
    assert _problems(validator, _load(path)) == []


@pytest.mark.parametrize("name", ["resnet50", "googlenet", "densenet121", "fcn8s", "segnet"])
def test_draft_7_reads_it_the_same(document, name):
    # Every composite, blocks, crop and max_unpool, under the draft editors implement.
    data = _load(ROOT / "architectures" / f"{name}.yaml")
    assert _problems(jsonschema.Draft7Validator(document), data) == []


def test_every_bad_file_is_classified():
    names = {p.stem for p in BAD.glob("*.yaml")}
    classified = [*STRUCTURAL, *SEMANTIC, *NOT_YAML]
    assert sorted(classified) == sorted(set(classified)), "a file is listed twice"
    assert names == set(classified)


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_refuses_structural_mistakes(validator, document, name):
    path, fragment = STRUCTURAL[name]
    data = _load(BAD / f"{name}.yaml")
    best = jsonschema.exceptions.best_match(validator.iter_errors(data))
    assert best is not None, f"{name} passes the schema"
    assert (list(best.absolute_path), fragment in best.message) == (path, True), best.message
    assert _problems(jsonschema.Draft7Validator(document), data) != []


@pytest.mark.parametrize("name", sorted(SEMANTIC))
def test_semantic_mistakes_pass_the_schema(validator, name):
    # If the schema learns to see one of these, move it to STRUCTURAL.
    assert _problems(validator, _load(BAD / f"{name}.yaml")) == []


def test_not_yaml():
    for name in NOT_YAML:
        with pytest.raises(yaml.YAMLError):
            _load(BAD / f"{name}.yaml")


# Forms of the format, each checked against the loader too: the schema and cnncalc must agree.
HEAD = "input: [16, 32, 32]\nsymbols: [N]\n"
ACCEPTED = {
    "bare name and null value": "layers: [relu, {bn: null}, flatten]",
    "shorthand values": "layers: [{adaptive_avgpool: [7, 7]}, flatten, {dropout: 0.5}, "
    "{linear: 10}]",
    "name and frozen beside": "layers:\n- conv: {out: 8, kernel: 3}\n  name: c1\n  frozen: true",
    "name and frozen inside": "layers: [{conv: {out: 8, kernel: 3, name: c1, frozen: true}}]",
    "arguments beside the type": "layers:\n- conv: {out: 8}\n  kernel: 3\n  stride: [1, 2]",
    "shorthand and an argument beside": "layers: [flatten, {linear: 10, bias: false}]",
    "expressions": "layers: [{conv: {out: 2*C_in + N, kernel: '3', padding: (N+1) // 2}}]",
    "padding forms": "layers: [{conv: {out: 8, kernel: 3, padding: [[1, 0], [0, 1]]}}, "
    "{conv: {out: 8, kernel: 3, padding: same}}, {maxpool: {kernel: 2, padding: [1, 0]}}]",
    "zero_pad forms": "layers: [{zero_pad: 1}, {zero_pad: [1, 2]}, {zero_pad: 1x2}, "
    "{zero_pad: [0, 1, 2, N]}]",
    "channel layers": "layers: [{chunk: {chunks: 2, index: 1}}, {channel_shuffle: 2}, "
    "{group_norm: 4}, {layer_norm: {eps: 1.0e-6}}, layer_scale, identity, mish]",
    "choices and numbers": "layers: [{upsample: {scale: 2, mode: bilinear}}, "
    "{leaky_relu: 0.2}, {bn: {eps: 0.001}}]",
    "maxpool stride null": "layers: [{maxpool: {kernel: 2, stride: null}}]",
    "spp, reshape, crop": "layers: [{conv: {out: 8, kernel: 1}, name: a}, {crop: {to: a}}, "
    "{spp: 2}, {reshape: [2, 4, 4]}]",
    "repeat and dense": "layers:\n- repeat: 2\n  layers: [{conv: {out: 8*(i+1), kernel: 1}}]\n"
    "- repeat: {count: 1, layers: [relu]}\n- dense: 2\n  name: d\n  layers: "
    "[{conv: {out: 4, kernel: 1}}]",
    "seq forms": "layers: [{seq: [relu]}, {seq: {layers: [relu], name: s}}]",
    "residual forms": "layers:\n- residual: [relu]\n- residual: {body: [relu], shortcut: "
    "identity, activation: relu}\n- residual:\n  body: [relu]\n  shortcut: [bn]",
    "parallel forms": "layers:\n- parallel: [[relu], [bn]]\n- parallel:\n    branches: "
    "[{name: a, layers: [relu]}, [bn]]\n    merge: add",
    "blocks and use": "blocks:\n  unit:\n    args: {w: required, b: true, m: nearest}\n"
    "    layers: [{conv: {out: w, kernel: 1, bias: b}}, {upsample: {scale: 2, mode: m}}]\n"
    "layers: [{use: unit, w: 8, name: u1}, {use: unit, w: C_in, b: false, m: bilinear}]",
    "top-level text and notes": "name: n\ntitle: 3\ndescription: d\nnotes: {any: [thing]}\n"
    "layers: [relu]",
}
REFUSED = {
    "two types in one item": "layers: [{conv: {out: 8, kernel: 3}, relu: null}]",
    "missing required argument": "layers: [{conv: {out: 8}}]",
    "a type that needs arguments, bare": "layers: [conv]",
    "null shorthand of a required argument": "layers: [flatten, {linear: null}]",
    "shorthand on a type without one": "layers: [{maxpool: 2}]",
    "a composite word as a layer": "layers: [seq]",
    "frozen on a composite": "layers: [{seq: [relu], frozen: true}]",
    "unknown composite key": "layers: [{repeat: 2, layers: [relu], times: 3}]",
    "repeat without layers": "layers: [{repeat: 2}]",
    "one branch": "layers: [{parallel: [[relu]]}]",
    "unknown merge": "layers: [{parallel: [[relu], [bn]], merge: sum}]",
    "unknown shortcut": "layers: [{residual: {body: [relu], shortcut: projection}}]",
    "activation not an activation": "layers: [{residual: {body: [relu], activation: bn}}]",
    "choice misspelled": "layers: [{upsample: {scale: 2, mode: bilinar}}]",
    "bool as a word outside blocks": "layers: [{conv: {out: 8, kernel: 3, bias: no_bias}}]",
    "a float where an int belongs": "layers: [{conv: {out: 8, kernel: 3, groups: 1.5}}]",
    "above the value limit": "layers: [{conv: {out: 2000000, kernel: 3}}]",
    "an expression with /": "layers: [{conv: {out: C_in/2, kernel: 3}}]",
    "a layer name that is not a word": "layers: [{relu: null, name: 2x}]",
    "an empty list of layers": "layers: []",
    "a use argument that is a layer type": "blocks: {u: {layers: [relu]}}\n"
    "layers: [{use: u, relu: 1}]",
    "unknown block key": "blocks: {u: {layers: [relu], arguments: {}}}\nlayers: [relu]",
    "zero_pad of three sides": "layers: [{zero_pad: [1, 2, 3]}]",
    "chunk without its index": "layers: [{chunk: {chunks: 2}}]",
    "input of two sizes": "input: [32, 32]\nlayers: [relu]",
}


def _loader_verdict(text: str) -> str:
    try:
        loader.load_text(text, "case.yaml")
    except SpecError as exc:
        return str(exc)
    return ""


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepts_what_the_loader_accepts(validator, case):
    text = HEAD + ACCEPTED[case]
    assert _loader_verdict(text) == ""
    assert _problems(validator, yaml.safe_load(text)) == []


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refuses_what_the_loader_refuses(validator, case):
    text = REFUSED[case] if "input:" in REFUSED[case] else HEAD + REFUSED[case]
    assert _loader_verdict(text) != ""
    assert _problems(validator, yaml.safe_load(text)) != []


# ---------------------------------------------------------------- drift


@dataclass(frozen=True, slots=True)
class _Fake(Elementwise, NoOtherOps):
    """A fake layer type, added by the drift test."""

    width: Any
    mode: str = "a"

    FIELDS = {"width": "pos", "mode": "choice:a|b"}
    PRIMARY = "width"


def test_a_new_layer_class_appears_without_editing_the_schema(monkeypatch):
    monkeypatch.setattr(_Fake, "TYPE", _Fake.TYPE)  # register() sets it; undone afterwards
    for name in ("fake_layer", "fake_alias"):
        monkeypatch.setitem(REGISTRY, name, _Fake)
    register("fake_layer", "fake_alias")(_Fake)
    document = schema.architecture_schema()
    layer = document["$defs"]["layer-top"]["properties"]
    assert "A fake layer type, added by the drift test." in layer["fake_layer"]["description"]
    assert layer["fake_alias"]["description"].startswith("fake_alias, the same as fake_layer:")
    arguments = document["$defs"]["fake_layer-args-top"]["properties"]
    assert arguments["width"]["description"] == (
        "width: a positive integer or an expression. Required."
    )
    check = jsonschema.Draft202012Validator(document)
    good = {"input": [3, 8, 8], "layers": [{"fake_layer": {"width": 3, "mode": "b"}},
                                           {"fake_alias": 4}]}
    assert _problems(check, good) == []
    for wrong in ({"fake_layer": {"width": 3, "mode": "c"}}, {"fake_layer": {"widht": 3}},
                  "fake_layer", {"fake_layer": {"width": 0}}):
        assert _problems(check, {"input": [3, 8, 8], "layers": [wrong]}) != [], wrong


def test_a_misspelled_argument_is_refused_with_its_path(validator):
    data = yaml.safe_load(HEAD + "layers:\n- relu\n- maxpool: {kernel: 2, ceil_mod: true}")
    best = jsonschema.exceptions.best_match(validator.iter_errors(data))
    assert list(best.absolute_path) == ["layers", 1, "maxpool"]
    assert "'ceil_mod' was unexpected" in best.message


def test_what_the_schema_has_no_rule_for_fails_loudly(monkeypatch):
    monkeypatch.setitem(loader.COMPOSITE_KEYS, "repeat", ("layers", "count", "every"))
    with pytest.raises(KeyError, match="composite key 'every'"):
        schema.architecture_schema()
    monkeypatch.undo()
    monkeypatch.setattr(_Fake, "FIELDS", {"width": "ratio"})
    monkeypatch.setitem(REGISTRY, "fake_layer", _Fake)
    with pytest.raises(KeyError, match="argument kind 'ratio'"):
        schema.architecture_schema()


# ---------------------------------------------------------------- the command


def test_output_file_is_the_same_text(tmp_path, document):
    target = tmp_path / "cnncalc.schema.json"
    assert runner.invoke(app, ["schema", "-o", str(target)]).exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == document
    again = runner.invoke(app, ["schema", "-o", str(target)])
    assert again.exit_code == 2 and "pass --force" in again.stderr


def test_starts_without_sympy_or_numpy():
    code = (
        "import contextlib, io, sys\n"
        "from cnncalc.cli import app\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        "        app(['schema'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in ('sympy', 'numpy', 'jsonschema') if m in sys.modules)\n"
        "print(out.getvalue().startswith('{'), heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "True []"
