"""Leaf layer types. Importing this package fills REGISTRY."""

from . import activation, conv, linear, norm, pool  # noqa: F401  (registration)
from .base import REGISTRY, AxisStep, Layer

__all__ = ["REGISTRY", "AxisStep", "Layer"]
