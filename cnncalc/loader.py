"""YAML architecture files -> the node tree, every node remembering its file and line.

The file is read with yaml's safe composer, so we see each value's line and aliases stay shared
nodes (an alias bomb is refused by a node budget instead of expanding). Nothing is executed.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from fractions import Fraction
from typing import Any

import yaml

from . import expr
from .errors import LimitError, SpecError, Where
from .layers import REGISTRY
from .layers.base import PAIR_KINDS, coerce, fields_of, has_default, pair_text
from .limits import (
    MAX_ALIAS_REPEATS,
    MAX_FILE_BYTES,
    MAX_NESTING,
    MAX_VALUE,
    MAX_YAML_NODES,
    VALUE_HINT,
)
from .merges import MERGES
from .nodes import (
    REQUIRED,
    Architecture,
    Block,
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

COMPOSITES = ("repeat", "seq", "use", "residual", "parallel", "dense", "squeeze_excite")
# The keys each composite takes besides its own and `name` (`use` takes its block's arguments);
# cnncalc/schema.py reads these tables too, so the JSON Schema cannot drift from the loader.
COMPOSITE_KEYS = {
    "seq": ("layers",),
    "repeat": ("layers", "count"),
    "dense": ("layers", "count"),
    "residual": ("body", "shortcut", "activation"),
    "parallel": ("branches", "merge"),
    "squeeze_excite": ("squeeze", "activation", "gate"),
}
SE_DEFAULTS = {"activation": "relu", "gate": "sigmoid"}  # torchvision's SqueezeExcitation
SHORTCUTS = ("identity", "auto")  # a residual's shortcut: one of these, or a list of layers
MERGE_KIND = "choice:" + "|".join(MERGES)  # a parallel's merge (cnncalc/merges.py)
BRANCH_KEYS = ("name", "layers")  # a parallel branch written as a mapping
BLOCK_KEYS = ("args", "layers")  # an entry of `blocks:`
TOP_KEYS = (
    "name", "title", "description", "input", "symbols", "blocks", "layers", "outputs", "notes"
)
SHAPE_NAMES = ("C_in", "H_in", "W_in")  # the shape arriving at the layer (or at the `use`)
NETWORK_NAMES = ("C_0", "H_0", "W_0")  # the network's input shape, everywhere
BLOCK_NAMES = ("C_block", "H_block", "W_block")  # the shape arriving at the block's `use`
COMMON = ("name", "frozen")
GRAPH_KEYS = ("from", "train_only")  # beside the type key of any entry: docs/format.md
# A reference to a node: a name, or a path of names and positions (`layer1.0.conv1`).
_SEGMENT = r"(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+)"
_REFERENCE = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")
NUMERIC_KINDS = frozenset(
    {"pos", "nonneg", "pair", "pair?", "pair0", "offset", "padding", "pad4", "levels", "shape"}
)
_WORDS = ("same", "valid", "center")  # the words numeric kinds take (padding, crop offset)
_SCALAR_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:str",
}


_SIZE_NAMES = frozenset((*SHAPE_NAMES, *NETWORK_NAMES, *BLOCK_NAMES))
_INT_TAG = "tag:yaml.org,2002:int"
_MAX_INT_CHARS = 1000  # far above any legal value, far below Python's int-from-text limit
_TEXT_TAGS = {_INT_TAG, "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}
_ALLOWED_TAGS = _SCALAR_TAGS | {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


# a "…" string (with backslash escapes), a '…' string ('' escapes a quote), or a # comment where
# YAML allows one (at the start of a line or after a space); yaml imports re already
_QUOTED_OR_COMMENT = re.compile(
    r"""("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|(?:^|(?<=\s))#[^\n]*)""", re.MULTILINE
)


def _flow_depth(text: str) -> int:
    """The deepest nesting of [ and { (a quick look before PyYAML recurses into it). Brackets
    inside quoted strings and comments do not nest, so those are skipped: the text is split at
    quotes and `#`, which is enough to tell them apart for a bound (an unbalanced quote only makes
    the count smaller, and PyYAML then reports the syntax error)."""
    depth = deepest = 0
    if not any(c in text for c in "[{"):
        return 0
    for piece in _QUOTED_OR_COMMENT.split(text):
        if not piece or piece[0] in "'\"#":
            continue
        for char in piece:
            if char in "[{":
                depth += 1
                if depth > deepest:
                    deepest = depth
            elif char in "]}":
                depth -= 1
    return deepest




