"""NumPy reference kernels with the semantics of torch.nn.functional (NCHW, float32 and float64).

Names and signatures follow torch.nn.functional, so each kernel can be checked against it. This
module imports nothing from cnncalc: the forward pass that verifies the engine's shape formulas
must not share them. A kernel is a window view (as_strided, no copy) followed by one reduction or
one BLAS matmul; loops run over kernel offsets or boxes, never over pixels or channels.
"""

from ._common import MacCount, count_macs, pad2d
from .activation import (
    dropout,
    elu,
    erf,
    erfc,
    gelu,
    hardsigmoid,
    hardswish,
    identity,
    leaky_relu,
    log_softmax,
    mish,
    relu,
    relu6,
    sigmoid,
    silu,
    softmax,
    stochastic_depth,
    tanh,
)
from .channels import channel_shuffle, chunk, layer_scale
from .conv import conv2d, conv_transpose2d, linear
from .merge import add, broadcast_shape, cat, mul
from .norm import batch_norm, group_norm, layer_norm, local_response_norm
from .pool import (
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool2d,
    max_pool2d,
    max_unpool2d,
    roi_pool,
    spatial_pyramid_pool,
)
from .resample import interpolate

__all__ = [
    "MacCount",
    "add",
    "broadcast_shape",
    "cat",
    "mul",
    "count_macs",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "avg_pool2d",
    "batch_norm",
    "channel_shuffle",
    "chunk",
    "conv2d",
    "conv_transpose2d",
    "dropout",
    "elu",
    "erf",
    "erfc",
    "gelu",
    "group_norm",
    "hardsigmoid",
    "hardswish",
    "identity",
    "interpolate",
    "layer_norm",
    "layer_scale",
    "leaky_relu",
    "linear",
    "local_response_norm",
    "log_softmax",
    "max_pool2d",
    "max_unpool2d",
    "mish",
    "pad2d",
    "relu",
    "relu6",
    "roi_pool",
    "sigmoid",
    "silu",
    "softmax",
    "spatial_pyramid_pool",
    "stochastic_depth",
    "tanh",
]
