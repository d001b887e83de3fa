"""The report as JSON (docs/json.md): report_json builds the object; to_json writes it as
json.dumps(..., indent=2, ensure_ascii=False) would, one layer at a time."""

from __future__ import annotations

import functools
from typing import Any

from ..report import AxisRF, Report, Row
from .jsonout import dump, encode_str
from .values import SCHEMA_VERSION, json_value


def _jv(value: Any) -> Any:
    """json_value with the common case first: a plain int is already JSON (rows are many)."""
    return value if type(value) is int else json_value(value)


def rf_json(rf: tuple[AxisRF, AxisRF] | None) -> dict[str, Any] | None:
    if rf is None:
        return None
    return {
        "size": [_jv(a.size) for a in rf],
        "jump": [_jv(a.jump) for a in rf],
        "start": [_jv(a.start) for a in rf],
        "padding": [_jv(a.padding) for a in rf],
        # global: some path passes a global layer (the unit depends on every input pixel);
        # local: size, jump and start describe the paths that avoid them (false: none do, and
        # they give the whole map the global layer read); exact: per axis, whether every unit's
        # field is start + x·jump ± (size − 1)/2 (docs/conventions.md#receptive-field)
        "global": rf[0].glob,
        "local": rf[0].local,
        "exact": [a.exact for a in rf],
    }


def outputs_json(report: Report) -> list[dict[str, Any]]:
    return [
        {"path": path, "shape": [json_value(d) for d in shape], "train_only": train}
        for path, shape, train in report.outputs
    ]


def row_json(row: Row) -> dict[str, Any]:
    return {
        "path": row.path,
        "type": row.type,
        "file": row.where.file,
        "line": row.where.line,
        "input": [_jv(d) for d in row.input],
        "output": [_jv(d) for d in row.output],
        "params": _jv(row.params),
        "trainable_params": _jv(row.trainable),
        "buffers": _jv(row.buffers),
        "macs": _jv(row.macs),
        "flops": _jv(2 * row.macs),
        "extra_flops": _jv(row.extra_flops),
        "extra_kind": row.extra_kind or None,
        "activations": _jv(row.elements),
        "copies": _jv(row.copies),
        "rf": rf_json(row.rf),
        "train_only": row.train_only,
        "args": args_json(row.args),
    }


def args_json(args: Any) -> dict[str, Any]:
    """A row's arguments: pairs as arrays ([3, 3]; padding [[1, 1], [1, 1]], before and after
    per axis), numbers and expressions as everywhere else in the JSON; null where the file left
    an argument to its default rule (a pool's stride: the kernel)."""
    return {key: _arg(value) for key, value in args.items()} if args else {}


def _arg(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_arg(v) for v in value]
    return json_value(value)


def report_json(report: Report, depth: int | None = None, layers: bool = True) -> dict[str, Any]:
    t = report.totals
    return {
        "schema_version": SCHEMA_VERSION,
        "name": report.name,
        "title": report.title,
        "source": report.source,
        "input": [json_value(d) for d in report.input],
        "output": [json_value(d) for d in report.output],
        "outputs": outputs_json(report),
        "mode": report.mode,
        "batch": report.batch,
        "dtype": report.dtype,
        "symbols": list(report.symbols),
        "bindings": dict(report.bindings),
        "totals": {
            "params": json_value(t.params),
            "trainable_params": json_value(t.trainable_params),
            "non_trainable_params": json_value(t.non_trainable_params),
            "buffers": json_value(t.buffers),
            "macs": json_value(t.macs),
            "flops": json_value(t.flops),
            "extra_flops": {k: json_value(v) for k, v in t.extra_flops.items()},
            "param_bytes": json_value(t.param_bytes),
            "activations": json_value(t.activation_elements),
            "activation_bytes": json_value(t.activation_bytes),
            "weight_layers": t.weight_layers,
            "nonlinearities": t.nonlinearities,
        },
        "rf": rf_json(report.rf),
        "diagnostics": [
            {"path": d.path, "file": d.where.file, "line": d.where.line, "message": d.message}
            for d in report.diagnostics
        ],
        **({"layers": [row_json(r) for r in report.collapsed(depth)]} if layers else {}),
    }


def to_json(report: Report, depth: int | None = None) -> str:
    """json.dumps(report_json(...), indent=2, ensure_ascii=False), character for character, but
    the layers are turned into dicts and text one at a time: with indent, json.dumps runs its
    pure-Python encoder over one dict tree of every layer (199,999 ReLUs: 1.4 GiB, 28 s)."""
    head = report_json(report, depth, layers=False)
    out: list[str] = []
    dump(head, 0, out)
    rows = report.collapsed(depth)
    if not rows:
        out[-1:] = [',\n  "layers": []\n}']
        return "".join(out)
    out[-1:] = [',\n  "layers": [']  # replaces the closing "\n}" of the head
    out.append("\n    ")
    out.append(",\n    ".join(_row_text(row_json(row)) for row in rows))
    out.append("\n  ]\n}")
    return "".join(out)


_L3, _L4, _L5 = "\n      ", "\n        ", "\n          "



def _row_text(row: dict[str, Any]) -> str:
    """_dump of one layer's dict (level 2), unrolled for its shape — scalars, lists of
    scalars, and the rf dict of lists — which is most of the time to_json takes."""
    parts = []
    for key, value in row.items():
        kind = type(value)
        if kind is int:
            text = int.__repr__(value)
        elif kind is list:
            text = _scalars(value, _L4, "\n      ]")
        elif kind is dict and value:
            text = "{" + _L4 + ("," + _L4).join(
                _key(k) + (_scalars(v, _L5, "\n        ]") if _flat(v) else _text(v, 4))
                for k, v in value.items()
            ) + "\n      }"
        else:
            text = _text(value, 3)
        parts.append(_key(key) + text)
    return "{" + _L3 + ("," + _L3).join(parts) + "\n    }"


def _flat(value: Any) -> bool:
    """A list of scalars (no list or dict inside): what _scalars writes."""
    return type(value) is list and not any(isinstance(v, (list, dict)) for v in value)


@functools.lru_cache(maxsize=256)
def _key(key: str) -> str:
    return encode_str(key) + ": "


def _scalars(values: list[Any], inner: str, close: str) -> str:
    if not values:
        return "[]"
    if all(type(v) is int for v in values):
        return "[" + inner + ("," + inner).join(map(int.__repr__, values)) + close
    return "[" + inner + ("," + inner).join([_text(v, 0) for v in values]) + close


def _text(value: Any, level: int) -> str:
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is str:
        return encode_str(value)
    if value is None:
        return "null"
    if value is True:  # the rf flags: global, local, exact per axis
        return "true"
    if value is False:
        return "false"
    out: list[str] = []
    dump(value, level, out)
    return "".join(out)

