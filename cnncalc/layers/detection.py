"""Layers of the detection and segmentation heads: spatial pyramid pooling, RoI pooling,
reshape, and FCN's alignment crop."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ShapeError, SpecError
from ..shape import Shape, ceil_div, format_shape, half, is_int, product
from .base import AxisStep, DataMovement, Layer, MacFree, ParameterFree, register
from .conv import _pair_text, need_spatial
from .pool import adaptive_windows


def he2014_bins(size: Any, levels: int) -> tuple[Any, Any, Any]:
    """He et al. 2014: window ⌈a/n⌉, stride ⌊a/n⌋; returns (window, stride, number of bins)."""
    window, stride = ceil_div(size, levels), size // levels
    if is_int(stride) and stride < 1:
        raise ShapeError(f"spp level {levels} needs a map of at least {levels}, got {size}")
    return window, stride, (size - window) // stride + 1


@register("spp", "spatial_pyramid_pool")
@dataclass(frozen=True, slots=True)
class SpatialPyramidPool(ParameterFree, MacFree):
    """Spatial pyramid pooling (He et al. 2014): max-pool the map into n x n bins for each
    level n and concatenate, so any input size gives C·Σn² features."""

    levels: tuple[Any, ...] = (4, 2, 1)
    mode: str = "max"
    rule: str = "he2014"

    FIELDS = {"levels": "levels", "mode": "choice:max|avg", "rule": "choice:he2014|adaptive"}
    PRIMARY = "levels"
    EXTRA_KIND = "pooling"

    def _check(self, shape: Shape) -> None:
        need_spatial("spp", shape)
        if self.rule != "he2014":
            return
        for n in self.levels:
            for axis, size in (("height", shape[1]), ("width", shape[2])):
                window, stride, bins = he2014_bins(size, n)
                if is_int(bins) and bins != n:
                    raise ShapeError(
                        f"spp level {n}: He et al.'s rule (window ⌈{size}/{n}⌉ = {window}, "
                        f"stride ⌊{size}/{n}⌋ = {stride}) gives {bins} bins along the {axis}, "
                        f"not {n}; use `rule: adaptive` (PyTorch's adaptive pooling) for such sizes"
                    )

    def output_shape(self, shape: Shape) -> Shape:
        """C·Σ n² features."""
        self._check(shape)
        return (shape[0] * sum(n * n for n in self.levels),)

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """Each bin pools its window: Σ over levels of C·(Σ window heights)·(Σ window widths)."""
        total = 0
        for n in self.levels:
            if self.rule == "he2014" or not (is_int(shape[1]) and is_int(shape[2])):
                sums = [he2014_bins(shape[1 + i], n)[0] * n for i in range(2)]
            else:
                sums = [sum(adaptive_windows(shape[1 + i], n)) for i in range(2)]
            total = total + shape[0] * sums[0] * sums[1]
        return total

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """The 1x1 level sees the whole map, so every feature's field is the union: all of it."""
        return (AxisStep(shape[1], shape[1], 0), AxisStep(shape[2], shape[2], 0))

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.spatial_pyramid_pool(x, self.levels, self.mode, self.rule)

    def describe(self) -> str:
        return "levels " + ",".join(map(str, self.levels))


@register("roi_pool", "roipool")
@dataclass(frozen=True, slots=True)
class RoIPool(ParameterFree, MacFree):
    """Region-of-interest max pooling (Fast R-CNN): each of R regions of the map becomes an
    out_h x out_w map; the layers after it run once per region (R copies)."""

    out: tuple[Any, Any]
    regions: Any = 1
    scale: float = 1.0  # spatial_scale: feature-map pixels per input pixel (1/16 for VGG conv5)

    FIELDS = {"out": "pair", "regions": "pos", "scale": "posfloat"}
    EXTRA_KIND = "pooling"

    def output_shape(self, shape: Shape) -> Shape:
        """C x o_h x o_w per region."""
        need_spatial("roi_pool", shape)
        return (shape[0], *self.out)

    def copies(self) -> Any:
        return self.regions

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """Depends on each region's size; counted as one comparison per output element."""
        return product(out)

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """A region can be anywhere and any size: its features may see the whole map."""
        return (AxisStep(shape[1], shape[1], 0), AxisStep(shape[2], shape[2], 0))

    def extra_inputs(self, shape: Shape, rng: Any) -> dict[str, Any]:
        """Random boxes [batch, x1, y1, x2, y2] inside the image the map was computed from."""
        import numpy as np

        height, width = shape[1] / self.scale, shape[2] / self.scale
        corners = rng.uniform(0, 1, size=(self.regions, 4))
        x1, x2 = np.sort(corners[:, [0, 1]] * (width - 1), axis=1).T
        y1, y2 = np.sort(corners[:, [2, 3]] * (height - 1), axis=1).T
        return {"boxes": np.stack([np.zeros(self.regions), x1, y1, x2, y2], axis=1)}

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.roi_pool(x, weights["boxes"], self.out, self.scale)

    def describe(self) -> str:
        return f"{_pair_text(self.out)} x{self.regions} regions"


