"""Layers that grow a feature map: transposed convolution, upsampling, unpooling."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..errors import SpecError
from ..shape import Shape, exact, is_int
from .base import AxisStep, DataMovement, Layer, MacFree, ParameterFree, empty_output, register
from .conv import AXES, _pair_text, check_groups, need_spatial


def _frac(a: Any, b: Any) -> Any:
    if is_int(a) and is_int(b):
        return exact(Fraction(a, b))
    return a / b


@register("conv_transpose", "deconv", "conv_transpose2d")
@dataclass(frozen=True, slots=True)
class ConvTranspose(Layer):
    """Transposed convolution ("deconvolution"), PyTorch semantics
    (weight C_in x C_out/g x k_h x k_w)."""

    out: Any
    kernel: tuple[Any, Any]
    stride: tuple[Any, Any] = (1, 1)
    padding: tuple[Any, Any] = (0, 0)
    output_padding: tuple[Any, Any] = (0, 0)
    dilation: tuple[Any, Any] = (1, 1)
    groups: Any = 1
    bias: bool = True

    FIELDS = {
        "out": "pos",
        "kernel": "pair",
        "stride": "pair",
        "padding": "pair0",
        "output_padding": "pair0",
        "dilation": "pair",
        "groups": "pos",
        "bias": "bool",
    }
    EXTRA_KIND = "bias"
    WEIGHTED = True

    def output_shape(self, shape: Shape) -> Shape:
        """O = (H − 1)·s − 2p + d(k − 1) + output_padding + 1 per axis."""
        need_spatial("conv_transpose", shape)
        check_groups("conv_transpose", shape[0], self.out, self.groups)
        for i in range(2):
            op, s, d = self.output_padding[i], self.stride[i], self.dilation[i]
            if is_int(op) and op >= max(s, d):
                raise SpecError(
                    f"conv_transpose output_padding {op} must be smaller than the stride {s} "
                    f"or the dilation {d} (PyTorch's rule)"
                )
        sizes = []
        for i in range(2):
            h, s, p = shape[1 + i], self.stride[i], self.padding[i]
            k, d, op = self.kernel[i], self.dilation[i], self.output_padding[i]
            out = (h - 1) * s - 2 * p + d * (k - 1) + op + 1
            if is_int(out) and out < 1:
                rule = f"({h} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {op} + 1"
                raise empty_output("conv_transpose", AXES[i], rule, out)
            sizes.append(out)
        return (self.out, *sizes)

    def params(self, shape: Shape) -> Any:
        """C_in·(C_out/g)·k_h·k_w + C_out (bias)."""
        weights = shape[0] * (self.out // self.groups) * self.kernel[0] * self.kernel[1]
        return weights + (self.out if self.bias else 0)

    def buffers(self, shape: Shape) -> Any:
        """0: no running statistics."""
        return 0

    def macs(self, shape: Shape, out: Shape) -> Any:
        """C_in·H_i·W_i·(C_out/g)·k_h·k_w: every input element meets every kernel tap."""
        return (
            shape[0] * shape[1] * shape[2] * (self.out // self.groups)
            * self.kernel[0] * self.kernel[1]
        )

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """One add per output element for the bias."""
        return out[0] * out[1] * out[2] if self.bias else 0

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """Output o draws on inputs (o + p − j·d)/s: a window of (k_eff − 1)/s + 1 input units, a
        step of 1/s of an input unit, the first window centered at (p − (k_eff − 1)/2)/s."""
        steps = []
        for i in range(2):
            eff = self.dilation[i] * (self.kernel[i] - 1) + 1
            s, p = self.stride[i], self.padding[i]
            steps.append(AxisStep(_frac(eff - 1, s) + 1, _frac(1, s), _frac(eff - 1 - p, s)))
        return tuple(steps)  # type: ignore[return-value]

    def weight_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        weight = (shape[0], self.out // self.groups, *self.kernel)
        shapes: dict[str, tuple[int, ...]] = {"weight": weight}
        if self.bias:
            shapes["bias"] = (self.out,)
        return shapes

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.conv_transpose2d(
            x, weights["weight"], weights.get("bias"), stride=self.stride, padding=self.padding,
            output_padding=self.output_padding, groups=self.groups, dilation=self.dilation,
        )

    def describe(self) -> str:
        parts = [_pair_text(self.kernel), f"s{_pair_text(self.stride)}"]
        if self.padding != (0, 0):
            parts.append(f"p{_pair_text(self.padding)}")
        if self.output_padding != (0, 0):
            parts.append(f"op{_pair_text(self.output_padding)}")
        return " ".join(parts)


@register("upsample", "interpolate")
@dataclass(frozen=True, slots=True)
class Upsample(ParameterFree, MacFree):
    """Upsampling by an integer factor or to a size; nearest or bilinear, PyTorch semantics."""

    scale: tuple[Any, Any] | None = None
    size: tuple[Any, Any] | None = None
    mode: str = "nearest"
    align_corners: bool = False

    FIELDS = {"scale": "pair?", "size": "pair?", "mode": "choice:nearest|bilinear",
              "align_corners": "bool"}
    PRIMARY = "scale"
    EXTRA_KIND = "pooling"

    def _target(self, shape: Shape) -> tuple[Any, Any]:
        if (self.scale is None) == (self.size is None):
            raise SpecError("upsample takes exactly one of 'scale' and 'size'")
        if self.size is not None:
            return self.size
        return (shape[1] * self.scale[0], shape[2] * self.scale[1])  # type: ignore[index]

    def output_shape(self, shape: Shape) -> Shape:
        """C x size, or C x H·scale_h x W·scale_w."""
        need_spatial("upsample", shape)
        if self.align_corners and self.mode == "nearest":
            raise SpecError("align_corners applies to bilinear upsampling only")
        return (shape[0], *self._target(shape))

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """Nearest copies (0); bilinear: 4 multiplies and 3 adds per output element (7)."""
        return 0 if self.mode == "nearest" else 7 * out[0] * out[1] * out[2]

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """Nearest: each output copies one input, the step is H_in/H_out of an input unit.
        Bilinear: two neighbouring inputs, the first output's sample at (s_in/s_out)/2 − 1/2
        (at 0 with align_corners)."""
        out = self._target(shape)
        steps = []
        for i in range(2):
            ratio = _frac(shape[1 + i], out[i])
            if self.mode == "nearest":
                steps.append(AxisStep(1, ratio, 0))
            elif self.align_corners:
                step = _frac(shape[1 + i] - 1, out[i] - 1) if out[i] != 1 else 1
                steps.append(AxisStep(2, step, Fraction(1, 2)))
            else:
                steps.append(AxisStep(2, ratio, exact(1 - _frac(ratio, 2))))
        return tuple(steps)  # type: ignore[return-value]

    def rf_window(self, shape: Shape, axis: int, o: int) -> tuple[int, int]:
        """Nearest: input ⌊o·H_in/H_out⌋. Bilinear: src = (o + ½)·H_in/H_out − ½ (o·(H_in − 1)/
        (H_out − 1) with align_corners) reads ⌊src⌋, and ⌊src⌋ + 1 unless src is whole (its
        weight is then 0). Beyond the map the same rule continues (no clamping)."""
        import math

        n, out = shape[1 + axis], self._target(shape)[axis]
        if self.mode == "nearest":
            first = math.floor(Fraction(o * n, out))
            return first, first
        if self.align_corners:
            src = Fraction(o * (n - 1), out - 1) if out != 1 else Fraction(0)
        else:
            src = (o + Fraction(1, 2)) * Fraction(n, out) - Fraction(1, 2)
        first = math.floor(src)
        return first, first + (src != first)

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        """The layer's own `size` or `scale` (the kernel computes ⌊H·scale⌋ itself)."""
        from .. import reference

        return reference.interpolate(
            x, size=self.size, scale_factor=self.scale if self.size is None else None,
            mode=self.mode, align_corners=self.align_corners if self.mode == "bilinear" else None,
        )

    def describe(self) -> str:
        if self.scale is not None:
            return f"x{_pair_text(self.scale)} {self.mode}"
        return f"to {_pair_text(self.size)} {self.mode}"  # type: ignore[arg-type]  # one is set


