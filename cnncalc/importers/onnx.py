"""ONNX -> cnncalc YAML. Reads a ModelProto's graph and its initializers' dims; weight values are
never read, except small constant tensors (≤ 64 elements: Clip bounds, Reshape targets) that
decide a shape or a layer type. The `onnx` package is imported here only.

The output is flat: one named layer per ONNX node (the node's name made into a cnncalc word),
in the graph's order (ONNX keeps nodes topologically sorted). A layer reads the layer before it;
where it reads another tensor it says `from:`, and Add, Mul and Concat of two computed tensors
become the named merges `add: [a, b]`, `mul: [a, b]`, `concat: [a, b]`. Several graph outputs
become `outputs:`. The batch axis (the first of every tensor) is dropped: cnncalc shapes are
per sample. A `dim_param` of the input (other than the batch's) becomes a symbol.

Every node that cannot be written exactly is refused with one line naming the node, its op type
and the file: a count of 0 for something cnncalc does not understand would be silently wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError, Where

SMALL = 64  # the most elements of a constant whose values are read
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def to_yaml(path: str, label: str) -> str:
    """The cnncalc architecture YAML text of the ONNX file at `path` (`label` names it)."""
    return _Converter(_load(path, label), label).convert()


def _load(path: str, label: str) -> Any:
    try:
        import onnx
    except ImportError:
        raise SpecError(
            "reading ONNX needs the onnx package: pip install 'cnncalc[onnx]'", Where(label, 0)
        ) from None
    try:
        model = onnx.load(path, load_external_data=False)
    except OSError as exc:
        raise SpecError(f"cannot read {label}: {exc.strerror or exc}") from None
    except Exception as exc:  # protobuf's DecodeError and its kin: truncated or not ONNX
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise SpecError(
            f"not a readable ONNX model (truncated, or another kind of file): {reason}",
            Where(label, 0),
        ) from None
    if not model.HasField("graph") or not model.graph.node:
        raise SpecError(
            "not an ONNX model: the file holds no graph nodes (truncated, or another kind of "
            "file?)",
            Where(label, 0),
        )
    return model


def word(text: str) -> str:
    """An ONNX name made into a cnncalc word: every run of other characters becomes `_`
    (`/layer1/layer1.0/conv1/Conv` -> `layer1_layer1_0_conv1_Conv`); a leading digit gets `n`."""
    out = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    if out and out[0].isdigit():
        out = "n" + out
    return out


def _module_path(node: Any) -> str:
    """torch.onnx names a node by its module scope and op (`/layer1/layer1.0/conv1/Conv`): the
    op's segment adds nothing beside the layer's type, so it is dropped (`/conv1/Conv` ->
    `conv1`). Other names are kept whole."""
    parts = node.name.split("/")
    if len(parts) > 2 and not parts[0] and re.fullmatch(rf"{node.op_type}(_\d+)?", parts[-1]):
        return "/".join(parts[:-1])
    return str(node.name)


@dataclass
class _Tensor:
    """A computed tensor: the layer that gives it and its rank (with the batch axis)."""

    layer: str
    rank: int
    channels: int | None = None  # of a feature map, where the layers so far decide it


@dataclass
class _Converter:
    model: Any
    label: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    tensors: dict[str, _Tensor] = field(default_factory=dict)
    names: set[str] = field(default_factory=lambda: {"input"})
    last: str = ""  # the layer the next entry reads unless it says `from:`
    consumers: dict[str, int] = field(default_factory=dict)
    shapes: dict[str, list[int | None]] = field(default_factory=dict)  # shape subgraph values
    pending: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # shuffle steps
    inferred: dict[str, int] | None = None  # channels by tensor, from onnx's shape inference

    def __post_init__(self) -> None:
        graph = self.model.graph
        self.inits = {t.name: t for t in graph.initializer}
        self.constants: dict[str, Any] = {}  # Constant nodes' tensors, read when small
        for node in graph.node:
            for name in node.input:
                self.consumers[name] = self.consumers.get(name, 0) + 1
        for out in graph.output:
            self.consumers[out.name] = self.consumers.get(out.name, 0) + 1

    # -------------------------------------------------------------------- errors and values
    def fail(self, node: Any, message: str) -> SpecError:
        return SpecError(f"node '{node.name}' ({node.op_type}): {message}", Where(self.label, 0))

    def attrs(self, node: Any) -> dict[str, Any]:
        import onnx

        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    def dims(self, name: str) -> list[int] | None:
        """An initializer's (or a Constant's) dims, or None for a computed tensor."""
        if name in self.inits:
            return list(self.inits[name].dims)
        if name in self.constants:
            return list(self.constants[name].dims)
        return None

    def value(self, node: Any, name: str) -> list[Any] | None:
        """A small constant's values as a flat list (None for a computed tensor); a large one
        is refused, since reading it would be reading weights."""
        tensor = self.inits.get(name) or self.constants.get(name)
        if tensor is None:
            return None
        size = 1
        for d in tensor.dims:
            size *= d
        if size > SMALL:
            raise self.fail(node, f"input '{name}' has {size:,} elements where a small constant "
                                  "was expected")
        from onnx import numpy_helper

        return [v.item() for v in numpy_helper.to_array(tensor).reshape(-1)]

    def known(self, node: Any, name: str) -> list[int | None] | None:
        """A small integer vector that shapes are made of: a constant's values, or what a shape
        subgraph computes (None where a size is not known, as Shape of a dynamic input)."""
        if name in self.shapes:
            return self.shapes[name]
        values = self.value(node, name)
        if values is None:
            return None
        return [int(v) if float(v).is_integer() else None for v in values]

    def computed(self, node: Any) -> list[str]:
        """The node's inputs that are computed tensors (not initializers or constants)."""
        found = []
        for name in node.input:
            if not name or name in self.inits or name in self.constants or name in self.shapes:
                continue
            if name in self.pending:
                raise self.fail(node, f"input '{name}' is part of a reshape cnncalc reads only "
                                      "as channel shuffle (Reshape, Transpose, Reshape)")
            if name not in self.tensors:
                raise self.fail(node, f"input '{name}' is not computed by any node cnncalc read")
            found.append(name)
        return found

    # -------------------------------------------------------------------- the walk
    def convert(self) -> str:
        graph = self.model.graph
        self.read_input()
        for node in graph.node:
            self.node(node)
        outputs = []
        for out in graph.output:
            if out.name not in self.tensors:
                raise SpecError(f"graph output '{out.name}' is not computed by any node",
                                Where(self.label, 0))
            outputs.append(self.tensors[out.name].layer)
        return self.text(outputs)

    def read_input(self) -> None:
        graph = self.model.graph
        inputs = [i for i in graph.input if i.name not in self.inits]
        if len(inputs) != 1:
            listed = ", ".join(f"'{i.name}'" for i in inputs) or "none"
            raise SpecError(
                f"the graph has {len(inputs)} inputs ({listed}); cnncalc reads a network with "
                "one input", Where(self.label, 0))
        given = inputs[0]
        shape = given.type.tensor_type.shape
        if not given.type.HasField("tensor_type") or not given.type.tensor_type.HasField("shape"):
            raise SpecError(f"input '{given.name}' has no shape", Where(self.label, 0))
        sizes: list[Any] = []
        for axis, dim in enumerate(shape.dim):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                sizes.append(dim.dim_value)
            elif dim.HasField("dim_param") and word(dim.dim_param):
                sizes.append(word(dim.dim_param))
            else:
                raise SpecError(f"input '{given.name}' has no size on axis {axis}",
                                Where(self.label, 0))
        if len(sizes) not in (2, 4):
            raise SpecError(
                f"input '{given.name}' has rank {len(sizes)}; cnncalc reads N x C x H x W or "
                "N x F", Where(self.label, 0))
        self.input = sizes[1:]  # the batch axis is not part of a cnncalc shape
        self.symbols = {s for s in self.input if isinstance(s, str)}
        channels = sizes[1] if isinstance(sizes[1], int) and len(sizes) == 4 else None
        self.tensors[given.name] = _Tensor("input", len(sizes), channels)
        self.last = "input"

    def add(self, node: Any, entry: dict[str, Any], source: str, rank: int,
            output: int = 0) -> None:
        """Append a layer reading the tensor `source` (from: when it is not the previous one)."""
        name = self.fresh(node)
        entry["name"] = name
        reads = self.tensors[source].layer
        if reads != self.last:
            entry["from"] = reads
        self.entries.append(entry)
        channels = _out_channels(entry, self.tensors[source].channels) if rank == 4 else None
        self.tensors[node.output[output]] = _Tensor(name, rank, channels)
        self.last = name

    def merge(self, node: Any, kind: str, sources: list[str], rank: int) -> None:
        name = self.fresh(node)
        self.entries.append({kind: [self.tensors[s].layer for s in sources], "name": name})
        widths = [w for w in (self.tensors[s].channels for s in sources) if w is not None]
        channels = None
        if rank == 4 and len(widths) == len(sources):
            channels = sum(widths) if kind == "concat" else max(widths)
        self.tensors[node.output[0]] = _Tensor(name, rank, channels)
        self.last = name

    def alias(self, node: Any, source: str) -> None:
        """The node's output is `source` unchanged (no layer of its own)."""
        self.tensors[node.output[0]] = self.tensors[source]

    def fresh(self, node: Any) -> str:
        base = word(_module_path(node)) or f"{node.op_type.lower()}_{len(self.entries)}"
        name, n = base, 2
        while name in self.names:
            name, n = f"{base}_{n}", n + 1
        self.names.add(name)
        return name

    def node(self, node: Any) -> None:
        handler = _HANDLERS.get(node.op_type)
        if handler is None:
            raise self.fail(node, f"op type {node.op_type} has no cnncalc counterpart "
                                  "(docs/import.md lists the ones read)")
        for extra in node.output[1:] if node.op_type not in _MULTI else ():
            if extra and self.consumers.get(extra):
                raise self.fail(node, f"its output '{extra}' is used, and cnncalc models only "
                                      "the first output")
        handler(self, node)

    # -------------------------------------------------------------------- the text
    def text(self, outputs: list[str]) -> str:
        import yaml

        graph = self.model.graph
        stem = Path(self.label).stem
        made = " ".join(p for p in (self.model.producer_name, self.model.producer_version) if p)
        lines = [
            f"# imported from {Path(self.label).name} by `cnncalc import`"
            + (f" (exported by {made})" if made else ""),
            yaml.safe_dump({"name": stem}, width=10**6).rstrip("\n"),
            yaml.safe_dump({"title": f"{graph.name or stem} (ONNX)"}, width=10**6).rstrip("\n"),
            "input: " + _flow(self.input),
        ]
        if self.symbols - set(self.input):  # pragma: no cover - every symbol is an input's
            lines.append("symbols: " + _flow(sorted(self.symbols)))
        lines.append("layers:")
        for entry in self.entries:
            for kind in ("conv", "conv_transpose", "linear"):
                if entry.get(kind, {}).get("bias") is True:  # the default: said only when off
                    del entry[kind]["bias"]
            lines.append("  - " + _flow(entry))
        if len(outputs) > 1 or (outputs and outputs[0] != self.last):
            lines.append("outputs: " + _flow(outputs))
        return "\n".join(lines) + "\n"


