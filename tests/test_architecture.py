"""The project's wiring, read from the source with ``ast``: no import cycle, no module over
300 lines, no private name imported across packages, no module loaded from a name string.

Every ``.py`` file of ``handmade/``, ``reference/``, ``comparisons/`` and ``benchmarks/`` is
parsed; every import counts (module level, inside functions, under ``if TYPE_CHECKING:``,
relative or absolute). ``from pkg import name`` is an import of the module ``pkg.name`` when
that is a module of the project, else an import of ``pkg`` itself. Importing ``a.b.c`` counts
as an edge to ``a.b.c`` only (not to the packages ``a`` and ``a.b`` above it).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("handmade", "reference", "comparisons", "benchmarks")
MAX_LINES = 300


@dataclass(frozen=True)
class Import:
    """One import statement's target as written: ``module`` and, for ``from``, ``name``."""

    module: str
    name: str | None
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _package_of(module: str) -> str:
    """The package a module belongs to: itself for a package's ``__init__``."""
    if MODULES[module].name == "__init__.py":
        return module
    return module.rpartition(".")[0]


def _imports(module: str) -> list[Import]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = _package_of(module)
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found += [Import(base, alias.name, node.lineno) for alias in node.names]
    return found


def _target(imp: Import) -> str | None:
    """The project module an import loads, or None for one outside the project."""
    if imp.name is not None and f"{imp.module}.{imp.name}" in MODULES:
        return f"{imp.module}.{imp.name}"
    return imp.module if imp.module in MODULES else None


def import_graph() -> dict[str, set[str]]:
    """Each project module -> the project modules it imports."""
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        targets = {_target(imp) for imp in _imports(module)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected component of more than one module (sorted), i.e. each set of
    modules that import one another round a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(components)


def closed_path(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest cycle through the component's first module, by breadth-first search."""
    start = min(component)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & component):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start] if v != start else [start, start]
                if w not in parents:
                    parents[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover


def test_the_walk_sees_the_project() -> None:
    graph = import_graph()
    assert len(MODULES) > 50
    # a plain import, a relative one would resolve the same way; the walk finds real edges
    assert "comparisons.core.tolerances" in graph["comparisons.core.compare"] | {
        t for deps in graph.values() for t in deps
    }


def test_find_cycles_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert closed_path(graph, {"a", "b", "c"}) == ["a", "b", "c", "a"]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    graph = import_graph()
    cycles = [" -> ".join(closed_path(graph, set(c))) + f"  (circle among {c})"
              for c in find_cycles(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_module_over_300_lines() -> None:
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    over = {m: n for m, n in sorted(sizes.items()) if n > MAX_LINES}
    assert not over, f"modules over {MAX_LINES} lines: {over}"


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports() -> list[str]:
    """``module:line imports name`` for each private name taken from another package."""
    found = []
    for module in MODULES:
        for imp in _imports(module):
            target = _target(imp)
            if target is None:
                continue
            names = target.split(".")
            if imp.name is not None and target == imp.module:
                names.append(imp.name)
            private = [n for n in names if _is_private(n)]
            if private and _package_of(module) != _package_of(target):
                found.append(f"{module}:{imp.line} imports {'.'.join(names)}")
    return found


def test_no_private_name_imported_across_packages() -> None:
    found = private_imports()
    assert not found, "private names imported across packages:\n" + "\n".join(found)


# IPython's display protocol (``obj._repr_html_()``) is public despite its underscore.
PUBLIC_PROTOCOL = {"_repr_html_", "_repr_png_", "_repr_svg_", "_repr_markdown_",
                   "_exit"}  # os._exit: documented, ends a process without its teardown


def test_no_private_attribute_of_another_object() -> None:
    """``x._name`` only on ``self``, ``cls`` or ``type(self)`` (argparse's ``_actions`` is not
    ours to read)."""
    own = {"self", "cls", "type(self)"}
    found = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and _is_private(node.attr)
                    and node.attr not in PUBLIC_PROTOCOL and ast.unparse(node.value) not in own):
                found.append(f"{module}:{node.lineno} {ast.unparse(node)}")
    assert not found, "private attributes of other objects:\n" + "\n".join(found)


# The only modules named by strings: benchmarks' discovery of its own ``*_speed`` modules, and
# a torch submodule whose name ``torch.autograd.gradcheck`` is shadowed by the function.
STRING_IMPORTS_ALLOWED = {"benchmarks.__main__", "benchmarks.gradcheck_bench"}


@pytest.mark.parametrize("call", ["import_module", "__import__"])
def test_no_module_loaded_from_a_name_string(call: str) -> None:
    found = []
    for module, path in MODULES.items():
        if module in STRING_IMPORTS_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == call:
                    found.append(f"{module}:{node.lineno}")
    assert not found, f"{call}(...) (a module named by a string): {found}"