@register("max_unpool", "unpool", "maxunpool")
@dataclass(frozen=True, slots=True)
class MaxUnpool(DataMovement):
    """Max unpooling (SegNet, DeconvNet): each value goes back to where the recorded max-pool
    `of` found its maximum; the output has that pooling layer's input size, zeros elsewhere."""

    of: str
    # filled by the engine from the recorded pooling layer
    pool: Any = field(default=None, compare=False)
    pool_input: Shape | None = field(default=None, compare=False)
    pool_output: Shape | None = field(default=None, compare=False)

    FIELDS = {"of": "name"}
    REFERENCE = "of"

    def bind(self, layer: Layer, row: Any) -> MaxUnpool:
        from .pool import MaxPool

        if not isinstance(layer, MaxPool):
            raise SpecError(
                f"max_unpool 'of' must name a maxpool layer; {row.path} is a {row.type}"
            )
        return MaxUnpool(self.of, layer, row.input, row.output)

    def output_shape(self, shape: Shape) -> Shape:
        """The recorded pool's input shape (its output must be what arrives here)."""
        if tuple(shape) != tuple(self.pool_output):  # type: ignore[arg-type]
            from ..shape import format_shape

            raise SpecError(
                f"max_unpool gets {format_shape(shape)} but {self.of} produced "
                f"{format_shape(self.pool_output)}: they must match"  # type: ignore[arg-type]
            )
        return tuple(self.pool_input)  # type: ignore[arg-type]

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """The adjoint of the pool's window placement: each output position is fed by the pooled
        units whose window contains it."""
        pool = self.pool
        steps = pool.rf_steps(self.pool_input)
        return tuple(  # type: ignore[return-value]
            AxisStep(_frac(st.kernel - 1, st.stride) + 1, _frac(1, st.stride),
                     _frac(st.kernel - 1 - st.pad, st.stride))
            for st in steps
        )

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        """The pool's own arguments; the output takes the size of the tensor that really went into
        the pool (`weights["output_size"]`, from the run), not the predicted one."""
        from .. import reference

        pool = self.pool
        return reference.max_unpool2d(
            x, weights["indices"], pool.kernel, pool.stride, pool.padding,
            output_size=weights["output_size"],
        )

    def describe(self) -> str:
        return f"of {self.of}"
