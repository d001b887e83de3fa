"""Propagation: the node tree -> a Report of every layer's shape, cost and receptive field.

The composites (seq, repeat, use, residual, parallel, dense) are handled here and only here; leaf
layers bring their own formulas (cnncalc.layers). The same code runs on integers and, when the
input has unbound symbols, on sympy expressions.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import gc
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, NamedTuple, Protocol

from . import expr, merges, receptive_field
from .errors import CnnCalcError, LimitError, ShapeError, SpecError, Where
from .layers.base import Layer, arguments, coerce
from .layers.conv import Conv
from .layers.norm import BatchNorm
from .layers.pool import AdaptiveAvgPool
from .limits import (
    LAYERS_HINT,
    MAX_BLOCK_DEPTH,
    MAX_LAYERS,
    MAX_STEPS,
    MAX_SYMBOLIC_NODES,
    MAX_VALUE,
    STEPS_PER_LAYER,
    VALUE_HINT,
)
from .loader import BLOCK_NAMES, NETWORK_NAMES
from .nodes import (
    REQUIRED,
    Architecture,
    Dense,
    Leaf,
    Merge,
    Node,
    Parallel,
    Repeat,
    Residual,
    Seq,
    SqueezeExcite,
    Use,
)
from .receptive_field import covers_map
from .receptive_field import step as _step
from .report import DTYPE_BYTES, EXTRA_KINDS, AxisRF, Diagnostic, Report, Row, Totals
from .shape import Shape, exact, expression_size, format_shape, is_int, plain, product

RF = tuple[AxisRF, AxisRF] | None


class Flow(NamedTuple):
    """What travels along the graph: the predicted shape, its receptive field, and — only when
    a Runner executes the network (cnncalc verify) — the real tensor."""

    shape: Shape
    rf: RF
    x: Any = None
    copies: Any = 1  # how many times it exists per sample: R after a roi_pool
    train_only: bool = False  # made by a `train_only` node: only nodes that are may read it


class Runner(Protocol):
    """Executes layers as the engine walks them (cnncalc.verify provides one)."""

    def leaf(self, layer: Layer, x: Any, path: str) -> Any: ...

    def merge(self, kind: str, xs: list[Any], path: str) -> Any: ...


def analyze_architecture(
    arch: Architecture,
    input: Shape | None = None,
    bindings: Mapping[str, int] | None = None,
    batch: int = 1,
    dtype: str = "fp32",
    runner: Runner | None = None,
    x: Any = None,
    no_bias: bool = False,
    mode: str = "eval",
) -> Report:
    """Propagate through `arch`; with a `runner`, also execute it on the tensor `x`. In `mode`
    "eval" the rows of `train_only` nodes keep their parameters but count no MACs, other
    operations or activations (torchvision runs aux heads only in training); "train" counts
    them."""
    if mode not in ("eval", "train"):
        raise SpecError(f"--mode must be eval or train, got {mode!r}")
    bindings = _bind_input(arch, input, dict(bindings or {}))
    dims = input or arch.input
    symbols = list(arch.symbols)
    for d in dims:
        if isinstance(d, expr.Expr):
            symbols.extend(n for n in sorted(d.names()) if n not in symbols)
    unknown = [name for name in bindings if name not in symbols]
    if unknown:
        raise SpecError(
            f"--set {unknown[0]}: the architecture has no symbol {unknown[0]!r}"
            + (f" (its symbols: {', '.join(symbols)})" if symbols else " (it has no symbols)")
        )
    # A symbol's default (`symbols: {groups: 1}`) holds unless bound; the report's bindings
    # stay the ones given, so a file with defaults reads as a plain numeric run.
    scope: dict[str, Any] = {**arch.defaults, **bindings}
    free = [s for s in symbols if s not in scope]
    if free:
        import sympy  # only here: the numeric path never imports it

        for s in free:
            scope[s] = sympy.Symbol(s, integer=True, positive=True)
    shape = tuple(d.evaluate(scope) if isinstance(d, expr.Expr) else d for d in dims)
    # C_0, H_0, W_0: the network's input, a name everywhere (C_0 is F for a flat input)
    scope.update(zip(NETWORK_NAMES, shape, strict=False))
    rf: RF = (AxisRF(1, 1, 0), AxisRF(1, 1, 0)) if len(shape) == 3 else None
    walker = _Walker(arch, scope, runner, no_bias, mode == "train")
    walker.input_shape = shape
    walker.input_flow = Flow(shape, rf, x)
    whole_file = Where(arch.input_where.file, 0)
    walker.check_budget(*walker.estimate(arch.items, scope, 0), whole_file, "")
    # The walk makes hundreds of thousands of long-lived objects and almost no cycles: the
    # cyclic collector would rescan all of them again and again (a quarter of the time at
    # 200,000 layers), so it waits until the walk is done.
    collecting = gc.isenabled()
    gc.disable()
    try:
        final = walker.sequence(arch.items, walker.input_flow, scope, "")
        outputs = walker.outputs(final)
    except ShapeError as exc:
        exc.message += _channels_last_hint(shape)
        raise
    finally:
        if collecting:
            gc.enable()
    rows = tuple(walker.rows)
    return Report(
        name=arch.name,
        title=arch.title,
        source=arch.source,
        input=shape,
        output=outputs[0][1],
        output_rf=walker.main_rf,
        outputs=outputs,
        mode=mode,
        batch=batch,
        dtype=dtype,
        rows=rows,
        groups=walker.groups,
        totals=totals(rows, batch, dtype),
        diagnostics=tuple(walker.diagnostics),
        symbols=tuple(free),
        bindings=bindings,
    )


def _channels_last_hint(shape: Shape) -> str:
    """A hint when a shape error follows an input that looks channels-last ([224, 224, 3], as
    Keras writes it): a map 3 pixels wide is far likelier a misplaced channel count."""
    if len(shape) == 3 and all(type(d) is int for d in shape):
        c, h, w = shape
        if w in (1, 3, 4) and min(c, h) > 4:
            return (
                f" (the input [{c}, {h}, {w}] looks channels-last; cnncalc takes [C, H, W]: "
                f"[{w}, {c}, {h}])"
            )
    return ""


def _bind_input(
    arch: Architecture, input: Shape | None, bindings: dict[str, int]
) -> dict[str, int]:
    """A size given for an input dimension the file names (`--input 64x56x56` on `[C, H, W]`)
    binds that name, as `--set C=64,H=56,W=56` would: the layers' `out: C` then means 64 too,
    not a free C beside a 64-channel input. A size that disagrees with --set, or two sizes for
    one name (`[C, S, S]` given 3x224x200), are refused."""
    if not input or len(input) != len(arch.input):
        return bindings
    given: dict[str, int] = {}
    for declared, size in zip(arch.input, input, strict=True):  # lengths checked above
        if not (isinstance(declared, expr.Expr) and isinstance(declared.tree, str)):
            continue
        if type(size) is not int:
            continue
        name = declared.tree
        if name in bindings and bindings[name] != size:
            raise SpecError(
                f"--input gives {name}={size} but --set gives {name}={bindings[name]}"
            )
        if given.get(name, size) != size:
            raise SpecError(
                f"--input gives two sizes for {name} ({given[name]} and {size}): the input "
                "is [" + ", ".join(map(str, arch.input)) + "]"
            )
        given[name] = size
    return {**bindings, **given}


def checked_shape(shape: Shape, what: str) -> Shape:
    """Every computed size is checked whatever its type: a sympy number (sizes that cancel,
    ⌊(H − H)/1⌋ + 1) becomes a plain int; a size below 1 is a ShapeError; channels, height
    and width above CNNCALC_MAX_VALUE, or a flat vector above its cube (a flattened map of
    in-range sizes), are refused. So no later figure grows without bound (upsample chains)."""
    bound = MAX_VALUE if len(shape) == 3 else MAX_VALUE**3
    if shape and all(type(d) is int for d in shape) and min(shape) >= 1 and max(shape) <= bound:
        return shape  # the usual case, at the cost of one pass
    sizes = tuple(plain(d) for d in shape)
    for axis, d in enumerate(sizes):
        if getattr(d, "is_number", False) and not getattr(d, "is_Integer", False):
            raise ShapeError(f"{what} output size {d} is not a whole number")
        name = ("channels", "height", "width")[axis] if len(sizes) == 3 else "size"
        if not is_int(d):
            if d is not None and _at_least_above(d, bound):
                raise LimitError(
                    f"{what} output {name} would be {format_shape((d,))}, above {bound:,} for "
                    f"every size ({VALUE_HINT})"
                )
            continue
        if d < 1:
            raise ShapeError(
                f"{what} output {name} would be {d}: the input is too small for this layer"
            )
        if d > bound:
            raise LimitError(
                f"{what} output {name} would be {d:,}; cnncalc refuses sizes above {bound:,} "
                f"({VALUE_HINT})"
            )
    return sizes


@functools.lru_cache(maxsize=1024)  # a stage's layers share one size expression
def _at_least_above(size: Any, bound: int) -> bool:
    """A symbolic size above `bound` even with every symbol at its least, 1 (sizes grow with
    the input: 2^20·H from twenty upsamples). Only sizes holding a number above the bound are
    looked at, so the usual floors cost one walk over the atoms."""
    import sympy

    if not any(abs(n.p) > bound for n in size.atoms(sympy.Rational)):
        return False
    least = size.xreplace({s: sympy.Integer(1) for s in size.free_symbols})
    return bool(least.is_number and least > bound)


def _sum(values: list[Any]) -> Any:
    """Python's sum on numbers; one sympy Add for expressions (a running sum re-sorts each time)."""
    if all(type(v) is int for v in values):
        return sum(values)
    import sympy

    return plain(sympy.expand(sympy.Add(*values)))


