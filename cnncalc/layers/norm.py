"""Normalisation layers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..shape import Shape, product
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
