"""How much memory `cnncalc verify`'s reference pass will take, predicted before it allocates.

The prediction runs the engine once more with `MemoryProbe`, a Runner that allocates nothing:
each tensor is a placeholder that counts its bytes as live until the engine drops it, so the
liveness is exactly the real pass's (a residual's shortcut, a dense block's features, the
inputs `NumpyRunner` keeps for max_unpool). The peak is the largest value, over every layer, of

    live bytes + that layer's weights and buffers + its output + its workspace

plus OVERHEAD, and ROW_BYTES per layer, for the Python side. The workspace bounds what the
reference kernel holds at once besides its input and output: the padded input and the im2col
columns C_in·kh·kw·H_out·W_out of a windowed layer (MACs bound the columns of a layer whose
windows fall between pixels), and `TEMPS` float64 arrays the size of the larger of input and
output (gelu's erfc is computed in float64; batch norm was measured at about 3 such arrays,
max_unpool at 2.3). Weights count only while their layer runs: NumpyRunner drops them after.
tests/test_io_errors.py checks the sum against tracemalloc's peak: above it, within 3x.
"""

from __future__ import annotations

import math
import re
import weakref
from typing import Any

from .layers.activation import Dropout
from .layers.base import Layer
from .layers.detection import Crop, Reshape
from .layers.linear import Flatten
from .layers.pool import MaxPool

TEMPS = 4  # float64 temporaries the size of max(input, output) a kernel may hold at once
_VIEWS = (Dropout, Flatten, Reshape, Crop)  # their output may be a view that keeps the input
FALLBACK_BYTES = 4 << 30  # the default limit where the available memory cannot be read
OVERHEAD = 4 << 20  # the kernels' modules, imported during the pass, and the random generator
ROW_BYTES = 4 << 10  # per layer: the reports, records and tape the pass keeps (about 2 KiB)


class _Tensor:
    """A placeholder: `count` elements (the batch axis times the shape) that are `nbytes`."""

    __slots__ = ("shape", "count", "nbytes", "__weakref__")

    def __init__(self, shape: tuple[int, ...], count: int, nbytes: int) -> None:
        self.shape, self.count, self.nbytes = shape, count, nbytes


class MemoryProbe:
    """A Runner for the engine that records the peak of live bytes instead of computing."""

    def __init__(self, itemsize: int) -> None:
        self.itemsize = itemsize
        self.live = 0
        self.peak = 0
        self.pool_inputs: list[_Tensor] = []  # NumpyRunner keeps these for max_unpool
        self.calls = 0

    def tensor(self, shape: tuple[int, ...], count: int, nbytes: int | None = None) -> _Tensor:
        size = count * self.itemsize if nbytes is None else nbytes
        t = _Tensor(shape, count, size)
        self.live += size
        self.peak = max(self.peak, self.live)
        weakref.finalize(t, self._free, size)
        return t

    def _free(self, nbytes: int) -> None:
        self.live -= nbytes

    def leaf(self, layer: Layer, x: Any, path: str) -> Any:
        self.calls += 1
        if x is None:
            return None
        shape = x.shape
        out = tuple(int(d) for d in layer.output_shape(shape))
        batch = x.count // max(1, math.prod(shape))
        copies = int(layer.copies())
        n_out = batch * copies * math.prod(out)
        weights = int(layer.params(shape)) + int(layer.buffers(shape))
        work = self._window_elements(layer, shape, out) * batch
        temps = TEMPS * 8 * max(x.count, n_out)
        transient = (weights + n_out + work) * self.itemsize + temps
        self.peak = max(self.peak, self.live + transient)
        if isinstance(layer, MaxPool):
            self.pool_inputs.append(x)
        nbytes = max(n_out * self.itemsize, x.nbytes) if isinstance(layer, _VIEWS) else None
        return self.tensor(out, n_out, nbytes)

    def merge(self, kind: str, xs: list[Any], path: str) -> Any:
        self.calls += 1
        if any(x is None for x in xs):
            return None
        batch = xs[0].count // max(1, math.prod(xs[0].shape))
        if kind == "concat":
            out = (sum(x.shape[0] for x in xs), *xs[0].shape[1:])
            partials = 1
        else:  # sum(xs[1:], xs[0]): each partial sum a new array, the last one alive with it
            out = xs[0].shape
            partials = min(2, len(xs) - 1)
        n_out = batch * math.prod(out)
        self.peak = max(self.peak, self.live + partials * n_out * self.itemsize)
        return self.tensor(out, n_out)

    @staticmethod
    def _window_elements(layer: Layer, shape: tuple[int, ...], out: tuple[int, ...]) -> int:
        """Padded input plus im2col columns, per sample, for a layer with windows."""
        if len(shape) != 3 or len(out) != 3:
            return 0
        steps = layer.rf_steps(shape)
        if steps is None:
            return 0
        values = [v for st in steps for v in (st.kernel, st.stride, st.pad)]
        if not all(isinstance(v, int) for v in values):
            return int(math.ceil(layer.macs(shape, out)))  # conv_transpose: its columns ≤ MACs
        kh, kw = steps[0].kernel, steps[1].kernel
        if kh * kw == 1:
            return 0
        c, h, w = shape
        padded = c * (h + 2 * steps[0].pad + 1) * (w + 2 * steps[1].pad + 1)
        return padded + c * kh * kw * out[1] * out[2]


