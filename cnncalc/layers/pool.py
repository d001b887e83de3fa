"""Pooling: windowed, global and adaptive."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..errors import SpecError
from ..shape import Shape, ceil_div, exact, is_int
from .base import AxisStep, MacFree, ParameterFree, register
from .conv import AXES, _pair_text, need_spatial, padding_text, resolve_padding, window_output


@dataclass(frozen=True, slots=True)
class _Pool(ParameterFree, MacFree):
    kernel: tuple[Any, Any]
    stride: tuple[Any, Any] | None = None  # defaults to the kernel, as in PyTorch
    padding: Any = ((0, 0), (0, 0))
    ceil_mode: bool = False

    EXTRA_KIND = "pooling"

    @property
    def step(self) -> tuple[Any, Any]:
        return self.stride if self.stride is not None else self.kernel

    @property
    def dil(self) -> tuple[Any, Any]:
        return (1, 1)

    def _pads(self, shape: Shape) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
        pads = resolve_padding(self.padding, shape, self.kernel, self.step, self.dil)
        for i in range(2):
            eff = self.dil[i] * (self.kernel[i] - 1) + 1
            for p in pads[i]:
                if is_int(p) and is_int(eff) and 2 * p > eff and self.padding != "same":
                    raise SpecError(
                        f"{self.TYPE} padding {p} is more than half the kernel {eff} "
                        "(PyTorch refuses it: a window would see only padding)"
                    )
        return pads

    def output_shape(self, shape: Shape) -> Shape:
        """O = ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1 per axis (⌈…⌉ with ceil_mode, PyTorch's rule)."""
        need_spatial(self.TYPE, shape)
        pads = self._pads(shape)
        h, w = (
            window_output(
                self.TYPE, AXES[i], shape[1 + i], self.kernel[i], self.step[i], pads[i],
                self.dil[i], self.ceil_mode, same=self.padding == "same",
            )
            for i in range(2)
        )
        return (shape[0], h, w)

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """Kernel d(k−1)+1, stride s, the top/left padding."""
        pads = self._pads(shape)
        return tuple(  # type: ignore[return-value]
            AxisStep(self.dil[i] * (self.kernel[i] - 1) + 1, self.step[i], pads[i][0])
            for i in range(2)
        )

    def describe(self) -> str:
        parts = [_pair_text(self.kernel), f"s{_pair_text(self.step)}"]
        if self.padding not in (((0, 0), (0, 0)), "valid"):
            text = padding_text(self.padding)
            parts.append(text if isinstance(self.padding, str) else "p" + text)
        if self.ceil_mode:
            parts.append("ceil")
        return " ".join(parts)


@register("maxpool", "max_pool", "maxpool2d")
@dataclass(frozen=True, slots=True)
class MaxPool(_Pool):
    """Max pooling, PyTorch semantics (padding with −∞)."""

    dilation: tuple[Any, Any] = (1, 1)

    FIELDS = {
        "kernel": "pair",
        "stride": "pair?",
        "padding": "padding",
        "dilation": "pair",
        "ceil_mode": "bool",
    }

    @property
    def dil(self) -> tuple[Any, Any]:
        return self.dilation

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """k_h·k_w − 1 comparisons per output element."""
        return out[0] * out[1] * out[2] * (self.kernel[0] * self.kernel[1] - 1)

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        """The layer's own arguments, padding unresolved: the kernel resolves `same` itself."""
        from .. import reference

        return reference.max_pool2d(
            x, self.kernel, self.stride, self.padding, self.dilation, self.ceil_mode
        )

    def indices(self, x: Any) -> Any:
        """Where each maximum came from (flat index into each input plane), for max_unpool."""
        from .. import reference

        return reference.max_pool2d(
            x, self.kernel, self.stride, self.padding, self.dilation, self.ceil_mode,
            return_indices=True,
        )[1]


@register("avgpool", "avg_pool", "avgpool2d")
@dataclass(frozen=True, slots=True)
class AvgPool(_Pool):
    """Average pooling, PyTorch semantics."""

    count_include_pad: bool = True

    FIELDS = {
        "kernel": "pair",
        "stride": "pair?",
        "padding": "padding",
        "ceil_mode": "bool",
        "count_include_pad": "bool",
    }

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """k_h·k_w per output element: k_h·k_w − 1 adds and one division."""
        return out[0] * out[1] * out[2] * self.kernel[0] * self.kernel[1]

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        """The layer's own arguments, padding unresolved: the kernel resolves `same` itself."""
        from .. import reference

        return reference.avg_pool2d(
            x, self.kernel, self.stride, self.padding, self.ceil_mode, self.count_include_pad
        )


@register("global_avgpool", "global_avg_pool", "gap")
@dataclass(frozen=True, slots=True)
class GlobalAvgPool(ParameterFree, MacFree):
    """Average over the whole feature map: C x H x W -> C x 1 x 1."""

    FIELDS = {}
    EXTRA_KIND = "pooling"

    def output_shape(self, shape: Shape) -> Shape:
        """C x 1 x 1."""
        need_spatial(self.TYPE, shape)
        return (shape[0], 1, 1)

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """H·W per channel: H·W − 1 adds and one division."""
        return shape[0] * shape[1] * shape[2]

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """One window the size of the whole map."""
        return (AxisStep(shape[1], shape[1], 0), AxisStep(shape[2], shape[2], 0))

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        return x.mean(axis=(2, 3), keepdims=True)


@register("global_maxpool", "global_max_pool")
@dataclass(frozen=True, slots=True)
class GlobalMaxPool(GlobalAvgPool):
    """Maximum over the whole feature map: C x H x W -> C x 1 x 1."""

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """H·W − 1 comparisons per channel."""
        return shape[0] * (shape[1] * shape[2] - 1)

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        return x.max(axis=(2, 3), keepdims=True)


def adaptive_windows(size: int, out: int) -> list[int]:
    """PyTorch's adaptive windows: output i pools [⌊i·H/o⌋, ⌈(i+1)·H/o⌉)."""
    return [ceil_div((i + 1) * size, out) - (i * size) // out for i in range(out)]


@register("adaptive_avgpool", "adaptive_avg_pool")
@dataclass(frozen=True, slots=True)
class AdaptiveAvgPool(ParameterFree, MacFree):
    """Pooling to a fixed output size, PyTorch's window rule."""

    out: tuple[Any, Any]

    FIELDS = {"out": "pair"}
    PRIMARY = "out"
    EXTRA_KIND = "pooling"

    def output_shape(self, shape: Shape) -> Shape:
        """C x o_h x o_w."""
        need_spatial(self.TYPE, shape)
        return (shape[0], *self.out)

    def _window_sums(self, shape: Shape) -> tuple[Any, Any]:
        if all(is_int(v) for v in (*shape[1:], *self.out)):
            rows, cols = (sum(adaptive_windows(shape[1 + i], self.out[i])) for i in range(2))
            return rows, cols
        # symbolic: the windows tile the input when it divides evenly; the overlap otherwise is
        # not expressible in closed form, so count the uniform case
        return (shape[1], shape[2])

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """Each output pools its window: Σ window areas = C·(Σ_i h_i)·(Σ_j w_j)."""
        sh, sw = self._window_sums(shape)
        return shape[0] * sh * sw

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """Window ⌈(i+1)H/o⌉ − ⌊iH/o⌋ (the largest), stride H/o (exact when o divides H)."""
        steps = []
        for i in range(2):
            size, out = shape[1 + i], self.out[i]
            if is_int(size) and is_int(out):
                kernel = max(adaptive_windows(size, out))
                steps.append(AxisStep(kernel, exact(Fraction(size, out)), 0))
            else:
                steps.append(AxisStep(size // out, size // out, 0))
        return tuple(steps)  # type: ignore[return-value]

    def rf_window(self, shape: Shape, axis: int, o: int) -> tuple[int, int]:
        """Output o reads inputs ⌊o·H/n⌋ … ⌈(o+1)·H/n⌉ − 1 (PyTorch's bins; beyond the map the
        same rule continues)."""
        size, n = shape[1 + axis], self.out[axis]
        return (o * size) // n, ceil_div((o + 1) * size, n) - 1

    def rf_note(self, shape: Shape) -> str:
        uneven = [
            f"{shape[1 + i]} into {self.out[i]}"
            for i in range(2)
            if not (
                is_int(shape[1 + i]) and is_int(self.out[i]) and shape[1 + i] % self.out[i] == 0
            )
        ]
        if not uneven:
            return ""
        return (
            f"{self.TYPE} splits {' and '.join(uneven)} windows of unequal sizes: the receptive "
            "field from here on uses the largest window and the mean stride, an approximation "
            "(`cnncalc verify --rf` gives single units' exact fields)"
        )

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.adaptive_avg_pool2d(x, self.out)


@register("adaptive_maxpool", "adaptive_max_pool")
@dataclass(frozen=True, slots=True)
class AdaptiveMaxPool(AdaptiveAvgPool):
    """Max pooling to a fixed output size, PyTorch's window rule."""

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """Σ (window area − 1) comparisons."""
        sh, sw = self._window_sums(shape)
        return shape[0] * (sh * sw - self.out[0] * self.out[1])

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.adaptive_max_pool2d(x, self.out)
