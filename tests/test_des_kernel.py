"""The fleet model's lean SimPy kernel (sim/ops/env.py, team.Backlog) against stock SimPy: the
same events in the same order, so the same numbers and traces for a seed, ties included."""

from __future__ import annotations

from collections.abc import Callable, Generator

import numpy as np
import pytest
import simpy
from numpy.random import default_rng

from distributions import parse_distribution as spec
from sim.ops.clock import Coverage
from sim.ops.des import FleetPath, Steps
from sim.ops.env import FastEnvironment, call_soon
from sim.ops.inputs import FleetInputs
from sim.ops.team import Backlog
from tests.conftest import fleet_inputs


class StockPath(FleetPath):
    """The fleet model on SimPy's own environment, processes and store."""

    environment = simpy.Environment
    backlog_store = simpy.Store


def _busy(n: int, **kw: object) -> FleetInputs:
    """Every mechanism on, rates high enough for contention (a path has hundreds of events)."""
    months = 6
    base: dict[str, object] = dict(
        required=np.tile(np.array([2.0, 3.0, 3.0, 4.0, 4.0, 5.0])[:, None], (1, n)),
        spare=1, failure_rate=np.full(n, 2e-3), outage_rate=np.full(n, 3e-3), upgrade_rate=np.full(n, 4e-3),
        change_rate=np.full(n, 0.4), change_failure=np.full(n, 0.2), engineers=2,
        diagnosis=spec("1 to 6"), replacement=spec("4 to 30"), failover=spec("5 to 30"), outage=spec("0.5 to 6"),
        maintenance=spec("1 to 4"), restart=spec("2 to 10"), upgrade_weeks=spec("0.5 to 3"),
        change_hours=spec("0.5 to 2"), detection=spec("5 to 60"), change_impact=spec("2% to 30%"),
        response=spec("5 to 30"), mitigation=spec("0.5 to 3"), followup=spec("2 to 12"),
        best_effort_delay=spec("1 to 4"))
    base.update(kw)
    return fleet_inputs(n=n, months=months, **base)


def _tied(n: int) -> FleetInputs:
    """Whole-hour durations, pages answered at 9:00 sharp, a fixed patching hour: many events at
    the same instant, where only the (time, priority, insertion) order decides."""
    return _busy(n, engineers=1, coverage=Coverage("business_hours"), diagnosis=spec(2), replacement=spec(5),
                 failover=spec(60), outage=spec(3), maintenance=spec(2), restart=spec(60), mitigation=spec(1),
                 followup=spec(8), detection=spec(60), maintenance_start=9.0)


