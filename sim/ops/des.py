"""The discrete-event fleet model (SimPy), one environment per path over the horizon in hours.

GPU faults down their replica; a spare takes over after a failover delay; repair needs an on-call
engineer (a ``simpy.PriorityResource`` sized to the team) for diagnosis, then the provider's
replacement time. Monthly patching holds an engineer and rolls a restart through the fleet.
Model upgrades join a backlog that each engineer works through in working-day blocks at the pace
of their week, so an incident arriving mid-block waits, and a small team falls behind: this
contention is what the vectorised twin leaves out. Provider outages take the fleet down.
Missing serving capacity is integrated into full-outage-equivalent downtime per month.
"""

from __future__ import annotations

import zlib
from collections.abc import Generator as Coroutine
from typing import Any

import numpy as np
import simpy
from numpy.random import PCG64, Generator, SeedSequence

from distributions import Distribution
from sim.ops.inputs import ENGINEER_WEEK_HOURS, WORK_BLOCK_HOURS, FleetInputs, FleetOutcome
from sim.scenario import Scenario

INCIDENT, PATCHING, UPGRADE = 0, 1, 2  # request priorities: lower is served first
#: a SimPy process: yields events (timeouts, requests) until it ends
Steps = Coroutine[Any, Any, None]


class _Draws:
    """Per-event draws from one distribution, sampled 32 at a time from the path's stream."""

    def __init__(self, dist: Distribution, rng: Generator, scale: float = 1.0) -> None:
        self.dist, self.rng, self.scale = dist, rng, scale
        self.buf: list[float] = []

    def __call__(self) -> float:
        if not self.buf:
            self.buf = (self.dist.sample(self.rng, 32) * self.scale).tolist()[::-1]
        return max(self.buf.pop(), 0.0)


