"""Worker processes that never outlive the run.

Workers are forked (they read the parent's arrays copy-on-write), ignore SIGINT (the parent
decides what an interrupt means), and on Linux ask the kernel to kill them when their parent dies
(``PR_SET_PDEATHSIG``), so a ``kill -9`` of the parent leaves no orphans. Any exception or
interrupt in the parent terminates the pool before it propagates.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing import active_children, get_context
from multiprocessing.pool import Pool
from typing import Any

import numpy as np
import numpy.typing as npt

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(AttributeError, OSError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


@dataclass
class Grant:
    """How many processes a stage of a run in this process may fork (``limit``), and the most any
    stage did (``used``): the engine sets the one and reports the other as the run's workers."""

    limit: int
    used: int = 1


_GRANT = Grant(1)


@contextlib.contextmanager
def nested_processes(n: int) -> Iterator[Grant]:
    """While inside, a stage of this process (the fleet DES of a chunk) may fork up to ``n``
    processes; a worker never does (its budget is 1)."""
    global _GRANT
    before, _GRANT = _GRANT, Grant(max(1, int(n)))
    try:
        yield _GRANT
    finally:
        _GRANT = before


def nested_budget() -> int:
    """How many processes a stage may use now (1 unless the engine granted more)."""
    return _GRANT.limit


def nested_used(processes: int) -> None:
    """A stage forked ``processes`` processes (the run reports the most)."""
    _GRANT.used = max(_GRANT.used, processes)


def _start_worker(parent: int, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    global _GRANT
    _GRANT = Grant(1)  # a worker runs its stages in itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def shared_empty(shape: tuple[int, ...] | int, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
    """An array in anonymous shared memory (zero-filled): what a forked worker writes into it, its
    parent sees, so a worker's results need not be pickled back through a pipe. The mapping has no
    name and goes with the last process that holds it (no files left behind, even on ``kill -9``)."""
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    dt = np.dtype(dtype)
    count = int(np.prod(dims, dtype=np.int64))
    buffer = mmap.mmap(-1, max(count * dt.itemsize, 1))  # MAP_SHARED | MAP_ANONYMOUS
    return np.frombuffer(buffer, dtype=dt, count=count).reshape(dims)


def cpus() -> int:
    """CPUs this process may run on (its affinity mask, where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def auto_workers(tasks: int, task_bytes: float, usable_bytes: float) -> int:
    """Processes for ``tasks`` independent runs of about ``task_bytes`` each: one per CPU, no more
    than the tasks, and no more than fit in ``usable_bytes`` together (at least one)."""
    fit = int(usable_bytes // task_bytes) if task_bytes > 0 else tasks
    return max(1, min(cpus(), tasks, fit))


@contextlib.contextmanager
def worker_pool(workers: int, initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = ()) -> Iterator[Pool]:
    """A forked ``multiprocessing`` pool; use ``pool.imap`` for results in task order.

    An error in a worker terminates the pool as usual. An interrupt (Ctrl-C, SIGTERM) kills the
    workers outright and does not wait for the pool's threads: ``Pool.terminate()`` can block for
    good when a worker dies holding one of the pool's queue locks."""
    before = set(active_children())
    pool = None
    try:
        pool = get_context("fork").Pool(workers, initializer=_start_worker,
                                        initargs=(os.getpid(), initializer, initargs))
        yield pool
    except (KeyboardInterrupt, SystemExit):
        for proc in set(active_children()) - before:
            proc.kill()
        raise
    except BaseException:
        if pool is not None:
            pool.terminate()
            pool.join()
        raise
    else:
        pool.close()
        pool.join()
