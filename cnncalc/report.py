"""The engine's result: frozen dataclasses, computed once, formatted by the renderers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import Where
from .shape import Shape

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
EXTRA_KINDS = ("bias", "norm", "activation", "pooling", "merge")
NO_ARGS: Mapping[str, Any] = MappingProxyType({})  # shared by every row without arguments


@dataclass(frozen=True, slots=True)
class AxisRF:
    """Receptive field along one axis: `size` input pixels, `jump` input pixels between adjacent
    units (effective stride), `start` the input coordinate of the first unit's center.

    `glob`: some path to the unit passes a global layer (global pooling, flatten, spp, roi_pool),
    so it depends on every input pixel; size, jump and start then describe the paths that avoid
    every global layer (`local`), or, when there are none (`local` false), the whole map the
    last global layer read. `exact`: unit x's field is exactly start + x·jump ± (size − 1)/2;
    false after fractional steps, uneven adaptive windows or merges of unequal jumps, where
    `cnncalc verify --rf` gives the exact field of single units.
    """

    size: Any
    jump: Any
    start: Any
    glob: bool = False
    local: bool = True
    exact: bool = True

    @property
    def padding(self) -> Any:
        """Effective padding P = (size − 1)/2 − start (Araujo et al.: Σ p_l·∏ s_i for a chain)."""
        from .shape import half, plain

        return plain(half(self.size - 1) - self.start)  # symbolic terms may cancel: 217, an int


@dataclass(frozen=True, slots=True)
class Row:
    """One leaf layer (or one merge of a composite) after propagation."""

    path: str
    type: str
    where: Where
    input: Shape
    output: Shape
    params: Any
    trainable: Any
    buffers: Any
    macs: Any
    extra_flops: Any
    extra_kind: str
    rf: tuple[AxisRF, AxisRF] | None
    elements: Any  # output activation elements per sample (summed when rows are collapsed)
    copies: Any = 1  # the output exists this many times per sample (R regions after roi_pool)
    detail: str = ""
    weighted: bool = False
    nonlinear: bool = False
    train_only: bool = False  # inside a `train_only` node (aux head): no MACs in eval mode
    # the layer's resolved arguments, {field: value} (kernel, stride, padding, out, ...); empty
    # for merges and collapsed blocks. Not hashed: a mapping is not hashable.
    args: Mapping[str, Any] = field(default_factory=lambda: NO_ARGS, hash=False)

    @property
    def depth(self) -> int:
        return self.path.count(".") + 1


@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: str
    where: Where
    message: str


@dataclass(frozen=True, slots=True)
class Totals:
    params: Any
    trainable_params: Any
    non_trainable_params: Any
    buffers: Any
    macs: Any
    flops: Any
    extra_flops: dict[str, Any]
    param_bytes: Any
    activation_elements: Any  # per sample, summed over every row's output
    activation_bytes: Any  # × batch × dtype size
    weight_layers: int
    nonlinearities: int


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    source: str
    input: Shape
    output: Shape
    batch: int
    dtype: str
    rows: tuple[Row, ...]
    groups: dict[str, tuple[str, Where]]  # composite path -> (label, where), for --depth
    totals: Totals
    diagnostics: tuple[Diagnostic, ...] = ()
    symbols: tuple[str, ...] = ()  # free symbols (symbolic mode)
    bindings: dict[str, int] = field(default_factory=dict)
    # (path, shape, train_only) of each output, main first (`outputs:`; else the last node)
    outputs: tuple[tuple[str, Shape, bool], ...] = ()
    mode: str = "eval"  # eval: train_only rows count no MACs or activations
    output_rf: tuple[AxisRF, AxisRF] | None = None  # the main output's field

    @property
    def symbolic(self) -> bool:
        return bool(self.symbols)

    @property
    def rf(self) -> tuple[AxisRF, AxisRF] | None:
        """The main output's field (the first of `outputs:`), else the last row's."""
        if self.output_rf is not None:
            return self.output_rf
        for row in reversed(self.rows):
            if row.rf is not None:
                return row.rf
        return None

    def collapsed(self, depth: int | None) -> tuple[Row, ...]:
        """Rows with paths deeper than `depth` segments summed into their block at that depth."""
        if depth is None or depth < 1:
            return self.rows
        merged: dict[str, list[Row]] = {}
        for row in self.rows:
            key = ".".join(row.path.split(".")[:depth])
            merged.setdefault(key, []).append(row)
        out = []
        for key, rows in merged.items():
            if len(rows) == 1 and rows[0].path == key:
                out.append(rows[0])
                continue
            label, where = self.groups.get(key, ("block", rows[0].where))
            out.append(
                Row(
                    path=key,
                    type=label,
                    where=where,
                    input=rows[0].input,
                    output=rows[-1].output,
                    params=sum(r.params for r in rows),
                    trainable=sum(r.trainable for r in rows),
                    buffers=sum(r.buffers for r in rows),
                    macs=sum(r.macs for r in rows),
                    extra_flops=sum(r.extra_flops for r in rows),
                    extra_kind="",
                    rf=rows[-1].rf,
                    elements=sum(r.elements for r in rows),
                    copies=rows[-1].copies,
                    detail=f"{len(rows)} layers",
                    weighted=any(r.weighted for r in rows),
                    nonlinear=any(r.nonlinear for r in rows),
                    train_only=all(r.train_only for r in rows),
                )
            )
        return tuple(out)
