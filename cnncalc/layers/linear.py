"""Fully connected layers and the reshaping around them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ShapeError
from ..shape import Shape, product
from .base import AxisStep, DataMovement, Layer, register


@register("linear", "fc")
@dataclass(frozen=True, slots=True)
class Linear(Layer):
    """Fully connected layer on a flat vector (weight out x in)."""

    out: Any
    bias: bool = True

    FIELDS = {"out": "pos", "bias": "bool"}
    PRIMARY = "out"
    EXTRA_KIND = "bias"
    WEIGHTED = True

    def output_shape(self, shape: Shape) -> Shape:
        """(out,) from a flat vector."""
        # Deliberately an error, not an implicit flatten: torch's nn.Linear on a C x H x W map acts
        # on the last axis only, which is almost never what the author meant.
        if len(shape) != 1:
            raise ShapeError(
                f"linear needs a flat vector, but its input is the feature map "
                f"{'x'.join(map(str, shape))}; add `- flatten` before it"
            )
        return (self.out,)

    def params(self, shape: Shape) -> Any:
        """in·out + out (bias)."""
        return shape[0] * self.out + (self.out if self.bias else 0)

    def buffers(self, shape: Shape) -> Any:
        """0: no running statistics."""
        return 0

    def macs(self, shape: Shape, out: Shape) -> Any:
        """in·out."""
        return shape[0] * self.out

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """One add per output for the bias."""
        return self.out if self.bias else 0

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep] | None:
        """None: a flat vector has no spatial axes (every output sees every input)."""
        return None

    def weight_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {"weight": (self.out, shape[0])}
        if self.bias:
            shapes["bias"] = (self.out,)
        return shapes

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.linear(x, weights["weight"], weights.get("bias"))


@register("flatten")
@dataclass(frozen=True, slots=True)
class Flatten(DataMovement):
    """C x H x W -> C·H·W. Every feature after it depends on the whole map."""

    FIELDS = {}

    def output_shape(self, shape: Shape) -> Shape:
        """(C·H·W,)."""
        return (product(shape),)

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep] | None:
        """The whole map (None when already flat)."""
        if len(shape) != 3:
            return None
        return (AxisStep(shape[1], shape[1], 0), AxisStep(shape[2], shape[2], 0))

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        return x.reshape(x.shape[0], -1)