def _flow(value: Any) -> str:
    import yaml

    return str(
        yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    ).strip().removesuffix("...").strip()


# ------------------------------------------------------------------------ the op handlers
def _pair(values: list[int], what: str) -> Any:
    """[a, a] -> a, else [a, b] (cnncalc's pair)."""
    if len(values) != 2:
        raise ValueError(what)
    return values[0] if values[0] == values[1] else list(values)


def _text(a: dict[str, Any], key: str, default: str) -> str:
    """A string attribute (onnx gives bytes)."""
    value = a.get(key, default)
    return value.decode() if isinstance(value, bytes) else str(value)


def _padding(c: _Converter, node: Any, a: dict[str, Any]) -> Any:
    """ONNX pads [top, left, bottom, right] (or auto_pad) -> cnncalc padding."""
    auto = _text(a, "auto_pad", "NOTSET")
    if auto == "VALID":
        return 0
    if auto == "SAME_UPPER":  # the extra pixel at the bottom and right: TensorFlow's `same`
        return "same"
    if auto != "NOTSET":
        raise c.fail(node, f"auto_pad {auto} has no cnncalc counterpart (SAME_UPPER, VALID and "
                           "explicit pads are read)")
    pads = list(a.get("pads", [0, 0, 0, 0]))
    if len(pads) != 4:
        raise c.fail(node, f"pads {pads} are not 2-D")
    top, left, bottom, right = pads
    if top == bottom and left == right:
        return top if top == left else [top, left]
    return [[top, bottom], [left, right]]


