"""A JSON Schema (draft 2020-12) of the architecture file, for editors.

Generated, never written by hand: the leaf layer types and their arguments come from the layer
registry (each class's FIELDS, defaults and docstring), the composites, their keys and the
top-level keys from the loader's tables. Adding a layer class or an argument changes the schema
with no edit here; a new argument kind, composite key or top-level key without a rule below
raises KeyError, so the schema tests fail instead of the schema going quietly out of date.

The schema checks structure only: keys, value types, ranges, list lengths, the characters of an
expression. It cannot evaluate an expression, see names, shapes or blocks; `cnncalc shapes FILE`
does that. It uses only keywords that mean the same in draft 7 (what the YAML language server
implements) and in draft 2020-12: no prefixItems, no keyword beside $ref other than annotations.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .expr import MAX_EXPR_LENGTH
from .layers import REGISTRY
from .layers.base import Layer, fields_of, has_default
from .limits import MAX_VALUE
from .loader import (
    BLOCK_KEYS,
    BRANCH_KEYS,
    COMPOSITE_KEYS,
    COMPOSITES,
    MERGE_KIND,
    SHORTCUTS,
    TOP_KEYS,
)
from .merges import MERGES

DRAFT = "https://json-schema.org/draft/2020-12/schema"
# A name (`isidentifier`, in ASCII: expressions accept ASCII names only).
WORD = r"^[A-Za-z_][A-Za-z0-9_]*$"
# The tokens expr.parse reads: integers and decimals (not run into a name: `1e400`), names,
# + - * // % ( ) and the commas of calls, spaces; it starts as loader._looks_arithmetic wants.
# A lone `/` or a quote is refused here.
EXPRESSION = (
    r"^\s*(?=[-A-Za-z0-9_(])"
    r"(?:(?:[0-9]+(?:\.[0-9]+)?(?![A-Za-z_.])|[A-Za-z_][A-Za-z0-9_]*|//|[-+*%(),])\s*)+$"
)
# `3x3` for a pair or a padding, as on the command line (the loader's layers.base.pair_text).
PAIR_TEXT = r"^\s*[0-9]+\s*[xX×]\s*[0-9]+\s*$"
# base.coerce's `name` kind: dot-separated words or numbers (`features.16`, `pool4`).
LAYER_PATH = r"^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+)(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+))*$"
REFERENCE = LAYER_PATH  # `from:`, a named merge's inputs, `outputs:` (loader._REFERENCE)
CONTEXTS = ("top", "block")  # in `layers:`, or in a block, where arguments may be passed on


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def _integer(minimum: int) -> dict[str, Any]:
    """An integer argument: literal (minimum … MAX_VALUE) or an expression."""
    return {
        "anyOf": [
            {"type": "integer", "minimum": minimum, "maximum": MAX_VALUE},
            _ref("expression"),
        ]
    }


def _pair(minimum: int) -> dict[str, Any]:
    one = _integer(minimum)
    return {
        "anyOf": [
            one,
            {"type": "array", "items": one, "minItems": 2, "maxItems": 2},
            {"type": "string", "pattern": PAIR_TEXT},
        ]
    }


def _passed_on(schema: dict[str, Any], context: str) -> dict[str, Any]:
    """Inside a block, a literal-only argument may also name a block argument (`bias: b`)."""
    if context == "block":
        return {"anyOf": [schema, _ref("word")]}
    return schema


def argument_kind(kind: str, context: str = "top") -> tuple[dict[str, Any], str]:
    """The schema of one argument kind of base.coerce, and a phrase that describes it."""
    if kind == "pos":
        return _integer(1), "a positive integer or an expression"
    if kind == "nonneg":
        return _integer(0), "an integer ≥ 0 or an expression"
    if kind == "pair":
        return _pair(1), "a positive integer, or [h, w]; each may be an expression"
    if kind == "pair?":
        return (
            {"anyOf": [_pair(1), {"type": "null"}]},
            "a positive integer, or [h, w]; each may be an expression",
        )
    if kind == "pair0":
        return _pair(0), "an integer ≥ 0, or [h, w]; each may be an expression"
    if kind == "offset":
        return (
            {"anyOf": [{"enum": ["center"]}, _pair(0)]},
            "`center`, an integer ≥ 0, or [h, w]; each may be an expression",
        )
    if kind == "padding":
        nonneg = _integer(0)
        sides = {"type": "array", "items": nonneg, "minItems": 2, "maxItems": 2}
        return (
            {
                "anyOf": [
                    {"enum": ["same", "valid"]},
                    nonneg,
                    sides,
                    {"type": "string", "pattern": PAIR_TEXT},
                    {"type": "array", "items": sides, "minItems": 2, "maxItems": 2},
                ]
            },
            "an integer ≥ 0, [h, w], [[top, bottom], [left, right]], `same` or `valid`",
        )
    if kind == "pad4":
        nonneg = _integer(0)
        return (
            {
                "anyOf": [
                    nonneg,
                    {"type": "array", "items": nonneg, "minItems": 2, "maxItems": 2},
                    {"type": "string", "pattern": PAIR_TEXT},
                    {"type": "array", "items": nonneg, "minItems": 4, "maxItems": 4},
                ]
            },
            "an integer ≥ 0, [h, w] or [left, right, top, bottom] (torch's ZeroPad2d order); "
            "each may be an expression",
        )
    if kind == "bool":
        return _passed_on({"type": "boolean"}, context), "true or false"
    if kind == "float":
        return _passed_on({"type": "number"}, context), "a number"
    if kind == "posfloat":
        return _passed_on({"type": "number", "exclusiveMinimum": 0}, context), "a positive number"
    if kind == "prob":
        return (
            _passed_on({"type": "number", "minimum": 0, "maximum": 1}, context),
            "a number from 0 to 1",
        )
    if kind == "levels":
        one = _integer(1)
        return (
            {"anyOf": [one, {"type": "array", "items": one, "minItems": 1}]},
            "a positive integer or a list of them",
        )
    if kind == "shape":
        return (
            {
                "type": "array",
                "items": _integer(1),
                "anyOf": [{"minItems": 1, "maxItems": 1}, {"minItems": 3, "maxItems": 3}],
            },
            "[C, H, W] or [F]",
        )
    if kind == "name":
        return (
            {"type": "string", "pattern": LAYER_PATH},
            "the name or path of an earlier layer",
        )
    if kind.startswith("choice:"):
        choices = kind.removeprefix("choice:").split("|")
        return _passed_on({"enum": choices}, context), "one of " + ", ".join(choices)
    raise KeyError(f"the schema has no rule for the argument kind {kind!r} (cnncalc/schema.py)")


def _kind_ref(kind: str, context: str, defs: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A $ref to the kind's definition (added to defs once; one per context where they differ)."""
    schema, phrase = argument_kind(kind, context)
    name = "kind-" + kind.replace("?", "-or-null").replace(":", "-").replace("|", "-")
    if schema != argument_kind(kind, "top")[0]:
        name += f"-{context}"
    defs.setdefault(name, schema)
    return _ref(name), phrase