class FleetPath:
    """One path's fleet, engineers and clocks. ``trace``, when a list, receives (hour, event) for
    every state change (for exact-trace tests and for reading one path's story)."""

    def __init__(self, fi: FleetInputs, j: int, rng: Generator, trace: list[tuple[float, str]] | None = None) -> None:
        self.fi, self.rng, self.trace = fi, rng, trace
        self.faults_seen = 0
        self.H = fi.hours_per_month
        self.months = fi.months
        self.horizon = self.months * self.H
        self.required = fi.required[:, j]
        self.fleet = self.required + fi.spare
        self.failure_rate = float(fi.failure_rate[j]) * fi.gpus_per_replica
        self.outage_rate = float(fi.outage_rate[j])
        self.upgrade_rate = float(fi.upgrade_rate[j])
        self.env = simpy.Environment()
        self.engineers = simpy.PriorityResource(self.env, capacity=max(fi.engineers, 1))
        self.down = 0
        self.pending = 0
        self.outage = 0
        self.last = 0.0
        self.out = np.zeros((5, self.months))
        self.events = 0
        self.diagnosis = _Draws(fi.diagnosis, rng)
        self.replacement = _Draws(fi.replacement, rng)
        self.failover = _Draws(fi.failover, rng, 1 / 60)
        self.outage_len = _Draws(fi.outage, rng)
        self.maintenance = _Draws(fi.maintenance, rng)
        self.restart = _Draws(fi.restart, rng, 1 / 60)
        self.weeks = _Draws(fi.upgrade_weeks, rng)

    # --- accounting -------------------------------------------------------------------------
    def month(self, t: float) -> int:
        m = int(t // self.H)
        if (m + 1) * self.H <= t:  # t // H can round down at an exact boundary
            m += 1
        return min(m, self.months - 1)

    def _serving(self, m: int) -> float:
        if self.outage:
            return 0.0
        return float(max(0.0, min(self.required[m], self.fleet[m] - self.down) - self.pending))

    def settle(self) -> None:
        """Integrate the capacity shortfall from the last change to now (call before a change)."""
        now = min(self.env.now, self.horizon)
        t = self.last
        while t < now:
            m = self.month(t)
            end = now if m == self.months - 1 else min(now, (m + 1) * self.H)
            need = self.required[m]
            self.out[0, m] += (need - self._serving(m)) / need * (end - t)
            t = end
        self.last = max(self.last, now)

    def work(self, cause: int, hours: float) -> None:
        self.out[1 + cause, self.month(self.env.now)] += hours

    def log(self, event: str) -> None:
        if self.trace is not None:
            self.trace.append((self.env.now, event))

    # --- processes --------------------------------------------------------------------------
    def faults(self) -> Steps:
        peak = self.failure_rate * float(self.fleet.max())
        while peak > 0:
            yield self.env.timeout(self.rng.exponential(1.0 / peak))
            self.events += 1
            if self.env.now >= self.horizon:
                return
            m = self.month(self.env.now)
            if self.rng.random() < self.fleet[m] / self.fleet.max():  # thinning: this month's fleet
                self.env.process(self.repair(m))

    def fault_at(self, hour: float, serving: bool = True) -> None:
        """Script a GPU fault at ``hour`` (on a serving replica, or a spare): a fixed incident to
        replay, beside the random ones."""
        def later() -> Steps:
            yield self.env.timeout(hour)
            yield self.env.process(self.repair(self.month(hour), serving))

        self.env.process(later())

    def repair(self, m: int, serving_hit: bool | None = None) -> Steps:
        """A replica fails (a serving one with probability required / fleet, unless scripted): a
        free spare takes over its traffic after the failover delay (else its share of capacity is
        lost); an engineer diagnoses, then the provider replaces the node."""
        if serving_hit is None:
            serving_hit = bool(self.rng.random() < self.required[m] / self.fleet[m])
        self.faults_seen += 1
        name = f"fault {self.faults_seen}"
        self.out[4, m] += 1
        self.settle()
        spare_free = self.fleet[m] - self.down - self.required[m] > 0
        self.down += 1
        self.log(f"{name}: replica down")
        if serving_hit and spare_free:
            self.pending += 1
            self.env.process(self.take_over(name))
        with self.engineers.request(priority=INCIDENT) as req:
            yield req
            self.log(f"{name}: diagnosis starts")
            hours = self.diagnosis()
            self.work(INCIDENT, hours)
            yield self.env.timeout(hours)
            self.log(f"{name}: diagnosis ends")
            self.events += 2
        yield self.env.timeout(self.replacement())
        self.events += 1
        self.settle()
        self.down -= 1
        self.log(f"{name}: replica replaced")

    def take_over(self, name: str) -> Steps:
        yield self.env.timeout(self.failover())
        self.events += 1
        self.settle()
        self.pending -= 1
        self.log(f"{name}: spare took over")

    def outages(self) -> Steps:
        while self.outage_rate > 0:
            yield self.env.timeout(self.rng.exponential(1.0 / self.outage_rate))
            if self.env.now >= self.horizon:
                return
            self.out[4, self.month(self.env.now)] += 1
            self.settle()
            self.outage += 1
            self.log("provider outage starts")
            yield self.env.timeout(self.outage_len())
            self.events += 2
            self.settle()
            self.outage -= 1
            self.log("provider outage ends")

    def patching(self) -> Steps:
        for m in range(self.months):
            offset = self.fi.maintenance_start
            start = m * self.H + (self.rng.uniform(0.0, min(168.0, self.H / 2)) if offset is None else offset)
            yield self.env.timeout(start - self.env.now)
            with self.engineers.request(priority=PATCHING) as req:
                yield req
                self.log("patching starts")
                hours = self.maintenance()
                self.work(PATCHING, hours)
                self.env.process(self.rolling_restart(self.month(self.env.now)))
                yield self.env.timeout(hours)
                self.log("patching ends")
                self.events += 3

    def rolling_restart(self, m: int) -> Steps:
        self.settle()
        self.down += 1  # one replica at a time is out
        self.log("rolling restart starts")
        yield self.env.timeout(self.fleet[m] * self.restart())
        self.events += 1
        self.settle()
        self.down -= 1
        self.log("rolling restart ends")

    def upgrades(self) -> Steps:
        """Upgrade projects arrive (Poisson) into a backlog the engineers work through."""
        while self.upgrade_rate > 0:
            yield self.env.timeout(self.rng.exponential(1.0 / self.upgrade_rate))
            self.events += 1
            if self.env.now >= self.horizon:
                return
            yield self.backlog.put(self.weeks() * ENGINEER_WEEK_HOURS)

    def upgrade_worker(self) -> Steps:
        """One engineer's stream of upgrade work: a working-day block at a time, at the pace of
        their working week; an incident arriving mid-block waits for it to end."""
        while True:
            remaining = yield self.backlog.get()
            while remaining > 1e-9:
                with self.engineers.request(priority=UPGRADE) as req:
                    yield req
                    block = min(WORK_BLOCK_HOURS, remaining)
                    self.work(UPGRADE, block)
                    yield self.env.timeout(block)
                    self.events += 2
                remaining -= block
                yield self.env.timeout(self.fi.block_interval_hours - block)  # until the next working day
                self.events += 1

    def run(self) -> np.ndarray:
        """Simulate the horizon; returns (5, months): downtime, incident, patching and upgrade
        hours, incidents."""
        self.backlog = simpy.Store(self.env)
        for proc in (self.faults(), self.outages(), self.patching(), self.upgrades()):
            self.env.process(proc)
        for _ in range(max(self.fi.engineers, 1)):
            self.env.process(self.upgrade_worker())
        self.env.run(until=self.horizon)
        self.settle()
        return self.out


def simulate_des(fi: FleetInputs, key: str, sc: Scenario) -> FleetOutcome:
    """Run the SimPy model on every path of the chunk. Path i of seed block b draws from
    ``SeedSequence(seed, spawn_key=(b, crc32(key), i))``: results depend on the seed and the path
    alone, never on chunking or workers."""
    tag = zlib.crc32(f"{key}.des".encode())
    out = np.zeros((5, fi.months, fi.n))
    events = 0
    col = 0
    for b, size in zip(sc.blocks, sc.sizes, strict=True):
        for i in range(size):
            rng = Generator(PCG64(SeedSequence(sc.seed, spawn_key=(b, tag, i))))
            path = FleetPath(fi, col, rng)
            out[:, :, col] = path.run()
            events += path.events
            col += 1
    outcome = FleetOutcome(np.minimum(out[0], fi.hours_per_month), out[1], out[2], out[3], out[4])
    outcome.events = events
    return outcome
