"""The engine's result: frozen dataclasses, computed once, formatted by the renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Where
from .shape import Shape

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "fp64": 8}
EXTRA_KINDS = ("bias", "norm", "activation", "pooling", "merge")


@dataclass(frozen=True, slots=True)
class AxisRF:
    """Receptive field along one axis: `size` input pixels, `jump` input pixels between adjacent
    units (effective stride), `start` the input coordinate of the first unit's center."""

    size: Any
    jump: Any
    start: Any

    @property
    def padding(self) -> Any:
        """Effective padding P = (size − 1)/2 − start (Araujo et al.: Σ p_l·∏ s_i for a chain)."""
        from .shape import exact, half

        return exact(half(self.size - 1) - self.start)


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
    detail: str = ""
    weighted: bool = False
    nonlinear: bool = False

    @property
    def elements(self) -> Any:
        from .shape import product

        return product(self.output)

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

    @property
    def symbolic(self) -> bool:
        return bool(self.symbols)

    @property
    def rf(self) -> tuple[AxisRF, AxisRF] | None:
        for row in reversed(self.rows):
            if row.rf is not None:
                return row.rf
        return None
