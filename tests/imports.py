"""The project's import graph, read from the source with ``ast`` (no import is executed).

Edges are ``module -> imported project module``, at module level or inside a function (``local``);
imports under ``if TYPE_CHECKING:`` are type hints only and are not edges. Used by
tests/test_structure.py; ``python -m tests.imports`` prints the figures quoted in notes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("distributions", "sim")

#: the floors, bottom to top: a module may import its own floor and any below it
LAYERS: list[tuple[str, ...]] = [
    ("distributions",),
    ("sim.errors", "sim.names", "sim.specs", "sim.parallel", "sim.fmt", "sim.progress", "sim.capacity.catalog",
     "sim.gpu_market", "sim.price_list"),
    ("sim.config", "sim.capacity.config", "sim.ops.config", "sim.switch_config", "sim.result", "sim.catalog"),
    ("sim.scenario", "sim.workload", "sim.correlations", "sim.shocks", "sim.pricing", "sim.succession"),
    ("sim.options", "sim.capacity", "sim.ops"),  # pricing
    ("sim.plausible", "sim.validate", "sim.loader", "sim.memory"),  # checks before a run
    ("sim.collect", "sim.engine"),
    ("sim.analysis",),
    ("sim.stress", "sim.sweep", "sim.convergence", "sim.study", "sim.report", "sim.fit", "sim.optimize",
     "sim.voi"),
    ("sim.cli", "sim.bench", "sim.__main__", "sim"),
]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    local: bool  # inside a function
    line: int


def modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(name: str, known: set[str]) -> str | None:
    """The longest known module that ``name`` is or lies in."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def edges() -> list[Edge]:
    mods = modules()
    known = set(mods)
    out = []
    for source, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = source if path.name == "__init__.py" else source.rpartition(".")[0]

        def visit(node: ast.AST, local: bool, source: str = source, package: str = package) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and _type_checking(child):
                    continue
                inner = local or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                names: list[str] = []
                if isinstance(child, ast.Import):
                    names = [a.name for a in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        up = package.split(".")[: len(package.split(".")) - child.level + 1]
                        base = ".".join([*up, base] if base else up)
                    names = [f"{base}.{a.name}" for a in child.names] + [base]
                for name in names:
                    target = _resolve(name, known)
                    if target and target != source:
                        out.append(Edge(source, target, local, child.lineno))
                visit(child, inner)

        visit(tree, False)
    # "from sim.x import y" adds both sim.x.y (if a module) and sim.x: keep one edge per pair and kind
    seen, unique = set(), []
    for e in out:
        key = (e.source, e.target, e.local)
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return unique


def layer(module: str) -> int:
    best, rank = -1, -1
    for i, floor in enumerate(LAYERS):
        for prefix in floor:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    if rank < 0:
        raise KeyError(f"{module} is on no floor of tests/imports.py LAYERS")
    return rank


def cycles(edge_list: list[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for e in edge_list:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def _is_package_init(source: str, target: str) -> bool:
    """A package's __init__ re-exporting its own modules is not an upward import."""
    return target.startswith(source + ".")


def upward(edge_list: list[Edge]) -> list[Edge]:
    return [e for e in edge_list if layer(e.target) > layer(e.source) and not _is_package_init(e.source, e.target)]


def cycle_dodgers(edge_list: list[Edge]) -> list[Edge]:
    """Function-local imports that would close a cycle if they were at module level."""
    top = [e for e in edge_list if not e.local]
    reach: dict[str, set[str]] = {}
    for e in top:
        reach.setdefault(e.source, set()).add(e.target)

    def reaches(a: str, b: str) -> bool:
        seen, todo = set(), [a]
        while todo:
            x = todo.pop()
            if x == b:
                return True
            if x in seen:
                continue
            seen.add(x)
            todo.extend(reach.get(x, ()))
        return False

    return [e for e in edge_list if e.local and reaches(e.target, e.source)]


def report() -> str:
    es = edges()
    biggest = max((len(c) for c in cycles(es)), default=1)
    lines = [f"modules: {len(modules())}, import edges: {len(es)} ({sum(e.local for e in es)} function-local)",
             f"largest import circle: {biggest} modules; circles: {cycles(es)}",
             f"imports running up a floor: {len(upward(es))}"]
    lines += [f"  {e.source}:{e.line} -> {e.target}{' (local)' if e.local else ''}" for e in upward(es)]
    dodgers = cycle_dodgers(es)
    lines.append(f"function-local imports that only dodge a cycle: {len(dodgers)}")
    lines += [f"  {e.source}:{e.line} -> {e.target}" for e in dodgers]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