CASES: dict[str, Callable[[int], FleetInputs]] = {
    "busy 24x7": _busy,
    "ties at 9:00": _tied,
    "one engineer, best effort": lambda n: _busy(n, engineers=1, coverage=Coverage("best_effort")),
    "managed service": lambda n: _busy(n, vendor=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_lean_kernel_gives_stock_simpys_numbers_and_traces(case: str) -> None:
    fi = CASES[case](12)
    for j in range(fi.n):
        runs = []
        for cls in (FleetPath, StockPath):
            trace: list[tuple[float, str]] = []
            path = cls(fi, j, default_rng(j), trace=trace)
            runs.append((path.run().copy(), path.events, trace))
        (fast, fast_events, fast_trace), (stock, stock_events, stock_trace) = runs
        assert len(stock_trace) > 50  # the case exercises the model
        assert fast_trace == stock_trace
        assert np.array_equal(fast, stock)
        assert fast_events == stock_events


def test_run_stops_before_events_due_at_the_end_as_simpy_does() -> None:
    seen: dict[str, list[tuple[str, float]]] = {}
    for name, env in (("fast", FastEnvironment()), ("stock", simpy.Environment())):
        log: list[tuple[str, float]] = []

        def ticker(env: simpy.Environment = env, log: list[tuple[str, float]] = log) -> Steps:
            while True:
                yield env.timeout(2.5)
                log.append(("tick", env.now))

        env.process(ticker())
        env.run(until=10.0)  # the tick due at 10.0 is not processed
        assert env.now == 10.0
        seen[name] = log
    assert seen["fast"] == seen["stock"] == [("tick", 2.5), ("tick", 5.0), ("tick", 7.5)]
    env = FastEnvironment()
    env.run(until=5.0)
    with pytest.raises(ValueError, match=r"until \(5.0\) must be greater than the current simulation time"):
        env.run(until=5.0)
    with pytest.raises(ValueError, match="Negative delay -1"):
        env.timeout(-1)


def test_a_process_hands_its_value_to_whoever_waits_and_its_error_to_run() -> None:
    env = FastEnvironment()
    got: list[object] = []

    def child() -> Generator[simpy.Event, object, int]:
        yield env.timeout(1)
        return 42

    def parent() -> Steps:
        got.append((yield env.process(child())))
        done = env.process(child())  # nobody waits for it while it runs: its end is not an event
        yield env.timeout(5)
        got.append((yield done))  # a finished process gives its value at once

    env.process(parent())
    env.run(until=20)
    assert got == [42, 42]

    def failing() -> Steps:
        yield env.timeout(1)
        raise KeyError("boom")

    env.process(failing())
    with pytest.raises(KeyError, match="boom"):
        env.run(until=30)


def _store_story(env: simpy.Environment, store: object) -> list[tuple[float, str]]:
    """Two workers taking items put at the same instants, one put waited for."""
    log: list[tuple[float, str]] = []

    def worker(name: str) -> Steps:
        while True:
            item = yield store.get()  # type: ignore[attr-defined]
            log.append((env.now, f"{name} got {item}"))
            yield env.timeout(item)

    def producer() -> Steps:
        for k, hours in enumerate([3, 1, 2, 2, 1, 4, 1]):
            store.put(hours)  # type: ignore[attr-defined]
            log.append((env.now, f"put {k}"))
            if k % 3 == 2:
                yield store.put(1)  # type: ignore[attr-defined]
                log.append((env.now, "waited put"))
            yield env.timeout(k % 2)

    env.process(worker("a"))
    env.process(producer())
    env.process(worker("b"))
    env.run(until=40)
    return log


def test_the_backlog_hands_out_work_as_a_simpy_store_does() -> None:
    fast_env = FastEnvironment()
    stock_env = simpy.Environment()
    fast = _store_story(fast_env, Backlog(fast_env))
    stock = _store_story(stock_env, simpy.Store(stock_env))
    assert len(fast) > 15
    assert fast == stock


def test_call_soon_runs_where_a_process_start_would() -> None:
    """A callback set with call_soon and a process started at the same point run in the same order
    relative to everything else, on either environment."""
    logs = []
    for env in (FastEnvironment(), simpy.Environment()):
        log: list[str] = []

        def proc(name: str, env: simpy.Environment = env, log: list[str] = log) -> Steps:
            log.append(f"{name} starts")
            yield env.timeout(0)
            log.append(f"{name} resumes")

        def at_start(env: simpy.Environment = env, log: list[str] = log) -> Steps:
            env.process(proc("p1"))
            call_soon(env, lambda _e: log.append("soon"))
            env.process(proc("p2"))
            yield env.timeout(1)

        env.process(at_start())
        env.run(until=2)
        logs.append(log)
    assert logs[0] == logs[1] == ["p1 starts", "soon", "p2 starts", "p1 resumes", "p2 resumes"]


def test_paths_split_over_processes_give_the_same_numbers() -> None:
    """The engine may let a chunk's DES fork (sim.parallel.nested_processes): each path keeps its
    own seed, so the split changes nothing, to the bit."""
    from sim.ops.des_paths import MIN_PATHS_PER_PROCESS, simulate_des
    from sim.parallel import nested_processes
    from sim.scenario import Scenario

    n = 2 * MIN_PATHS_PER_PROCESS + 3
    fi = _busy(n)
    sc = Scenario(7, range(0, 1), n, fi.months)
    alone = simulate_des(fi, "t.ops", sc)
    with nested_processes(3):  # 2 processes: 131 paths hold two lots of 64
        split = simulate_des(fi, "t.ops", sc)
    assert np.array_equal(alone.rows, split.rows)
    assert alone.events == split.events > 100 * n
