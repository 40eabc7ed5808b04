"""The vectorised twin of the SimPy fleet model: the same events drawn with numpy (Poisson counts,
per-event durations, compound sums), each handled at once: no queue for engineers, no overlap
between faults. Fast, and exact where contention does not matter."""

from __future__ import annotations

import numpy as np
from numpy.random import Generator

from sim.ops.inputs import ENGINEER_WEEK_HOURS, FleetInputs, FleetOutcome
from sim.scenario import Scenario


def _expand(rng: Generator, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts per cell of ``rate`` (rows, months) and the cell index of every event."""
    counts = rng.poisson(rate)
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    return counts.astype(float), cells


def _sum_into(cells: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    return np.bincount(cells, weights=values, minlength=shape[0] * shape[1]).reshape(shape)


def _block(rng: Generator, fi: FleetInputs, rows: slice) -> np.ndarray:
    """One seed block's outcome, path-major: (paths, 5 quantities, months)."""
    n, months, H = rows.stop - rows.start, fi.months, fi.hours_per_month
    shape = (n, months)
    required = fi.required[:, rows].T
    fleet = required + fi.spare
    out = np.zeros((n, 5, months))
    # GPU faults: a fault downs its replica; a spare takes over after the failover delay, or
    # (no spare) the replica's share of capacity is lost until diagnosis and replacement end
    rate = fi.failure_rate[rows, None] * fi.gpus_per_replica * fleet * H
    counts, cells = _expand(rng, rate)
    k = cells.size
    diagnosis = fi.diagnosis.sample(rng, k)
    replacement = fi.replacement.sample(rng, k)
    failover = fi.failover.sample(rng, k) / 60.0
    serving_hit = rng.random(k) < (required.ravel()[cells] / fleet.ravel()[cells])
    lost = np.where(fi.spare > 0, failover, diagnosis + replacement) * serving_hit / required.ravel()[cells]
    out[:, 0] = _sum_into(cells, lost, shape)
    out[:, 1] = _sum_into(cells, diagnosis, shape)
    out[:, 4] = counts
    # provider/zone outages: the whole fleet is down for the outage
    o_counts, o_cells = _expand(rng, np.broadcast_to(fi.outage_rate[rows, None] * H, shape))
    out[:, 0] += _sum_into(o_cells, fi.outage.sample(rng, o_cells.size), shape)
    out[:, 4] += o_counts
    # monthly patching: engineer hours, and a rolling restart that costs capacity without a spare
    out[:, 2] = fi.maintenance.sample(rng, n * months).reshape(shape)
    restart = fi.restart.sample(rng, n * months).reshape(shape) / 60.0
    if fi.spare == 0:
        out[:, 0] += fleet * restart / required
    # upgrades: engineer hours spread over the calendar weeks the work takes
    u_counts, u_cells = _expand(rng, np.broadcast_to(fi.upgrade_rate[rows, None] * H, shape))
    hours = fi.upgrade_weeks.sample(rng, u_cells.size) * ENGINEER_WEEK_HOURS
    start = (u_cells % months + rng.random(u_cells.size)) * H
    span = hours / 8.0 * fi.block_interval_hours
    path = u_cells // months
    first = (start // H).astype(int)
    for extra in range(int(np.ceil(span.max() / H)) + 2 if span.size else 0):
        month = first + extra
        lo, hi = month * H, (month + 1) * H
        share = np.clip(np.minimum(start + span, hi) - np.maximum(start, lo), 0.0, None) / span
        keep = month < months
        np.add.at(out[:, 3], (path[keep], month[keep]), hours[keep] * share[keep])
    return out


def simulate_vectorized(fi: FleetInputs, key: str, sc: Scenario) -> FleetOutcome:
    """Monthly downtime, engineer hours by cause and incidents, shape (months, n) each."""
    packed = sc.draw_rows(f"{key}.vectorized", lambda rng, rows: _block(rng, fi, rows))
    down, incident, patching, upgrade, incidents = (packed[:, j].T for j in range(5))
    return FleetOutcome(np.minimum(down, fi.hours_per_month), incident, patching, upgrade, incidents)
