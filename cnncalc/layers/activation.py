"""Element-wise activations and dropout: shape-preserving, no parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..shape import Shape, product
from .base import Elementwise, Layer, NoOtherOps, register


@dataclass(frozen=True, slots=True)
class _Activation(Elementwise):
    FIELDS = {}
    EXTRA_KIND = "activation"
    NONLINEAR = True
    KERNEL = ""  # name of the reference function

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """One operation per element, whatever the function."""
        return product(shape)

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return getattr(reference, self.KERNEL)(x)


def _simple(name: str, *aliases: str) -> type[Layer]:
    # No fields of their own, so plain subclasses of the dataclass: the dataclass machinery
    # costs about a millisecond a class at start-up.
    cls = type(
        name.title().replace("_", ""),
        (_Activation,),
        {"KERNEL": name, "__slots__": (), "__doc__": f"The {name} activation, element-wise."},
    )
    return register(name, *aliases)(cls)


for _name, _aliases in {
    "relu": (),
    "relu6": (),
    "sigmoid": (),
    "tanh": (),
    "gelu": (),
    "silu": ("swish",),
    "hardswish": (),
    "hardsigmoid": (),
    "elu": (),
    "mish": (),
}.items():
    _simple(_name, *_aliases)


@register("leaky_relu", "leakyrelu")
@dataclass(frozen=True, slots=True)
class LeakyReLU(_Activation):
    """max(x, 0) + slope·min(x, 0)."""

    negative_slope: float = 0.01

    FIELDS = {"negative_slope": "float"}
    PRIMARY = "negative_slope"

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.leaky_relu(x, self.negative_slope)


@register("softmax")
@dataclass(frozen=True, slots=True)
class Softmax(_Activation):
    """Softmax over channels (or features after flatten)."""

    def extra_flops(self, shape: Shape, out: Shape) -> Any:
        """3 per element: exponential, sum, division."""
        return 3 * product(shape)

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.softmax(x, 1)


@register("dropout", "dropout2d")
@dataclass(frozen=True, slots=True)
class Dropout(Elementwise, NoOtherOps):
    """Identity at inference; no parameters, no operations counted."""

    p: float = 0.5

    FIELDS = {"p": "prob"}
    PRIMARY = "p"

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        return x


@register("log_softmax")
@dataclass(frozen=True, slots=True)
class LogSoftmax(Softmax):
    """log(softmax(x)) over channels (or features after flatten)."""

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.log_softmax(x, 1)


@register("stochastic_depth", "drop_path")
@dataclass(frozen=True, slots=True)
class StochasticDepth(Elementwise, NoOtherOps):
    """Identity at inference (torchvision's StochasticDepth); no parameters, no operations."""

    p: float = 0.0
    mode: str = "row"

    FIELDS = {"p": "prob", "mode": "choice:row|batch"}
    PRIMARY = "p"

    def forward(self, x: Any, weights: dict[str, Any]) -> Any:
        from .. import reference

        return reference.stochastic_depth(x, self.p, self.mode)