def _spatial(c: _Converter, node: Any, a: dict[str, Any], key: str, default: int) -> Any:
    values = list(a.get(key, [default, default]))
    if len(values) != 2:
        raise c.fail(node, f"{key} {values} are not 2-D (cnncalc models 2-D layers)")
    return _pair(values, key)


def _source(c: _Converter, node: Any) -> str:
    """The one computed input of a layer that has a single data input."""
    computed = c.computed(node)
    if not computed or computed[0] != node.input[0]:
        raise c.fail(node, "its data input is a constant")
    return computed[0]


def _conv(c: _Converter, node: Any) -> None:
    a = c.attrs(node)
    src = _source(c, node)
    weight = c.dims(node.input[1])
    if weight is None or len(weight) != 4:
        raise c.fail(node, "its weight is not a 4-D initializer (cnncalc models 2-D convs with "
                           "weights held in the file)")
    group = a.get("group", 1)
    args: dict[str, Any] = {}
    if node.op_type == "Conv":
        args["out"] = weight[0]  # weight: out x in/group x kh x kw
    else:
        if "output_shape" in a:
            raise c.fail(node, "output_shape is not read (give pads and output_padding)")
        args["out"] = weight[1] * group  # weight: in x out/group x kh x kw
    args["kernel"] = _pair(weight[2:], "kernel")
    stride = _spatial(c, node, a, "strides", 1)
    if stride != 1:
        args["stride"] = stride
    padding = _padding(c, node, a)
    if node.op_type == "ConvTranspose":
        if padding == "same":
            raise c.fail(node, "auto_pad SAME_UPPER on a ConvTranspose is not read")
        if isinstance(padding, list) and isinstance(padding[0], list):
            raise c.fail(node, "asymmetric pads on a ConvTranspose are not read")
        out_pad = _spatial(c, node, a, "output_padding", 0)
        if out_pad != 0:
            args["output_padding"] = out_pad
    if padding != 0:
        args["padding"] = padding
    dilation = _spatial(c, node, a, "dilations", 1)
    if dilation != 1:
        args["dilation"] = dilation
    if group != 1:
        args["groups"] = group
    args["bias"] = len(node.input) > 2 and bool(node.input[2])
    kind = "conv" if node.op_type == "Conv" else "conv_transpose"
    c.add(node, {kind: args}, src, 4)


