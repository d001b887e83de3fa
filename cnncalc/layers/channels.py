"""Layers that move values without computing: identity, explicit zero padding, channel shuffle
and channel selection (ShuffleNet's split)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ShapeError, SpecError
from ..shape import Shape, ceil_div, is_int
from .base import IDENTITY_STEP, AxisStep, DataMovement, register
from .conv import need_spatial, padding_text


@register("identity")
@dataclass(frozen=True, slots=True)
class Identity(DataMovement):
    """The input unchanged (torch.nn.Identity): a placeholder that keeps a module's position."""

    FIELDS = {}

    def output_shape(self, shape: Shape) -> Shape:
        """The input shape."""
        return shape

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """Identity: kernel 1, stride 1, no padding."""
        return IDENTITY_STEP

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.identity(x)


@register("zero_pad", "zeropad", "zero_pad2d")
@dataclass(frozen=True, slots=True)
class ZeroPad(DataMovement):
    """Zeros around the map (torch.nn.ZeroPad2d): p on every side, [h, w], or
    [left, right, top, bottom] in torch's order."""

    padding: tuple[tuple[Any, Any], tuple[Any, Any]]

    FIELDS = {"padding": "pad4"}
    PRIMARY = "padding"

    def output_shape(self, shape: Shape) -> Shape:
        """C x (H + top + bottom) x (W + left + right)."""
        need_spatial("zero_pad", shape)
        (t, b), (left, r) = self.padding
        return (shape[0], shape[1] + t + b, shape[2] + left + r)

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """Kernel 1, stride 1, padding `top` (`left`): output y reads input y − top."""
        (t, _), (left, _) = self.padding
        return (AxisStep(1, 1, t), AxisStep(1, 1, left))

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.pad2d(x, self.padding)

    def describe(self) -> str:
        return padding_text(self.padding)


@register("channel_shuffle", "shuffle")
@dataclass(frozen=True, slots=True)
class ChannelShuffle(DataMovement):
    """ShuffleNet's channel shuffle (torchvision's channel_shuffle): the channels viewed as
    groups x C/groups, transposed. A function in torchvision, so it takes no position in its list
    (its row is `….channel_shuffle`)."""

    groups: Any

    FIELDS = {"groups": "pos"}
    PRIMARY = "groups"
    NUMBERED = False

    def output_shape(self, shape: Shape) -> Shape:
        """The input shape; C must be divisible by groups."""
        need_spatial("channel_shuffle", shape)
        if is_int(shape[0]) and is_int(self.groups) and shape[0] % self.groups:
            raise SpecError(
                f"channel_shuffle: {shape[0]} channels are not divisible by groups={self.groups}"
            )
        return shape

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """Identity: a permutation of the channels at each position."""
        return IDENTITY_STEP

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.channel_shuffle(x, self.groups)

    def describe(self) -> str:
        return f"g{self.groups}"


@register("chunk")
@dataclass(frozen=True, slots=True)
class Chunk(DataMovement):
    """One part of the channels, as `x.chunk(chunks, dim=1)[index]` (ShuffleNetV2's split):
    parts of ⌈C/chunks⌉ channels, the last one smaller when C does not divide. A tensor method in
    torch, so it takes no position in its list (its row is `….chunk`)."""

    chunks: Any
    index: Any

    FIELDS = {"chunks": "pos", "index": "nonneg"}
    NUMBERED = False

    def output_shape(self, shape: Shape) -> Shape:
        """min(⌈C/chunks⌉, C − index·⌈C/chunks⌉) channels, the positions unchanged."""
        c = shape[0]
        size = ceil_div(c, self.chunks)
        if is_int(self.index) and is_int(self.chunks) and self.index >= self.chunks:
            raise SpecError(f"chunk index {self.index} must be below chunks={self.chunks}")
        if is_int(c) and is_int(self.chunks) and is_int(self.index):
            left = c - self.index * size
            if left < 1:
                parts = -(-c // size)
                raise ShapeError(
                    f"chunk index {self.index}: {c} channels in parts of ⌈{c}/{self.chunks}⌉ = "
                    f"{size} make only {parts} part{'s' if parts > 1 else ''} (torch.chunk's rule)"
                )
            return (min(size, left), *shape[1:])
        if is_int(self.index) and is_int(self.chunks) and self.index < self.chunks - 1:
            return (size, *shape[1:])
        return (c - self.index * size, *shape[1:])  # the last part, symbolic

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """Identity: a selection of channels at each position."""
        return IDENTITY_STEP

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.chunk(x, self.chunks, 1)[self.index]

    def describe(self) -> str:
        return f"{self.index} of {self.chunks}"
