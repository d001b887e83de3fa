"""The architecture tree: leaves (layers) and the small, closed set of composites.

The loader builds it from YAML; the engine walks it. Values that depend on block arguments or on
the incoming shape stay `Expr` until the engine resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Where
from .layers.base import Layer

REQUIRED = object()  # marks a block argument without a default


@dataclass(frozen=True, slots=True)
class Leaf:
    where: Where
    name: str | None
    cls: type[Layer]
    args: dict[str, Any]  # field -> coerced literal, or Expr / container with Expr to resolve
    pending: tuple[str, ...]  # the fields that still hold expressions
    frozen: bool = False
    source: str | None = None  # `from:`: the earlier node whose output is this one's input
    train_only: bool = False  # `train_only: true`: runs only in training (aux heads)


@dataclass(frozen=True, slots=True)
class Seq:
    """A named group of layers: `- seq: [...]`."""

    where: Where
    name: str | None
    items: tuple[Node, ...]
    source: str | None = None  # `from:`: the earlier node whose output is this one's input
    train_only: bool = False  # `train_only: true`: runs only in training (aux heads)


@dataclass(frozen=True, slots=True)
class Repeat:
    """`count` copies of `items`; unnamed, its copies number on in the enclosing sequence."""

    where: Where
    name: str | None
    count: Any
    items: tuple[Node, ...]
    source: str | None = None  # `from:`: the earlier node whose output is this one's input
    train_only: bool = False  # `train_only: true`: runs only in training (aux heads)


@dataclass(frozen=True, slots=True)
class Use:
    """A named block with arguments."""

    where: Where
    name: str | None
    block: str
    args: dict[str, Any]
    source: str | None = None  # `from:`: the earlier node whose output is this one's input
    train_only: bool = False  # `train_only: true`: runs only in training (aux heads)


@dataclass(frozen=True, slots=True)
class Residual:
    """body(x) + shortcut(x), then an optional activation (ResNet)."""

    where: Where
    name: str | None
    body: tuple[Node, ...]
    shortcut: str | tuple[Node, ...]  # "identity", "auto" or layers
    activation: Leaf | None = None
    source: str | None = None  # `from:`: the earlier node whose output is this one's input
    train_only: bool = False  # `train_only: true`: runs only in training (aux heads)


@dataclass(frozen=True, slots=True)
class Parallel:
    """Branches on the same input, merged by concat (Inception) or add."""

    where: Where
    name: str | None
    branches: tuple[tuple[str, tuple[Node, ...]], ...]
    merge: str = "concat"
    source: str | None = None  # `from:`: the earlier node whose output is this one's input
    train_only: bool = False  # `train_only: true`: runs only in training (aux heads)


@dataclass(frozen=True, slots=True)
class Dense:
    """`count` steps, each concatenating its body's output to its input (DenseNet)."""

    where: Where
    name: str | None
    count: Any
    body: tuple[Node, ...]
    source: str | None = None  # `from:`: the earlier node whose output is this one's input
    train_only: bool = False  # `train_only: true`: runs only in training (aux heads)


@dataclass(frozen=True, slots=True)
class SqueezeExcite:
    """x · gate(fc2(activation(fc1(avgpool(x))))): torchvision's SqueezeExcitation, with its
    module names; fc1 squeezes to `squeeze` channels, fc2 restores x's."""

    where: Where
    name: str | None
    squeeze: Any  # an int, or an Expr (of C_in: the channels arriving)
    activation: Leaf
    gate: Leaf
    source: str | None = None  # `from:`: the earlier node whose output is this one's input
    train_only: bool = False  # `train_only: true`: runs only in training (aux heads)


@dataclass(frozen=True, slots=True)
class Merge:
    """`- concat: [a, b]`, `- add: [x, shortcut]`: the outputs of earlier named nodes merged
    (cnncalc/merges.py lists the kinds)."""

    where: Where
    name: str | None
    kind: str
    inputs: tuple[str, ...]  # references, resolved by the engine as `from:` is
    source: str | None = None  # never set: a merge names its inputs
    train_only: bool = False


Node = Leaf | Seq | Repeat | Use | Residual | Parallel | Dense | SqueezeExcite | Merge


@dataclass(frozen=True, slots=True)
class Block:
    name: str
    where: Where
    args: dict[str, Any]  # name -> default value, Expr, or REQUIRED
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Architecture:
    name: str
    title: str
    description: str
    source: str  # file path, or "zoo:NAME"
    where: Where
    input: tuple[Any, ...]  # ints or Expr (symbolic entries)
    input_where: Where
    symbols: tuple[str, ...]
    blocks: dict[str, Block]
    items: tuple[Node, ...]
    # `outputs:`: (reference, where) per declared output, main first; () = the last node's output
    outputs: tuple[tuple[str, Where], ...] = ()
    # symbol -> its value unless --set (or --input) binds it: `symbols: {groups: 1}`
    defaults: dict[str, int] = field(default_factory=dict)
