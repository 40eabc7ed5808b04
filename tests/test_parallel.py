"""Forked workers and the shared memory they store their results in (sim.parallel)."""

from __future__ import annotations

import os

import numpy as np

from sim.parallel import shared_empty, worker_pool

_SHARED: dict[str, np.ndarray] = {}


def _write(i: int) -> int:
    """In a worker: fill column i of both arrays (one shared, one private to each process)."""
    _SHARED["shared"][:, i] = i + 0.5
    _SHARED["private"][:, i] = i + 0.5
    return os.getpid()


def test_what_a_forked_worker_writes_to_shared_memory_its_parent_reads() -> None:
    _SHARED["shared"] = shared_empty((3, 5), np.float32)
    _SHARED["private"] = np.zeros((3, 5), np.float32)
    try:
        with worker_pool(2) as pool:
            pids = set(pool.imap(_write, range(5)))
        assert os.getpid() not in pids
        assert _SHARED["shared"].tolist() == [[0.5, 1.5, 2.5, 3.5, 4.5]] * 3
        assert not _SHARED["private"].any()  # an ordinary array: each worker wrote its own copy
    finally:
        _SHARED.clear()


def test_shared_arrays_have_the_shape_and_type_asked_for_and_start_at_zero() -> None:
    a = shared_empty(7, np.int16)
    assert a.shape == (7,) and a.dtype == np.int16 and a.flags.writeable and not a.any()
    b = shared_empty((0, 4))
    assert b.shape == (0, 4) and b.dtype == np.float64


def _budget_in_worker(_: int) -> int:
    from sim.parallel import nested_budget

    return nested_budget()


def test_a_run_lets_its_des_fork_only_as_far_as_its_workers_allow(monkeypatch) -> None:  # noqa: ANN001
    """`--workers 1` keeps the fleet DES in one process; "auto" lets the parent's chunk fork one
    process per CPU (the engine's own workers never nest); the numbers do not change."""
    from pathlib import Path

    import sim
    import sim.ops.des_paths as des_paths
    from sim.parallel import nested_budget, nested_processes

    exp = sim.load_experiment(Path(__file__).resolve().parents[1] / "experiments" / "ops_single_engineer.toml")
    granted: list[int] = []
    real = des_paths.nested_budget
    monkeypatch.setattr(des_paths, "nested_budget", lambda: granted.append(real()) or real())
    one = sim.run(exp, paths=200, workers=1)
    assert granted and set(granted) == {1}
    granted.clear()
    two = sim.run(exp, paths=200, workers=2)
    assert set(granted) == {2}
    assert (one.result.workers, two.result.workers) == (1, 2)  # the report says how many processes ran
    for a, b in zip(one.result.options, two.result.options, strict=True):
        np.testing.assert_array_equal(a.totals, b.totals)
    assert nested_budget() == 1  # restored after the run
    with nested_processes(4), worker_pool(1) as pool:
        assert list(pool.imap(_budget_in_worker, [0])) == [1]