def _gemm(c: _Converter, node: Any) -> None:
    a = c.attrs(node)
    src = _source(c, node)
    weight = c.dims(node.input[1])
    if a.get("transA", 0) or weight is None or len(weight) != 2:
        raise c.fail(node, "only x·Wᵀ + b or x·W + b with W an initializer is read")
    out = weight[0] if a.get("transB", 0) else weight[1]
    bias = len(node.input) > 2 and bool(node.input[2]) and a.get("beta", 1.0) != 0
    c.add(node, {"linear": {"out": out, "bias": bias}}, src, 2)


def _matmul(c: _Converter, node: Any) -> None:
    src = _source(c, node)
    weight = c.dims(node.input[1])
    if weight is None or len(weight) != 2 or c.tensors[src].rank != 2:
        raise c.fail(node, "only a flat input times a 2-D initializer (a linear layer) is read")
    c.add(node, {"linear": {"out": weight[1], "bias": False}}, src, 2)


def _bn(c: _Converter, node: Any) -> None:
    eps = c.attrs(node).get("epsilon", 1e-5)
    args = {} if abs(eps - 1e-5) < 1e-12 else {"eps": float(f"{eps:.6g}")}
    c.add(node, {"bn": args or None}, _source(c, node), c.tensors[node.input[0]].rank)


def _simple(kind: str) -> Any:
    def handle(c: _Converter, node: Any) -> None:
        src = _source(c, node)
        c.add(node, {kind: None}, src, c.tensors[src].rank)

    return handle


def _clip(c: _Converter, node: Any) -> None:
    a = c.attrs(node)
    low, high = a.get("min"), a.get("max")  # opset < 11: attributes; later: inputs
    for index, bound in ((1, "low"), (2, "high")):
        if len(node.input) > index and node.input[index]:
            values = c.value(node, node.input[index])
            if values is None or len(values) != 1:
                raise c.fail(node, f"its {'min' if bound == 'low' else 'max'} is not a constant")
            if bound == "low":
                low = values[0]
            else:
                high = values[0]
    if low == 0 and high == 6:
        kind = "relu6"
    elif low == 0 and high is None:
        kind = "relu"
    else:
        raise c.fail(node, f"Clip to [{low}, {high}] is not read (only [0, 6], relu6, and "
                           "[0, none], relu)")
    src = _source(c, node)
    c.add(node, {kind: None}, src, c.tensors[src].rank)


def _hardsigmoid(c: _Converter, node: Any) -> None:
    a = c.attrs(node)
    alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
    if abs(alpha - 1 / 6) > 1e-6 or abs(beta - 0.5) > 1e-6:
        raise c.fail(node, f"HardSigmoid with alpha={alpha:g}, beta={beta:g} is not read "
                           "(cnncalc's hardsigmoid is torch's: alpha=1/6, beta=0.5)")
    _simple("hardsigmoid")(c, node)


def _leaky(c: _Converter, node: Any) -> None:
    slope = float(f"{c.attrs(node).get('alpha', 0.01):.6g}")
    src = _source(c, node)
    c.add(node, {"leaky_relu": {"negative_slope": slope}}, src, c.tensors[src].rank)


def _binary(kind: str) -> Any:
    def handle(c: _Converter, node: Any) -> None:
        if _arithmetic(c, node):
            return
        computed = c.computed(node)
        if len(computed) == 2:
            ranks = {c.tensors[s].rank for s in computed}
            c.merge(node, kind, computed, max(ranks))
            return
        if kind == "add" and len(computed) == 1 and _fold_bias(c, node, computed[0]):
            return
        raise c.fail(node, f"{node.op_type} with a constant operand is not read (only of two "
                           "computed tensors, and a linear layer's bias)")

    return handle