def totals(rows: tuple[Row, ...], batch: int, dtype: str) -> Totals:
    size = DTYPE_BYTES[dtype]
    params = _sum([r.params for r in rows])
    trainable = _sum([r.trainable for r in rows])
    macs = _sum([r.macs for r in rows])
    extra = {
        kind: _sum([r.extra_flops for r in rows if r.extra_kind == kind]) for kind in EXTRA_KINDS
    }
    elements = _sum([r.elements for r in rows])
    return Totals(
        params=params,
        trainable_params=trainable,
        non_trainable_params=plain(params - trainable),  # sympy's 0 when all train: an int
        buffers=_sum([r.buffers for r in rows]),
        macs=macs,
        flops=plain(2 * macs),
        extra_flops=extra,
        param_bytes=plain(params * size),
        activation_elements=elements,
        activation_bytes=plain(elements * batch * size),
        weight_layers=sum(1 for r in rows if r.weighted),
        nonlinearities=sum(1 for r in rows if r.nonlinear),
    )


def _unnumbered(item: Node) -> bool:
    """A leaf whose type takes no position in its list (Layer.NUMBERED)."""
    return isinstance(item, Leaf) and not item.cls.NUMBERED


def _type(item: Node) -> str:
    """An unnumbered leaf's segment when it has no name: its type."""
    assert isinstance(item, Leaf)
    return item.cls.TYPE


def _join(prefix: str, segment: str) -> str:
    return f"{prefix}.{segment}" if prefix else segment




