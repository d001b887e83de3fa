"""The merge kinds: how several inputs become one map, in `parallel` (`merge: KIND`) and by name
(`- KIND: [a, b, ...]`). One table, read by the loader (which words are merges), the engine
(the output shape, and whether the merge's element-wise operations count as "merge" ops) and
the reference pass (the computation). A new kind is one entry here.

- concat: channels stacked, C = Σ C_k; every input must have the same spatial size (a flat
  vector concatenates its features).
- add: element-wise sum; every input must have the same shape. (n − 1)·C·H·W additions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ShapeError
from .shape import Shape, format_shape, is_int


def same_shape(a: Shape, b: Shape) -> bool:
    """Equal shapes, also when their sizes are symbolic expressions written differently."""
    if a == b:
        return True
    if len(a) != len(b) or all(is_int(x) for x in (*a, *b)):
        return False
    import sympy

    return all(sympy.expand(x - y) == 0 for x, y in zip(a, b, strict=True))


def _listing(inputs: list[tuple[str, Shape]]) -> str:
    return ", ".join(f"{n} {format_shape(s)}" for n, s in inputs)


def _concat_shape(inputs: list[tuple[str, Shape]], what: str) -> Shape:
    shapes = [s for _, s in inputs]
    if not all(same_shape(s[1:], shapes[0][1:]) for s in shapes):
        raise ShapeError(
            f"concat needs equal spatial sizes, but the {what} give {_listing(inputs)}"
        )
    return (sum(s[0] for s in shapes), *shapes[0][1:])


def _add_shape(inputs: list[tuple[str, Shape]], what: str) -> Shape:
    shapes = [s for _, s in inputs]
    if not all(same_shape(s, shapes[0]) for s in shapes):
        raise ShapeError(f"add needs equal shapes, but the {what} give {_listing(inputs)}")
    return shapes[0]


def _concat(xs: list[Any]) -> Any:
    import numpy as np

    return np.concatenate(xs, axis=1)


def _add(xs: list[Any]) -> Any:
    return sum(xs[1:], xs[0])


@dataclass(frozen=True, slots=True)
class MergeKind:
    # (name, shape) per input, and what to call the inputs in a message -> the output shape,
    # or a ShapeError (without location: the engine adds it)
    shape: Callable[[list[tuple[str, Shape]], str], Shape]
    forward: Callable[[list[Any]], Any]  # NumPy arrays (batch first) -> the merged array
    counts_ops: bool  # element-wise: (n − 1)·|output| operations, shown as "merge" ops


MERGES: dict[str, MergeKind] = {
    "concat": MergeKind(_concat_shape, _concat, counts_ops=False),
    "add": MergeKind(_add_shape, _add, counts_ops=True),
}


def merged_shape(kind: str, inputs: list[tuple[str, Shape]], what: str) -> Shape:
    """The output of merging `inputs` by `kind`; all feature maps or all flat vectors."""
    if any(len(s) != len(inputs[0][1]) for _, s in inputs):
        raise ShapeError(
            f"{kind} needs all feature maps or all flat vectors, but the {what} give "
            f"{_listing(inputs)}"
        )
    return MERGES[kind].shape(inputs, what)
