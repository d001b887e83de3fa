"""Merges: how the outputs of several paths become one tensor. The one table of merge kinds
(a parallel's `merge: KIND`, and merges by name, `- KIND: [a, b, ...]`), each with its shape
rule and the operations it counts (under "merge" in the other operations, never as MACs). The
loader (which words are merges), the engine and the JSON schema read it; the reference pass
computes merges with its own kernels (cnncalc/reference/merge.py). A new kind is one entry here:

    concat   channels stacked: C = Σ Cᵢ, equal spatial sizes; no arithmetic
    add      element-wise sum of equal shapes: (n − 1)·|out| additions
    mul      element-wise product with torch's broadcasting rule: (n − 1)·|out| multiplications

Torch's broadcasting rule (per sample; the batch axis is the same on every input): the shapes
are aligned on their last axis and each size must be equal, or 1 (then it is repeated). So a
squeeze-excitation gate C x 1 x 1 scales every pixel of C x H x W, and a spatial-attention map
1 x H x W every channel. cnncalc asks the inputs to be all feature maps or all flat vectors (the
batch axis would otherwise line up against a map axis).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ShapeError
from .shape import Shape, format_shape, is_int, product

Named = list[tuple[str, Shape]]  # (input name, its shape), in order


def same_size(a: Any, b: Any) -> bool:
    """Two sizes equal: as integers, or as symbolic expressions whose difference is 0."""
    if a == b:
        return True
    if is_int(a) and is_int(b):
        return False
    import sympy

    return bool(sympy.expand(a - b) == 0)


def same_shape(a: Shape, b: Shape) -> bool:
    """Equal shapes, also when their sizes are symbolic expressions written differently."""
    return len(a) == len(b) and all(same_size(x, y) for x, y in zip(a, b, strict=True))


def _listing(inputs: Named) -> str:
    return ", ".join(f"{n} {format_shape(s)}" for n, s in inputs)


def _concat(inputs: Named, what: str) -> Shape:
    shapes = [s for _, s in inputs]
    if not all(all(same_size(x, y) for x, y in zip(s[1:], shapes[0][1:], strict=True))
               for s in shapes):
        raise ShapeError(
            f"concat needs equal spatial sizes, but the {what} give {_listing(inputs)}"
        )
    return (sum(s[0] for s in shapes), *shapes[0][1:])


def _add(inputs: Named, what: str) -> Shape:
    shapes = [s for _, s in inputs]
    if not all(all(same_size(x, y) for x, y in zip(s, shapes[0], strict=True)) for s in shapes):
        raise ShapeError(f"add needs equal shapes, but the {what} give {_listing(inputs)}")
    return shapes[0]


def broadcast(inputs: Named, what: str = "inputs") -> Shape:
    """Torch's rule, axis by axis: sizes equal, or 1 (a size that is the literal 1; a symbolic
    size is never taken to be 1). The output size is the one that is not 1."""
    shapes = [s for _, s in inputs]
    out = []
    for axis in range(len(shapes[0])):
        size: Any = 1
        for _, shape in inputs:
            d = shape[axis]
            if d == 1:
                continue
            if size == 1:
                size = d
            elif not same_size(size, d):
                sizes = ("channels", "height", "width")[axis] if len(shape) == 3 else "size"
                raise ShapeError(
                    f"mul cannot broadcast {_listing(inputs)}: the {sizes} differ and neither "
                    "is 1 (torch's rule: along each axis the sizes are equal, or one of them is 1)"
                )
        out.append(size)
    return tuple(out)


def broadcast_axes(shape: Shape, out: Shape) -> tuple[bool, ...]:
    """Per spatial axis (height, width): whether `shape` is repeated along it to give `out`."""
    if len(shape) != 3 or len(out) != 3:
        return (False, False)
    return tuple(shape[1 + a] == 1 and out[1 + a] != 1 for a in range(2))


def _elementwise_ops(inputs: list[Shape], out: Shape) -> Any:
    """(n − 1)·|out|: one operation per output element for each input after the first."""
    return (len(inputs) - 1) * product(out)


def _no_ops(inputs: list[Shape], out: Shape) -> Any:
    """0: concatenation moves values and computes nothing."""
    return 0


# kind -> (output shape of the named inputs, other operations, the detail's separator)
MERGES: dict[
    str, tuple[Callable[[Named, str], Shape], Callable[[list[Shape], Shape], Any], str]
] = {
    "concat": (_concat, _no_ops, ""),
    "add": (_add, _elementwise_ops, " + "),
    "mul": (broadcast, _elementwise_ops, " * "),
}


def merged_shape(kind: str, inputs: Named, what: str = "branches") -> Shape:
    """The output shape of merging `inputs` (ShapeError, without location, when they do not
    fit); all must be feature maps or all flat vectors. `what` names the inputs in a message:
    a parallel's "branches", a named merge's "inputs"."""
    shapes = [s for _, s in inputs]
    if any(len(s) != len(shapes[0]) for s in shapes):
        raise ShapeError(
            f"{kind} needs all feature maps or all flat vectors, but the {what} give "
            f"{_listing(inputs)}"
        )
    return MERGES[kind][0](inputs, what)


def other_ops(kind: str, inputs: list[Shape], out: Shape) -> Any:
    return MERGES[kind][1](inputs, out)


def detail(kind: str, inputs: list[Shape]) -> str:
    """The table's Args column: `A + B`, `A * B`; nothing for concat."""
    sep = MERGES[kind][2]
    return sep.join(format_shape(s) for s in inputs) if sep else ""
