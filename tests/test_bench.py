"""What `tcosim bench` says about its own figures."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from sim import bench


@pytest.mark.parametrize("dont_write,cached,warned", [(True, False, True), (True, True, False),
                                                       (False, False, False)])
def test_the_bench_warns_when_every_process_compiles_tcosim(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            dont_write: bool, cached: bool, warned: bool) -> None:
    """Start-up figures include compiling every module when Python may not cache bytecode and
    none is cached: the bench says so, and only then."""
    import importlib.util

    pyc = tmp_path / "engine.cpython.pyc"
    if cached:
        pyc.write_bytes(b"")
    monkeypatch.setattr(bench, "sys", SimpleNamespace(flags=SimpleNamespace(dont_write_bytecode=dont_write)))
    monkeypatch.setattr(importlib.util, "cache_from_source", lambda _source: str(pyc))
    note = bench.bytecode_note()
    assert (note is not None) == warned
    if warned:
        assert "PYTHONDONTWRITEBYTECODE" in note


@pytest.mark.parametrize("flags,sizes", [([], [100_000, 1_000_000]), (["--capacity"], [100_000, 1_000_000]),
                                         (["--ops"], [10_000]), (["--sweep"], [10_000]),
                                         (["--ops", "--paths", "500"], [500])])
def test_the_bench_sizes_by_default(monkeypatch: pytest.MonkeyPatch, flags: list[str], sizes: list[int]) -> None:
    """A discrete-event path costs milliseconds: `bench --ops` times 10,000 paths unless told."""
    from sim.cli import main

    seen: list[list[int]] = []
    monkeypatch.setattr(bench, "main", lambda got, *_: seen.append(got) or 0)
    assert main(["bench", *flags]) == 0
    assert seen == [sizes]
