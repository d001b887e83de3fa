"""Leaf layer types. Importing this package fills REGISTRY."""

from . import activation, channels, conv, detection, linear, norm, pool, upsample  # noqa: F401
from .base import REGISTRY, AxisStep, Layer

__all__ = ["REGISTRY", "AxisStep", "Layer"]
