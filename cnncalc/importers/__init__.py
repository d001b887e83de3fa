"""Readers of foreign model files: each turns a file into cnncalc architecture YAML text, which
the ordinary loader then reads (so an imported model is checked exactly as a hand-written one).

    onnx.py   an ONNX ModelProto (`.onnx`), with the optional `onnx` package

A reader is chosen by the file's extension (`reader_for`); its package is imported only when a
file of its kind is read, so the zoo commands start without it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

# extension -> the module under cnncalc.importers that reads it
READERS = {".onnx": "onnx"}


def reader_for(path: str) -> str | None:
    """The importer module's name for a path (by its extension, any case), or None."""
    return READERS.get(Path(path).suffix.lower())


def to_yaml(path: str, label: str | None = None) -> str:
    """The architecture YAML of a foreign model file (SpecError when it cannot be read)."""
    import importlib

    kind = reader_for(path)
    assert kind is not None, path
    module = importlib.import_module(f"{__name__}.{kind}")
    convert: Callable[[str, str], str] = module.to_yaml
    return convert(path, label or path)