def _plain(value: Any) -> Any:
    """A default as a file would write it: (1, 1) -> 1, ((0, 0), (0, 0)) -> 0."""
    if isinstance(value, tuple):
        items = [_plain(v) for v in value]
        return items[0] if all(v == items[0] for v in items) else items
    return value


def summary(cls: type[Layer]) -> str:
    """The first paragraph of the class docstring, on one line (as `cnncalc layers` shows it)."""
    return " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())


def required_arguments(cls: type[Layer]) -> list[str]:
    return [
        name for name, field in fields_of(cls).items()
        if name in cls.FIELDS and not has_default(field)
    ]


def _aliases() -> dict[type[Layer], list[str]]:
    names: dict[type[Layer], list[str]] = {}
    for name, cls in REGISTRY.items():
        names.setdefault(cls, []).append(name)
    return names


# ---------------------------------------------------------------- leaf layers


def _arguments(cls: type[Layer], context: str, defs: dict[str, Any]) -> dict[str, Any]:
    """The mapping form `- conv: {out: 64, kernel: 3}`: the FIELDS, name and frozen."""
    fields = fields_of(cls)
    required = required_arguments(cls)
    properties: dict[str, Any] = {}
    for name, kind in cls.FIELDS.items():
        schema, phrase = _kind_ref(kind, context, defs)
        field = fields[name]
        if name in required:
            text = f"{name}: {phrase}. Required."
        else:
            default = _plain(field.default) if field.default is not dataclasses.MISSING else None
            if default is None:
                text = f"{name}: {phrase}. Optional."
            else:
                shown = default if isinstance(default, str) else json.dumps(default)
                text = f"{name}: {phrase}. Default: {shown}."
                schema = {**schema, "default": default}
        properties[name] = {"description": text, **schema}
    properties["name"] = _ref("name")
    properties["frozen"] = _ref("frozen")
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _leaf_value(cls: type[Layer], type_name: str, aliases: list[str], context: str) -> dict:
    """What follows `- conv:`: nothing, the arguments, or the shorthand value."""
    args = f"{aliases[0]}-args-{context}"
    forms: list[Any] = [{"type": "null"}, _ref(args)]
    text = f"{type_name}: {summary(cls)}"  # as `cnncalc layers` shows it
    if type_name != aliases[0]:
        text = f"{type_name}, the same as {aliases[0]}: {summary(cls)}"
    elif len(aliases) > 1:
        text = f"{type_name} (also {', '.join(aliases[1:])}): {summary(cls)}"
    if cls.FIELDS:
        listed = [f"{n} (required)" if n in required_arguments(cls) else n for n in cls.FIELDS]
        text += " Arguments: " + ", ".join(listed) + "."
    if cls.PRIMARY is not None:
        forms.append({"$ref": f"#/$defs/{args}/properties/{cls.PRIMARY}"})
        text += f" A value instead of a mapping sets {cls.PRIMARY}: `- {type_name}: VALUE`."
    return {"description": text, "anyOf": forms}


