"""The code's structure, read from its source: the import graph runs one way (no circles, no import
up a floor, no function-local import that only dodges a cycle), every package says what it exports,
no module reaches into another's private names."""

from __future__ import annotations

import ast

from tests.imports import cycle_dodgers, cycles, edges, layer, modules, upward


def test_no_import_circles() -> None:
    assert cycles(edges()) == []


def test_no_import_runs_up_a_floor() -> None:
    assert [f"{e.source}:{e.line} -> {e.target}" for e in upward(edges())] == []


def test_no_function_local_import_only_dodges_a_cycle() -> None:
    assert [f"{e.source}:{e.line} -> {e.target}" for e in cycle_dodgers(edges())] == []


def test_every_module_sits_on_a_floor() -> None:
    for name in modules():
        layer(name)


def test_every_package_has_all() -> None:
    for name, path in modules().items():
        if path.name == "__init__.py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                     if isinstance(t, ast.Name)}
            assert "__all__" in names, name


def test_no_module_imports_another_module_s_private_names() -> None:
    offenders = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
                offenders += [f"{name}: {node.module}.{a.name}" for a in node.names
                              if a.name.startswith("_") and not a.name.startswith("__")]
    assert offenders == []
