"""Exact traces of the SimPy fleet model (as SimPy's own tests do): scripted faults with fixed
durations, and the downtime, engineer hours and event order computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.random import default_rng

from distributions import parse_distribution as spec
from sim.ops.inputs import DOWNTIME, H_INCIDENT, N_FAULTS, FleetInputs
from sim.ops.scripted import ScriptedPath
from tests.conftest import fleet_inputs


def _fleet(spare: int, engineers: int) -> FleetInputs:
    """Two serving replicas; no random events; diagnosis 2 h, replacement 5 h, failover 15 min;
    pages answered at once; the monthly patching window (zero length) at hour 100, after the
    scripted faults."""
    return fleet_inputs(spare=spare, engineers=engineers, diagnosis=spec(2), replacement=spec(5),
                        failover=spec(15), maintenance_start=100.0)


def _replay(spare: int, engineers: int, *faults: float) -> tuple[np.ndarray, list[tuple[float, str]]]:
    trace: list[tuple[float, str]] = []
    path = ScriptedPath(_fleet(spare, engineers), 0, default_rng(0), trace=trace)
    for hour in faults:
        path.fault_at(hour)
    out = path.run()[:, 0]
    return out, [(float(t), e) for t, e in trace if t < 100 and not e.endswith("answered")]


def test_two_faults_one_engineer_no_spare() -> None:
    out, trace = _replay(0, 1, 10, 11)
    # [10, 11): one of two replicas down (half the capacity) = 0.5 h; [11, 17): both down = 6 h;
    # [17, 19): fault 2's replica still out = 1 h. Fault 2 waits an hour for the engineer.
    assert out[DOWNTIME] == pytest.approx(7.5, abs=1e-12)
    assert out[H_INCIDENT] == 4.0  # engineer hours on incidents: two diagnoses of 2 h
    assert out[N_FAULTS] == 2  # incidents
    assert trace == [(10, "fault 1: replica down"), (10, "fault 1: diagnosis starts"),
                     (11, "fault 2: replica down"), (12, "fault 1: diagnosis ends"),
                     (12, "fault 2: diagnosis starts"), (14, "fault 2: diagnosis ends"),
                     (17, "fault 1: replica replaced"), (19, "fault 2: replica replaced")]


def test_two_engineers_diagnose_at_once() -> None:
    out, trace = _replay(0, 2, 10, 11)
    # [10, 11): 0.5 h; [11, 17): 6 h; [17, 18): 0.5 h (fault 2 was diagnosed at once: replaced at 18)
    assert out[DOWNTIME] == pytest.approx(7.0, abs=1e-12)
    assert out[H_INCIDENT] == 4.0
    assert [e for _, e in trace] == ["fault 1: replica down", "fault 1: diagnosis starts", "fault 2: replica down",
                                    "fault 2: diagnosis starts", "fault 1: diagnosis ends", "fault 2: diagnosis ends",
                                    "fault 1: replica replaced", "fault 2: replica replaced"]
    assert [t for t, _ in trace] == [10, 10, 11, 11, 12, 13, 17, 18]


def test_a_spare_takes_over_once() -> None:
    out, trace = _replay(1, 1, 10, 11)
    # fault 1: the spare takes over after 15 min (0.25 h at half capacity = 0.125 h); fault 2: no
    # spare left, half the capacity is lost until fault 1's replica is back at 17 (3 h)
    assert out[DOWNTIME] == pytest.approx(0.125 + 3.0, abs=1e-12)
    assert (10.25, "fault 1: spare took over") in trace
    assert not any("fault 2: spare" in e for _, e in trace)


def test_one_fault_with_a_spare_costs_only_the_failover() -> None:
    out, _ = _replay(1, 1, 10)
    assert out[DOWNTIME] == pytest.approx(0.125, abs=1e-12)
    assert out[H_INCIDENT] == 2.0


def test_queueing_is_what_the_vectorised_twin_leaves_out() -> None:
    """Without queueing the twin's sum of independent outages is exact (two engineers: 7.0 h);
    one engineer makes fault 2 wait an hour: 0.5 h more downtime in the DES alone."""
    independent = 2 * 0.5 * (2 + 5)  # each fault: half the capacity for diagnosis + replacement
    assert _replay(0, 2, 10, 11)[0][DOWNTIME] == pytest.approx(independent)
    assert _replay(0, 1, 10, 11)[0][DOWNTIME] - independent == pytest.approx(0.5)