def _needs(key: str, field: str, shorthand: bool) -> dict[str, Any]:
    """`field` must be given: beside the type key, in its mapping, or (when it is the type's
    shorthand) as its value."""
    if shorthand:
        given = {"if": {"type": "object"}, "then": {"required": [field]},
                 "else": {"not": {"type": "null"}}}
    else:
        given = {"type": "object", "required": [field]}
    return {"if": {"not": {"required": [field]}}, "then": {"properties": {key: given}}}


# `from:` and `train_only:` may stand beside the type key of any entry (loader.GRAPH_KEYS)
_GRAPH_PROPERTIES: dict[str, Any] = {"from": {"$ref": "#/$defs/reference"},
                                     "train_only": {"$ref": "#/$defs/train_only"}}


def _merge_entry(kind: str) -> dict[str, Any]:
    """`- concat: [a, b]`: a named merge (cnncalc/merges.py), with `name`, `train_only`."""
    then = {"properties": {kind: True, "name": True, "train_only": _ref("train_only")},
            "additionalProperties": False}
    return {"if": {"required": [kind]}, "then": then}


def _leaf_entry(type_name: str, cls: type[Layer], primary: str) -> dict[str, Any]:
    """The keys an entry `- conv: ...` may have beside `conv`, and what it must give."""
    properties: dict[str, Any] = {
        type_name: True, "name": True, "frozen": _ref("frozen"), **_GRAPH_PROPERTIES
    }
    for name in cls.FIELDS:
        properties[name] = {"$ref": f"#/$defs/{primary}/properties/{name}"}
    then: dict[str, Any] = {"properties": properties, "additionalProperties": False}
    needs = [_needs(type_name, f, f == cls.PRIMARY) for f in required_arguments(cls)]
    if needs:
        then["allOf"] = needs
    return {"if": {"required": [type_name]}, "then": then}


# ---------------------------------------------------------------- composites


def _composite_key(key: str, context: str) -> dict[str, Any]:
    """A $ref to the value of one key of a composite."""
    return _ref(f"layers-{context}" if key in ("layers", "body") else f"{key}-{context}")


