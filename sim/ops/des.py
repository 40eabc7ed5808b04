"""The discrete-event fleet model (SimPy), one environment per path over the horizon in clock hours
(hour 0 is Monday 00:00 local time).

GPU faults down their replica; a spare takes over after a failover delay; the page is answered by
the on-call coverage (at once under 24x7; at the next working hour under business hours; some
hours into the working day under best effort), then an engineer (the team is a priority queue)
diagnoses and the provider replaces the node. Changes (deploys, config pushes, patches, finished
upgrades) happen in working hours (their review and rollout time is booked as planned work, not
queued for); a share of them cause an incident that fails a share of requests until it is
detected, answered, diagnosed and rolled back. Provider outages take the fleet down. Follow-up work
(postmortems, fixes) and upgrade projects share one backlog the engineers work through in
working-day blocks, so a small team falls behind: this contention is what the vectorised twin
leaves out. Lost traffic is integrated against the day's traffic shape (a shortfall at 3 a.m.
loses fewer requests than at the afternoon peak). It runs on a lean SimPy kernel (sim/ops/env.py)
with the same events in the same order as stock SimPy. des_paths runs it over a chunk's paths.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Generator as Coroutine
from typing import Any

import numpy as np
import simpy
from numpy.random import Generator

from sim.ops.clock import lost_between, lost_profile
from sim.ops.env import FastEnvironment, call_soon
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
    WORK_BLOCK_HOURS,
    FleetInputs,
)
from sim.ops.team import BACKLOG, INCIDENT, PATCHING, Backlog, Draws, Engineers

#: a SimPy process: yields events (timeouts, requests) until it ends
Steps = Coroutine[Any, Any, None]


class FleetPath:
    """One path's fleet, engineers and clocks. ``trace``, when a list, receives (hour, event) for
    every state change (for exact-trace tests and for reading one path's story; sim.ops.scripted
    adds scripted faults, outages and backlog work)."""

    #: stock SimPy's (simpy.Environment, simpy.Store) give the same results, more slowly (tested)
    environment: type[simpy.Environment] = FastEnvironment
    backlog_store: Callable[[simpy.Environment], Any] = Backlog

    def __init__(self, fi: FleetInputs, j: int, rng: Generator, trace: list[tuple[float, str]] | None = None) -> None:
        self.fi, self.rng, self.trace = fi, rng, trace
        self.H = fi.hours_per_month
        self.months = fi.months
        self.horizon = self.months * self.H
        self.required: list[float] = fi.required[:, j].tolist()  # Python floats: no numpy scalar per event
        self.load: list[float] = fi.load[:, j].tolist()
        self.shape = [float(x) for x in fi.shapes[j]]
        self.peak = max(self.shape)
        self.fleet: list[float] = (fi.required[:, j] + fi.spare).tolist()
        self.largest_fleet = max(self.fleet)
        self.failure_rate = float(fi.failure_rate[j]) * fi.gpus_per_replica
        self.outage_rate = float(fi.outage_rate[j])
        self.upgrade_rate = float(fi.upgrade_rate[j])
        self.change_rate = float(fi.change_rate[j])
        self.change_failure = float(fi.change_failure[j])
        self.env = self.environment()
        self.engineers = Engineers(self.env, max(fi.engineers, 1))
        self.backlog = self.backlog_store(self.env)  # follow-ups and upgrade projects, first come first served
        self.down = 0
        self.pending = 0
        self.outage = 0
        self.impacts: list[float] = []  # shares of requests failing under bad changes now live
        self.last = 0.0
        self.acc = [[0.0] * self.months for _ in range(ROWS)]  # (ROWS, months), Python floats while it runs
        self.events = 0
        self.counts = {"fault": 0, "change": 0, "outage": 0}
        self._profiles: dict[float, list[float]] = {}  # by capacity rounded to 1e-9
        self._seen: dict[float, list[float]] = {}  # by exact capacity
        self.diagnosis = Draws(fi.diagnosis, rng).next
        self.replacement = Draws(fi.replacement, rng).next
        self.failover = Draws(fi.failover, rng, 1 / 60).next
        self.outage_len = Draws(fi.outage, rng).next
        self.maintenance = Draws(fi.maintenance, rng).next
        self.restart = Draws(fi.restart, rng, 1 / 60).next
        self.weeks = Draws(fi.upgrade_weeks, rng).next
        self.detection = Draws(fi.detection, rng, 1 / 60).next
        self.impact = Draws(fi.change_impact, rng).next
        self.page_delay = Draws(fi.page_delay, rng).next
        self.mitigation = Draws(fi.mitigation, rng).next
        self.followup = Draws(fi.followup, rng).next

    # --- accounting -------------------------------------------------------------------------
    def month(self, t: float) -> int:
        H = self.H
        m = int(t // H)
        if (m + 1) * H <= t:  # t // H can round down at an exact boundary
            m += 1
        return m if m < self.months else self.months - 1

    def _capacity(self, m: int) -> float:
        """Serving capacity in units of the month's mean traffic."""
        if self.outage:
            return 0.0
        serving = max(0.0, min(self.required[m], self.fleet[m] - self.down) - self.pending)
        return serving / self.load[m]  # Python floats throughout

    def _lost(self, capacity: float, t0: float, t1: float) -> float:
        cum = self._seen.get(capacity)  # the profile this exact capacity was given before (round is slow)
        if cum is None:
            key = round(capacity, 9)
            cum = self._profiles.get(key)
            if cum is None:
                cum = self._profiles[key] = lost_profile(self.shape, capacity)
            self._seen[capacity] = cum
        return lost_between(cum, t0, t1)

    def settle(self) -> None:
        """Integrate the traffic lost from the last change of state to now (call before a change):
        what exceeds the serving capacity beyond what the full fleet loses anyway, and the share
        bad changes fail of what is served."""
        now = self.env._now
        if now > self.horizon:
            now = self.horizon
        t = self.last
        if t >= now:
            return
        impact = 0.0
        if self.impacts:
            kept = 1.0
            for i in self.impacts:
                kept *= 1.0 - i
            impact = 1.0 - kept
        if impact == 0.0 and not self.outage and not self.down and not self.pending:  # nothing lost
            self.last = now
            return
        while t < now:
            m = self.month(t)
            end = now if m == self.months - 1 else min(now, (m + 1) * self.H)
            capacity, full = self._capacity(m), self.required[m] / self.load[m]
            if impact > 0.0 or capacity < self.peak:
                lost = self._lost(capacity, t, end)
                short = lost - self._lost(full, t, end) if full < self.peak else lost  # beyond what a full
                if impact > 0.0:  # fleet loses anyway (the capacity model's shortfall, counted there)
                    short += impact * (self._lost(0.0, t, end) - lost)
                self.acc[DOWNTIME][m] += short
            t = end
        self.last = now

    def work(self, row: int, hours: float) -> None:
        self.acc[row][self.month(self.env._now)] += hours

    def log(self, event: str, *args: object) -> None:
        """Trace ``event % args`` (formatted only when tracing: most paths are not traced)."""
        if self.trace is not None:
            self.trace.append((self.env._now, event % args if args else event))

    def answered_at(self) -> float:
        """When someone is at work on a page raised now (coverage and clock time)."""
        now = self.env._now
        return now + self.page_delay() if self.fi.vendor else self.fi.coverage.answered(now, self.page_delay())

    def respond(self, hours: float, name: str, what: str = "diagnosis") -> Steps:
        """An engineer (or the vendor) works ``hours`` on an incident once the page is answered."""
        wait = self.answered_at() - self.env._now
        if wait > 0:
            yield self.env.timeout(wait)
        self.log("%s: answered", name)
        if self.fi.vendor:  # the managed service works it; our engineers only do the follow-up
            yield self.env.timeout(hours)
            self.log("%s: %s ends", name, what)
            return
        if not self.engineers.take():
            yield self.engineers.request(INCIDENT)
        self.log("%s: %s starts", name, what)
        self.work(H_INCIDENT, hours)
        yield self.env.timeout(hours)
        self.log("%s: %s ends", name, what)
        self.engineers.release()
        self.events += 2

    # --- GPU faults ---------------------------------------------------------------------------
    def faults(self) -> Steps:
        peak = self.failure_rate * self.largest_fleet
        while peak > 0:
            yield self.env.timeout(self.rng.exponential(1.0 / peak))
            self.events += 1
            if self.env._now >= self.horizon:
                return
            m = self.month(self.env._now)
            if self.rng.random() < self.fleet[m] / self.largest_fleet:  # thinning: this month's fleet
                self.env.process(self.repair(m))

    def repair(self, m: int, serving_hit: bool | None = None) -> Steps:
        """A replica fails (a serving one with probability required / fleet, unless scripted): a
        free spare takes over its traffic after the failover delay (else its share of capacity is
        lost); once the page is answered an engineer diagnoses, then the provider replaces the node.
        A fault that no spare could absorb is followed up (postmortem, fixes)."""
        if serving_hit is None:
            serving_hit = bool(self.rng.random() < self.required[m] / self.fleet[m])
        self.counts["fault"] += 1
        name = f"fault {self.counts['fault']}"
        self.acc[N_FAULTS][m] += 1
        self.settle()
        spare_free = self.fleet[m] - self.down - self.required[m] > 0
        self.down += 1
        self.log("%s: replica down", name)
        if serving_hit and spare_free:
            self.pending += 1
            self.env.process(self.take_over(name))
        yield self.env.process(self.respond(self.diagnosis(), name))
        if serving_hit and not spare_free:
            self.backlog.put((self.followup(), H_FOLLOWUP))
        yield self.env.timeout(self.replacement())
        self.events += 1
        self.settle()
        self.down -= 1
        self.log("%s: replica replaced", name)

    def take_over(self, name: str) -> Steps:
        yield self.env.timeout(self.failover())
        self.events += 1
        self.settle()
        self.pending -= 1
        self.log("%s: spare took over", name)

    # --- provider outages -----------------------------------------------------------------------
    def outages(self) -> Steps:
        while self.outage_rate > 0:
            yield self.env.timeout(self.rng.exponential(1.0 / self.outage_rate))
            if self.env._now >= self.horizon:
                return
            self.env.process(self.provider_outage(self.outage_len()))

    def provider_outage(self, hours: float) -> Steps:
        self.acc[N_OUTAGES][self.month(self.env._now)] += 1
        self.counts["outage"] += 1
        name = f"outage {self.counts['outage']}"
        self.settle()
        self.outage += 1
        self.log("%s: starts", name)
        self.env.process(self.respond(0.0, name, "status update"))  # answered; nothing of ours to repair
        yield self.env.timeout(hours)
        self.events += 2
        self.settle()
        self.outage -= 1
        self.log("%s: ends", name)
        self.backlog.put((self.followup(), H_FOLLOWUP))

    # --- changes --------------------------------------------------------------------------------
    def changes(self) -> None:
        """Deploys and config pushes: Poisson in working hours (people push changes at work). A
        change is planned work: its review and rollout hours are booked, not queued for; only the
        changes that fail become processes (drawn up front: the rest change no state)."""
        if self.change_rate <= 0:
            return
        cov = self.fi.coverage
        working = self.horizon / 168.0 * cov.working_hours_per_week
        count = int(self.rng.poisson(self.change_rate * working))
        at = cov.working_clock(np.sort(self.rng.random(count)) * working)
        months = np.minimum((at // self.H).astype(int), self.months - 1)
        # per month, in the changes' order (what np.add.at would add); before any event adds to them
        self.acc[N_CHANGES] = np.bincount(months, minlength=self.months).astype(float).tolist()
        self.acc[H_CHANGE] = np.bincount(months, self.fi.change_hours.sample(self.rng, count), self.months).tolist()
        fails = self.rng.random(count) < self.change_failure
        self.changes_at(at[fails].tolist(), True, booked=True)
        self.events += count

    def rollout(self, fails: bool | None = None) -> None:
        """A change goes live; with the change failure rate it causes an incident."""
        self.acc[N_CHANGES][self.month(self.env._now)] += 1
        if fails is None:
            fails = bool(self.rng.random() < self.change_failure)
        if fails:
            self.env.process(self.bad_change(self.impact()))

    def change_at(self, hour: float, fails: bool, impact: float | None = None, booked: bool = False) -> None:
        """Script a change going live at ``hour`` (failing or not; an impact to replay); ``booked``
        when its count is already booked (the drawn changes)."""
        self.changes_at([hour], fails, impact, booked)

    def changes_at(self, hours: list[float], fails: bool, impact: float | None = None, booked: bool = False) -> None:
        """Changes going live ``hours`` from now. Their timers are set, in order, by one urgent event
        now: where a process started now would set its own (the same event order as a process each)."""
        def go_live(_event: object) -> None:
            if not booked:
                self.acc[N_CHANGES][self.month(self.env._now)] += 1
            if fails:
                self.env.process(self.bad_change(self.impact() if impact is None else impact))

        def set_timers(_event: object) -> None:
            for hour in hours:
                self.env.timeout(hour).callbacks.append(go_live)

        if hours:
            call_soon(self.env, set_timers)

    def bad_change(self, impact: float) -> Steps:
        """A bad change fails ``impact`` of the requests until it is detected, the page answered,
        the cause found and the change rolled back; then it is followed up."""
        self.counts["change"] += 1
        name = f"bad change {self.counts['change']}"
        m = self.month(self.env._now)
        self.acc[N_CHANGE_INCIDENTS][m] += 1
        self.settle()
        self.impacts.append(impact)
        self.log("%s: live, failing %.0f%% of requests", name, 100 * impact)
        yield self.env.timeout(self.detection())
        self.log("%s: detected", name)
        yield self.env.process(self.respond(self.diagnosis() + self.mitigation(), name, "rollback"))
        self.events += 2
        self.settle()
        self.impacts.remove(impact)
        self.log("%s: rolled back", name)
        self.backlog.put((self.followup(), H_FOLLOWUP))

    # --- patching and upgrades --------------------------------------------------------------------
    def patching(self) -> Steps:
        for m in range(self.months):
            offset = self.fi.maintenance_start
            # min(168, H/2) * random() is rng.uniform(0, min(168, H/2)): the same draw, without its argument checks
            start = m * self.H + (min(168.0, self.H / 2) * self.rng.random() if offset is None else offset)
            yield self.env.timeout(start - self.env._now)
            if not self.engineers.take():
                yield self.engineers.request(PATCHING)
            self.log("patching starts")
            hours = self.maintenance()
            self.work(H_PATCHING, hours)
            self.rolling_restart(self.month(self.env._now))
            yield self.env.timeout(hours)
            self.engineers.release()
            self.log("patching ends")
            self.events += 3
            self.rollout()  # a patch is a change too

    def rolling_restart(self, m: int) -> None:
        """One replica at a time is out for the fleet's restart (a callback, not a process)."""
        self.settle()
        self.down += 1
        self.log("rolling restart starts")
        self.env.timeout(self.fleet[m] * self.restart()).callbacks.append(self._restarted)

    def _restarted(self, _event: object) -> None:
        self.events += 1
        self.settle()
        self.down -= 1
        self.log("rolling restart ends")

    def upgrades(self) -> Steps:
        """Upgrade projects arrive (Poisson) into the backlog the engineers work through."""
        while self.upgrade_rate > 0:
            yield self.env.timeout(self.rng.exponential(1.0 / self.upgrade_rate))
            self.events += 1
            if self.env._now >= self.horizon:
                return
            yield self.backlog.put((self.weeks() * ENGINEER_WEEK_HOURS, H_UPGRADE))

    def backlog_worker(self) -> Steps:
        """One engineer's stream of backlog work (follow-ups and upgrades, first come first
        served): a working-day block at a time, at the pace of their working week; an incident
        arriving mid-block waits for it to end. A finished upgrade is deployed: a change."""
        timeout, engineers, interval = self.env.timeout, self.engineers, self.fi.block_interval_hours
        while True:
            remaining, row = yield self.backlog.get()
            while remaining > 1e-9:
                if not engineers.take():
                    yield engineers.request(BACKLOG)
                block = min(WORK_BLOCK_HOURS, remaining)
                self.work(row, block)
                self.log("%s work: %g h", "upgrade" if row == H_UPGRADE else "follow-up", block)
                timeout(block).callbacks.append(engineers.release)  # free at the block's end
                remaining -= block
                yield timeout(interval)  # the next working day
                self.events += 3
            if row == H_UPGRADE:
                self.rollout()

    def run(self) -> np.ndarray:
        """Simulate the horizon; returns (ROWS, months)."""
        for proc in (self.faults(), self.outages(), self.patching(), self.upgrades()):
            self.env.process(proc)
        self.changes()
        for _ in range(max(self.fi.engineers, 1)):
            self.env.process(self.backlog_worker())
        self.env.run(until=self.horizon)
        self.settle()
        return np.array(self.acc)


__all__ = ["FleetPath", "Steps"]
