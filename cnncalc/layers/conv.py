"""Convolution and the sliding-window arithmetic it shares with pooling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ShapeError, SpecError
from ..shape import Shape, ceil_div, floordiv, is_int
from .base import AxisStep, Layer, empty_output, register

AXES = ("height", "width")


def same_padding(size: Any, kernel_eff: Any, stride: Any) -> tuple[Any, Any]:
    """TensorFlow's `same`: output ⌈H/s⌉, total padding max((⌈H/s⌉−1)s + d(k−1)+1 − H, 0),
    the odd pixel at the bottom/right.

    Writing H − 1 = q·s + m (0 ≤ m < s), the total is d(k−1) − m, which lies in
    [d(k−1)+1 − s, d(k−1)]: when d(k−1)+1 ≥ s it is never negative and the max is dropped, so a
    symbolic size does not carry a Max (and a second copy of H) into every later layer."""
    total = (ceil_div(size, stride) - 1) * stride + kernel_eff - size
    if is_int(total):
        total = max(total, 0)
    elif not (is_int(kernel_eff) and is_int(stride) and kernel_eff >= stride):
        import sympy  # symbolic: sympy's Max keeps it exact

        total = sympy.Max(total, 0)
    return total // 2, total - total // 2


def window_output(
    layer: str,
    axis: str,
    size: Any,
    kernel: Any,
    stride: Any,
    pads: tuple[Any, Any],
    dilation: Any = 1,
    ceil_mode: bool = False,
    same: bool = False,
) -> Any:
    """⌊(H + p_before + p_after − d(k−1) − 1)/s⌋ + 1, or with ceil_mode ⌈…⌉ + 1 less one when the
    last window would start past the input and its left padding (PyTorch's rule).

    With `same` padding (from same_padding) this is exactly ⌈H/s⌉: with H − 1 = q·s + m the
    padded span is q·s + max(m + 1 − d(k−1) − 1, 0) < (q+1)·s. On a symbolic size the closed form
    is used, so a chain of strided `same` layers folds to ⌈H/(s₁s₂…)⌉ instead of nesting the
    padding expression (which doubled the expression at every layer)."""
    eff = dilation * (kernel - 1) + 1
    if same and not ceil_mode and not is_int(size):
        # ⌈H/s⌉ written ⌊(H − 1)/s⌋ + 1: the form the floor folding gives every other window, so
        # a later 1x1 conv (⌊(X − 1)/1⌋ + 1) returns the same expression and a residual's
        # `auto` shortcut sees equal shapes, as it does numerically
        return floordiv(size - 1, stride) + 1
    span = size + pads[0] + pads[1] - eff
    if ceil_mode:
        out = ceil_div(span, stride) + 1
        if is_int(out):
            if (out - 1) * stride >= size + pads[0]:
                out -= 1
        elif not (is_int(eff) and is_int(stride) and is_int(pads[1]) and eff >= stride + pads[1]):
            # PyTorch drops a last window that would start in the right padding; that can only
            # happen when k < s + p_right, and then it depends on H in a way we do not express.
            raise SpecError(
                f"{layer} with ceil_mode, kernel {eff}, stride {stride} and padding {pads[1]} "
                "cannot be computed for a symbolic size; give the size as a number"
            )
        rule = f"⌈({size} + {pads[0]} + {pads[1]} − {eff})/{stride}⌉ + 1"
    else:
        out = floordiv(span, stride) + 1
        rule = f"⌊({size} + {pads[0]} + {pads[1]} − {eff})/{stride}⌋ + 1"
    if is_int(out) and out < 1:
        raise empty_output(layer, axis, rule, out)
    return out


def resolve_padding(
    padding: Any, shape: Shape, kernel: tuple[Any, Any], stride: tuple[Any, Any], dilation: Any
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Padding per axis as (before, after)."""
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        return tuple(  # type: ignore[return-value]
            same_padding(shape[1 + i], dilation[i] * (kernel[i] - 1) + 1, stride[i])
            for i in range(2)
        )
    return padding


def check_groups(layer: str, c_in: Any, c_out: Any, groups: Any) -> None:
    """Grouped convolutions split both the input and the output channels into `groups`."""
    for what, channels in (("input", c_in), ("output", c_out)):
        if is_int(channels) and is_int(groups) and channels % groups:
            raise SpecError(
                f"{layer} {what} channels {channels} are not divisible by groups={groups}"
            )


def need_spatial(layer: str, shape: Shape) -> None:
    if len(shape) != 3:
        raise ShapeError(
            f"{layer} needs a feature map C x H x W, but its input is the flat vector "
            f"{shape[0]} (after flatten)"
        )


@register("conv", "conv2d")
@dataclass(frozen=True, slots=True)
class Conv(Layer):
    """2-D convolution, PyTorch semantics (weight C_out x C_in/g x k_h x k_w)."""

    out: Any
    kernel: tuple[Any, Any]
    stride: tuple[Any, Any] = (1, 1)
    padding: Any = ((0, 0), (0, 0))
    dilation: tuple[Any, Any] = (1, 1)
    groups: Any = 1
    bias: bool = True

    FIELDS = {
        "out": "pos",
        "kernel": "pair",
        "stride": "pair",
        "padding": "padding",
        "dilation": "pair",
        "groups": "pos",
        "bias": "bool",
    }
    EXTRA_KIND = "bias"
    WEIGHTED = True

    def _pads(self, shape: Shape) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
        return resolve_padding(self.padding, shape, self.kernel, self.stride, self.dilation)

    def check(self, shape: Shape) -> None:
        need_spatial("conv", shape)
        check_groups("conv", shape[0], self.out, self.groups)

    def output_shape(self, shape: Shape) -> Shape:
        """O = ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1 per axis; `same` gives ⌈H/s⌉."""
        self.check(shape)
        pads = self._pads(shape)
        h, w = (
            window_output(
                "conv", AXES[i], shape[1 + i], self.kernel[i], self.stride[i], pads[i],
                self.dilation[i], same=self.padding == "same",
            )
            for i in range(2)
        )
        return (self.out, h, w)

    def params(self, shape: Shape) -> Any:
        """k_h·k_w·(C_in/g)·C_out + C_out (bias)."""
        weights = self.kernel[0] * self.kernel[1] * (shape[0] // self.groups) * self.out
        return weights + (self.out if self.bias else 0)

    def buffers(self, shape: Shape) -> Any:
        """0: no running statistics."""
        return 0

    def macs(self, shape: Shape, out: Shape) -> Any:
        """C_out·H_o·W_o·(C_in/g)·k_h·k_w."""
        per_output = (shape[0] // self.groups) * self.kernel[0] * self.kernel[1]
        return out[0] * out[1] * out[2] * per_output

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """One add per output element for the bias."""
        return out[0] * out[1] * out[2] if self.bias else 0

    def rf_steps(self, shape: Shape) -> tuple[AxisStep, AxisStep]:
        """Kernel d(k−1)+1, stride s, the top/left padding."""
        pads = self._pads(shape)
        return tuple(  # type: ignore[return-value]
            AxisStep(self.dilation[i] * (self.kernel[i] - 1) + 1, self.stride[i], pads[i][0])
            for i in range(2)
        )

    def weight_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        weight = (self.out, shape[0] // self.groups, *self.kernel)
        shapes: dict[str, tuple[int, ...]] = {"weight": weight}
        if self.bias:
            shapes["bias"] = (self.out,)
        return shapes

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        """The layer's own arguments, padding unresolved: the kernel resolves `same` itself."""
        from .. import reference

        return reference.conv2d(
            x, weights["weight"], weights.get("bias"), stride=self.stride, padding=self.padding,
            dilation=self.dilation, groups=self.groups,
        )

    def describe(self) -> str:
        k = _pair_text(self.kernel)
        parts = [f"{k}", f"s{_pair_text(self.stride)}"]
        if self.padding not in (((0, 0), (0, 0)), "valid"):
            text = padding_text(self.padding)
            parts.append(text if isinstance(self.padding, str) else "p" + text)
        if self.dilation != (1, 1):
            parts.append(f"d{_pair_text(self.dilation)}")
        if self.groups != 1:
            parts.append(f"g{self.groups}")
        return " ".join(parts)


def _pair_text(pair: tuple[Any, Any]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def padding_text(padding: Any) -> str:
    if isinstance(padding, str):
        return padding
    (t, b), (left, r) = padding
    if t == b and left == r:
        return _pair_text((t, left))
    return f"[{t},{b}]x[{left},{r}]"