def _composite_key_def(key: str, context: str) -> dict[str, Any]:
    """The value of one key of a composite (loader.COMPOSITE_KEYS)."""
    layers = _ref(f"layers-{context}")
    if key == "count":
        return {
            "description": "count: how many copies (repeat) or steps (dense); a non-negative "
            "integer or an expression. Inside, `i` is the copy or step index.",
            **argument_kind("nonneg")[0],
        }
    if key == "shortcut":
        return {
            "description": "shortcut: " + " or ".join(SHORTCUTS) + " (default auto), "
            "or a list of layers (a projection).",
            "anyOf": [{"enum": list(SHORTCUTS)}, layers],
        }
    if key == "squeeze":
        return {
            "description": "squeeze: the channels fc1 squeezes to (squeeze_excite); a positive "
            "integer or an expression (`C_in // 4`: C_in is the channels arriving).",
            **argument_kind("pos")[0],
        }
    if key in ("activation", "gate"):
        return {
            "description": "activation: the activation after a residual's add, or after a "
            "squeeze_excite's fc1 (default relu); gate: a squeeze_excite's scale activation "
            "(default sigmoid). A type name.",
            "enum": [
                name for name, cls in REGISTRY.items()
                if cls.NONLINEAR and not required_arguments(cls)
            ],
        }
    if key == "branches":
        branch = {
            "if": {"type": "object"},
            "then": {
                "type": "object",
                "properties": {"name": _ref("word"), "layers": layers},
                "required": ["layers"],
                "additionalProperties": False,
            },
            "else": {"anyOf": [{"const": "identity"}, layers]},
        }
        if set(BRANCH_KEYS) != {"name", "layers"}:
            raise KeyError(f"the schema has no rule for the branch keys {BRANCH_KEYS}")
        return {
            "description": "branches: at least two; each a list of layers, `identity` (the "
            "input itself), or {name: ..., layers: [...]}.",
            "type": "array",
            "items": branch,
            "minItems": 2,
        }
    if key == "merge":
        return {
            "description": "merge: concat (default), add, or mul (torch's broadcasting).",
            **argument_kind(MERGE_KIND)[0],
        }
    raise KeyError(f"the schema has no rule for the composite key {key!r} (cnncalc/schema.py)")


# What a composite's value sets when it is not a mapping: `- repeat: 3`, `- seq: [...]`.
_SHORTHAND = {
    "seq": "layers", "repeat": "count", "dense": "count", "residual": "body",
    "parallel": "branches", "squeeze_excite": "squeeze",
}
_COMPOSITE_TEXT = {
    "seq": "A named group of layers: `- seq: [...]` with `name:` beside it.",
    "repeat": "Copies of a list of layers: `- repeat: N` with `layers: [...]` beside it; "
    "`i` is the copy index.",
    "dense": "A dense block (DenseNet): `- dense: N` with `layers: [...]`; each step's output "
    "is concatenated to its input.",
    "residual": "A residual block: `- residual: {body: [...], shortcut: identity|auto|[...], "
    "activation: relu}`, or `- residual: [...]` (the body).",
    "parallel": "Branches on the same input: `- parallel: [[...], [...]]` or "
    "`{branches: [...], merge: concat|add|mul}`.",
    "squeeze_excite": "A squeeze-excitation gate (torchvision's SqueezeExcitation): "
    "`- squeeze_excite: {squeeze: 16, activation: relu, gate: hardsigmoid}` or "
    "`- squeeze_excite: 16`.",
    "use": "A block from `blocks:` with its arguments beside it: "
    "`- {use: stage, width: 64, name: stage1}`.",
}


def _composite_value(kind: str, context: str) -> dict[str, Any]:
    keys = COMPOSITE_KEYS[kind]
    mapping = {
        "type": "object",
        "properties": {**{k: _composite_key(k, context) for k in keys}, "name": _ref("name")},
        "additionalProperties": False,
    }
    forms = [_composite_key(_SHORTHAND[kind], context), mapping]
    if kind == "residual":  # `- residual:` with `body:` beside it
        forms.append({"type": "null"})
    return {"description": _COMPOSITE_TEXT[kind], "anyOf": forms}


