"""The packages import in one direction: the domain code (`monitor`) never imports the
orchestration or the checks, and no module of a package imports a module that imports it
back (directly or around a longer circle), function-level imports included. A circle makes a
module's meaning depend on import order; a domain package that imports Dagster cannot be used
or tested without it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from monitor.settings import REPO_ROOT

PACKAGES = ("monitor", "orchestration", "data_quality")
# what each package may import of the others (the flow: domain <- checks <- orchestration)
ALLOWED = {"monitor": set(), "data_quality": {"monitor"}, "orchestration": {"monitor", "data_quality"}}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every module of the packages and the modules of the packages it imports (anywhere in
    its code): `from a.b import c` counts as a.b, and as a.b.c when that is a module."""
    files = [p for package in PACKAGES for p in (REPO_ROOT / package).rglob("*.py")]
    modules = {module_name(p): p for p in files}
    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
                imported |= {f"{node.module}.{a.name}" for a in node.names} & modules.keys()
        graph[name] = {m for m in imported if m in modules and m != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_no_module_imports_one_that_imports_it_back(graph):
    # a package's __init__ re-exporting its modules is not a circle of meaning: leave it out
    without_inits = {m: {d for d in deps if not (REPO_ROOT / d.replace(".", "/") / "__init__.py").exists()}
                     for m, deps in graph.items()}
    assert circles(without_inits) == [], "modules that import each other (move the shared part into a module both import)"


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_in_one_direction(graph, package):
    wrong = sorted(
        f"{module} imports {dep}"
        for module, deps in graph.items() if module.split(".")[0] == package
        for dep in deps if dep.split(".")[0] not in ALLOWED[package] | {package}
    )
    assert wrong == [], f"{package} may import only {sorted(ALLOWED[package])} of {PACKAGES}"


def test_the_circle_finder_finds_circles():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
