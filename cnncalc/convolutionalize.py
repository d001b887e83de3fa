"""Convolutionalize a classifier (Long et al. 2015, FCN): the fully connected layers after the
last feature map become convolutions with the same weights, so the network slides over any
larger input and outputs a heat map.

The first linear layer after `flatten` reads a C x h x w map: it becomes an h x w convolution
with as many filters as it had outputs (same C·h·w·out weights, same biases); each later linear
layer becomes a 1x1 convolution. The flatten goes, and so does an adaptive pooling right before
it when it is an identity at the architecture's input size (torchvision's avgpool in VGG and
AlexNet), since it would otherwise squeeze every input back to the training size.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .engine import analyze_architecture
from .errors import SpecError
from .layers.conv import Conv
from .layers.linear import Flatten, Linear
from .layers.pool import AdaptiveAvgPool, AdaptiveMaxPool
from .nodes import Architecture, Leaf, Node, Seq
from .report import Report


def _flat(items: tuple[Node, ...]) -> list[tuple[tuple[int, ...], Node]]:
    """Top-level leaves with their position (index path through named seqs)."""
    out: list[tuple[tuple[int, ...], Node]] = []
    for i, item in enumerate(items):
        if isinstance(item, Seq):
            out.extend(((i, *pos), n) for pos, n in _flat(item.items))
        else:
            out.append(((i,), item))
    return out


def convolutionalize(arch: Architecture, report: Report) -> Architecture:
    leaves = _flat(arch.items)
    flatten_at = [k for k, (_, n) in enumerate(leaves) if isinstance(n, Leaf) and n.cls is Flatten]
    if not flatten_at:
        raise SpecError(f"{arch.name} has no flatten at its top level: nothing to convolutionalize")
    k = flatten_at[-1]
    rows = {r.where: r for r in report.rows}
    flatten_row = rows.get(leaves[k][1].where)
    if flatten_row is None or len(flatten_row.input) != 3:
        raise SpecError("the flatten does not follow a feature map")
    _, h, w = flatten_row.input
    drop = {leaves[k][0]}
    j = k - 1
    before = leaves[j][1] if j >= 0 else None
    if isinstance(before, Leaf) and before.cls in (AdaptiveAvgPool, AdaptiveMaxPool):
        pool_row = rows.get(leaves[j][1].where)
        if pool_row is not None and pool_row.input == pool_row.output:
            drop.add(leaves[j][0])
    replace: dict[tuple[int, ...], Node] = {}
    first = True
    for pos, node in leaves[k + 1 :]:
        if not isinstance(node, Leaf):
            raise SpecError(
                "convolutionalize handles chains after flatten (a composite follows it)"
            )
        if node.cls is Linear:
            args = dict(node.args)
            kernel = (h, w) if first else (1, 1)
            new_args: dict[str, Any] = {"out": args["out"], "kernel": kernel}
            if "bias" in args:
                new_args["bias"] = args["bias"]
            replace[pos] = Leaf(node.where, node.name, Conv, new_args, tuple(
                p for p in node.pending if p in new_args
            ), node.frozen)
            first = False
    if first:
        raise SpecError(f"{arch.name} has no linear layer after its flatten")

    def rebuild(items: tuple[Node, ...], prefix: tuple[int, ...]) -> tuple[Node, ...]:
        out: list[Node] = []
        for i, item in enumerate(items):
            pos = (*prefix, i)
            if pos in drop:
                continue
            if isinstance(item, Seq):
                out.append(dataclasses.replace(item, items=rebuild(item.items, pos)))
            else:
                out.append(replace.get(pos, item))
        return tuple(out)

    return dataclasses.replace(
        arch,
        name=f"{arch.name}-fcn",
        title=f"{arch.title or arch.name}, convolutionalized (Long et al. 2015)",
        description=(
            f"{arch.name} with its fully connected layers as convolutions "
            f"({h}x{w}, then 1x1): the same parameters, a heat map for larger inputs."
        ),
        items=rebuild(arch.items, ()),
    )


def convolutionalized(arch: Architecture) -> tuple[Architecture, Report, Report]:
    before = analyze_architecture(arch)
    after_arch = convolutionalize(arch, before)
    after = analyze_architecture(after_arch)
    return after_arch, before, after
