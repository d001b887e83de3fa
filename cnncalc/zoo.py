"""The built-in zoo: YAML files shipped inside the package (cnncalc/architectures in a wheel,
the repository's top-level architectures/ in a source checkout), and variants: a zoo file with
some of its defaulted symbols bound otherwise (`symbols: {groups: 1}` in the file), as
torchvision builds ResNeXt and Wide ResNet from its ResNet class with other arguments."""

from __future__ import annotations

import dataclasses
import difflib
import os
import stat
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import importers
from .errors import SpecError
from .loader import load_text, read_file
from .nodes import Architecture

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Variant:
    """A zoo entry that is the file `base` with `bindings` for its defaulted symbols:
    `cnncalc params NAME` is `cnncalc params BASE --set k=v,...` under NAME's title."""

    base: str
    bindings: dict[str, int]
    title: str
    description: str


VARIANTS = {
    "resnext50_32x4d": Variant(
        "resnet50",
        {"groups": 32, "width_per_group": 4},
        'ResNeXt-50 32x4d (Xie, Girshick, Dollár, Tu & He, "Aggregated Residual '
        'Transformations for Deep Neural Networks", CVPR 2017), as torchvision builds it',
        "resnet50 with 32 groups of width 4 in each bottleneck's 3x3 "
        "(cnncalc show resnet50; --set groups=32,width_per_group=4).",
    ),
    "wide_resnet50_2": Variant(
        "resnet50",
        {"width_per_group": 128},
        'Wide ResNet-50-2 (Zagoruyko & Komodakis, "Wide Residual Networks", BMVC 2016), '
        "as torchvision builds it",
        "resnet50 with bottlenecks twice as wide inside (cnncalc show resnet50; "
        "--set width_per_group=128).",
    ),
    "efficientnet_b3": Variant(
        "efficientnet_b0",
        {"width_pct": 120, "depth_pct": 140, "size": 300},
        'EfficientNet-B3 (Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional '
        'Neural Networks", ICML 2019), as torchvision builds it',
        "efficientnet_b0 at width_mult 1.2, depth_mult 1.4 and 300x300 (cnncalc show "
        "efficientnet_b0; --set width_pct=120,depth_pct=140,size=300).",
    ),
}


@cache
def zoo_dir() -> Path:
    for candidate in (_HERE / "architectures", _HERE.parent / "architectures"):
        if candidate.is_dir():
            return candidate
    raise SpecError("cnncalc's zoo is missing from this installation (no architectures/ folder)")


def names() -> list[str]:
    return sorted([p.stem for p in zoo_dir().glob("*.yaml")] + list(VARIANTS))


def zoo_path(name: str) -> Path | None:
    """The zoo file of a zoo name, looked up among the names the zoo lists (never a path built
    from the name, so `../x` or `/tmp/x` cannot reach outside the zoo folder)."""
    found = zoo_name(name)
    if found is None:
        return None
    return zoo_dir() / f"{VARIANTS[found].base if found in VARIANTS else found}.yaml"


def zoo_name(name: str) -> str | None:
    """The zoo's own spelling of a name (`vgg16-bn` is `vgg16_bn`), or None."""
    listed = names()
    for candidate in (name, name.replace("-", "_"), name.replace("_", "-"), name.lower()):
        if candidate in listed:
            return candidate
    return None


def read_text(path: Path, label: str) -> str:
    try:
        return read_file(path, label)  # bounded in bytes before reading; bad bytes located
    except OSError as exc:
        raise SpecError(f"cannot read {label}: {exc.strerror or exc}") from None


def looks_like_path(arch: str) -> bool:
    """A path has a folder separator, a YAML suffix or an importer's (`.onnx`); anything else
    is a zoo name unless a file of that name exists (`vgg16` in the current folder wins over
    the zoo's)."""
    return (
        "/" in arch
        or os.sep in arch
        or arch.endswith((".yaml", ".yml"))
        or importers.reader_for(arch) is not None
    )


def locate(arch: str) -> tuple[str, str, str]:
    """ARCH -> (YAML text, the name used in messages, source). A foreign model file (`.onnx`)
    is read by its importer (cnncalc/importers/) into YAML text. An existing path wins over a
    zoo name; a zoo name is a name the zoo lists (`cnncalc list`), never a path. A variant's
    text is its base file's, with a closing comment that says which bindings make it."""
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
        if importers.reader_for(arch) is not None:  # a foreign model file: its YAML
            return importers.to_yaml(arch), arch, str(path)
        return read_text(path, arch), arch, str(path)
    if looks_like_path(arch):
        raise SpecError(f"no such file: {arch}")
    name = zoo_name(arch)
    if name is not None:
        found = zoo_dir() / f"{VARIANTS[name].base if name in VARIANTS else name}.yaml"
        text = read_text(found, found.name)
        if name in VARIANTS:  # at the end, so that the base file's line numbers hold
            bound = ",".join(f"{k}={v}" for k, v in VARIANTS[name].bindings.items())
            text = text.rstrip("\n") + f"\n# {name}: this file with --set {bound}\n"
        return text, found.name, f"zoo:{name}"
    close = difflib.get_close_matches(arch, names(), n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise SpecError(
        f"{arch!r} is neither a zoo name nor a file{hint} (`cnncalc list` shows the zoo)"
    )


def load(arch: str) -> Architecture:
    text, label, source = locate(arch)
    loaded = load_text(text, label, source)
    variant = VARIANTS.get(source.removeprefix("zoo:")) if source.startswith("zoo:") else None
    if variant is None:
        return loaded
    return dataclasses.replace(
        loaded,
        name=source.removeprefix("zoo:"),
        title=variant.title,
        description=variant.description,
        defaults={**loaded.defaults, **variant.bindings},
    )
