"""Operations as SRE practice knows it, by hand: bad changes (detection, answer, rollback,
follow-up), coverage in clock time (a Saturday 3 a.m. fault waits for Monday under business hours),
lost traffic weighted by the hour of day, follow-ups queued with upgrades, on-call costs and the
rotation rule, and the two engines agreeing where no queueing is involved."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from numpy.random import default_rng
from scipy import stats

import sim
from distributions import parse_distribution as spec
from sim.cli import main
from sim.loader import parse_experiment
from sim.ops.clock import Coverage, day_shape
from sim.ops.des_paths import simulate_des
from sim.ops.inputs import DOWNTIME, H_FOLLOWUP, H_INCIDENT, N_CHANGE_INCIDENTS, N_CHANGES
from sim.ops.scripted import ScriptedPath
from sim.ops.vectorized import simulate_vectorized
from sim.scenario import BLOCK_PATHS, Scenario
from tests.conftest import fleet_inputs, test_seed, to_toml

SATURDAY_3AM = 5 * 24 + 3.0
MONDAY_9AM = 168 + 9.0


def _path(**kw) -> tuple[ScriptedPath, list[tuple[float, str]]]:
    trace: list[tuple[float, str]] = []
    base = dict(diagnosis=spec(2), replacement=spec(5), maintenance_start=700.0)
    return ScriptedPath(fleet_inputs(**{**base, **kw}), 0, default_rng(0), trace=trace), trace


def test_a_bad_change_by_hand() -> None:
    """Live at hour 10 failing 50% of requests; detected 30 min later, answered at once, 1 h to
    diagnose and 0.5 h to roll back: 2 h at 50% = 1.0 full-outage hour; 1.5 engineer hours; the
    4 h follow-up is worked from the backlog."""
    path, trace = _path(detection=spec(30), diagnosis=spec(1), mitigation=spec(0.5), followup=spec(4))
    path.change_at(10.0, fails=True, impact=0.5)
    out = path.run()[:, 0]
    assert out[DOWNTIME] == pytest.approx(1.0, abs=1e-12)
    assert out[H_INCIDENT] == 1.5 and out[H_FOLLOWUP] == 4.0
    assert out[N_CHANGE_INCIDENTS] == 1 and out[N_CHANGES] == 2  # the scripted one and the month's patch
    events = [(t, e) for t, e in trace if t < 700]
    assert events == [(10.0, "bad change 1: live, failing 50% of requests"), (10.5, "bad change 1: detected"),
                      (10.5, "bad change 1: answered"), (10.5, "bad change 1: rollback starts"),
                      (12.0, "bad change 1: rollback ends"), (12.0, "bad change 1: rolled back"),
                      (12.0, "follow-up work: 4 h")]


@pytest.mark.parametrize("coverage,delay,downtime", [
    ("24x7", 0.0, 0.5 * (2 + 5)),  # half the capacity (one of two replicas) from 3 a.m. for 7 h
    ("business_hours", 0.0, 0.5 * (MONDAY_9AM - SATURDAY_3AM + 2 + 5)),  # waits until Monday 9 a.m.
    ("best_effort", 2.0, 0.5 * (MONDAY_9AM + 2 - SATURDAY_3AM + 2 + 5)),  # and is noticed 2 h into Monday
])
def test_a_saturday_night_fault_waits_for_the_coverage(coverage, delay, downtime) -> None:
    path, trace = _path(coverage=Coverage(coverage), best_effort_delay=spec(delay))
    path.fault_at(SATURDAY_3AM)
    out = path.run()[:, 0]
    assert out[DOWNTIME] == pytest.approx(downtime, abs=1e-9)
    answered = next(t for t, e in trace if e == "fault 1: answered")
    assert answered == pytest.approx(SATURDAY_3AM if coverage == "24x7" else MONDAY_9AM + delay)


def test_a_weekday_fault_in_working_hours_is_answered_at_once_under_business_hours() -> None:
    path, trace = _path(coverage=Coverage("business_hours"))
    path.fault_at(24 + 10.0)  # Tuesday 10 a.m.
    assert path.run()[DOWNTIME, 0] == pytest.approx(0.5 * 7)


def test_lost_traffic_follows_the_hour_of_day() -> None:
    """Traffic peaking at 2x the mean at 14:00 (a cosine): a one-hour outage at 3 a.m. loses the
    3-4 a.m. traffic, 1 + cos(2 pi (3.5 - 14) / 24) of a mean hour; at the peak 1 + cos(pi / 24)."""
    shapes = np.array([day_shape(2.0)])
    night, peak = 1 + math.cos(2 * math.pi * (3.5 - 14) / 24), 1 + math.cos(2 * math.pi * 0.5 / 24)
    for hour, expected in ((3.0, night), (14.0, peak)):
        path, _ = _path(shapes=shapes, required=np.full((1, 1), 3.0), load=np.full((1, 1), 1.0))
        path.outage_at(hour, 1.0)
        assert path.run()[DOWNTIME, 0] == pytest.approx(expected, rel=1e-12)
    # one of three replicas down all day at a mean load of one replica: the other two carry the
    # 2x peak, nothing is lost; two down: the traffic above one replica is
    path, _ = _path(shapes=shapes, required=np.full((1, 1), 3.0), load=np.full((1, 1), 1.0),
                    replacement=spec(22))
    path.fault_at(0.0)
    assert path.run()[DOWNTIME, 0] == pytest.approx(0.0, abs=1e-12)
    path, _ = _path(shapes=shapes, required=np.full((1, 1), 3.0), load=np.full((1, 1), 1.0), engineers=2,
                    replacement=spec(22))
    path.fault_at(0.0)
    path.fault_at(0.0)
    above_one = sum(max(0.0, math.cos(2 * math.pi * (h + 0.5 - 14) / 24)) for h in range(24))
    assert path.run()[DOWNTIME, 0] == pytest.approx(above_one, rel=1e-12)


def test_follow_ups_queue_behind_upgrade_work() -> None:
    """One engineer with a 16 h upgrade in the backlog: a bad change's follow-up waits its turn."""
    path, trace = _path(followup=spec(4), block_interval_hours=24.0)
    path.queue(16.0, upgrade=True)
    path.change_at(1.0, fails=True, impact=0.1)
    path.run()
    work = [(t, e) for t, e in trace if e.endswith(" h") and "work" in e]
    assert work == [(0.0, "upgrade work: 8 h"), (24.0, "upgrade work: 8 h"), (48.0, "follow-up work: 4 h")]