@register("reshape", "view")
@dataclass(frozen=True, slots=True)
class Reshape(DataMovement):
    """A new shape for the same elements (YOLO's 1470 -> 30x7x7); [C, H, W] or [F]."""

    to: tuple[Any, ...]

    FIELDS = {"to": "shape"}
    PRIMARY = "to"

    def output_shape(self, shape: Shape) -> Shape:
        """`to`, when it holds as many elements."""
        have, want = product(shape), product(self.to)
        if is_int(have) and is_int(want) and have != want:
            raise ShapeError(
                f"reshape of {format_shape(shape)} ({have} elements) to "
                f"{format_shape(self.to)} ({want} elements)"
            )
        return tuple(self.to)

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep] | None:
        """Identity when only channels regroup; the whole map when positions mix; None if flat."""
        if len(shape) == 3 and len(self.to) == 3 and tuple(shape[1:]) == tuple(self.to[1:]):
            return (AxisStep(1, 1, 0), AxisStep(1, 1, 0))
        if len(shape) == 3:  # positions mix: every element may come from anywhere
            return (AxisStep(shape[1], shape[1], 0), AxisStep(shape[2], shape[2], 0))
        return None

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        return x.reshape(x.shape[0], *self.to)

    def describe(self) -> str:
        return "to " + format_shape(self.to)


@register("crop")
@dataclass(frozen=True, slots=True)
class Crop(DataMovement):
    """Crop to the spatial size of an earlier layer's output (FCN's alignment crop), starting
    `offset` pixels from the top left; `offset: center` cuts equal margins on both sides
    (U-Net's "copy and crop"), and refuses a map whose margin is odd, where no cut is
    centered."""

    to: str
    offset: Any = (0, 0)  # (top, left), or "center"
    target: Shape | None = field(default=None, compare=False)
    target_path: str | None = field(default=None, compare=False)  # the referenced row's path

    FIELDS = {"to": "name", "offset": "offset"}
    REFERENCE = "to"

    def bind(self, layer: Layer, row: Any) -> Crop:
        if len(row.output) != 3:
            raise SpecError(f"crop 'to' must name a layer with a feature map; {row.path} is flat")
        return Crop(self.to, self.offset, row.output, row.path)

    def offsets(self, shape: Shape) -> tuple[Any, Any]:
        """(top, left): as given, or for `center` half of each margin (input − target)."""
        if self.offset != "center":
            return self.offset
        target = self.target
        found = []
        for i, axis in enumerate(("height", "width")):
            need, have = target[1 + i], shape[1 + i]  # type: ignore[index]
            margin = have - need
            if is_int(margin) and margin < 0:
                raise ShapeError(
                    f"crop to {format_shape(target)} needs a {axis} of at least {need}, but the "  # type: ignore[arg-type]
                    f"map is {format_shape(shape)}"
                )
            if is_int(margin) and margin % 2:
                raise ShapeError(
                    f"crop to {format_shape(target)}, centered: the {axis} margin {have} − "  # type: ignore[arg-type]
                    f"{need} = {margin} is odd, so no cut is centered (`cnncalc sizes` lists the "
                    "input sizes that keep every crop aligned)"
                )
            found.append(margin // 2 if is_int(margin) else half(margin))
        return found[0], found[1]

    def output_shape(self, shape: Shape) -> Shape:
        """C x the referenced layer's H x W."""
        need_spatial("crop", shape)
        target = self.target
        offset = self.offsets(shape)
        for i, axis in enumerate(("height", "width")):
            need, have = offset[i] + target[1 + i], shape[1 + i]  # type: ignore[index]
            if is_int(need) and is_int(have) and need > have:
                raise ShapeError(
                    f"crop to {format_shape(target)} at offset {offset[i]} needs a {axis} "  # type: ignore[arg-type]
                    f"of at least {need}, but the map is {format_shape(shape)}"
                )
        return (shape[0], *target[1:])  # type: ignore[index]

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """Output (y, x) is input (y + offset, x + offset): the first unit moves by the offset."""
        top, left = self.offsets(shape)
        return (AxisStep(1, 1, -top), AxisStep(1, 1, -left))

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        """Cut to the size the referenced layer really produced (`weights["target_size"]`, from
        the run), not to the predicted one; a centered cut from the real sizes too."""
        h, w = weights["target_size"]
        if self.offset == "center":
            t, left = (x.shape[2] - h) // 2, (x.shape[3] - w) // 2
        else:
            t, left = self.offset
        if t < 0 or left < 0 or t + h > x.shape[2] or left + w > x.shape[3]:
            raise ValueError(
                f"crop to {h}x{w} at offset {t},{left} of a {x.shape[2]}x{x.shape[3]} map"
            )
        return x[:, :, t : t + h, left : left + w]

    def describe(self) -> str:
        where = "centered" if self.offset == "center" else f"at {_pair_text(self.offset)}"
        return f"to {self.to} {where}"
