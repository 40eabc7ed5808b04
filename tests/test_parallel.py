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
