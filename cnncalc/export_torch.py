"""`cnncalc export ARCH --to pytorch`: the architecture as the source text of one self-contained
PyTorch file (torch only at run time; cnncalc never imports torch itself).

For now sequential networks only: leaves, `seq` and `repeat`. The module is nested
`nn.Sequential`s keyed by the cnncalc paths (`features.0`, `classifier.6`), so its parameter names
are cnncalc's (`features.0.weight`) and, the layers running in cnncalc's order, its output shape is
cnncalc's. Each layer's constructor arguments come from the engine's resolved arguments (row.args)
and incoming shape: in_channels = C of the input, in_features = its length. Anything else, a
composite, a layer type or an argument with no exact counterpart here, is refused with one line
naming it: never a module that silently differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import SpecError
from .nodes import Architecture, Leaf, Node, Repeat, Seq
from .report import Row
from .shape import format_shape, is_int


def _pads(args: Mapping[str, Any]) -> tuple[Any, Any]:
    """((top, bottom), (left, right)) → torch's symmetric (p_h, p_w); anything else refused."""
    padding = args.get("padding", ((0, 0), (0, 0)))
    if padding == "valid":
        return (0, 0)
    if (
        isinstance(padding, tuple)
        and len(padding) == 2
        and all(isinstance(p, tuple) and len(p) == 2 and p[0] == p[1] for p in padding)
    ):
        return (padding[0][0], padding[1][0])
    raise SpecError(f"padding {padding!r} is not exported yet (only symmetric padding)")


def _conv(args: Mapping[str, Any], shape: tuple[Any, ...]) -> str:
    return (
        f"nn.Conv2d({shape[0]}, {args['out']}, kernel_size={args['kernel']}, "
        f"stride={args['stride']}, padding={_pads(args)}, dilation={args['dilation']}, "
        f"groups={args['groups']}, bias={args['bias']})"
    )


def _bn(args: Mapping[str, Any], shape: tuple[Any, ...]) -> str:
    kind = {3: "BatchNorm2d", 1: "BatchNorm1d"}[len(shape)]
    return f"nn.{kind}({shape[0]}, eps={args['eps']}, affine={args['affine']})"


def _pool(kind: str) -> Callable[[Mapping[str, Any], tuple[Any, ...]], str]:
    def text(args: Mapping[str, Any], shape: tuple[Any, ...]) -> str:
        stride = args.get("stride") or args["kernel"]
        extra = (
            f", count_include_pad={args['count_include_pad']}"
            if kind == "AvgPool2d"
            else f", dilation={args.get('dilation', (1, 1))}"
        )
        return (
            f"nn.{kind}(kernel_size={args['kernel']}, stride={stride}, padding={_pads(args)}, "
            f"ceil_mode={args.get('ceil_mode', False)}{extra})"
        )

    return text


def _fixed(source: str) -> Callable[[Mapping[str, Any], tuple[Any, ...]], str]:
    return lambda args, shape: source


# type -> (the resolved arguments it reads, its torch module as source text)
_MODULES: dict[str, tuple[frozenset[str], Callable[[Mapping[str, Any], tuple[Any, ...]], str]]] = {
    "conv": (
        frozenset({"out", "kernel", "stride", "padding", "dilation", "groups", "bias"}),
        _conv,
    ),
    "bn": (frozenset({"eps", "affine"}), _bn),
    "relu": (frozenset(), _fixed("nn.ReLU(inplace=True)")),
    "relu6": (frozenset(), _fixed("nn.ReLU6(inplace=True)")),
    "leaky_relu": (
        frozenset({"negative_slope"}),
        lambda args, shape: f"nn.LeakyReLU({args['negative_slope']})",
    ),
    "sigmoid": (frozenset(), _fixed("nn.Sigmoid()")),
    "tanh": (frozenset(), _fixed("nn.Tanh()")),
    "silu": (frozenset(), _fixed("nn.SiLU(inplace=True)")),
    "hardswish": (frozenset(), _fixed("nn.Hardswish(inplace=True)")),
    "hardsigmoid": (frozenset(), _fixed("nn.Hardsigmoid(inplace=True)")),
    "maxpool": (
        frozenset({"kernel", "stride", "padding", "dilation", "ceil_mode"}),
        _pool("MaxPool2d")),
    "avgpool": (
        frozenset({"kernel", "stride", "padding", "ceil_mode", "count_include_pad"}),
        _pool("AvgPool2d"),
    ),
    "global_avgpool": (frozenset(), _fixed("nn.AdaptiveAvgPool2d(1)")),
    "global_maxpool": (frozenset(), _fixed("nn.AdaptiveMaxPool2d(1)")),
    "adaptive_avgpool": (
        frozenset({"out"}),
        lambda args, shape: f"nn.AdaptiveAvgPool2d({tuple(args['out'])})",
    ),
    "adaptive_maxpool": (
        frozenset({"out"}),
        lambda args, shape: f"nn.AdaptiveMaxPool2d({tuple(args['out'])})",
    ),
    "linear": (
        frozenset({"out", "bias"}),
        lambda args, shape: f"nn.Linear({shape[0]}, {args['out']}, bias={args['bias']})",
    ),
    "flatten": (frozenset(), _fixed("nn.Flatten()")),
    "dropout": (frozenset({"p"}), lambda args, shape: f"nn.Dropout({args['p']})"),
    "identity": (frozenset(), _fixed("nn.Identity()")),
}