def _composite_entry(kind: str, context: str) -> dict[str, Any]:
    if kind == "use":
        then: dict[str, Any] = {
            "properties": {"use": True, "name": True, **_GRAPH_PROPERTIES},
            # its other keys are the block's arguments, but never another type
            "propertyNames": {"not": {"enum": [
                t for t in (*REGISTRY, *COMPOSITES, *MERGES) if t != "use"
            ]}},
            "additionalProperties": _ref("value"),
        }
        return {"if": {"required": ["use"]}, "then": then}
    keys = COMPOSITE_KEYS[kind]
    properties: dict[str, Any] = {kind: True, "name": True, **_GRAPH_PROPERTIES}
    properties.update({k: _composite_key(k, context) for k in keys})
    needs = [_needs(kind, _SHORTHAND[kind], True)]
    needs += [_needs(kind, k, False) for k in keys if k == "layers" and _SHORTHAND[kind] != k]
    return {
        "if": {"required": [kind]},
        "then": {"properties": properties, "additionalProperties": False, "allOf": needs},
    }


# ---------------------------------------------------------------- lists of layers


def _layer_defs(context: str) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    aliases = _aliases()
    values: dict[str, Any] = {}
    rules: list[Any] = []
    for cls, names in aliases.items():
        defs[f"{names[0]}-args-{context}"] = _arguments(cls, context, defs)
        for name in names:
            values[name] = _leaf_value(cls, name, names, context)
            rules.append(_leaf_entry(name, cls, f"{names[0]}-args-{context}"))
    for key in {k: None for keys in COMPOSITE_KEYS.values() for k in keys}:
        if key not in ("layers", "body"):
            defs[f"{key}-{context}"] = _composite_key_def(key, context)
    for kind in COMPOSITES:
        if kind == "use":
            values["use"] = {"description": _COMPOSITE_TEXT["use"], "type": "string"}
        else:
            values[kind] = _composite_value(kind, context)
        rules.append(_composite_entry(kind, context))
    for kind in MERGES:
        values[kind] = {
            "description": f"{kind} of the outputs of earlier nodes, by name or path, in order.",
            "type": "array",
            "items": _ref("reference"),
            "minItems": 2,
        }
        rules.append(_merge_entry(kind))
    types = [*REGISTRY, *COMPOSITES, *MERGES]
    no_type = {"propertyNames": {"not": {"enum": types}}}  # no key is a type
    defs[f"layer-{context}"] = {
        "description": "One layer: a type key (`conv`, `relu`, `repeat`, ...) with its "
        "arguments, and `name:` beside it.",
        "type": "object",
        "properties": {**values, "name": _ref("name")},
        "allOf": [
            {"if": no_type, "then": {"propertyNames": {"enum": types}, "minProperties": 1}},
            *rules,
        ],
    }
    defs[f"entry-{context}"] = {
        "description": "A layer: a type name (`- relu`) or a one-key mapping "
        "(`- conv: {out: 64, kernel: 3}`).",
        "if": {"type": "string"},
        "then": _ref("bare-type"),
        "else": _ref(f"layer-{context}"),
    }
    defs[f"layers-{context}"] = {
        "description": "A list of layers, in order.",
        "type": "array",
        "items": _ref(f"entry-{context}"),
        "minItems": 1,
    }
    return defs


# ---------------------------------------------------------------- the file


