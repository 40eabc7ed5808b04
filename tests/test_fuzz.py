"""Malformed files generated from valid ones (the shipped experiments and the test documents):
every table gets an unknown key and every leaf a value of the wrong kind. Each must exit 2 with
`FILE: dotted.path: message` lines, no traceback, and write nothing."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path

import pytest

from sim.cli import main
from tests.conftest import BASE, EXPERIMENTS, to_toml

_SPEC_TEXT = re.compile(r"^(market\.\w+|[^ ]+ to [^ ]+|[+-]?\$?[0-9.,_]+(e[+-]?\d+)?[kKMB%]?)$")


def _leaves(node: object, path: tuple = ()):
    if isinstance(node, dict):
        yield path, node, None  # the table itself
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path, None, node


def _wrong(value: object) -> object:
    """A value of the wrong kind for the field that holds ``value``."""
    if isinstance(value, str):
        return "9 to 3" if _SPEC_TEXT.match(value) else 12345  # a spec whose B < A; a number for a name
    return "not-a-number"


def _set(doc: dict, path: tuple, value: object) -> dict:
    out = copy.deepcopy(doc)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def _sources() -> list[tuple[str, dict]]:
    docs = [("base", BASE)]
    for f in sorted(EXPERIMENTS.glob("*.toml")):
        docs.append((f.stem, tomllib.loads(f.read_text())))
    return docs


def _cases() -> list[tuple[str, dict]]:
    cases = []
    for name, doc in _sources():
        for path, table, leaf in _leaves(doc):
            where = ".".join(map(str, path)) or "<top>"
            if table is not None:
                if path != ("market",):  # [market] is a mapping of names the user chooses
                    cases.append((f"{name}:{where}:unknown-key", _set(doc, (*path, "bogus_key"), 1) if path
                                  else {**doc, "bogus_key": 1}))
            else:
                cases.append((f"{name}:{where}:wrong-kind", _set(doc, path, _wrong(leaf))))
    return cases


CASES = _cases()


def test_there_are_at_least_200_malformed_files() -> None:
    assert len(CASES) >= 200, len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_file(case, tmp_path: Path, capsys) -> None:
    _, doc = case
    f = tmp_path / "bad.toml"
    f.write_text(to_toml(doc))
    out = tmp_path / "report"
    assert main(["run", str(f), "--out", str(out), "--paths", "10", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith(f"{f}: ") for line in lines), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]
