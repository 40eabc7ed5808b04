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