class _Walker:
    def __init__(
        self,
        arch: Architecture,
        scope: dict[str, Any],
        runner: Runner | None,
        no_bias: bool,
        train: bool = False,
    ) -> None:
        self.arch = arch
        self.train = train  # count train_only rows' MACs and activations
        self.in_train_only = 0  # > 0 while walking inside a train_only node
        self.flows: dict[str, Flow] = {}  # every finished node's output, by path
        self.wanted = _references(arch)  # the names nodes read: only their tensors are kept
        self.input_flow = Flow((), None)
        self._declared: frozenset[str] | None = None
        self.main_rf: RF = None
        self.runner = runner
        self.no_bias = no_bias
        self.leaves: dict[str, tuple[Layer, Row]] = {}  # for layers that name an earlier one
        self.input_shape: Shape = ()
        self.globals = scope
        self.rows: list[Row] = []
        self.groups: dict[str, tuple[str, Where]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.block_stack: list[str] = []
        self.steps = 0  # nodes visited so far, bounded by MAX_STEPS
        self.costs: dict[str, tuple[int, int]] = {}  # block name -> (rows, steps) of one use

    # ------------------------------------------------------------------ sequences and naming

    def sequence(
        self, items: tuple[Node, ...], flow: Flow, scope: dict[str, Any], prefix: str
    ) -> Flow:
        """Walk a list of nodes. Unnamed items are numbered by position; an unnamed repeat's copies
        number on in this list; a list of one unnamed item adds no segment of its own, nor does
        a list of one such item beside unnumbered leaves (a chunk, a channel shuffle)."""
        numbered = [item for item in items if not _unnumbered(item)]
        unnamed = [item for item in items if _unnumbered(item) and item.name is None]
        for item in unnamed:  # each is named by its type: two would share one path
            if sum(_type(other) == _type(item) for other in unnamed) > 1:
                raise SpecError(
                    f"two unnamed {_type(item)} layers in one list would both be "
                    f"{_join(prefix, _type(item))}; give one a name",
                    item.where,
                    prefix,
                )
        only = numbered[0] if len(numbered) == 1 else items[0] if len(items) == 1 else None
        if prefix and only is not None and only.name is None and not isinstance(only, Repeat):
            for item in items:
                path = prefix if item is only else _join(prefix, item.name or _type(item))
                flow = self.node(item, flow, scope, path)
            return flow
        index = 0
        for item in items:
            flow, index = self.numbered(item, flow, scope, prefix, index)
        return flow

    def numbered(
        self, item: Node, flow: Flow, scope: dict[str, Any], prefix: str, index: int
    ) -> tuple[Flow, int]:
        if isinstance(item, Repeat) and item.name is None:  # its copies number on in this list
            for i in range(self.count(item, scope, prefix)):
                inner = {**scope, "i": i}
                for sub in item.items:
                    flow, index = self.numbered(sub, flow, inner, prefix, index)
            return flow, index
        if _unnumbered(item):  # named by its type, as torch's functions have no module name
            return self.node(item, flow, scope, _join(prefix, item.name or _type(item))), index
        return self.node(item, flow, scope, _join(prefix, item.name or str(index))), index + 1

    def count(self, node: Repeat | Dense, scope: dict[str, Any], path: str) -> int:
        count = self.resolve(node.count, "nonneg", "count", node.where, scope, path)
        if not is_int(count):
            raise SpecError(f"the count {count} must be a number, not a symbol", node.where, path)
        body = node.items if isinstance(node, Repeat) else node.body
        rows, steps = self.estimate(body, scope, 0)
        self.check_budget(
            len(self.rows) + count * rows, self.steps + count * steps, node.where, path
        )
        return count

    def check_budget(self, rows: int, steps: int, where: Where | None, path: str) -> None:
        """Refuse a walk expected to add more than MAX_LAYERS rows or to visit more than
        MAX_STEPS nodes (a tree of blocks that ends in `repeat: 0` adds no rows, but walking
        2^40 empty uses would take hours)."""
        if rows > MAX_LAYERS:
            raise LimitError(
                f"the architecture expands to about {rows:,} layers, more than "
                f"{MAX_LAYERS:,} ({LAYERS_HINT})",
                where,
                path,
            )
        if steps > MAX_STEPS:
            raise LimitError(
                f"the architecture expands to at least {steps:,} steps (blocks, uses and repeats "
                f"walked, even those that add no layer), more than {MAX_STEPS:,} "
                f"({LAYERS_HINT}; the step limit is {STEPS_PER_LAYER} per layer)",
                where,
                path,
            )

    def estimate(
        self, items: tuple[Node, ...], scope: Mapping[str, Any], depth: int
    ) -> tuple[int, int]:
        """(rows, steps) one pass over `items` adds and visits, as far as it can be told before
        walking (counts that depend on what is not known yet count once): so `repeat: 1000` of
        `repeat: 1000` is refused at once instead of after minutes of expansion. A block's cost
        is computed once (its counts do not see the caller's scope), so a tree of blocks that
        use each other twice is estimated in time linear in the file, not in 2^depth."""
        if depth > MAX_BLOCK_DEPTH:
            return 1, 1
        rows = steps = 0
        for item in items:
            steps += 1
            if isinstance(item, Leaf):
                rows += 1
            elif isinstance(item, (Repeat, Dense)):
                body = item.items if isinstance(item, Repeat) else item.body
                try:
                    n = _evaluate(item.count, scope)
                except CnnCalcError:
                    n = 1
                n = n if is_int(n) and n >= 0 else 1
                if n:
                    r, st = self.estimate(body, scope, depth + 1)
                    rows += n * (r + isinstance(item, Dense))
                    steps += n * (st + 1)
            elif isinstance(item, Seq):
                r, st = self.estimate(item.items, scope, depth + 1)
                rows, steps = rows + r, steps + st
            elif isinstance(item, Use):
                r, st = self.block_cost(item.block, depth)
                rows, steps = rows + r, steps + st
            elif isinstance(item, Residual):
                r, st = (2, 2) if not isinstance(item.shortcut, tuple) else self.estimate(
                    item.shortcut, scope, depth + 1
                )
                br, bst = self.estimate(item.body, scope, depth + 1)
                rows, steps = rows + br + r + 2, steps + bst + st + 2
            elif isinstance(item, SqueezeExcite):
                rows, steps = rows + 6, steps + 6
            elif isinstance(item, Merge):
                rows += 1
            elif isinstance(item, Parallel):
                rows += 1
                for _, b in item.branches:
                    r, st = self.estimate(b, scope, depth + 1)
                    rows, steps = rows + r, steps + st + 1
            if rows > MAX_LAYERS or steps > MAX_STEPS:
                break
        return rows, steps

    def block_cost(self, name: str, depth: int) -> tuple[int, int]:
        """(rows, steps) of one use of block `name`, memoized; a block that uses itself costs 1
        here (the walk reports the cycle)."""
        if name in self.costs:
            return self.costs[name]
        block = self.arch.blocks.get(name)
        if block is None:
            return 1, 1
        self.costs[name] = (1, 1)  # while it is being estimated: cycles end here
        cost = self.estimate(block.items, {}, depth + 1)
        self.costs[name] = cost
        return cost

    # ------------------------------------------------------------------ nodes

    def node(self, node: Node, flow: Flow, scope: dict[str, Any], path: str) -> Flow:
        """Walk one node and remember its output under its path, for `from:`, named merges and
        `outputs:` (the tensor only when some reference may read it)."""
        self.steps += 1
        if self.steps > MAX_STEPS:  # the estimate could not see every count: stop here
            self.check_budget(len(self.rows), self.steps, node.where, path)
        if node.source is not None:
            flow = self.lookup(node.source, scope, node.where, path)
        if node.train_only:
            self.in_train_only += 1
            try:
                out = self.walk(node, flow, scope, path)
            finally:
                self.in_train_only -= 1
            out = out._replace(train_only=True)
        else:
            if flow.train_only and not self.in_train_only:
                raise SpecError(
                    "this layer runs in eval mode too, but its input comes from a train_only "
                    "node; give it `from:` the node it reads (or mark it train_only)",
                    node.where, path,
                )
            out = self.walk(node, flow, scope, path)
            if self.in_train_only:
                out = out._replace(train_only=True)
        self.flows[path] = out if out.x is None or self.keeps(path) else out._replace(x=None)
        return out

    def keeps(self, path: str) -> bool:
        """Whether some reference may name `path`: by its whole path or by its last segments."""
        wanted = self.wanted
        if not wanted:
            return False
        if path in wanted:
            return True
        while "." in path:
            path = path.split(".", 1)[1]
            if path in wanted:
                return True
        return False

    def walk(self, node: Node, flow: Flow, scope: dict[str, Any], path: str) -> Flow:
        if isinstance(node, Leaf):
            return self.leaf(node, flow, scope, path)
        if isinstance(node, Seq):
            self.groups[path] = ("seq", node.where)
            return self.sequence(node.items, flow, scope, path)
        if isinstance(node, Repeat):  # named: its copies are path.0, path.1, ...
            self.groups[path] = ("repeat", node.where)
            for i in range(self.count(node, scope, path)):
                flow = self.sequence(node.items, flow, {**scope, "i": i}, _join(path, str(i)))
                self.groups.setdefault(_join(path, str(i)), ("repeat step", node.where))
            return flow
        if isinstance(node, Use):
            return self.use(node, flow, scope, path)
        if isinstance(node, Residual):
            return self.residual(node, flow, scope, path)
        if isinstance(node, Parallel):
            return self.parallel(node, flow, scope, path)
        if isinstance(node, Dense):
            return self.dense(node, flow, scope, path)
        if isinstance(node, SqueezeExcite):
            return self.squeeze_excite(node, flow, scope, path)
        if isinstance(node, Merge):
            return self.named_merge(node, scope, path)
        raise AssertionError(node)

    # ------------------------------------------------------------------ the graph

    def lookup(self, ref: str, scope: Mapping[str, Any], where: Where, path: str) -> Flow:
        return self.find(ref, scope, where, path)[1]

    def find(
        self, ref: str, scope: Mapping[str, Any], where: Where, path: str
    ) -> tuple[str, Flow]:
        """The path and output of the earlier node `ref` names, seen from the node at `path`.

        Scoping (docs/format.md, Named references): a block argument holding a name stands for
        that name; `ref` is then looked up as a path relative to each enclosing group of `path`,
        innermost first (inside `decoder.up4`, `crop` is `decoder.up4.crop`, then
        `decoder.crop`, then `crop`); then as the last segments of exactly one finished node's
        path (`enc4` finds `encoder.enc4`); `input` is the network's input. A node that is not
        finished yet — later in the file, or a group that contains `path` — cannot be read:
        the graph stays acyclic."""
        bound = scope.get(ref)
        if isinstance(bound, str):  # a block argument: `skip: enc4` passed to `from: skip`
            ref = bound
        # `input` inside a block: its use's input (registered as USE.input), else the network's
        parent = path
        while parent:
            parent = parent.rsplit(".", 1)[0] if "." in parent else ""
            full = _join(parent, ref)
            found = self.flows.get(full)
            if found is not None:
                return full, found
        if ref in self.flows:
            return ref, self.flows[ref]
        if ref == "input":
            return "input", self.input_flow
        tail = "." + ref
        matches = [p for p in self.flows if p.endswith(tail)]
        if len(matches) == 1:
            return matches[0], self.flows[matches[0]]
        if matches:
            shown = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
            raise SpecError(
                f"{ref!r} could be any of {shown}: give more of its path", where, path
            )
        segments = path.split(".")
        enclosing = {".".join(segments[k:j]) for j in range(len(segments) + 1)
                     for k in range(j)}
        if ref in enclosing:
            raise SpecError(
                f"{ref!r} contains this node, so its output is not there yet: a node cannot "
                "take its input from itself or from a group around it (that would be a cycle)",
                where, path,
            )
        if ref.rsplit(".", 1)[-1] in self.declared():
            raise SpecError(
                f"{ref!r} comes later in the file: a node takes its input only from an earlier "
                "one (the graph must stay acyclic)",
                where, path,
            )
        close = difflib.get_close_matches(
            ref, [p.rsplit(".", 1)[-1] for p in self.flows], n=1
        )
        hint = f"; did you mean {close[0]!r}?" if close else ""
        earlier = "earlier " if path else ""  # outputs are looked up after the walk
        raise SpecError(f"no {earlier}node is named {ref!r}{hint}", where, path)

    def declared(self) -> frozenset[str]:
        """Every name given anywhere in the file (to tell a later node from a misspelt one)."""
        if self._declared is None:
            names: set[str] = set()
            lists = [self.arch.items, *(b.items for b in self.arch.blocks.values())]
            while lists:
                for item in lists.pop():
                    if item.name:
                        names.add(item.name)
                    lists.extend(_children(item))
            self._declared = frozenset(names)
        return self._declared

    def named_merge(self, node: Merge, scope: dict[str, Any], path: str) -> Flow:
        """`- concat: [a, b]`: like a parallel's merge, on the outputs of earlier nodes."""
        flows = [self.lookup(ref, scope, node.where, path) for ref in node.inputs]
        if not self.in_train_only and any(f.train_only for f in flows):
            raise SpecError(
                f"{node.kind} runs in eval mode too, but one of its inputs comes from a "
                "train_only node; mark it train_only", node.where, path,
            )
        named = [(ref, f.shape) for ref, f in zip(node.inputs, flows, strict=True)]
        try:
            out = merges.merged_shape(node.kind, named, "inputs")
        except ShapeError as exc:
            raise exc.located(node.where, path) from None
        merged = self.union(path, node.where, [(ref, f.rf) for ref, f in zip(
            node.inputs, flows, strict=True)])
        merged = self.broadcast_rf(
            path, node.where, [(ref, f.shape, f.rf) for ref, f in zip(
                node.inputs, flows, strict=True)], out, merged)
        return self.merge(node.kind, path, node.where, flows, out, merged)

    def outputs(self, final: Flow) -> tuple[tuple[str, Shape, bool], ...]:
        """(path, shape, train_only) of each declared output, main first; without `outputs:`,
        the last node's output alone."""
        if not self.arch.outputs:
            last = next(reversed(self.flows)) if self.flows else "input"
            self.main_rf = final.rf
            return ((last, final.shape, final.train_only),)
        found = []
        for ref, where in self.arch.outputs:
            path, flow = self.find(ref, self.globals, where, "")
            found.append((path, flow.shape, flow.train_only))
            if len(found) == 1:
                self.main_rf = flow.rf
        return tuple(found)

    def resolve(
        self, value: Any, kind: str, key: str, where: Where, scope: Mapping[str, Any], path: str
    ) -> Any:
        try:
            raw = _evaluate(value, scope)
        except SpecError as exc:
            raise exc.located(where, path) from None
        try:
            return coerce(kind, key, raw)
        except SpecError as exc:
            if isinstance(value, expr.Expr) and type(exc) is SpecError:  # say where 0 came from
                exc = SpecError(f"{exc.message} (from {value.text!r})")
            raise exc.located(where, path) from None

    def leaf(self, node: Leaf, flow: Flow, scope: dict[str, Any], path: str) -> Flow:
        shape, rf = flow.shape, flow.rf
        args = node.args
        if node.pending:
            local = dict(scope)
            local["C_in"] = shape[0]
            if len(shape) == 3:
                local["H_in"], local["W_in"] = shape[1], shape[2]
            args = dict(args)
            for key in node.pending:
                args[key] = self.resolve(
                    args[key], node.cls.FIELDS[key], key, node.where, local, path
                )
        if self.no_bias and "bias" in node.cls.FIELDS:
            args = {**args, "bias": False}
        try:
            layer = node.cls(**args)
            if node.cls.REFERENCE is not None:
                layer = layer.bind(*self.referenced(getattr(layer, node.cls.REFERENCE), path))
            out = layer.output_shape(shape)
            if not all(is_int(d) for d in out):
                _bound_symbolic(out)  # before anything else reads a runaway expression
            out = checked_shape(out, node.cls.TYPE)
            steps = layer.rf_steps(shape) if rf is not None and rf[0].local else None
            new_rf = rf
            if steps is None and rf is not None and rf[0].local:  # flat from here on
                new_rf = receptive_field.made_global(rf)
            elif steps is not None and (len(out) != 3 or covers_map(steps, shape)):
                new_rf = receptive_field.whole(rf, steps)  # type: ignore[arg-type]
            elif steps is not None:
                new_rf = _step(rf, steps, not layer.rf_note(shape))  # type: ignore[arg-type]
            elif rf is not None and len(shape) == 3 and len(out) == 3:
                new_rf = _strided(rf, layer.rf_steps(shape))
            params = layer.params(shape)
            copies = flow.copies * layer.copies()
            if is_int(copies) and copies > MAX_VALUE:
                raise LimitError(
                    f"{node.cls.TYPE} makes {copies:,} copies of the map per sample; cnncalc "
                    f"refuses sizes above {MAX_VALUE:,} ({VALUE_HINT})"
                )
            row = Row(
                path=path,
                type=node.cls.TYPE,
                where=node.where,
                input=shape,
                output=out,
                params=plain(params),
                trainable=0 if node.frozen else plain(params),
                buffers=plain(layer.buffers(shape)),
                macs=plain(layer.macs(shape, out) * copies),
                extra_flops=plain(layer.extra_flops(shape, out) * copies),
                extra_kind=layer.EXTRA_KIND,
                rf=new_rf,
                elements=product(out) * copies,
                copies=copies,
                detail=layer.describe(),
                args=arguments(layer),
                weighted=layer.WEIGHTED,
                nonlinear=layer.NONLINEAR,
            )
        except CnnCalcError as exc:
            raise exc.located(node.where, path) from None
        self.add(row)
        self.leaves[path] = (layer, row)
        if steps is not None and (note := layer.rf_note(shape)):
            self.diagnostics.append(Diagnostic(path, node.where, note))
        x = self.runner.leaf(layer, flow.x, path) if self.runner is not None else None
        return Flow(out, row.rf, x, copies)

    def referenced(self, name: str, path: str) -> tuple[Layer, Row]:
        """An earlier layer by its path, or by its name when that is unambiguous; `input` is
        the network's input (FCN crops its score map to the image)."""
        if name == "input" and "input" not in self.leaves:
            shape = self.input_shape
            row = Row("input", "input", self.arch.input_where, shape, shape, 0, 0, 0, 0, 0, "",
                      None, product(shape))
            return Layer(), row
        parent = path  # first relative to each enclosing group, innermost first (`lookup`)
        while parent:
            parent = parent.rsplit(".", 1)[0] if "." in parent else ""
            if _join(parent, name) in self.leaves:
                return self.leaves[_join(parent, name)]
        found = [p for p in self.leaves if p.rsplit(".", 1)[-1] == name or p.endswith("." + name)]
        if len(found) == 1:
            return self.leaves[found[0]]
        if found:
            raise SpecError(f"{name!r} could be any of {', '.join(found)}: give the full path")
        close = difflib.get_close_matches(name, [p.rsplit(".", 1)[-1] for p in self.leaves], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SpecError(f"no earlier layer is named {name!r}{hint}")

    def add(self, row: Row) -> None:
        if self.in_train_only:  # a train_only node's row: in eval mode it costs nothing
            row = dataclasses.replace(row, train_only=True)
            if not self.train:
                row = dataclasses.replace(row, macs=0, extra_flops=0, elements=0)
        if len(self.rows) >= MAX_LAYERS:
            raise LimitError(
                f"the architecture expands to more than {MAX_LAYERS:,} layers ({LAYERS_HINT})",
                row.where,
                row.path,
            )
        self.rows.append(row)

    def use(self, node: Use, flow: Flow, scope: dict[str, Any], path: str) -> Flow:
        block = self.arch.blocks.get(node.block)
        if block is None:
            close = difflib.get_close_matches(node.block, list(self.arch.blocks), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(self.arch.blocks) or "none"
            raise SpecError(
                f"unknown block {node.block!r}{hint} (blocks: {known})", node.where, path
            )
        if node.block in self.block_stack:
            cycle = self.block_stack[self.block_stack.index(node.block) :]
            chain = " -> ".join([*cycle, node.block])
            raise SpecError(f"block {node.block!r} uses itself: {chain}", node.where, path)
        if len(self.block_stack) >= MAX_BLOCK_DEPTH:
            raise LimitError(f"blocks nest deeper than {MAX_BLOCK_DEPTH}", node.where, path)
        for arg in node.args:
            if arg not in block.args:
                close = difflib.get_close_matches(arg, list(block.args), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise SpecError(
                    f"block {node.block!r} has no argument {arg!r}{hint} "
                    f"(it takes: {', '.join(block.args) or 'none'})",
                    node.where,
                    path,
                )
        shape = flow.shape
        local = {**scope, "C_in": shape[0]}
        if len(shape) == 3:
            local["H_in"], local["W_in"] = shape[1], shape[2]
        inner = dict(self.globals)
        inner.update(zip(BLOCK_NAMES, shape, strict=False))  # C_block…: the shape at the use
        for arg, default in block.args.items():
            if arg in node.args:
                value = node.args[arg]
            elif default is REQUIRED:
                raise SpecError(
                    f"block {node.block!r} needs the argument {arg!r}", node.where, path
                )
            else:
                value = default
            try:
                inner[arg] = _bounded(_evaluate(value, local), node.block, arg)
            except SpecError as exc:
                raise exc.located(node.where, path) from None
        self.groups[path] = (node.block, node.where)
        # inside the block, `input` names the map arriving at the use (docs/format.md)
        entry = _join(path, "input")
        self.flows[entry] = flow if flow.x is None or self.keeps(entry) else flow._replace(x=None)
        self.block_stack.append(node.block)
        try:
            return self.sequence(block.items, flow, inner, path)
        finally:
            self.block_stack.pop()

    # ------------------------------------------------------------------ merges

    def merge(
        self, kind: str, path: str, where: Where, inputs: list[Flow], out: Shape, rf: RF
    ) -> Flow:
        """The row of a merge (cnncalc.merges: concat, add, mul), and its execution when a
        runner is present."""
        copies = inputs[0].copies
        if any(f.copies != copies for f in inputs):
            listing = ", ".join(str(f.copies) for f in inputs)
            raise ShapeError(f"{kind} of inputs that exist {listing} times per sample", where, path)
        self.merge_row(kind, path, where, [f.shape for f in inputs], out, rf, copies)
        x = None
        if self.runner is not None:
            x = self.runner.merge(kind, [f.x for f in inputs], path)
        return Flow(out, rf, x, copies)

    def merge_row(
        self, kind: str, path: str, where: Where, inputs: list[Shape], out: Shape, rf: RF,
        copies: Any = 1,
    ) -> Row:
        try:
            out = checked_shape(out, kind)
        except CnnCalcError as exc:
            raise exc.located(where, path) from None
        row = Row(
            path=path,
            type=kind,
            where=where,
            input=inputs[0],
            output=out,
            params=0,
            trainable=0,
            buffers=0,
            macs=0,
            extra_flops=merges.other_ops(kind, inputs, out) * copies,
            extra_kind="merge" if kind != "concat" else "",
            rf=rf,
            elements=product(out) * copies,
            copies=copies,
            detail=merges.detail(kind, inputs),
        )
        self.add(row)
        return row

    def residual(self, node: Residual, flow: Flow, scope: dict[str, Any], path: str) -> Flow:
        self.groups[path] = ("residual", node.where)
        body = self.sequence(node.body, flow, scope, path)
        body_shape, body_rf = body.shape, body.rf
        short_path = _join(path, "shortcut")
        shortcut = node.shortcut
        if shortcut == "auto":
            shortcut = "identity" if self.keeps_shape(flow, body) else self.projection(
                node, flow, body, path
            )
        if isinstance(shortcut, str):  # "identity": the loader admits no other word here
            short = flow
        else:
            self.groups[short_path] = ("shortcut", node.where)
            short = self.sequence(shortcut, flow, scope, short_path)
        short_shape, short_rf = short.shape, short.rf
        if not merges.same_shape(body_shape, short_shape):
            given = node.shortcut if isinstance(node.shortcut, str) else "layers"
            raise ShapeError(
                f"residual add of {format_shape(body_shape)} (body) and "
                f"{format_shape(short_shape)} (shortcut {given}) "
                f"in {path or 'the network'}: the shapes must be equal",
                node.where,
                path,
            )
        merged = self.union(path, node.where, [("body", body_rf), ("shortcut", short_rf)])
        flow = self.merge("add", _join(path, "add"), node.where, [body, short], body_shape, merged)
        if node.activation is not None:
            flow = self.leaf(node.activation, flow, scope, _join(path, node.activation.cls.TYPE))
        return flow

    @staticmethod
    def keeps_shape(flow: Flow, body: Flow) -> bool:
        """torchvision's test for a downsample: the body changes the channels or strides. The
        stride is the ratio of jumps, so the answer does not depend on the input size (a
        stride-2 body on a 1x1 map still gets its projection, as in PyTorch)."""
        if flow.rf is None or body.rf is None or len(flow.shape) != 3 or len(body.shape) != 3:
            return merges.same_shape(flow.shape, body.shape)
        strided = any(body.rf[a].jump != flow.rf[a].jump for a in range(2))
        return not strided and merges.same_shape(flow.shape, body.shape)

    def projection(self, node: Residual, flow: Flow, body: Flow, path: str) -> tuple[Node, ...]:
        """torchvision's downsample: a 1x1 conv with the body's stride, then batch norm."""
        shape, rf, body_shape, body_rf = flow.shape, flow.rf, body.shape, body.rf
        if len(shape) != 3 or len(body_shape) != 3:
            raise ShapeError(
                f"residual with shortcut: auto needs feature maps; got {format_shape(shape)} -> "
                f"{format_shape(body_shape)}",
                node.where,
                path,
            )
        strides = []
        for axis in range(2):
            stride = _ratio(body_rf[axis].jump, rf[axis].jump) if rf and body_rf else 1
            ok = is_int(stride) and stride >= 1
            if ok and is_int(shape[1 + axis]):
                ok = (shape[1 + axis] - 1) // stride + 1 == body_shape[1 + axis]
            if not ok:
                raise ShapeError(
                    f"residual with shortcut: auto cannot match {format_shape(shape)} to "
                    f"{format_shape(body_shape)} with a strided 1x1 convolution; "
                    "give the shortcut layers explicitly",
                    node.where,
                    path,
                )
            strides.append(stride)
        conv = Leaf(node.where, None, Conv, {"out": body_shape[0], "kernel": (1, 1),
                    "stride": tuple(strides), "bias": False}, ())
        bn = Leaf(node.where, None, BatchNorm, {}, ())
        return (conv, bn)

    def parallel(self, node: Parallel, flow: Flow, scope: dict[str, Any], path: str) -> Flow:
        self.groups[path] = ("parallel", node.where)
        outs: list[tuple[str, Shape, RF]] = []
        flows: list[Flow] = []
        for name, items in node.branches:
            bpath = _join(path, name)
            if items:  # an identity branch (no layers) passes the input on and has no rows
                self.groups[bpath] = ("branch", node.where)
            branch = self.sequence(items, flow, scope, bpath)
            flows.append(branch)
            outs.append((name, branch.shape, branch.rf))
        try:
            out = merges.merged_shape(node.merge, [(n, s) for n, s, _ in outs])
        except ShapeError as exc:
            raise exc.located(node.where, path) from None
        merged = self.union(path, node.where, [(n, rf) for n, _, rf in outs])
        merged = self.broadcast_rf(path, node.where, outs, out, merged)
        return self.merge(node.merge, _join(path, node.merge), node.where, flows, out, merged)

    def squeeze_excite(
        self, node: SqueezeExcite, flow: Flow, scope: dict[str, Any], path: str
    ) -> Flow:
        """torchvision's SqueezeExcitation, as the parallel [identity, gate] merged by mul
        would be, with its module names: avgpool (to 1x1), fc1 (1x1 conv to `squeeze`
        channels, bias), activation, fc2 (1x1 conv back to C, bias), scale_activation; then
        x · scale, C x 1 x 1 broadcast over C x H x W."""
        self.groups[path] = ("squeeze_excite", node.where)
        shape = flow.shape
        if len(shape) != 3:
            raise ShapeError(
                f"squeeze_excite needs a feature map C x H x W, but its input is the flat vector "
                f"{format_shape(shape)}",
                node.where,
                path,
            )
        local = {**scope, "C_in": shape[0], "H_in": shape[1], "W_in": shape[2]}
        squeeze = self.resolve(node.squeeze, "pos", "squeeze", node.where, local, path)
        one = (1, 1)
        gate = (
            Leaf(node.where, "avgpool", AdaptiveAvgPool, {"out": one}, ()),
            Leaf(node.where, "fc1", Conv, {"out": squeeze, "kernel": one}, ()),
            dataclasses.replace(node.activation, name="activation"),
            Leaf(node.where, "fc2", Conv, {"out": shape[0], "kernel": one}, ()),
            dataclasses.replace(node.gate, name="scale_activation"),
        )
        scale = self.sequence(gate, flow, scope, path)
        inputs = [("input", shape, flow.rf), ("scale", scale.shape, scale.rf)]
        try:
            out = merges.merged_shape("mul", [(n, s) for n, s, _ in inputs])
        except ShapeError as exc:
            raise exc.located(node.where, path) from None
        # its gate always passes the global pool: the merge is global (rf.glob), no note
        merged = self.union(path, node.where, [(n, rf) for n, _, rf in inputs], False)
        merged = self.broadcast_rf(path, node.where, inputs, out, merged)
        return self.merge("mul", _join(path, "mul"), node.where, [flow, scale], out, merged)

    def dense(self, node: Dense, flow: Flow, scope: dict[str, Any], path: str) -> Flow:
        self.groups[path] = ("dense", node.where)
        if len(flow.shape) != 3:
            raise ShapeError(
                f"dense block needs a feature map C x H x W, but its input is the flat vector "
                f"{format_shape(flow.shape)}",
                node.where,
                path,
            )
        for i in range(self.count(node, scope, path)):
            step = _join(path, str(i))
            self.groups[step] = ("dense step", node.where)
            shape, rf = flow.shape, flow.rf
            new = self.sequence(node.body, flow, {**scope, "i": i}, step)
            new_shape, new_rf = new.shape, new.rf
            if len(new_shape) != 3 or not merges.same_shape(new_shape[1:], shape[1:]):
                raise ShapeError(
                    f"dense step {i} turns {format_shape(shape)} into {format_shape(new_shape)}; "
                    "its output must keep the spatial size to be concatenated",
                    node.where,
                    step,
                )
            out = (shape[0] + new_shape[0], *shape[1:])
            merged = self.union(step, node.where, [("input", rf), ("step", new_rf)])
            flow = self.merge("concat", _join(step, "concat"), node.where, [flow, new], out, merged)
        return flow

    def union(
        self, path: str, where: Where, branches: list[tuple[str, RF]], note_global: bool = True
    ) -> RF:
        """The merged unit sees the union of its branches' fields (the size is the span);
        unequal jumps or centers that do not coincide are reported, not dropped. Branches that
        passed a global layer make the merge global; the local field is the union of the
        others, so later layers keep updating it (see receptive_field)."""
        fields = [(n, rf) for n, rf in branches if rf is not None]
        if not fields:
            return None
        local = [(n, rf) for n, rf in fields if rf[0].local]
        glob = any(rf[0].glob for _, rf in fields)
        if not local:  # every branch passed a global layer: the first one's whole-map field
            return fields[0][1]
        axes = []
        for axis in range(2):
            starts = {rf[axis].start for _, rf in local}
            name = ("height", "width")[axis]
            if len({rf[axis].jump for _, rf in local}) > 1:
                listing = ", ".join(f"{n} {rf[axis].jump}" for n, rf in local)
                self.diagnostics.append(
                    Diagnostic(path, where, f"branches have unequal jumps along {name}: {listing}")
                )
            if len(starts) > 1 and all(_is_number(s) for s in starts):
                listing = ", ".join(f"{n} {rf[axis].start}" for n, rf in local)
                self.diagnostics.append(
                    Diagnostic(
                        path, where, f"branch centers differ along {name}: {listing} (not aligned)"
                    )
                )
            merged = receptive_field.span([rf for _, rf in local], axis, (_min, _max))
            axes.append(AxisRF(merged.size, merged.jump, merged.start, glob, True, merged.exact))
        if len(local) < len(fields) and note_global:
            names = ", ".join(n for n, rf in fields if not rf[0].local)
            self.diagnostics.append(
                Diagnostic(path, where, f"{names} passed a global layer: the merged units depend "
                           "on every input pixel (global); the field shown is that of the other "
                           "branches")
            )
        return tuple(axes)  # type: ignore[return-value]

    def broadcast_rf(
        self, path: str, where: Where, outs: list[tuple[str, Shape, RF]], out: Shape, merged: RF
    ) -> RF:
        """A local input repeated along an axis (a 1-pixel-high map under mul) gives every unit
        its unit 0's field, which the per-layer model cannot say: the field along that axis is
        then only approximate (verify --rf gives single units exactly). A gate that passed a
        global pooling is global already and changes nothing."""
        if merged is None:
            return merged
        axes = list(merged)
        for name, shape, rf in outs:
            for a, repeated in enumerate(merges.broadcast_axes(shape, out)):
                if repeated and rf is not None and rf[a].local and axes[a].exact:
                    axes[a] = dataclasses.replace(axes[a], exact=False)
                    self.diagnostics.append(Diagnostic(
                        path, where, f"{name} is repeated along {('height', 'width')[a]}: every "
                        "unit also sees its unit 0's field, so the field shown is approximate"
                    ))
        return (axes[0], axes[1])


def _children(node: Node) -> list[tuple[Node, ...]]:
    """The lists of nodes directly inside `node`."""
    if isinstance(node, (Seq, Repeat)):
        return [node.items]
    if isinstance(node, Dense):
        return [node.body]
    if isinstance(node, Residual):
        return [node.body, *([node.shortcut] if isinstance(node.shortcut, tuple) else [])]
    if isinstance(node, Parallel):
        return [items for _, items in node.branches]
    return []


def _references(arch: Architecture) -> frozenset[str]:
    """Every name a `from:`, a named merge or `outputs:` gives, and the names block arguments
    pass on as text (they may stand for a node): the outputs whose tensors verify keeps."""
    names = {ref for ref, _ in arch.outputs}
    lists = [arch.items, *(b.items for b in arch.blocks.values())]
    while lists:
        for item in lists.pop():
            if item.source is not None:
                names.add(item.source)
            if isinstance(item, Merge):
                names.update(item.inputs)
            if isinstance(item, Use):
                names.update(v for v in item.args.values() if isinstance(v, str))
            lists.extend(_children(item))
    return frozenset(names)


def _strided(rf: RF, steps: Any) -> RF:
    """A global field (no path avoids a global layer) keeps its size and start, but its jump
    still follows the strides: the distance between neighbouring units' inputs, which a later
    residual's `shortcut: auto` reads as the body's stride (a stride-2 conv on a 1x1 map still
    gets torchvision's projection)."""
    if rf is None or steps is None:
        return rf
    h, w = (dataclasses.replace(a, jump=plain(a.jump * s.stride)) for a, s in zip(
        rf, steps, strict=True))
    return h, w


def _ratio(a: Any, b: Any) -> Any:
    """a / b exactly: an int when it divides (int / int would give a float), a Fraction or a
    sympy expression otherwise."""
    if all(is_int(v) or type(v) is Fraction for v in (a, b)):
        return exact(Fraction(a) / Fraction(b))
    ratio = a / b
    return int(ratio) if getattr(ratio, "is_Integer", False) else ratio


def _is_number(value: Any) -> bool:
    return is_int(value) or isinstance(value, Fraction)


def _min(values: list[Any]) -> Any:
    if all(_is_number(v) for v in values):
        return min(values)
    import sympy

    return sympy.Min(*values)


def _max(values: list[Any]) -> Any:
    if all(_is_number(v) for v in values):
        return max(values)
    import sympy

    return sympy.Max(*values)


def _bounded(value: Any, block: str, arg: str) -> Any:
    """A block argument, held to CNNCALC_MAX_VALUE as every other number is (a YAML integer
    passed to `use` is not an argument of a layer, so nothing else checks it)."""
    for v in value if isinstance(value, list) else [value]:
        if type(v) is int and abs(v) > MAX_VALUE:
            raise LimitError(
                f"block {block!r} argument {arg!r} is {v:,}; cnncalc refuses integers above "
                f"{MAX_VALUE:,} ({VALUE_HINT})"
            )
    return value


def _bound_symbolic(shape: Shape) -> None:
    """Refuse a symbolic size whose expression has grown past MAX_SYMBOLIC_NODES: every later
    layer would copy it, so the walk would slow to a crawl instead of failing."""
    for d in shape:
        if not is_int(d) and expression_size(d, MAX_SYMBOLIC_NODES) > MAX_SYMBOLIC_NODES:
            raise LimitError(
                f"the symbolic size of this layer's output has grown past {MAX_SYMBOLIC_NODES:,} "
                "terms; give the input size as numbers (--input 3x224x224 or --set H=224)"
            )


def _evaluate(value: Any, scope: Mapping[str, Any]) -> Any:
    if isinstance(value, expr.Expr):
        return value.evaluate(scope)
    if isinstance(value, list):
        return [_evaluate(v, scope) for v in value]
    return value