def _top_keys() -> tuple[dict[str, Any], list[str]]:
    word_or_size = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_VALUE},
                              _ref("word")]}
    text = {"type": ["string", "integer", "boolean"]}  # the loader takes str(value) of these
    rules: dict[str, Any] = {
        "name": {"description": "The name in tables and JSON (default: the file name).", **text},
        "title": {"description": "The title line of tables.", **text},
        "description": {"description": "The line `cnncalc list` shows.", **text},
        "input": {
            "description": "Required. [C, H, W], or [F] for a flat vector; each a positive "
            f"integer (at most {MAX_VALUE:,}) or a name (a symbol).",
            "type": "array",
            "items": word_or_size,
            "anyOf": [{"minItems": 1, "maxItems": 1}, {"minItems": 3, "maxItems": 3}],
        },
        "symbols": {
            "description": "Names that values may use as symbols, besides those in `input`; "
            "or a mapping of names to defaults that hold unless --set binds them.",
            "anyOf": [
                {"type": "array", "items": _ref("word")},
                {
                    "type": "object",
                    "additionalProperties": {"type": "integer", "minimum": 1},
                },
            ],
        },
        "blocks": {
            "description": "Named, parameterised groups of layers, for `use`.",
            "type": "object",
            "additionalProperties": _ref("block"),
        },
        "layers": {"description": "Required. The network, in order.", **_ref("layers-top")},
        "outputs": {
            "description": "The network's outputs, main first: names or paths of nodes "
            "(default: the last node's output).",
            "type": "array",
            "items": _ref("reference"),
            "minItems": 1,
        },
        "notes": {"description": "Free text (or any YAML); cnncalc ignores it."},
    }
    return {key: rules[key] for key in TOP_KEYS}, ["input", "layers"]


def architecture_schema() -> dict[str, Any]:
    """The JSON Schema of an architecture file, as a dict."""
    top, required = _top_keys()
    if set(BLOCK_KEYS) != {"args", "layers"}:
        raise KeyError(f"the schema has no rule for the block keys {BLOCK_KEYS}")
    defs: dict[str, Any] = {
        "word": {"type": "string", "pattern": WORD},
        "name": {
            "description": "name: the layer's segment in its path (letters, digits, _; unique "
            "in its list).",
            **_ref("word"),
        },
        "frozen": {
            "description": "frozen: true counts the layer's parameters as non-trainable.",
            "type": "boolean",
        },
        "reference": {
            "description": "An earlier node: its name, or a path like `layer1.0.conv1` "
            "(docs/format.md, Named references).",
            "type": "string",
            "pattern": REFERENCE,
        },
        "train_only": {
            "description": "train_only: true: the node runs only in training (an aux head); "
            "in eval mode it counts parameters but no MACs or activations.",
            "type": "boolean",
        },
        "expression": {
            "description": "An expression: integers, decimals (exact), names, + - * // %, "
            "parentheses and min, max, ceil_div, make_divisible (`4*planes`, `C_in // 2`, "
            "`make_divisible(16 * width, 8)`). Its names are checked by cnncalc, not by this "
            "schema.",
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_EXPR_LENGTH,
            "pattern": EXPRESSION,
        },
        "value": {
            "description": "A value: a scalar or a list of values (not a mapping).",
            "anyOf": [
                {"type": ["string", "number", "boolean", "null"]},
                {"type": "array", "items": _ref("value")},
            ],
        },
        "bare-type": {
            "description": "A layer type with all its defaults (types with required "
            "arguments need a mapping).",
            "enum": [name for name, cls in REGISTRY.items() if not required_arguments(cls)],
        },
        "block": {
            "description": "A block: `args` (each `required` or a default) and `layers`.",
            "type": "object",
            "properties": {
                "args": {
                    "description": "The block's arguments: each `required`, or a default.",
                    "type": "object",
                    "additionalProperties": _ref("value"),
                },
                "layers": _ref("layers-block"),
            },
            "required": ["layers"],
            "additionalProperties": False,
        },
    }
    for context in CONTEXTS:
        defs.update(_layer_defs(context))
    return {
        "$schema": DRAFT,
        "title": "cnncalc architecture file",
        "description": "A CNN architecture for cnncalc (docs/format.md). The schema checks "
        "structure only: names, shapes and expressions are checked by `cnncalc shapes FILE`.",
        "type": "object",
        "properties": top,
        "required": required,
        "additionalProperties": False,
        "$defs": defs,
    }


def schema_text() -> str:
    """The schema as JSON text, one trailing newline."""
    return json.dumps(architecture_schema(), indent=2, ensure_ascii=False) + "\n"
