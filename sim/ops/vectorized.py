"""The vectorised twin of the SimPy fleet model: the same events drawn with numpy (Poisson counts,
clock times, per-event durations), each handled at once: no queue for engineers, no overlap
between incidents, each event's lost traffic booked in the month it starts. Fast, and the same
in distribution where contention does not matter."""

from __future__ import annotations

import numpy as np
from numpy.random import Generator

from sim.ops.clock import lost_between_vec
from sim.ops.inputs import (
    DOWNTIME,
    ENGINEER_WEEK_HOURS,
    H_CHANGE,
    H_FOLLOWUP,
    H_INCIDENT,
    H_PATCHING,
    H_UPGRADE,
    N_CHANGE_INCIDENTS,
    N_CHANGES,
    N_FAULTS,
    N_OUTAGES,
    ROWS,
    FleetInputs,
    FleetOutcome,
)
from sim.scenario import Scenario


def _expand(rng: Generator, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts per cell of ``rate`` (rows, months) and the cell index of every event."""
    counts = rng.poisson(rate)
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    return counts.astype(float), cells


def _sum_into(cells: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    return np.bincount(cells, weights=values, minlength=shape[0] * shape[1]).reshape(shape)


class _Block:
    """One seed block's paths: their months, traffic and the per-event helpers."""

    def __init__(self, fi: FleetInputs, rows: slice, rng: Generator) -> None:
        self.fi, self.rng = fi, rng
        self.n, self.months, self.H = rows.stop - rows.start, fi.months, fi.hours_per_month
        self.shape = (self.n, self.months)
        self.required = fi.required[:, rows].T.ravel()
        self.load = fi.load[:, rows].T.ravel()
        self.shapes = fi.shapes[rows]
        self.failure_rate = fi.failure_rate[rows]
        self.outage_rate = fi.outage_rate[rows]
        self.upgrade_rate = fi.upgrade_rate[rows]
        self.change_rate = fi.change_rate[rows]
        self.change_failure = fi.change_failure[rows]
        self.working_hours = fi.coverage.working_hours_per_week / 168.0 * self.H  # in a month
        self.out = np.zeros((self.n, ROWS, self.months))

    def path(self, cells: np.ndarray) -> np.ndarray:
        return cells // self.months

    def lost(self, cells: np.ndarray, serving: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        """Traffic lost from t0 to t1 with ``serving`` replicas, against the path's day shape,
        beyond what the full fleet loses anyway (the capacity model's shortfall, counted there)."""
        shapes, load = self.shapes[self.path(cells)], self.load[cells]
        full = lost_between_vec(shapes, self.required[cells] / load, t0, t1)
        return np.asarray(lost_between_vec(shapes, serving / load, t0, t1) - full, float)

    def answered(self, t: np.ndarray) -> np.ndarray:
        delay = self.fi.page_delay.sample(self.rng, t.size)
        return t + delay if self.fi.vendor else self.fi.coverage.answered_vec(t, delay)

    def book(self, row: int, cells: np.ndarray, values: np.ndarray | float) -> None:
        self.out[:, row] += _sum_into(cells, np.broadcast_to(values, cells.shape).astype(float), self.shape)

    def incident_hours(self, cells: np.ndarray, hours: np.ndarray) -> None:
        if not self.fi.vendor:
            self.book(H_INCIDENT, cells, hours)


def _bad_changes(b: _Block, cells: np.ndarray, t: np.ndarray) -> None:
    """Of the changes going live at ``t``, those that fail: requests fail at their impact until
    detection, answer, diagnosis and rollback; then a follow-up."""
    fi, rng = b.fi, b.rng
    fails = rng.random(cells.size) < b.change_failure[b.path(cells)]
    cells, t = cells[fails], t[fails]
    k = cells.size
    impact = np.clip(fi.change_impact.sample(rng, k), 0.0, 1.0)
    detected = t + fi.detection.sample(rng, k) / 60.0
    work = fi.diagnosis.sample(rng, k) + fi.mitigation.sample(rng, k)
    end = b.answered(detected) + work
    b.book(DOWNTIME, cells, impact * b.lost(cells, np.zeros(k), t, end))
    b.incident_hours(cells, work)
    b.book(H_FOLLOWUP, cells, fi.followup.sample(rng, k))
    b.book(N_CHANGE_INCIDENTS, cells, 1.0)


def _changes(b: _Block) -> None:
    """Deploys and config pushes: Poisson over the horizon's working hours, at uniform working-hour
    clock times (the DES draws them the same way), booked in the month their clock time falls in."""
    fi, rng = b.fi, b.rng
    total = b.months * b.working_hours
    counts = rng.poisson(b.change_rate * total)
    path = np.repeat(np.arange(b.n), counts)
    t = np.asarray(fi.coverage.working_clock(rng.random(path.size) * total), float)
    cells = path * b.months + np.minimum((t // b.H).astype(int), b.months - 1)
    b.book(H_CHANGE, cells, fi.change_hours.sample(rng, cells.size))
    b.book(N_CHANGES, cells, 1.0)
    _bad_changes(b, cells, t)


def _patching(b: _Block) -> None:
    """Monthly patching: engineer hours; a rolling restart that loses capacity without a spare;
    the patch goes live as a change."""
    fi, rng = b.fi, b.rng
    n, months, H = b.n, b.months, b.H
    cells = np.arange(n * months)
    offset = fi.maintenance_start
    start = (cells % months) * H + (rng.uniform(0.0, min(168.0, H / 2), cells.size) if offset is None else offset)
    hours = fi.maintenance.sample(rng, cells.size)
    b.book(H_PATCHING, cells, hours)
    restart = fi.restart.sample(rng, cells.size) / 60.0
    if fi.spare == 0:
        fleet = b.required + fi.spare
        b.book(DOWNTIME, cells, b.lost(cells, b.required - 1.0, start, start + fleet * restart))
    b.out[:, N_CHANGES] += 1.0
    _bad_changes(b, cells, start + hours)


def _upgrades(b: _Block) -> None:
    """Upgrades: engineer hours spread over the calendar weeks the work takes; the finished
    upgrade goes live as a change."""
    fi, rng = b.fi, b.rng
    H, months = b.H, b.months
    rate = b.upgrade_rate[:, None] * H
    _, cells = _expand(rng, np.broadcast_to(rate, b.shape))
    hours = fi.upgrade_weeks.sample(rng, cells.size) * ENGINEER_WEEK_HOURS
    start = (cells % months + rng.random(cells.size)) * H
    span = hours / 8.0 * fi.block_interval_hours
    path = cells // months
    first = (start // H).astype(int)
    for extra in range(int(np.ceil(span.max() / H)) + 2 if span.size else 0):
        month = first + extra
        lo, hi = month * H, (month + 1) * H
        share = np.clip(np.minimum(start + span, hi) - np.maximum(start, lo), 0.0, None) / span
        keep = month < months
        np.add.at(b.out[:, H_UPGRADE], (path[keep], month[keep]), hours[keep] * share[keep])
    done = start + span
    live = done < months * H
    done_cells = path[live] * months + (done[live] // H).astype(int)
    b.book(N_CHANGES, done_cells, 1.0)
    _bad_changes(b, done_cells, done[live])


def _faults(b: _Block) -> None:
    """A fault downs its replica; a spare takes over after the failover delay, or (no spare) the
    replica's capacity is lost until the page is answered, diagnosed and the node replaced; a
    fault no spare absorbed is followed up."""
    fi, rng = b.fi, b.rng
    fleet = b.required + fi.spare
    rate = (np.repeat(b.failure_rate, b.months) * fi.gpus_per_replica * fleet * b.H).reshape(b.shape)
    counts, cells = _expand(rng, rate)
    k = cells.size
    t = (cells % b.months + rng.random(k)) * b.H
    diagnosis = fi.diagnosis.sample(rng, k)
    replacement = fi.replacement.sample(rng, k)
    failover = fi.failover.sample(rng, k) / 60.0
    serving_hit = rng.random(k) < (b.required[cells] / fleet[cells])
    done = b.answered(t) + diagnosis + replacement
    end = np.where(fi.spare > 0, t + failover, done)
    lost = np.where(serving_hit, b.lost(cells, b.required[cells] - 1.0, t, end), 0.0)
    b.book(DOWNTIME, cells, lost)
    b.incident_hours(cells, diagnosis)
    impact = serving_hit & (fi.spare == 0)
    b.book(H_FOLLOWUP, cells[impact], fi.followup.sample(rng, int(impact.sum())))
    b.out[:, N_FAULTS] += counts


def _outages(b: _Block) -> None:
    """Provider outages: no traffic served while they last; answered, then followed up."""
    fi, rng = b.fi, b.rng
    counts, cells = _expand(rng, np.broadcast_to(b.outage_rate[:, None] * b.H, b.shape))
    k = cells.size
    t = (cells % b.months + rng.random(k)) * b.H
    b.book(DOWNTIME, cells, b.lost(cells, np.zeros(k), t, t + fi.outage.sample(rng, k)))
    b.answered(t)
    b.book(H_FOLLOWUP, cells, fi.followup.sample(rng, k))
    b.out[:, N_OUTAGES] += counts


def _block(rng: Generator, fi: FleetInputs, rows: slice) -> np.ndarray:
    """One seed block's outcome, path-major: (paths, ROWS, months)."""
    b = _Block(fi, rows, rng)
    for part in (_faults, _outages, _patching, _upgrades, _changes):
        part(b)
    return b.out


def simulate_vectorized(fi: FleetInputs, key: str, sc: Scenario) -> FleetOutcome:
    """Monthly downtime, engineer hours by cause, incidents by cause and changes, (ROWS, months, n)."""
    packed = sc.draw_rows(f"{key}.vectorized", lambda rng, rows: _block(rng, fi, rows))
    rows = np.moveaxis(packed, 1, 0).transpose(0, 2, 1)  # (ROWS, months, n)
    rows[DOWNTIME] = np.minimum(rows[DOWNTIME], fi.hours_per_month)
    return FleetOutcome(np.ascontiguousarray(rows))