def peak_memory(
    arch: Any, input: Any = None, bindings: Any = None, dtype: Any = "float32",
    shape: tuple[int, ...] | None = None,
) -> int:
    """The predicted peak bytes of `verify`'s reference pass over `arch` (see the module);
    `shape` is the input shape when the caller has already analysed `arch`."""
    import numpy as np

    from .engine import analyze_architecture

    probe = MemoryProbe(np.dtype(dtype).itemsize)
    if shape is None:
        shape = analyze_architecture(arch, input, bindings).input
    shape = tuple(int(d) for d in shape)
    x = probe.tensor(shape, math.prod(shape))
    analyze_architecture(arch, input, bindings, runner=probe, x=x)
    return probe.peak + OVERHEAD + ROW_BYTES * probe.calls


def check_memory(
    arch: Any, input: Any, bindings: Any, dtype: Any, max_memory: int | None,
    shape: tuple[int, ...] | None = None,
) -> int:
    """The predicted peak of the pass; a LimitError, with the figure and the option that
    raises the limit, when it is above `max_memory` (None: `default_max_memory()`)."""
    import numpy as np

    from .errors import LimitError

    need = peak_memory(arch, input, bindings, dtype, shape)
    allowed = default_max_memory() if max_memory is None else max_memory
    if need > allowed:
        raise LimitError(
            f"verify would need about {byte_size(need)} for the reference pass (weights and "
            f"live activations, {np.dtype(dtype).name}), more than the {byte_size(allowed)} "
            f"allowed; pass --max-memory {byte_size(need, up=True)} or more to run it anyway, "
            "or a smaller --input"
        )
    return need


def available_memory() -> int | None:
    """Bytes this process may still use: the least of MemAvailable (/proc/meminfo), the
    cgroup's memory.max − memory.current, and RLIMIT_AS − what is mapped; None if unknown."""
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as f:
            limit = f.read().strip()
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as f:
            used = int(f.read().strip())
        if limit != "max":
            found.append(max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            mapped = 0
            with open("/proc/self/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmSize:"):
                        mapped = int(line.split()[1]) * 1024
            found.append(max(0, soft - mapped))
    except (ImportError, OSError, ValueError):
        pass
    return min(found) if found else None


def default_max_memory() -> int:
    """Half of `available_memory()`, or FALLBACK_BYTES (4 GiB) where it cannot be read."""
    available = available_memory()
    return FALLBACK_BYTES if available is None else available // 2


_UNITS = (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10))


def byte_size(n: int, up: bool = False) -> str:
    """1.5 GiB, 300 MiB, 12 bytes: binary units with one decimal; `up` rounds up (for an
    option value that must cover n)."""
    for unit, size in _UNITS:
        if n >= size:
            tenths = (n * 10 + size - 1) // size if up else round(n * 10 / size)
            whole, frac = divmod(tenths, 10)
            return f"{whole}{'.' + str(frac) if frac else ''}{unit}" if up else (
                f"{whole}{'.' + str(frac) if frac else ''} {unit}"
            )
    return f"{n}" if up else f"{n} bytes"


_SIZE = re.compile(r"\s*(\d{1,15})(?:\.(\d{1,6}))?\s*([KMGT]?)(I?B)?\s*", re.ASCII | re.IGNORECASE)
_POWERS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_bytes(text: str) -> int:
    """`--max-memory`: 1500000000, 512M, 2G, 1.5GiB, 64KB (K, M, G and T are powers of 1024,
    with or without a trailing B or iB; ASCII digits only)."""
    from .errors import SpecError

    m = _SIZE.fullmatch(text)
    if m is None or (m.group(4) and m.group(4).upper() == "IB" and not m.group(3)):
        raise SpecError(f"--max-memory {text!r}: give a size such as 2G, 512M or 1500000000")
    unit = _POWERS[m.group(3).upper()]
    frac = m.group(2) or ""
    value = int(m.group(1)) * unit + int(frac or 0) * unit // 10 ** len(frac)
    if value < 1:
        raise SpecError(f"--max-memory {text!r}: must be at least 1 byte")
    return value
