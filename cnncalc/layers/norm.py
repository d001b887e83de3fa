"""Normalisation layers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import SpecError
from ..shape import Shape, is_int, product
from .base import Elementwise, register


@register("bn", "batchnorm", "batch_norm")
@dataclass(frozen=True, slots=True)
class BatchNorm(Elementwise):
    """Batch normalisation over channels (inference: y = γ·(x − μ)/√(σ² + ε) + β)."""

    eps: float = 1e-5
    affine: bool = True

    FIELDS = {"eps": "float", "affine": "bool"}
    EXTRA_KIND = "norm"

    def params(self, shape: Shape) -> Any:
        """2·C (γ and β) when affine."""
        return 2 * shape[0] if self.affine else 0

    def buffers(self, shape: Shape) -> Any:
        """2·C running statistics (μ and σ²); torch's one-integer num_batches_tracked is not
        counted."""
        return 2 * shape[0]

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """2 per element: inference batch norm folds into one multiply and one add."""
        return 2 * product(shape)

    def weight_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"weight": (shape[0],), "bias": (shape[0],)} if self.affine else {}

    def buffer_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"running_mean": (shape[0],), "running_var": (shape[0],)}

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.batch_norm(
            x, weights["running_mean"], weights["running_var"], weights.get("weight"),
            weights.get("bias"), eps=self.eps,
        )


@register("lrn", "local_response_norm")
@dataclass(frozen=True, slots=True)
class LocalResponseNorm(Elementwise):
    """Local response normalisation across channels (Krizhevsky et al. 2012; torch's definition:
    b = a / (k + α/n · Σ a²)^β over n neighbouring channels)."""

    size: Any
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0

    FIELDS = {"size": "pos", "alpha": "float", "beta": "float", "k": "float"}
    PRIMARY = "size"
    EXTRA_KIND = "norm"

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """2n + 3 per element: n squares, n − 1 adds, then scale, add k, power and divide."""
        return (2 * self.size + 3) * product(shape)

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.local_response_norm(x, self.size, self.alpha, self.beta, self.k)


class _StatisticsNorm(Elementwise):
    """Layer and group norm: statistics computed from the input at inference too (nothing folds
    as batch norm does), then an optional per-channel affine γ, β. The subclass gives `affine`."""

    __slots__ = ()
    affine: bool

    def params(self, shape: Shape) -> Any:
        """2·C (γ and β) when affine."""
        return 2 * shape[0] if self.affine else 0

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """5 per element with the affine γ, β and 4 without (fvcore's count)."""
        return (5 if self.affine else 4) * product(shape)

    def weight_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"weight": (shape[0],), "bias": (shape[0],)} if self.affine else {}


@register("layer_norm", "layernorm", "layer_norm2d")
@dataclass(frozen=True, slots=True)
class LayerNorm(_StatisticsNorm):
    """Layer norm over the channels at each position (ConvNeXt's LayerNorm2d; on a flat vector,
    torch.nn.LayerNorm over its features): y = (x − mean_c)/√(var_c + ε)·γ + β."""

    eps: float = 1e-5
    affine: bool = True

    FIELDS = {"eps": "float", "affine": "bool"}
    EXTRA_KIND = "norm"

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        import numpy as np

        from .. import reference

        last = np.moveaxis(x, 1, -1)  # channels last, as LayerNorm2d permutes
        y = reference.layer_norm(
            last, (x.shape[1],), weights.get("weight"), weights.get("bias"), self.eps
        )
        return np.moveaxis(y, -1, 1)


@register("group_norm", "groupnorm")
@dataclass(frozen=True, slots=True)
class GroupNorm(_StatisticsNorm):
    """Group norm (Wu & He 2018, torch.nn.GroupNorm): each group of C/groups channels normalised
    over its channels and positions, then γ_c, β_c per channel.

    The receptive-field step is the identity: the field follows the values, not the group's
    mean and variance, which are taken over the whole map (docs/conventions.md)."""

    groups: Any
    eps: float = 1e-5
    affine: bool = True

    FIELDS = {"groups": "pos", "eps": "float", "affine": "bool"}
    PRIMARY = "groups"
    EXTRA_KIND = "norm"

    def output_shape(self, shape: Shape) -> Shape:
        """The input shape; C must be divisible by groups."""
        if is_int(shape[0]) and is_int(self.groups) and shape[0] % self.groups:
            raise SpecError(
                f"group_norm: {shape[0]} channels are not divisible by groups={self.groups}"
            )
        return shape

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.group_norm(
            x, self.groups, weights.get("weight"), weights.get("bias"), self.eps
        )

    def describe(self) -> str:
        return f"g{self.groups}"


@register("layer_scale", "layerscale")
@dataclass(frozen=True, slots=True)
class LayerScale(Elementwise):
    """A learned scale per channel, γ_c·x (ConvNeXt's `layer_scale`, CaiT's LayerScale)."""

    FIELDS = {}
    EXTRA_KIND = "norm"

    def params(self, shape: Shape) -> Any:
        """C: one γ per channel."""
        return shape[0]

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """1 multiply per element."""
        return product(shape)

    def weight_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"layer_scale": (shape[0], *(1,) * (len(shape) - 1))}  # torch's (C, 1, 1)

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.layer_scale(x, weights["layer_scale"])
