"""The node tree back to YAML (for `cnncalc convolutionalize`): the inverse of the loader for
everything it reads, with resolved values written in their shortest form."""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

from . import expr
from .layers.base import fields_of
from .nodes import (
    REQUIRED,
    Architecture,
    Dense,
    Leaf,
    Node,
    Parallel,
    Repeat,
    Residual,
    Seq,
    SqueezeExcite,
    Use,
)


def _value(value: Any) -> Any:
    if isinstance(value, expr.Expr):
        return value.text
    if isinstance(value, (list, tuple)):
        items = [_value(v) for v in value]
        if len(items) == 2 and items[0] == items[1] and not isinstance(items[0], list):
            return items[0]
        return items
    return value


class _Flow(dict[str, Any]):
    """A mapping yaml writes inline: {out: 64, kernel: 3}."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def _leaf(node: Leaf) -> Any:
    defaults = {
        f.name: f.default
        for f in fields_of(node.cls).values()
        if f.default is not dataclasses.MISSING
    }
    args = {}
    for key, value in node.args.items():
        written = _value(value)
        if key == "padding" and written == 0:
            continue
        if defaults.get(key) is not None and _value(defaults[key]) == written:
            continue
        args[key] = written
    entry: dict[str, Any] = {node.cls.TYPE: _Flow(args) if args else None}
    if node.name:
        entry["name"] = node.name
    if node.frozen:
        entry["frozen"] = True
    if not args and len(entry) == 1:
        return node.cls.TYPE
    return entry


def node_yaml(node: Node) -> Any:
    if isinstance(node, Leaf):
        return _leaf(node)
    out: dict[str, Any]
    if isinstance(node, Seq):
        out = {"seq": [node_yaml(n) for n in node.items]}
    elif isinstance(node, Repeat):
        out = {"repeat": _value(node.count), "layers": [node_yaml(n) for n in node.items]}
    elif isinstance(node, Dense):
        out = {"dense": _value(node.count), "layers": [node_yaml(n) for n in node.body]}
    elif isinstance(node, Use):
        out = {"use": node.block, **{k: _value(v) for k, v in node.args.items()}}
    elif isinstance(node, Residual):
        body: dict[str, Any] = {"body": [node_yaml(n) for n in node.body]}
        body["shortcut"] = (
            node.shortcut
            if isinstance(node.shortcut, str)
            else [node_yaml(n) for n in node.shortcut]
        )
        if node.activation is not None:
            body["activation"] = node.activation.cls.TYPE
        out = {"residual": body}
    elif isinstance(node, Parallel):
        out = {
            "parallel": {
                "branches": [
                    {"name": n, "layers": [node_yaml(i) for i in items]} if items else "identity"
                    for n, items in node.branches
                ],
                "merge": node.merge,
            }
        }
    elif isinstance(node, SqueezeExcite):
        out = {
            "squeeze_excite": {
                "squeeze": _value(node.squeeze),
                "activation": node.activation.cls.TYPE,
                "gate": node.gate.cls.TYPE,
            }
        }
    else:  # pragma: no cover - the set of composites is closed
        raise AssertionError(node)
    if node.name:
        out["name"] = node.name
    return out


def architecture_yaml(arch: Architecture, header: str = "") -> str:
    doc: dict[str, Any] = {"name": arch.name}
    if arch.title:
        doc["title"] = arch.title
    if arch.description:
        doc["description"] = arch.description
    doc["input"] = [_value(d) for d in arch.input]
    if arch.blocks:
        doc["blocks"] = {
            name: {
                "args": {
                    k: ("required" if v is REQUIRED else _value(v)) for k, v in b.args.items()
                },
                "layers": [node_yaml(n) for n in b.items],
            }
            for name, b in arch.blocks.items()
        }
    doc["layers"] = [node_yaml(n) for n in arch.items]
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return header + text
