"""JSON text: json.dumps(value, indent=2, ensure_ascii=False), character for character, by a
writer that also serves the report's streaming encoder (render/report_json.py)."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> str:
    """json.dumps(value, indent=2, ensure_ascii=False)."""
    out: list[str] = []
    dump(value, 0, out)
    return "".join(out)


def dump(value: Any, level: int, out: list[str]) -> None:
    """Append json.dumps(value, indent=2, ensure_ascii=False) for a value nested `level` deep;
    the last piece appended is always the closing "\n<indent>}" or "]" of a container, or the
    scalar itself (report_json.to_json relies on it)."""
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = "\n" + "  " * (level + 1)
        sep = "{" + inner
        for key, item in value.items():
            out.append(sep + encode_str(str(key)) + ": ")
            dump(item, level + 1, out)
            sep = "," + inner
        out.append("\n" + "  " * level + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = "\n" + "  " * (level + 1)
        sep = "[" + inner
        for item in value:
            out.append(sep)
            dump(item, level + 1, out)
            sep = "," + inner
        out.append("\n" + "  " * level + "]")
    elif isinstance(value, str):
        out.append(encode_str(value))
    elif type(value) is int:
        out.append(int.__repr__(value))
    else:  # None, bools, floats: json's own spelling
        out.append(json.dumps(value))


encode_str = json.encoder.encode_basestring  # the C encoder when there is one, as json.dumps
