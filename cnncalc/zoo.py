"""The built-in zoo: YAML files shipped inside the package (cnncalc/architectures in a wheel,
the repository's top-level architectures/ in a source checkout)."""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

from .errors import SpecError
from .loader import load_text, read_file
from .nodes import Architecture

_HERE = Path(__file__).resolve().parent


@cache
def zoo_dir() -> Path:
    for candidate in (_HERE / "architectures", _HERE.parent / "architectures"):
        if candidate.is_dir():
            return candidate
    raise SpecError("cnncalc's zoo is missing from this installation (no architectures/ folder)")


def names() -> list[str]:
    return sorted(p.stem for p in zoo_dir().glob("*.yaml"))


def zoo_path(name: str) -> Path | None:
    folder = zoo_dir()
    for candidate in (name, name.replace("-", "_"), name.replace("_", "-"), name.lower()):
        path = folder / f"{candidate}.yaml"
        if path.is_file():
            return path
    return None


def read_text(path: Path, label: str) -> str:
    try:
        return read_file(path, label)  # bounded in bytes before reading; bad bytes located
    except OSError as exc:
        raise SpecError(f"cannot read {label}: {exc.strerror}") from None


def locate(arch: str) -> tuple[str, str, str]:
    """ARCH -> (YAML text, the name used in messages, source). A path wins over a zoo name."""
    path = Path(arch)
    if path.is_file():
        return read_text(path, arch), arch, str(path)
    if path.is_dir():
        raise SpecError(f"{arch} is a folder, not an architecture file")
    found = zoo_path(arch)
    if found is not None:
        return read_text(found, found.name), found.name, f"zoo:{found.stem}"
    if arch.endswith((".yaml", ".yml")) or "/" in arch:
        raise SpecError(f"no such file: {arch}")
    close = difflib.get_close_matches(arch, names(), n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise SpecError(
        f"{arch!r} is neither a zoo name nor a file{hint} (`cnncalc list` shows the zoo)"
    )


def load(arch: str) -> Architecture:
    text, label, source = locate(arch)
    return load_text(text, label, source)