def _fold_bias(c: _Converter, node: Any, src: str) -> bool:
    """MatMul + Add of a 1-D initializer (as exporters write a Linear): the bias of the
    linear layer just written, when nothing else reads the MatMul's output."""
    entry = c.entries[-1] if c.entries else None
    tensor = c.tensors[src]
    other = next(n for n in node.input if n != src)
    dims = c.dims(other)
    if (entry is None or "linear" not in entry or entry["name"] != tensor.layer
            or entry["linear"]["bias"] or c.consumers.get(src, 0) != 1 or dims is None
            or len(dims) != 1 or dims[0] != entry["linear"]["out"]):
        return False
    entry["linear"]["bias"] = True
    c.alias(node, src)
    return True


def _concat(c: _Converter, node: Any) -> None:
    if not any(n in c.tensors or n in c.pending for n in node.input) and all(
        c.known(node, n) is not None for n in node.input
    ):
        _concat_values(c, node)
        return
    computed = c.computed(node)
    if len(computed) != len(node.input) or c.attrs(node).get("axis") not in (1, -3):
        raise c.fail(node, "only a concatenation of computed feature maps along the channels "
                           "(axis 1) is read")
    if len(computed) == 1:
        c.alias(node, computed[0])
        return
    c.merge(node, "concat", computed, 4)


def _flatten(c: _Converter, node: Any) -> None:
    if c.attrs(node).get("axis", 1) != 1:
        raise c.fail(node, "only Flatten at axis 1 (after the batch) is read")
    c.add(node, {"flatten": None}, _source(c, node), 2)


def _global_pool(kind: str) -> Any:
    def handle(c: _Converter, node: Any) -> None:
        c.add(node, {kind: None}, _source(c, node), 4)

    return handle


def _pool(c: _Converter, node: Any) -> None:
    a = c.attrs(node)
    src = _source(c, node)
    kernel = list(a.get("kernel_shape", []))
    if len(kernel) != 2:
        raise c.fail(node, f"kernel_shape {kernel} is not 2-D")
    args: dict[str, Any] = {"kernel": _pair(kernel, "kernel")}
    args["stride"] = _spatial(c, node, a, "strides", 1)  # ONNX's default 1, cnncalc's = kernel
    padding = _padding(c, node, a)
    if padding != 0:
        args["padding"] = padding
    if node.op_type == "MaxPool":
        dilation = _spatial(c, node, a, "dilations", 1)
        if dilation != 1:
            args["dilation"] = dilation
    elif "dilations" in a and list(a["dilations"]) != [1, 1]:
        raise c.fail(node, "a dilated AveragePool is not read")
    if a.get("ceil_mode", 0):
        args["ceil_mode"] = True
    if node.op_type == "AveragePool":
        args["count_include_pad"] = bool(a.get("count_include_pad", 0))  # ONNX's default 0
    kind = "maxpool" if node.op_type == "MaxPool" else "avgpool"
    c.add(node, {kind: args}, src, 4)


def _dropout(c: _Converter, node: Any) -> None:
    c.add(node, {"dropout": None}, _source(c, node), c.tensors[node.input[0]].rank)


def _softmax(c: _Converter, node: Any) -> None:
    src = _source(c, node)
    rank = c.tensors[src].rank
    axis = c.attrs(node).get("axis", 1 if _opset(c) < 13 else -1)
    if axis < 0:
        axis += rank
    if axis != 1:
        raise c.fail(node, f"softmax over axis {axis} of a rank-{rank} tensor is not read "
                           "(cnncalc's is over the channels, or the features of a flat vector)")
    c.add(node, {"softmax": None}, src, rank)


def _reshape(c: _Converter, node: Any) -> None:
    """A constant (or folded shape-subgraph) target: [N, -1] is `flatten`; [N, ...] with every
    other size given is `reshape: {to: [...]}`; [N, g, C/g, H, W], then Transpose 0 2 1 3 4, then
    back to rank 4 is ShuffleNet's `channel_shuffle: g`. Other targets are refused."""
    target = c.known(node, node.input[1])
    if target is None:
        raise c.fail(node, "its target shape is neither a constant nor a shape subgraph cnncalc "
                           "folds")
    data = node.input[0]
    if data in c.pending:
        source, groups, step = c.pending[data]
        if step == "transposed" and len(target) == 4:
            c.add(node, {"channel_shuffle": {"groups": groups}}, source, 4)
            return
        raise c.fail(node, "only channel shuffle is read from a rank-5 reshape")
    src = _source(c, node)
    rest = target[1:]
    if len(target) == 5 and c.tensors[src].rank == 4 and isinstance(target[1], int) \
            and target[1] > 0:
        c.pending[node.output[0]] = (src, target[1], "split")
        return
    if len(target) == 2 and rest == [-1] and c.tensors[src].rank in (2, 4):
        c.add(node, {"flatten": None}, src, 2)
    elif len(target) in (2, 4) and all(isinstance(v, int) and v > 0 for v in rest):
        c.add(node, {"reshape": {"to": rest}}, src, len(target))
    else:
        raise c.fail(node, f"the target shape {_shown(target)} is not read (only [N, -1], "
                           "[N, C, H, W] or [N, F] with sizes given, and channel shuffle)")