EXPORTED_TYPES = frozenset(_MODULES)


def _check_sequential(items: tuple[Node, ...]) -> None:
    """Refuse, by name and place, what nested nn.Sequentials cannot express."""
    for node in items:
        kind = type(node).__name__
        if not isinstance(node, Leaf | Seq | Repeat):
            label = {"Use": f"block `{getattr(node, 'block', '')}`"}.get(kind, kind.lower())
            raise SpecError(
                f"{label} is not exported to PyTorch yet (sequential networks only: "
                "layers, seq, repeat)",
                node.where,
                node.name or "",
            )
        if node.source is not None or node.train_only:
            raise SpecError(
                "`from:` and `train_only` are not exported to PyTorch yet", node.where,
                node.name or "",
            )
        if isinstance(node, Seq | Repeat):
            _check_sequential(node.items)


def _module(row: Row) -> str:
    if row.type not in _MODULES:
        raise SpecError(
            f"layer type `{row.type}` is not exported to PyTorch yet (exported: "
            f"{', '.join(sorted(EXPORTED_TYPES))})",
            row.where,
            row.path,
        )
    reads, text = _MODULES[row.type]
    unread = sorted(set(row.args) - reads)
    if unread:
        raise SpecError(
            f"{row.type} argument(s) {', '.join(unread)} not exported to PyTorch yet",
            row.where,
            row.path,
        )
    try:
        return text(row.args, row.input)
    except SpecError as error:
        raise error.located(row.where, row.path) from None


def _tree(rows: tuple[Row, ...]) -> dict[str, Any]:
    """The paths as nested dicts in order: {"features": {"0": row, ...}, "flatten": row}."""
    root: dict[str, Any] = {}
    for row in rows:
        *parents, last = row.path.split(".")
        node = root
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict) or list(node)[-1] != part:
                # a path that nn.Sequential order cannot hold (a group interrupted)
                raise SpecError("not a sequence of nested groups", row.where, row.path)
            node = child
        if last in node:
            raise SpecError("two layers share this path", row.where, row.path)
        node[last] = row
    return root


def _render(tree: dict[str, Any], indent: str) -> list[str]:
    lines = []
    for name, value in tree.items():
        if isinstance(value, dict):
            lines.append(f'{indent}("{name}", nn.Sequential(OrderedDict([')
            lines += _render(value, indent + "    ")
            lines.append(f"{indent}]))),")
        else:
            lines.append(f'{indent}("{name}", {_module(value)}),')
    return lines


def export_pytorch(arch: Architecture, rows: tuple[Row, ...], class_name: str = "Model") -> str:
    """The source of a Python file defining `class_name(nn.Sequential)` for `arch`, whose layers
    `rows` are (the engine's rows at a numeric input: they give each layer its incoming shape)."""
    if arch.outputs:
        raise SpecError("`outputs:` is not exported to PyTorch yet", arch.where)
    _check_sequential(arch.items)
    symbolic = next((r for r in rows if not all(is_int(d) for d in (*r.input, *r.output))), None)
    if symbolic is not None:  # nn.Conv2d(C, C, ...) would name an undefined C
        raise SpecError(
            f"export needs numbers, but {symbolic.path} sees {format_shape(symbolic.input)}: "
            "give a numeric --input (e.g. --input 64x56x56)",
            symbolic.where,
            symbolic.path,
        )
    body = _render(_tree(rows), " " * 16)
    shape = "x".join(str(d) for d in (rows[0].input if rows else ()))  # the size it is built for
    header = [
        f'"""{arch.name}: {arch.title}',
        "",
        "Written by `cnncalc export --to pytorch`; needs only torch. Parameter names follow",
        f'cnncalc\'s layer paths; built for input {shape} (C x H x W)."""',
        "",
        "from collections import OrderedDict",
        "",
        "from torch import nn",
        "",
        "",
        f"class {class_name}(nn.Sequential):",
        "    def __init__(self) -> None:",
        "        super().__init__(",
        "            OrderedDict([",
    ]
    return "\n".join([*header, *body, "            ])", "        )", ""])