def read_file(path: Any, label: str) -> str:
    """The text of an architecture file, refused before it is read when it is larger than
    MAX_FILE_BYTES (its size on disk, then at most MAX_FILE_BYTES + 1 bytes read, so a pipe or a
    growing file is bounded too). Bytes that are not UTF-8 are reported with their line and
    byte offset. OSError is left to the caller, which knows how to name the path."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_FILE_BYTES:
            raise LimitError(_too_big(size), Where(label, 0))
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise LimitError(_too_big(None), Where(label, 0))
    return decode(data, label)


def _too_big(size: int | None) -> str:
    what = f" ({size:,} bytes)" if size is not None else ""
    return f"the file is larger than {MAX_FILE_BYTES:,} bytes{what}; cnncalc refuses it"


def decode(data: bytes, label: str) -> str:
    """UTF-8 bytes -> text; a bad byte is reported with its line and byte offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(
            f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start:,} (line {line}, column {column}) cannot be decoded",
            Where(label, line),
        ) from None


def _count_values(text: str, file: str) -> bool:
    """Refuse a file of more than MAX_YAML_NODES values before composing it. Counting parser
    events (libyaml's when present) costs a fraction of composing, so a 2 MB file of a million
    list items under `notes:` is refused in well under a second instead of composed in 35 s.
    A syntax error stops the count (and the answer is False): the pure-Python composer then
    reports it with PyYAML's usual message. True: the text is well-formed YAML of a bounded size,
    so libyaml may compose it (six times faster than PyYAML's own composer)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    count = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, _VALUE_EVENTS):
                count += 1
                if count > MAX_YAML_NODES:
                    raise LimitError(
                        f"the file holds more than {MAX_YAML_NODES:,} YAML values "
                        "(list items, keys and scalars); cnncalc refuses it",
                        Where(file, event.start_mark.line + 1 if event.start_mark else 0),
                    )
    except (yaml.YAMLError, RecursionError):
        return False
    return loader is not yaml.SafeLoader


_VALUE_EVENTS = (
    yaml.events.ScalarEvent,
    yaml.events.SequenceStartEvent,
    yaml.events.MappingStartEvent,
    yaml.events.AliasEvent,
)


# PyTorch and Keras argument names and what cnncalc calls them: a habit gets a mapping, which a
# near spelling cannot give (difflib does not see `out` in `out_channels`).
FOREIGN_NAMES: dict[str, str] = {
    "out_channels": "out",
    "filters": "out",
    "out_features": "out",
    "units": "out",
    "output_size": "out",
    "kernel_size": "kernel",
    "pool_size": "kernel",
    "strides": "stride",
    "dilation_rate": "dilation",
    "use_bias": "bias",
    "scale_factor": "scale",
}
# Names whose value cnncalc reads off the incoming shape instead.
IMPLIED_NAMES = ("in_channels", "in_features", "input_shape", "input_dim", "num_features")


def _suggest(word: str, choices: Any) -> str:
    """`; did you mean 'stride'?` for a near spelling or another framework's name, else ''."""
    choices = list(choices)
    if word in IMPLIED_NAMES:
        return f"; {word} is implied by the input shape: leave it out"
    mapped = FOREIGN_NAMES.get(str(word))
    if mapped in choices:
        return f"; did you mean {mapped!r}, cnncalc's name for {word}?"
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.budget = MAX_YAML_NODES
        self.repeats = MAX_ALIAS_REPEATS
        self.seen: set[int] = set()
        self.constructor = yaml.constructor.SafeConstructor()

    # ------------------------------------------------------------------ plumbing

    def where(self, node: yaml.Node, yaml_path: str) -> Where:
        return Where(self.file, node.start_mark.line + 1, yaml_path)

    def error(self, node: yaml.Node, yaml_path: str, message: str) -> SpecError:
        return SpecError(message, self.where(node, yaml_path))

    def spend(self, node: yaml.Node, yaml_path: str) -> None:
        if node.tag not in _ALLOWED_TAGS:
            raise self.error(node, yaml_path, f"the YAML tag {node.tag} is not allowed")
        self.budget -= 1
        if id(node) in self.seen:  # reached again through an alias
            self.repeats -= 1
            if self.repeats < 0:
                raise LimitError(
                    f"aliases repeat more than {MAX_ALIAS_REPEATS:,} YAML values "
                    "(an alias bomb?); cnncalc refuses it",
                    self.where(node, yaml_path),
                )
        else:
            self.seen.add(id(node))
        if self.budget < 0:
            raise LimitError(
                f"the file expands to more than {MAX_YAML_NODES:,} YAML values "
                "(an alias bomb?); cnncalc refuses it",
                self.where(node, yaml_path),
            )

    def scalar(self, node: yaml.Node, yaml_path: str) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self.error(node, yaml_path, f"unsupported YAML tag {node.tag}")
        if node.tag == _INT_TAG and len(node.value) > _MAX_INT_CHARS:
            # Refused before int() reads it (Python refuses 4,300 digits with a ValueError).
            raise LimitError(
                f"a number of {len(node.value):,} characters; cnncalc refuses integers above "
                f"{MAX_VALUE:,} ({VALUE_HINT})",
                self.where(node, yaml_path),
            )
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            raise self.error(node, yaml_path, f"cannot read value: {exc}") from None

    def text(self, node: yaml.Node, yaml_path: str) -> Any:
        """A scalar meant as text (a name, a title): YAML 1.1 reads `yes`, `off`, `1e3` or
        `0x1F` as a bool or a number; what the person wrote is the text they meant."""
        if isinstance(node, yaml.ScalarNode) and node.tag in _TEXT_TAGS:
            return node.value
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return ""
        return self.scalar(node, yaml_path) if isinstance(node, yaml.ScalarNode) else None

    def mapping(self, node: yaml.Node, yaml_path: str, what: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, yaml_path, f"{what} must be a mapping (key: value)")
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            self.spend(key_node, yaml_path)
            is_scalar = isinstance(key_node, yaml.ScalarNode)
            key = self.scalar(key_node, yaml_path) if is_scalar else None
            if not isinstance(key, str):
                raise self.error(key_node, yaml_path, f"keys in {what} must be words")
            if key in out:
                raise self.error(key_node, yaml_path, f"{key!r} is given twice in {what}")
            out[key] = value_node
        return out

    def value(self, node: yaml.Node, yaml_path: str, depth: int = 0, key: str = "") -> Any:
        """A plain value: scalars, and lists of them (used for arguments; `key` names it)."""
        self.spend(node, yaml_path)
        if depth > MAX_NESTING:
            raise LimitError(
                f"values nest deeper than {MAX_NESTING} levels", self.where(node, yaml_path)
            )
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, yaml_path)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, yaml_path, depth + 1, key) for item in node.value]
        what = f"{key!r} must be" if key else "expected"
        raise self.error(node, yaml_path, f"{what} a value or a list of values, got a mapping")

    # ------------------------------------------------------------------ values

    def exact(self, node: yaml.Node, raw: Any, yaml_path: str) -> Any:
        """A decimal given to a block (`width: 0.75`) as the exact rational its text spells
        (3/4), so that expressions on it stay exact; lists item by item."""
        if isinstance(raw, list) and isinstance(node, yaml.SequenceNode):
            return [self.exact(n, r, yaml_path) for n, r in zip(node.value, raw, strict=True)]
        if not isinstance(raw, float):
            return raw
        try:
            value = Fraction(node.value.replace("_", ""))
        except (ValueError, ZeroDivisionError):
            raise self.error(node, yaml_path, f"a block argument must be a finite number, "
                             f"got {node.value}") from None
        if max(abs(value.numerator), value.denominator) > MAX_VALUE**2:
            raise LimitError(f"{node.value} has too many digits for an exact value "
                             f"({VALUE_HINT})", self.where(node, yaml_path))
        return value.numerator if value.denominator == 1 else value

    def argument(
        self, node: yaml.Node, yaml_path: str, key: str, names: frozenset[str]
    ) -> Any:
        """A value that may contain expressions: strings become Expr, checked for known names."""
        raw = self.value(node, yaml_path, key=key)
        return self.expressions(raw, node, yaml_path, key, names)

    def expressions(
        self, raw: Any, node: yaml.Node, yaml_path: str, key: str, names: frozenset[str]
    ) -> Any:
        if isinstance(raw, list):
            return [self.expressions(v, node, yaml_path, key, names) for v in raw]
        if not isinstance(raw, str) or raw in _WORDS or not _looks_arithmetic(raw):
            return raw
        try:
            parsed = expr.parse(raw)
        except SpecError as exc:
            raise self.error(node, yaml_path, f"{key!r}: {exc.message}") from None
        for name in sorted(parsed.names()):
            if name not in names:
                raise self.error(
                    node,
                    yaml_path,
                    f"{key!r}: " + expr.unknown_name_message(name, dict.fromkeys(names), raw),
                )
        return parsed

    # ------------------------------------------------------------------ layers

    def layers(
        self, node: yaml.Node, yaml_path: str, names: frozenset[str], depth: int
    ) -> tuple[Node, ...]:
        if depth > MAX_NESTING:
            raise LimitError(
                f"layers nest deeper than {MAX_NESTING} levels", self.where(node, yaml_path)
            )
        if isinstance(node, yaml.ScalarNode) and self.scalar(node, yaml_path) is None:
            raise self.error(node, yaml_path, "the list of layers is empty")
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, yaml_path, "layers must be a list (each item `- type: {...}`)")
        if not node.value:
            raise self.error(node, yaml_path, "the list of layers is empty")
        items = tuple(
            self.entry(item, f"{yaml_path}[{i}]", names, depth)
            for i, item in enumerate(node.value)
        )
        seen: set[str] = set()
        for item in items:
            if item.name is not None:
                if item.name in seen:
                    raise SpecError(
                        f"the name {item.name!r} is used twice in the same list", item.where
                    )
                seen.add(item.name)
        return items

    def entry(self, node: yaml.Node, yaml_path: str, names: frozenset[str], depth: int) -> Node:
        self.spend(node, yaml_path)
        if isinstance(node, yaml.ScalarNode):
            word = self.scalar(node, yaml_path)
            if not isinstance(word, str):
                raise self.error(
                    node, yaml_path, f"a layer must be a type name or a mapping, got {word!r}"
                )
            return self.leaf(word, None, {}, node, yaml_path, names)
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, yaml_path, "a layer must be a type name or a one-key mapping")
        entry = self.mapping(node, yaml_path, "a layer")
        kinds = [k for k in entry if k in REGISTRY or k in COMPOSITES or k in MERGES]
        if len(kinds) != 1:
            if kinds:
                raise self.error(
                    node, yaml_path, f"one layer per list item, found {' and '.join(kinds)}"
                )
            if not entry:
                raise self.error(node, yaml_path, "an empty mapping is not a layer: write a type "
                                 "name (`- relu`) or a one-key mapping (`- conv: {out: 64}`)")
            first = next(iter(entry))
            raise self.error(
                node,
                yaml_path,
                f"unknown layer type {first!r}"
                + _suggest(first, [*REGISTRY, *COMPOSITES])
                + " (`cnncalc layers` lists them)",
            )
        kind = kinds[0]
        value = entry.pop(kind)
        name = self.name(entry.pop("name", None), yaml_path)
        source = None
        if "from" in entry:
            if kind in MERGES:
                raise self.error(
                    entry["from"], yaml_path,
                    f"a {kind} names its inputs in its list; `from:` does not apply to it",
                )
            source = self.reference(entry.pop("from"), yaml_path, "'from'")
        train_only = False
        if "train_only" in entry:
            train_only = coerce_at(self, entry.pop("train_only"), yaml_path, "bool", "train_only")
        built: Node
        if kind in MERGES:
            built = self.merge(kind, value, entry, node, yaml_path, name)
        elif kind == "use":
            built = self.use(value, entry, node, yaml_path, name, names)
        elif kind in COMPOSITES:
            built = self.composite(kind, value, entry, node, yaml_path, name, names, depth)
        else:
            built = self.leaf(kind, value, entry, node, yaml_path, names, name)
        if source is not None or train_only:
            built = dataclasses.replace(built, source=source, train_only=train_only)
        return built

    def reference(self, node: yaml.Node, yaml_path: str, what: str) -> str:
        """A node's name or path (`enc1`, `layer1.0.conv1`), or a block argument holding one."""
        word = self.text(node, yaml_path) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(word, str) or not _REFERENCE.fullmatch(word):
            raise self.error(
                node, yaml_path,
                f"{what} names an earlier node: a name or a path like `layer1.0.conv1`, "
                f"got {word!r}" if isinstance(word, str) else f"{what} must be a name",
            )
        return word

    def merge(
        self, kind: str, value: yaml.Node, rest: dict[str, yaml.Node], node: yaml.Node,
        yaml_path: str, name: str | None,
    ) -> Merge:
        """`- concat: [up4, enc1]`: two or more references, in order."""
        if rest:
            key = next(iter(rest))
            raise self.error(
                rest[key], yaml_path,
                f"{kind} takes only the list of its inputs (and name, train_only); not {key!r}",
            )
        if not isinstance(value, yaml.SequenceNode) or len(value.value) < 2:
            raise self.error(
                value, yaml_path,
                f"{kind} names at least two earlier nodes: `- {kind}: [a, b]`",
            )
        inputs = []
        for item in value.value:
            self.spend(item, yaml_path)
            inputs.append(self.reference(item, yaml_path, f"each input of {kind}"))
        return Merge(self.where(node, yaml_path), name, kind, tuple(inputs))

    def name(self, node: yaml.Node | None, yaml_path: str) -> str | None:
        if node is None:
            return None
        if isinstance(node, yaml.ScalarNode):
            name = self.text(node, yaml_path)
            got = repr(name)
        else:  # show what was given (this said 'got None')
            name, got = None, "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        if not isinstance(name, str) or not name.isidentifier():
            raise self.error(
                node, yaml_path, f"'name' must be a word (letters, digits, _), got {got}"
            )
        return name

    def leaf(
        self,
        kind: str,
        value: yaml.Node | None,
        siblings: dict[str, yaml.Node],
        node: yaml.Node,
        yaml_path: str,
        names: frozenset[str],
        name: str | None = None,
    ) -> Leaf:
        cls = REGISTRY.get(kind)
        if cls is None:
            raise self.error(
                node,
                yaml_path,
                f"unknown layer type {kind!r}" + _suggest(kind, [*REGISTRY, *COMPOSITES]),
            )
        where = self.where(node, yaml_path)
        given: dict[str, yaml.Node] = {}
        if value is not None:
            if isinstance(value, yaml.MappingNode):
                given = self.mapping(value, yaml_path, f"the {kind} arguments")
            elif isinstance(value, yaml.ScalarNode) and self.scalar(value, yaml_path) is None:
                pass
            elif cls.PRIMARY is not None:
                given = {cls.PRIMARY: value}
            else:
                raise self.error(
                    value,
                    yaml_path,
                    f"{kind} takes its arguments as a mapping: `- {kind}: {{...}}`",
                )
        for key, sub in siblings.items():
            if key in given:
                raise self.error(sub, yaml_path, f"{key!r} is given twice")
            given[key] = sub
        if "name" in given:
            name = self.name(given.pop("name"), yaml_path)
        frozen = False
        if "frozen" in given:
            frozen = coerce_at(self, given.pop("frozen"), yaml_path, "bool", "frozen")
        fields = cls.FIELDS  # the YAML arguments (not fields the engine fills in)
        args: dict[str, Any] = {}
        pending: list[str] = []
        for key, sub in given.items():
            if key not in fields:
                raise self.error(
                    sub,
                    yaml_path,
                    f"{kind} has no argument {key!r}"
                    + _suggest(key, [*fields, *COMMON])
                    + f" (it takes: {', '.join([*fields, *COMMON])})",
                )
            if isinstance(sub, yaml.MappingNode):  # say which argument, and what it takes
                try:
                    coerce(cls.FIELDS[key], key, {})
                except SpecError as exc:
                    raise type(exc)(f"{kind}: {exc.message}", self.where(sub, yaml_path)) from None
            if cls.FIELDS[key] in NUMERIC_KINDS:
                raw = self.value(sub, yaml_path, key=key)
                if (
                    cls.FIELDS[key] in PAIR_KINDS
                    and isinstance(sub, yaml.ScalarNode)
                    and sub.value not in names
                ):
                    # `kernel: 3x3` as `--kernel 3x3` on the command line; read from the text,
                    # as YAML 1.1 reads `padding: 0x1` as the hex number 1
                    try:
                        raw = pair_text(key, sub.value) or raw
                    except SpecError as exc:
                        where = self.where(sub, yaml_path)
                        raise type(exc)(f"{kind}: {exc.message}", where) from None
                if isinstance(raw, str) and raw.isidentifier() and raw not in names:
                    # A lone unknown word (`stride: two`, `padding: full`): say what the
                    # argument takes, not only that the word is not a name.
                    try:
                        coerce(cls.FIELDS[key], key, raw)
                    except SpecError as exc:
                        known = expr.unknown_name_message(raw, dict.fromkeys(names), raw)
                        raise type(exc)(
                            f"{kind}: {exc.message}; {known}", self.where(sub, yaml_path)
                        ) from None
                raw = self.expressions(raw, sub, yaml_path, key, names)
            else:
                raw = self.value(sub, yaml_path)
                if isinstance(raw, str) and raw in names and raw not in _SIZE_NAMES:
                    raw = expr.parse(raw)  # a block argument passed on (`mode: how`, `bias: b`)
            if _has_expr(raw):
                args[key] = raw
                pending.append(key)
            else:
                try:
                    args[key] = coerce(cls.FIELDS[key], key, raw)
                except SpecError as exc:
                    raise type(exc)(f"{kind}: {exc.message}", self.where(sub, yaml_path)) from None
        missing = [
            f for f, spec in fields_of(cls).items()
            if f in fields and f not in args and not has_default(spec)
        ]
        if missing:
            raise SpecError(
                f"{kind} needs {', '.join(repr(m) for m in missing)}", where
            )
        return Leaf(where, name, cls, args, tuple(pending), frozen)

    def composite(
        self,
        kind: str,
        value: yaml.Node | None,
        rest: dict[str, yaml.Node],
        node: yaml.Node,
        yaml_path: str,
        name: str | None,
        names: frozenset[str],
        depth: int,
    ) -> Node:
        where = self.where(node, yaml_path)
        if isinstance(value, yaml.MappingNode):  # `- residual: {body: ..., shortcut: ...}`
            for key, sub in self.mapping(value, yaml_path, kind).items():
                if key in rest:
                    raise self.error(sub, yaml_path, f"{key!r} is given twice")
                rest[key] = sub
            value = None
        if "name" in rest:
            name = self.name(rest.pop("name"), yaml_path)
        allowed = COMPOSITE_KEYS[kind]
        for key, sub in rest.items():
            if key not in allowed:
                raise self.error(
                    sub,
                    yaml_path,
                    f"{kind} has no field {key!r}"
                    + _suggest(key, allowed)
                    + f" (it takes: {', '.join(allowed)}, name)",
                )
        sub_path = f"{yaml_path}.{kind}"

        def inline(key: str) -> yaml.Node | None:
            """`- kind: VALUE` or `key: VALUE` beside it; both would leave one unread."""
            given = value is not None and not _is_null(value)
            if given and key in rest:
                raise self.error(
                    rest[key], yaml_path,
                    f"{kind} is given its {key} twice: as `- {kind}: ...` and as `{key}:`",
                )
            return value if given else rest.get(key)

        if kind == "seq":
            items_node = inline("layers")
            if items_node is None:
                raise SpecError("seq needs a list of layers", where)
            return Seq(where, name, self.layers(items_node, sub_path, names, depth + 1))
        if kind in ("repeat", "dense"):
            count_node = inline("count")
            if count_node is None:
                raise SpecError(f"{kind} needs a count: `- {kind}: 3`", where)
            count = self.argument(count_node, yaml_path, "count", names)
            if not _has_expr(count):
                count = coerce_value(self, count_node, yaml_path, "nonneg", "count", count)
            if "layers" not in rest:
                raise SpecError(f"{kind} needs `layers:` (the layers to {kind})", where)
            inner = names | {"i"}  # the copy (or step) index
            items = self.layers(rest["layers"], f"{yaml_path}.layers", inner, depth + 1)
            cls = Repeat if kind == "repeat" else Dense
            return cls(where, name, count, items)
        if kind == "residual":
            body_node = inline("body")  # `- residual: [layers]`: the body, auto shortcut
            if body_node is None:
                raise SpecError("residual needs a body: `- residual: {body: [...]}`", where)
            body = self.layers(body_node, f"{yaml_path}.body", names, depth + 1)
            shortcut: Any = "auto"
            if "shortcut" in rest:
                sub = rest["shortcut"]
                if isinstance(sub, yaml.ScalarNode):
                    shortcut = self.scalar(sub, yaml_path)
                    if shortcut not in SHORTCUTS:
                        raise self.error(
                            sub,
                            yaml_path,
                            f"residual 'shortcut' must be identity, auto or a list of layers; "
                            f"got {shortcut!r}",
                        )
                else:
                    shortcut = self.layers(sub, f"{yaml_path}.shortcut", names, depth + 1)
            activation = None
            if "activation" in rest:
                activation = self.activation(kind, "activation", rest["activation"], yaml_path,
                                             names)
            return Residual(where, name, body, shortcut, activation)
        if kind == "squeeze_excite":
            squeeze_node = inline("squeeze")
            if squeeze_node is None:
                raise SpecError("squeeze_excite needs `squeeze:` (the squeezed channels)", where)
            squeeze = self.argument(squeeze_node, yaml_path, "squeeze", names)
            if not _has_expr(squeeze):
                squeeze = coerce_value(self, squeeze_node, yaml_path, "pos", "squeeze", squeeze)
            leaves = {}
            for key, default in SE_DEFAULTS.items():
                if key in rest:
                    leaves[key] = self.activation(kind, key, rest[key], yaml_path, names)
                else:
                    leaves[key] = self.leaf(default, None, {}, node, f"{yaml_path}.{key}", names)
            return SqueezeExcite(where, name, squeeze, leaves["activation"], leaves["gate"])
        # parallel
        branches_node = value if value is not None else rest.get("branches")
        if not isinstance(branches_node, yaml.SequenceNode) or len(branches_node.value) < 2:
            raise SpecError("parallel needs a list of at least two branches", where)
        merge = "concat"
        if "merge" in rest:
            merge = coerce_at(self, rest["merge"], yaml_path, MERGE_KIND, "merge")
        branches: list[tuple[str, tuple[Node, ...]]] = []
        for b, branch in enumerate(branches_node.value):
            bpath = f"{yaml_path}.branches[{b}]"
            bname = f"branch{b + 1}"
            if isinstance(branch, yaml.ScalarNode) and self.scalar(branch, bpath) == "identity":
                branches.append((bname, ()))  # the input itself (a gate's other factor)
                continue
            if isinstance(branch, yaml.ScalarNode) and self.scalar(branch, bpath) is not None:
                raise self.error(
                    branch, bpath,
                    "a branch is a list of layers, `identity`, or {name: ..., layers: [...]}",
                )
            if isinstance(branch, yaml.MappingNode):
                fields = self.mapping(branch, bpath, "a branch")
                if set(fields) - set(BRANCH_KEYS) or "layers" not in fields:
                    raise self.error(
                        branch, bpath, "a branch is a list of layers, or {name: ..., layers: [...]}"
                    )
                if "name" in fields:
                    bname = self.name(fields["name"], bpath) or bname
                branch = fields["layers"]
            branches.append((bname, self.layers(branch, bpath, names, depth + 1)))
        if len({b[0] for b in branches}) != len(branches):
            raise SpecError("two branches of this parallel have the same name", where)
        return Parallel(where, name, tuple(branches), merge)

    def activation(
        self, kind: str, key: str, sub: yaml.Node, yaml_path: str, names: frozenset[str]
    ) -> Leaf:
        """A composite's activation, named by its type (`activation: relu`)."""
        word = self.scalar(sub, yaml_path) if isinstance(sub, yaml.ScalarNode) else None
        if not isinstance(word, str):
            raise self.error(sub, yaml_path, f"{kind} {key!r} must be a layer name")
        leaf = self.leaf(word, None, {}, sub, f"{yaml_path}.{key}", names)
        if not leaf.cls.NONLINEAR:
            raise self.error(sub, yaml_path, f"{word!r} is not an activation")
        return leaf

    def use(
        self,
        value: yaml.Node,
        rest: dict[str, yaml.Node],
        node: yaml.Node,
        yaml_path: str,
        name: str | None,
        names: frozenset[str],
    ) -> Use:
        block = self.scalar(value, yaml_path) if isinstance(value, yaml.ScalarNode) else None
        if not isinstance(block, str):
            raise self.error(value, yaml_path, "'use' names a block: `- use: bottleneck`")
        args = {}
        for key, sub in rest.items():
            raw = self.exact(sub, self.value(sub, yaml_path, key=key), yaml_path)
            if isinstance(raw, str) and (
                (raw.isidentifier() and raw not in names)
                or (not raw.isidentifier() and _REFERENCE.fullmatch(raw))
            ):
                # a word, not a name: passed on as text (`mode: bilinear`, `skip: enc4`,
                # `skip: encoder.enc4`)
                args[key] = raw
            else:
                args[key] = self.expressions(raw, sub, yaml_path, key, names)
        return Use(self.where(node, yaml_path), name, block, args)

    # ------------------------------------------------------------------ the file

    def architecture(self, root: yaml.Node, source: str) -> Architecture:
        top = self.mapping(root, "", "the architecture file")
        for key_node, _ in root.value:
            key = key_node.value
            if key not in TOP_KEYS:
                raise self.error(
                    key_node, key, f"unknown top-level key {key!r}" + _suggest(key, TOP_KEYS)
                    + f" (known: {', '.join(TOP_KEYS)})"
                )
        if "layers" not in top:
            raise SpecError("the file has no `layers:` list", self.where(root, ""))
        text = {}
        for key in ("name", "title", "description"):
            if key in top:
                self.spend(top[key], key)
            raw = self.text(top[key], key) if key in top else ""
            if not isinstance(raw, str):
                raise self.error(top[key], key, f"{key!r} must be text")
            text[key] = str(raw)
        symbols: list[str] = []
        defaults: dict[str, int] = {}
        if "symbols" in top:
            if isinstance(top["symbols"], yaml.MappingNode):  # `symbols: {groups: 1}`: defaults
                given = self.mapping(top["symbols"], "symbols", "symbols")
                defaults = {k: self.value(v, f"symbols.{k}") for k, v in given.items()}
                listed: Any = list(defaults)
            else:
                listed = self.value(top["symbols"], "symbols")
            if not isinstance(listed, list) or not all(
                isinstance(s, str) and s.isidentifier() for s in listed
            ):
                raise self.error(
                    top["symbols"],
                    "symbols",
                    "'symbols' must be a list of names, or a mapping of names to default values",
                )
            for name, value in defaults.items():
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise self.error(
                        top["symbols"],
                        "symbols",
                        f"the default of symbol {name!r} must be a positive integer, "
                        f"got {value!r}",
                    )
                if value > MAX_VALUE:
                    raise LimitError(
                        f"the default of symbol {name!r}, {value:,}, is above {MAX_VALUE:,} "
                        f"({VALUE_HINT})",
                        self.where(top["symbols"], "symbols"),
                    )
            symbols = list(listed)
        if "input" not in top:
            raise SpecError(
                "the file has no `input:` (e.g. `input: [3, 224, 224]`)", self.where(root, "")
            )
        input_node = top["input"]
        raw_input = self.value(input_node, "input")
        if not isinstance(raw_input, list) or len(raw_input) not in (1, 3):
            raise self.error(
                input_node, "input", "'input' must be [C, H, W] (or [F] for a flat vector)"
            )
        shape: list[Any] = []
        for entry in raw_input:
            if isinstance(entry, str) and entry.isidentifier():
                if entry not in symbols:
                    symbols.append(entry)
                shape.append(expr.parse(entry))
            elif isinstance(entry, bool) or not isinstance(entry, int) or entry < 1:
                raise self.error(
                    input_node,
                    "input",
                    f"input sizes must be positive integers or names, got {entry!r}",
                )
            elif entry > MAX_VALUE:
                raise LimitError(
                    f"input size {entry:,} is above {MAX_VALUE:,} ({VALUE_HINT})",
                    self.where(input_node, "input"),
                )
            else:
                shape.append(entry)
        base_names = frozenset(symbols) | frozenset(SHAPE_NAMES) | frozenset(NETWORK_NAMES)
        blocks: dict[str, Block] = {}
        if "blocks" in top:
            for bname, bnode in self.mapping(top["blocks"], "blocks", "blocks").items():
                blocks[bname] = self.block(bname, bnode, f"blocks.{bname}", base_names)
        items = self.layers(top["layers"], "layers", base_names, 0)
        outputs: list[tuple[str, Where]] = []
        if "outputs" in top:
            out_node = top["outputs"]
            self.spend(out_node, "outputs")
            if not isinstance(out_node, yaml.SequenceNode) or not out_node.value:
                raise self.error(
                    out_node, "outputs",
                    "'outputs' is a list of the nodes that are outputs: `outputs: [fc, aux]`",
                )
            for k, item in enumerate(out_node.value):
                self.spend(item, f"outputs[{k}]")
                ref = self.reference(item, f"outputs[{k}]", "an output")
                outputs.append((ref, self.where(item, f"outputs[{k}]")))
        where = self.where(root, "")
        return Architecture(
            name=text["name"] or source.rsplit("/", 1)[-1].removesuffix(".yaml"),
            title=text["title"],
            description=text["description"],
            source=source,
            where=where,
            input=tuple(shape),
            input_where=self.where(input_node, "input"),
            symbols=tuple(symbols),
            blocks=blocks,
            items=items,
            outputs=tuple(outputs),
            defaults=defaults,
        )

    def block(self, name: str, node: yaml.Node, yaml_path: str, names: frozenset[str]) -> Block:
        fields = self.mapping(node, yaml_path, f"block {name!r}")
        for key, sub in fields.items():
            if key not in BLOCK_KEYS:
                raise self.error(
                    sub, yaml_path, f"block {name!r} has no field {key!r} (args, layers)"
                )
        args: dict[str, Any] = {}
        if "args" in fields:
            for arg, sub in self.mapping(fields["args"], f"{yaml_path}.args", "args").items():
                raw = self.exact(sub, self.value(sub, f"{yaml_path}.args.{arg}"), yaml_path)
                if raw == "required":
                    args[arg] = REQUIRED
                elif isinstance(raw, str) and raw.isidentifier() and raw not in names:
                    args[arg] = raw  # a word default (`mode: nearest`), passed on as text
                else:
                    args[arg] = self.expressions(raw, sub, f"{yaml_path}.args", arg, names)
        if "layers" not in fields:
            raise self.error(node, yaml_path, f"block {name!r} has no `layers:`")
        items = self.layers(
            fields["layers"],
            f"{yaml_path}.layers",
            names | frozenset(args) | frozenset(BLOCK_NAMES),
            1,
        )
        return Block(name, self.where(node, yaml_path), args, items)


