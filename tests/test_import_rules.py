"""The package's shape, read from its source (AST), not from a run (issue 11):

- only cnncalc/cli/ writes: no print(), no typer/click echo, no sys.stdout or sys.stderr
  anywhere else. The renderers draw with rich into a string: a `.print(` there is allowed only
  inside a `with CONSOLE.capture()` block, which writes nothing;
- only cnncalc/render/ and cnncalc/cli/ import rich;
- no module imports one of a higher layer (LAYERS below, lowest first), lazy imports inside
  functions included. Every module must be in a layer: a new one is placed here on purpose.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cnncalc"

# Lowest first. A module may import modules of its own layer and of the layers below it.
LAYERS: list[tuple[str, set[str]]] = [
    ("core", {"errors", "limits", "expr", "shape"}),
    ("model", {"layers", "merges", "reference", "nodes", "report"}),
    (
        "analyses",
        {
            "", "loader", "engine", "receptive_field", "zoo", "cli_args", "schema", "emit",
            "convolutionalize", "compare", "sizes", "layer_calc", "verify", "verify_memory",
            "rf_measure", "erf", "importers", "export_torch",
        },
    ),
    ("render", {"render"}),
    ("cli", {"cli", "__main__"}),
]
LEVEL = {name: i for i, (_, names) in enumerate(LAYERS) for name in names}
WRITERS = {"cli"}  # the packages (top-level names) that may print and touch sys.stdout/stderr
RICH = {"render", "cli"}
STREAMS = {"stdout", "stderr", "__stdout__", "__stderr__"}


@dataclass(frozen=True)
class Module:
    name: str  # dotted, without the leading "cnncalc."; "" for the package itself
    path: Path
    tree: ast.Module

    @property
    def top(self) -> str:
        return self.name.split(".")[0]

    @property
    def package(self) -> list[str]:
        parts = self.name.split(".") if self.name else []
        return parts if self.path.name == "__init__.py" else parts[:-1]


def modules(root: Path = PACKAGE) -> list[Module]:
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append(Module(".".join(parts), path, ast.parse(path.read_text(), str(path))))
    return found


def imported(module: Module, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, dotted name inside cnncalc) of every import of the package, at any depth."""
    out = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "cnncalc" or alias.name.startswith("cnncalc."):
                    out.append((node.lineno, alias.name.removeprefix("cnncalc").lstrip(".")))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.package[: len(module.package) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and (node.module == "cnncalc" or node.module.startswith("cnncalc.")):
                target = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:  # `from . import zoo` imports the module cnncalc.zoo
                sub = [*target, alias.name]
                is_module = (root.joinpath(*sub).with_suffix(".py")).is_file() or (
                    root.joinpath(*sub) / "__init__.py"
                ).is_file()
                out.append((node.lineno, ".".join(sub if is_module else target)))
    return out


def _captured(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside `with X.capture() [as c]:` — rich renders into a string there, writing nothing."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.With) and any(
            isinstance(item.context_expr, ast.Call)
            and isinstance(item.context_expr.func, ast.Attribute)
            and item.context_expr.func.attr == "capture"
            for item in node.items
        ):
            return True
    return False


def violations(found: list[Module], root: Path = PACKAGE) -> list[str]:
    problems = []
    for module in found:
        where = f"cnncalc/{module.path.relative_to(root)}"
        if module.top not in LEVEL:
            problems.append(f"{where}: module {module.top!r} is in no layer of LAYERS")
            continue
        for line, target in imported(module, root):
            top = target.split(".")[0]
            if top in LEVEL and LEVEL[top] > LEVEL[module.top]:
                problems.append(
                    f"{where}:{line}: imports cnncalc.{target} ({LAYERS[LEVEL[top]][0]}), a layer "
                    f"above {LAYERS[LEVEL[module.top]][0]}"
                )
        parents = {
            child: node for node in ast.walk(module.tree) for child in ast.iter_child_nodes(node)
        }
        for node in ast.walk(module.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and module.top not in RICH:
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                    node.module or ""
                ]
                if any(n == "rich" or n.startswith("rich.") for n in names):
                    problems.append(f"{where}:{node.lineno}: imports rich outside render/ and cli/")
            if module.top in WRITERS:
                continue
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id == "print":
                    problems.append(f"{where}:{node.lineno}: print() outside cli/")
                elif isinstance(func, ast.Attribute) and func.attr == "echo":
                    problems.append(f"{where}:{node.lineno}: echo() outside cli/")
                elif (
                    isinstance(func, ast.Attribute)
                    and func.attr == "print"
                    and not _captured(node, parents)
                ):
                    problems.append(
                        f"{where}:{node.lineno}: .print() outside cli/ and outside a capture()"
                    )
            if (
                isinstance(node, ast.Attribute)
                and node.attr in STREAMS
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
            ):
                problems.append(f"{where}:{node.lineno}: sys.{node.attr} outside cli/")
    return problems


def test_the_package_keeps_its_layers():
    found = modules()
    assert len(found) > 40 and any(m.top == "cli" for m in found)  # the walk found the package
    assert violations(found) == []


@pytest.mark.parametrize(
    ("path", "text", "fragment"),
    [
        ("shape.py", "def f():\n    print('x')\n", "print() outside cli/"),
        ("engine.py", "import sys\nsys.stderr.write('x')\n", "sys.stderr outside cli/"),
        ("report.py", "from rich.text import Text\n", "imports rich outside render/ and cli/"),
        ("shape.py", "def f():\n    from .render import human\n", "a layer above core"),
        ("render/x.py", "from ..cli import app\n", "imports cnncalc.cli"),
        ("render/x.py", "def f(c):\n    c.print('x')\n", ".print() outside cli/"),
        ("novel.py", "", "module 'novel' is in no layer"),
    ],
)
def test_each_rule_catches_its_breach(tmp_path, path, text, fragment):
    """A copy of the package with one breach added: the rules report it."""
    import shutil

    root = tmp_path / "cnncalc"
    shutil.copytree(PACKAGE, root, ignore=shutil.ignore_patterns("__pycache__"))
    target = root / path
    target.write_text((target.read_text() if target.exists() else "") + "\n" + text)
    problems = violations(modules(root), root)
    assert any(fragment in p for p in problems), problems
    assert all(p.startswith(f"cnncalc/{path}:") for p in problems), problems  # that breach only


def test_a_capture_makes_print_render_not_write():
    tree = ast.parse("with console.capture() as c:\n    console.print(table)\n")
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.func.attr == "print")
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    assert _captured(call, parents)