def _ops_doc(**ops) -> dict:
    return {"experiment": {"name": "oc", "horizon_months": 3, "paths": 50, "seed": 1, "ops": "vectorized",
                           "days_per_month": 30},
            "workload": {"input_tokens_per_day": "10M", "output_tokens_per_day": "2M"},
            "options": [{"name": "api", "kind": "api", "input_per_million": 1, "output_per_million": 1},
                        {"name": "self", "kind": "self_hosted",
                         "costs": [{"item": "GPUs", "category": "gpu", "gpus": 2, "hourly_price": 2.0}],
                         "ops": {"replicas": 1, "gpus_per_replica": 2, "engineer_annual_cost": 240_000,
                                 "rotation_share": 0.25, "on_call_stipend": 500, **ops}}]}


def test_on_call_costs_by_hand() -> None:
    """24x7 at one site: 8 engineers x $20,000 a month x 25% = $40,000; a primary and a secondary
    paid $500 a week each: 2 x 720/168 x 500 = $4,285.71 a month."""
    res = sim.run(parse_experiment(_ops_doc())).result
    lines = {ln.item: ln.mean_by_month[0] for ln in res.option("self").lines}
    assert lines["On-call rotation"] == pytest.approx(40_000)
    assert lines["On-call stipends"] == pytest.approx(2 * 720 / 168 * 500, rel=1e-6)
    assert np.all(res.option("self").metrics["on_call_share"] == pytest.approx(0.25))
    two_sites = sim.run(parse_experiment(_ops_doc(sites=2))).result
    lines = {ln.item: ln.mean_by_month[0] for ln in two_sites.option("self").lines}
    assert lines["On-call rotation"] == pytest.approx(12 * 20_000 * 0.25)  # 6 per site
    business = sim.run(parse_experiment(_ops_doc(coverage="business_hours"))).result
    items = {ln.item for ln in business.option("self").lines}
    assert "On-call stipends" not in items and "On-call rotation" in items
    vendor = sim.run(parse_experiment(_ops_doc(coverage_by="vendor", vendor_fee=7000))).result
    lines = {ln.item: ln.mean_by_month[0] for ln in vendor.option("self").lines}
    assert lines["On-call vendor"] == 7000 and "On-call rotation" not in lines


def test_a_rotation_below_the_rule_is_reported_as_a_risk(tmp_path: Path, capsys) -> None:
    f = tmp_path / "oc.toml"
    f.write_text(to_toml(_ops_doc(rotation=3)))
    assert main(["run", str(f), "--out", str(tmp_path / "r")]) == 0
    note = ("3 engineers on a 24x7 rotation (1 site) is below the minimum of 8: each is on call 67% of the time "
            "(SRE book ceiling 25%), a burnout risk")
    assert note in capsys.readouterr().out
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert note in md and "## Operations" in md and "What triggers the incidents" in md


def _scenario(n: int, months: int) -> Scenario:
    return Scenario(test_seed(21), range(0, math.ceil(n / BLOCK_PATHS)), n, months)


@pytest.mark.slow
def test_the_engines_agree_on_changes_and_coverage_without_queueing() -> None:
    """Ample engineers, business-hours coverage, changes and faults: the month's lost traffic and
    incidents have the same distribution in both engines (KS). Incidents rarely overlap here; where
    they do the twin adds their losses (an upper bound) while the DES combines them."""
    n, months = 3000, 6
    fi = fleet_inputs(n, months, required=np.full((months, n), 3.0), spare=0, engineers=50,
                      coverage=Coverage("business_hours"), change_rate=np.full(n, 10 / (730 * 40 / 168)),
                      change_failure=np.full(n, 0.05), failure_rate=np.full(n, 0.5 / 8760),
                      detection=spec("5 to 30"), change_impact=spec("20% to 100%"), response=spec("0.1 to 0.3"),
                      diagnosis=spec("0.5 to 3"), mitigation=spec("0.25 to 1.5"), replacement=spec("4 to 48"),
                      followup=spec("2 to 6"))
    des = simulate_des(fi, "t.ops", _scenario(n, months))
    vec = simulate_vectorized(fi, "t.ops", _scenario(n, months))
    for row in (DOWNTIME, N_CHANGE_INCIDENTS, N_CHANGES):
        assert stats.ks_2samp(des[row][3], vec[row][3]).pvalue > 1e-3, row