def _looks_arithmetic(text: str) -> bool:
    return bool(text) and (text.strip()[0].isalnum() or text.strip()[0] in "(-_")


def _has_expr(value: Any) -> bool:
    if isinstance(value, expr.Expr):
        return True
    if isinstance(value, list):
        return any(_has_expr(v) for v in value)
    return False


def coerce_value(
    reader: _Reader, node: yaml.Node, yaml_path: str, kind: str, key: str, raw: Any
) -> Any:
    try:
        return coerce(kind, key, raw)
    except SpecError as exc:
        raise type(exc)(exc.message, reader.where(node, yaml_path)) from None


def coerce_at(reader: _Reader, node: yaml.Node, yaml_path: str, kind: str, key: str) -> Any:
    return coerce_value(reader, node, yaml_path, kind, key, reader.value(node, yaml_path))


def load_text(text: str, file: str, source: str | None = None) -> Architecture:
    """Parse an architecture from YAML text; `file` names it in messages. The limit on size
    is on the UTF-8 bytes, as for a file read from disk."""
    if len(text) > MAX_FILE_BYTES or (
        4 * len(text) > MAX_FILE_BYTES
        and len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES
    ):
        raise LimitError(_too_big(None), Where(file, 0))
    if _flow_depth(text) > 4 * MAX_NESTING:
        raise LimitError(
            f"the YAML nests too deeply (cnncalc allows {MAX_NESTING} levels)", Where(file, 0)
        )
    fast = _count_values(text, file)
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader if fast else yaml.SafeLoader)
    except RecursionError:
        raise LimitError(
            f"the YAML nests too deeply (cnncalc allows {MAX_NESTING} levels)", Where(file, 0)
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problem = (exc.problem or str(exc)).replace("'<stream end>'", "the end of the file")
        # The problem is often noticed lines after its cause (an unclosed bracket or quote is
        # seen at the end of the file): name the line where the construct starts too.
        context = exc.context_mark
        if exc.context and context is not None and context.line + 1 != line:
            what = exc.context.split(" ", 2)[-1]  # 'while parsing a flow mapping'
            what = what.split(" ", 1)[-1] if what.startswith(("a ", "an ")) else what
            problem += f" (in the {what} that starts at line {context.line + 1})"
        raise SpecError(f"YAML syntax error: {problem}", Where(file, line)) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, controls)
        line = text.count("\n", 0, exc.position) + 1
        raise SpecError(
            f"YAML cannot contain the character {exc.character!r} ({exc.reason})", Where(file, line)
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError("YAML error: " + " ".join(str(exc).split()), Where(file, 0)) from None
    if root is None:
        raise SpecError("the file is empty", Where(file, 0))
    try:
        return _Reader(file).architecture(root, source or file)
    except RecursionError:
        raise LimitError(
            f"the YAML nests too deeply (cnncalc allows {MAX_NESTING} levels)", Where(file, 0)
        ) from None


def _is_null(node: yaml.Node) -> bool:
    """`- seq:` with nothing after the colon."""
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"