def _shown(target: list[int | None]) -> str:
    return "[" + ", ".join("?" if v is None else str(v) for v in target) + "]"


def _transpose(c: _Converter, node: Any) -> None:
    data = node.input[0]
    perm = list(c.attrs(node).get("perm", []))
    if data in c.pending and c.pending[data][2] == "split" and perm == [0, 2, 1, 3, 4]:
        source, groups, _ = c.pending[data]
        c.pending[node.output[0]] = (source, groups, "transposed")
        return
    raise c.fail(node, f"Transpose {perm} is read only inside channel shuffle (Reshape to "
                       "[N, g, C/g, H, W], Transpose [0, 2, 1, 3, 4], Reshape back)")


# ------------------------------------------------------------ shape subgraphs, folded
def _shape(c: _Converter, node: Any) -> None:
    """Shape of a computed tensor: its rank is known, its sizes are not (None)."""
    name = node.input[0]
    if name in c.tensors:
        rank = c.tensors[name].rank
    elif name in c.pending:
        rank = 5
    else:
        raise c.fail(node, f"input '{name}' is not computed by any node cnncalc read")
    a = c.attrs(node)
    values: list[int | None] = [None] * rank
    if name in c.tensors and rank == 4:  # the channels, where the layers so far decide them
        values[1] = c.tensors[name].channels
    c.shapes[node.output[0]] = values[a.get("start", 0):a.get("end", rank)]


def _gather(c: _Converter, node: Any) -> None:
    data, index = c.known(node, node.input[0]), c.known(node, node.input[1])
    if data is None or index is None or c.attrs(node).get("axis", 0) != 0:
        raise c.fail(node, "only Gather from a shape by constant indices is read")
    c.shapes[node.output[0]] = [data[i] if i is not None else None for i in index]


def _same_values(c: _Converter, node: Any) -> None:
    """Unsqueeze, Squeeze, Cast of a shape vector: the same sizes."""
    values = c.known(node, node.input[0])
    if values is None:
        raise c.fail(node, f"{node.op_type} is read only inside a shape subgraph")
    c.shapes[node.output[0]] = values


def _concat_values(c: _Converter, node: Any) -> None:
    out: list[int | None] = []
    for name in node.input:
        values = c.known(node, name)
        assert values is not None
        out += values
    c.shapes[node.output[0]] = out


