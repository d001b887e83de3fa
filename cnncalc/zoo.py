"""The built-in zoo: YAML files shipped inside the package (cnncalc/architectures in a wheel,
the repository's top-level architectures/ in a source checkout)."""

from __future__ import annotations

import difflib
import os
import stat
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
    """The zoo file of a zoo name, looked up among the names the zoo lists (never a path built
    from the name, so `../x` or `/tmp/x` cannot reach outside the zoo folder)."""
    listed = names()
    for candidate in (name, name.replace("-", "_"), name.replace("_", "-"), name.lower()):
        if candidate in listed:
            return zoo_dir() / f"{candidate}.yaml"
    return None


def read_text(path: Path, label: str) -> str:
    try:
        return read_file(path, label)  # bounded in bytes before reading; bad bytes located
    except OSError as exc:
        raise SpecError(f"cannot read {label}: {exc.strerror or exc}") from None


def looks_like_path(arch: str) -> bool:
    """A path has a folder separator or a YAML suffix; anything else is a zoo name unless a
    file of that name exists (`vgg16` in the current folder wins over the zoo's)."""
    return "/" in arch or os.sep in arch or arch.endswith((".yaml", ".yml"))


def locate(arch: str) -> tuple[str, str, str]:
    """ARCH -> (YAML text, the name used in messages, source). An existing path wins over a
    zoo name; a zoo name is a name the zoo lists (`cnncalc list`), never a path."""
    path = Path(arch)
    try:
        st: os.stat_result | None = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as exc:  # no permission on a folder of the path, a name too long, a loop
        raise SpecError(f"cannot read {arch}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte in the name
        raise SpecError(f"{arch!r} is not a valid file name") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise SpecError(f"{arch} is a folder, not an architecture file")
        return read_text(path, arch), arch, str(path)
    if looks_like_path(arch):
        raise SpecError(f"no such file: {arch}")
    found = zoo_path(arch)
    if found is not None:
        return read_text(found, found.name), found.name, f"zoo:{found.stem}"
    close = difflib.get_close_matches(arch, names(), n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise SpecError(
        f"{arch!r} is neither a zoo name nor a file{hint} (`cnncalc list` shows the zoo)"
    )


def load(arch: str) -> Architecture:
    text, label, source = locate(arch)
    return load_text(text, label, source)
