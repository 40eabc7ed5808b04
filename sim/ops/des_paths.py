"""The fleet DES over a chunk's paths: each path on its own seed, in this process or split over
the processes the engine grants (sim.parallel.nested_budget), with the same numbers either way."""

from __future__ import annotations

import zlib

import numpy as np
from numpy.random import PCG64, Generator, SeedSequence

from sim.ops.des import FleetPath
from sim.ops.inputs import DOWNTIME, ROWS, FleetInputs, FleetOutcome
from sim.parallel import nested_budget, nested_used, worker_pool
from sim.scenario import Scenario

#: the fewest paths worth a forked process (a path costs milliseconds, a process tens of them)
MIN_PATHS_PER_PROCESS = 64


def simulate_des(fi: FleetInputs, key: str, sc: Scenario) -> FleetOutcome:
    """Run the SimPy model on every path of the chunk, split over the processes the engine grants
    (sim.parallel.nested_budget). Path i of seed block b draws from
    ``SeedSequence(seed, spawn_key=(b, crc32(key), i))``: results depend on the seed and the path
    alone, never on chunking, workers or processes."""
    tag = zlib.crc32(f"{key}.des".encode())
    paths = [(b, i) for b, size in zip(sc.blocks, sc.sizes, strict=True) for i in range(size)]
    out = np.zeros((ROWS, fi.months, fi.n))
    processes = min(nested_budget(), len(paths) // MIN_PATHS_PER_PROCESS)
    if processes <= 1:
        events = _simulate_paths(fi, tag, sc.seed, paths, 0, len(paths), out)
    else:
        cuts = np.linspace(0, len(paths), processes + 1).astype(int).tolist()
        spans = list(zip(cuts[:-1], cuts[1:], strict=True))
        events = 0
        nested_used(processes)
        with worker_pool(processes, _init_paths, (fi, tag, sc.seed, paths)) as pool:
            for (start, stop), (rows, count) in zip(spans, pool.imap(_paths_in_worker, spans), strict=True):
                out[:, :, start:stop] = rows
                events += count
    out[DOWNTIME] = np.minimum(out[DOWNTIME], fi.hours_per_month)
    return FleetOutcome(out, events)


def _simulate_paths(fi: FleetInputs, tag: int, seed: int, paths: list[tuple[int, int]], start: int, stop: int,
                    out: np.ndarray) -> int:
    """Paths ``start:stop`` of the chunk into ``out``'s columns 0, 1, ...; returns their events."""
    events = 0
    for col in range(start, stop):
        b, i = paths[col]
        path = FleetPath(fi, col, Generator(PCG64(SeedSequence(seed, spawn_key=(b, tag, i)))))
        out[:, :, col - start] = path.run()
        events += path.events
    return events


_JOB: tuple[FleetInputs, int, int, list[tuple[int, int]]] | None = None  # a forked process's paths to run


def _init_paths(fi: FleetInputs, tag: int, seed: int, paths: list[tuple[int, int]]) -> None:
    global _JOB
    _JOB = (fi, tag, seed, paths)


def _paths_in_worker(span: tuple[int, int]) -> tuple[np.ndarray, int]:
    assert _JOB is not None
    fi, tag, seed, paths = _JOB
    start, stop = span
    out = np.zeros((ROWS, fi.months, stop - start))
    events = _simulate_paths(fi, tag, seed, paths, start, stop, out)
    return out, events


__all__ = ["MIN_PATHS_PER_PROCESS", "simulate_des"]