def _arithmetic(c: _Converter, node: Any) -> bool:
    """Add, Sub, Mul, Div of shape vectors (sizes as integers; Div floors as torch's //)."""
    if len(node.input) != 2 or any(n in c.tensors or n in c.pending for n in node.input):
        return False  # a computed operand: a layer or a merge, not shape arithmetic
    a, b = c.known(node, node.input[0]), c.known(node, node.input[1])
    if a is None or b is None:
        return False
    if len(a) == 1:
        a = a * len(b)
    if len(b) == 1:
        b = b * len(a)
    ops = {"Add": lambda x, y: x + y, "Sub": lambda x, y: x - y, "Mul": lambda x, y: x * y,
           "Div": lambda x, y: x // y if y else None}
    c.shapes[node.output[0]] = [
        ops[node.op_type](x, y) if x is not None and y is not None else None
        for x, y in zip(a, b, strict=True)
    ]
    return True


def _div(c: _Converter, node: Any) -> None:
    if not _arithmetic(c, node):
        raise c.fail(node, f"{node.op_type} is read only inside a shape subgraph")


def _reduce_mean(c: _Converter, node: Any) -> None:
    """Mean over the height and width: `global_avgpool` (and `flatten` when keepdims=0)."""
    a = c.attrs(node)
    src = _source(c, node)
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:  # opset 18: an input
        axes = c.known(node, node.input[1])
    if c.tensors[src].rank != 4 or sorted(v % 4 for v in (axes or [])) != [2, 3]:
        raise c.fail(node, f"ReduceMean over axes {axes} is not read (only over H and W)")
    if a.get("keepdims", 1):
        c.add(node, {"global_avgpool": None}, src, 4)
        return
    c.add(node, {"global_avgpool": None}, src, 4)
    flat = f"{c.last}_flatten"
    c.names.add(flat)
    c.entries.append({"flatten": None, "name": flat})
    c.tensors[node.output[0]] = _Tensor(flat, 2)
    c.last = flat


def _pad(c: _Converter, node: Any) -> None:
    """Constant zero padding of H and W: `zero_pad: [left, right, top, bottom]`."""
    a = c.attrs(node)
    src = _source(c, node)
    mode = _text(a, "mode", "constant")
    pads = list(a["pads"]) if "pads" in a else c.known(node, node.input[1])
    fill = c.value(node, node.input[2]) if len(node.input) > 2 and node.input[2] else [0]
    if (mode != "constant" or pads is None or len(pads) != 8 or None in pads
            or fill not in ([0], [0.0]) or any(pads[i] for i in (0, 1, 4, 5))):
        raise c.fail(node, "only constant zero padding of the height and width is read")
    top, left, bottom, right = pads[2], pads[3], pads[6], pads[7]
    c.add(node, {"zero_pad": [left, right, top, bottom]}, src, 4)


def _resize(c: _Converter, node: Any) -> None:
    """Resize (or Upsample) by constant integer scales or to constant sizes: `upsample`."""
    a = c.attrs(node)
    src = _source(c, node)
    mode = _text(a, "mode", "nearest")
    how = _text(a, "coordinate_transformation_mode", "half_pixel")
    args: dict[str, Any] = {}
    if node.op_type == "Upsample":
        scales = a.get("scales") or (c.value(node, node.input[1]) if len(node.input) > 1 else None)
        sizes = None
    else:
        scales = c.value(node, node.input[2]) if len(node.input) > 2 and node.input[2] else None
        sizes = c.known(node, node.input[3]) if len(node.input) > 3 and node.input[3] else None
    if scales and len(scales) == 4 and scales[:2] == [1, 1] \
            and all(float(v).is_integer() and v >= 1 for v in scales[2:]):
        args["scale"] = _pair([int(v) for v in scales[2:]], "scale")
    elif sizes and len(sizes) == 4 and all(isinstance(v, int) and v > 0 for v in sizes[2:]):
        args["size"] = _pair([int(v or 0) for v in sizes[2:]], "size")
    else:
        raise c.fail(node, "only constant integer scales of H and W, or constant sizes, are read")
    if mode in ("linear", "bilinear"):
        args["mode"] = "bilinear"
        if how == "align_corners":
            args["align_corners"] = True
    elif mode != "nearest":
        raise c.fail(node, f"mode {mode} is not read (nearest and linear are)")
    c.add(node, {"upsample": args}, src, 4)


def _split(c: _Converter, node: Any) -> None:
    """Equal parts of the channels: one `chunk: {chunks: n, index: i}` per output (torch's
    chunk, parts of ⌈C/n⌉, as ONNX's equal split)."""
    a = c.attrs(node)
    src = _source(c, node)
    n = len(node.output)
    sizes = list(a["split"]) if "split" in a else (
        c.known(node, node.input[1]) if len(node.input) > 1 and node.input[1] else None)
    if a.get("axis", 0) not in (1, -3) or (sizes and len(set(sizes)) != 1):
        raise c.fail(node, "only a split of the channels (axis 1) into equal parts is read")
    base = c.fresh(node)
    for i, out in enumerate(node.output):
        name = f"{base}_{i}"
        c.names.add(name)
        entry: dict[str, Any] = {"chunk": {"chunks": n, "index": i}, "name": name}
        if c.tensors[src].layer != c.last:
            entry["from"] = c.tensors[src].layer
        c.entries.append(entry)
        width = c.tensors[src].channels
        part = -(-width // n) if width is not None else None  # torch's parts of ⌈C/n⌉
        if width is not None and part is not None and i == n - 1:
            part = width - part * (n - 1)
        c.tensors[out] = _Tensor(name, 4, part)
        c.last = name


def _identity(c: _Converter, node: Any) -> None:
    """Identity of a constant (torch.onnx writes one where two initializers hold equal values):
    the same constant under a new name. Of a computed tensor: an `identity` layer."""
    name = node.input[0]
    if name in c.inits:
        c.inits[node.output[0]] = c.inits[name]
    elif name in c.constants:
        c.constants[node.output[0]] = c.constants[name]
    elif name in c.shapes:
        c.shapes[node.output[0]] = c.shapes[name]
    else:
        _simple("identity")(c, node)


def _out_channels(entry: dict[str, Any], cin: int | None) -> int | None:
    """The channels a layer entry gives a feature map of `cin` channels (None: not known)."""
    for kind in ("conv", "conv_transpose"):
        if kind in entry:
            return int(entry[kind]["out"])
    if "reshape" in entry:
        return int(entry["reshape"]["to"][0])
    if "chunk" in entry and cin is not None:
        n, i = entry["chunk"]["chunks"], entry["chunk"]["index"]
        part = -(-cin // n)
        return part if i < n - 1 else cin - part * (n - 1)
    return cin  # the others keep the channels (bn, activations, pools, shuffle, upsample, pad)


def _channels(c: _Converter, node: Any, name: str) -> int:
    """The channel count of a computed tensor: as the layers so far give it, else from onnx's
    own shape inference (run once, when a Slice needs it): a Slice's bounds are in channels,
    cnncalc's chunk in parts."""
    if c.tensors[name].channels is not None:
        return int(c.tensors[name].channels)  # type: ignore[arg-type]
    if c.inferred is None:
        import onnx

        try:
            graph = onnx.shape_inference.infer_shapes(c.model).graph
        except Exception:  # noqa: BLE001 - any failure means: not known
            graph = c.model.graph
        c.inferred = {}
        for info in [*graph.value_info, *graph.input, *graph.output]:
            dims = info.type.tensor_type.shape.dim
            if len(dims) > 1 and dims[1].HasField("dim_value"):
                c.inferred[info.name] = dims[1].dim_value
    if name not in c.inferred:
        raise c.fail(node, f"the channel count of '{name}' is not known (onnx's shape inference "
                           "gives none)")
    return c.inferred[name]


def _slice(c: _Converter, node: Any) -> None:
    """A slice [a, b) of the channels whose width divides C and a: part a/(b − a) of
    `chunk: {chunks: C/(b − a)}` (ShuffleNetV2's x.chunk(2, dim=1), as torch.onnx writes it)."""
    src = _source(c, node)
    starts, ends = c.known(node, node.input[1]), c.known(node, node.input[2])
    axes = c.known(node, node.input[3]) if len(node.input) > 3 and node.input[3] else [0]
    steps = c.known(node, node.input[4]) if len(node.input) > 4 and node.input[4] else [1]
    if (starts is None or ends is None or len(starts) != 1 or len(ends) != 1
            or axes not in ([1], [-3]) or steps != [1] or c.tensors[src].rank != 4):
        raise c.fail(node, "only a slice of the channels (axis 1, step 1) is read")
    total = _channels(c, node, node.input[0])
    if starts[0] is None or ends[0] is None:
        raise c.fail(node, "its bounds are not known")
    a, b = (min(v if v >= 0 else v + total, total) for v in (starts[0], ends[0]))
    width = b - a
    if width <= 0 or total % width or a % width:
        raise c.fail(node, f"channels {a}:{b} of {total} are not one of equal parts")
    c.add(node, {"chunk": {"chunks": total // width, "index": a // width}}, src, 4)


def _constant(c: _Converter, node: Any) -> None:
    a = c.attrs(node)
    if "value" not in a:
        raise c.fail(node, "only a Constant holding a tensor (`value`) is read")
    c.constants[node.output[0]] = a["value"]


def _opset(self: _Converter) -> int:
    for entry in self.model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    return 1


_HANDLERS = {
    "Conv": _conv,
    "ConvTranspose": _conv,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "BatchNormalization": _bn,
    "Relu": _simple("relu"),
    "Sigmoid": _simple("sigmoid"),
    "HardSwish": _simple("hardswish"),
    "Tanh": _simple("tanh"),
    "HardSigmoid": _hardsigmoid,
    "LeakyRelu": _leaky,
    "Clip": _clip,
    "Add": _binary("add"),
    "Mul": _binary("mul"),
    "Concat": _concat,
    "Flatten": _flatten,
    "GlobalAveragePool": _global_pool("global_avgpool"),
    "GlobalMaxPool": _global_pool("global_maxpool"),
    "MaxPool": _pool,
    "AveragePool": _pool,
    "Dropout": _dropout,
    "Identity": _identity,
    "Softmax": _softmax,
    "Reshape": _reshape,
    "Transpose": _transpose,
    "ReduceMean": _reduce_mean,
    "Pad": _pad,
    "Resize": _resize,
    "Upsample": _resize,
    "Split": _split,
    "Slice": _slice,
    "Constant": _constant,
    "Shape": _shape,
    "Gather": _gather,
    "Unsqueeze": _same_values,
    "Squeeze": _same_values,
    "Cast": _same_values,
    "Div": _div,
    "Sub": _div,
}
_MULTI = {"Split"}  # ops whose every output cnncalc models
