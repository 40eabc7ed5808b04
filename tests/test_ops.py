"""Operations: DES vs vectorised twin (agreement with ample engineers, contention with one),
exact downtime on a deterministic schedule, determinism, API incidents, bad input."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import sim
from distributions import parse_distribution as spec
from sim.cli import main
from sim.loader import parse_experiment
from sim.ops.des_paths import simulate_des
from sim.ops.inputs import DOWNTIME, H_INCIDENT, H_PATCHING, H_UPGRADE, N_FAULTS, N_OUTAGES, ROWS, FleetInputs
from sim.ops.vectorized import simulate_vectorized
from sim.scenario import BLOCK_PATHS, Scenario
from tests.conftest import fleet_inputs, test_seed, to_toml

H = 730.0


def _fleet(n: int, months: int, **kw) -> FleetInputs:
    base = dict(required=np.full((months, n), 4.0), spare=1, gpus_per_replica=2,
                failure_rate=np.full(n, 0.5 / 8760), outage_rate=np.full(n, 2.0 / 8760),
                upgrade_rate=np.full(n, 2.5 / 8760), engineers=20, block_interval_hours=33.6,
                hours_per_month=H, diagnosis=spec("0.5 to 4"), replacement=spec("4 to 48"),
                failover=spec("2 to 15"), outage=spec("0.5 to 6"), maintenance=spec("2 to 6"),
                restart=spec("5 to 20"), upgrade_weeks=spec("2 to 4"), hours_per_week=40.0)
    base.update(kw)
    return fleet_inputs(n, months, **base)


def _scenario(n: int, months: int, seed: int = 11) -> Scenario:
    return Scenario(test_seed(seed), range(0, math.ceil(n / BLOCK_PATHS)), n, months)


@pytest.mark.slow
def test_des_and_vectorized_agree_with_ample_engineers() -> None:
    n, months = 3000, 12
    fi = _fleet(n, months)
    des = simulate_des(fi, "t.ops", _scenario(n, months))
    vec = simulate_vectorized(fi, "t.ops", _scenario(n, months))
    assert des.events > 0
    for row in (DOWNTIME, H_INCIDENT, H_PATCHING, H_UPGRADE):
        a, b = des[row][6], vec[row][6]  # month 7, across paths
        assert stats.ks_2samp(a, b).pvalue > 1e-3, row
    engineer = lambda o: (o[H_INCIDENT] + o[H_PATCHING] + o[H_UPGRADE])[6]  # noqa: E731
    assert stats.ks_2samp(engineer(des), engineer(vec)).pvalue > 1e-3


@pytest.mark.slow
def test_one_part_time_engineer_means_longer_downtime_in_des_only() -> None:
    n, months = 1500, 12
    busy = dict(spare=0, engineers=1, hours_per_week=20.0, block_interval_hours=8 * 168 / 20,
                failure_rate=np.full(n, 2.0 / 8760), upgrade_rate=np.full(n, 12 / 8760),
                diagnosis=spec("0.5 to 2"), replacement=spec("1 to 4"), outage_rate=np.zeros(n))
    fi = _fleet(n, months, **busy)
    ample = _fleet(n, months, **{**busy, "engineers": 20, "hours_per_week": 40.0, "block_interval_hours": 33.6})
    des = simulate_des(fi, "t.ops", _scenario(n, months))[DOWNTIME].sum(axis=0)
    vec = simulate_vectorized(fi, "t.ops", _scenario(n, months))[DOWNTIME].sum(axis=0)
    des_ample = simulate_des(ample, "t.ops", _scenario(n, months))[DOWNTIME].sum(axis=0)
    se = math.sqrt(des.var() / n + vec.var() / n)
    assert des.mean() - vec.mean() > 4.5 * se  # strictly longer: incidents wait for the engineer
    assert des.mean() - des_ample.mean() > 4.5 * math.sqrt(des.var() / n + des_ample.var() / n)


def test_deterministic_schedule_gives_exact_downtime() -> None:
    n, months = 3, 12
    quiet = dict(spare=0, failure_rate=np.zeros(n), outage_rate=np.zeros(n), upgrade_rate=np.zeros(n),
                 restart=spec(30), maintenance=spec(2), maintenance_start=24.0, required=np.full((months, n), 2.0))
    fi = _fleet(n, months, **quiet)
    for engine in (simulate_des, simulate_vectorized):
        out = engine(fi, "t.ops", _scenario(n, months))
        # each month: 2 replicas restart 30 min each, one at a time: half the capacity for 1 hour
        assert np.array_equal(out[DOWNTIME], np.full((months, n), 0.5)), engine.__name__
        assert np.array_equal(out[H_PATCHING], np.full((months, n), 2.0))
        assert np.array_equal(out[N_FAULTS] + out[N_OUTAGES], np.zeros((months, n)))


def _ops_doc(engine: str = "des", **ops) -> dict:
    return {
        "experiment": {"name": "ops", "horizon_months": 6, "paths": 300, "seed": test_seed(8), "ops": engine,
                       "days_per_month": 30},
        "workload": {"input_tokens_per_day": "50M to 80M", "output_tokens_per_day": "10M to 16M"},
        "options": [
            {"name": "api", "kind": "api", "input_per_million": 0.9, "output_per_million": 0.9,
             "ops": {"fallback": "backup"}},
            {"name": "backup", "kind": "api", "input_per_million": 2.5, "output_per_million": 10.0},
            {"name": "self", "kind": "self_hosted",
             "costs": [{"item": "GPUs", "category": "gpu", "gpus": 4, "hourly_price": 2.5}],
             "ops": {"replicas": 2, "spare_replicas": 0, "gpus_per_replica": 2, "engineers": 1,
                     "fallback": "api", "sla_penalty": 1000, **ops}},
        ],
    }


def test_ops_are_deterministic_across_chunks_and_workers() -> None:
    exp = parse_experiment(_ops_doc())
    a = sim.run(exp, paths=8192 + 50, chunk_paths=8192)
    b = sim.run(exp, paths=8192 + 50, chunk_paths=2 * 8192, workers=2)
    for x, y in zip(a.options, b.options, strict=True):
        assert np.array_equal(x.totals, y.totals)
        for k in x.metrics:
            assert np.array_equal(x.metrics[k], y.metrics[k]), (x.name, k)
    assert a.result.ops_events == b.result.ops_events > 0


def test_ops_lines_metrics_and_fallback_pricing() -> None:
    doc = _ops_doc("vectorized")
    doc["workload"] = {"input_tokens_per_day": "60M", "output_tokens_per_day": "12M"}  # a fixed 5:1 mix
    doc["options"][0]["ops"].update(incidents_per_month=4, incident_hours=2.0, incident_impact=0.5)
    res = sim.run(parse_experiment(doc))
    api = res.option("api")
    down = api.metrics["downtime_hours"].astype(np.float64)
    np.testing.assert_allclose(down % 1.0, 0.0, atol=1e-6)  # Poisson count x 2 h x 50%
    assert abs(down.mean() - 4.0) < 4.5 * down.std() / math.sqrt(down.size)
    fallback = next(ln for ln in api.lines if ln.item == "Fallback to backup")
    share = down / (24 * 30)
    tokens = 72e6 * 30  # a month of the fixed workload (no growth by default); the run keeps no
    assert res.result.tokens is None  # monthly token array without a checked fleet
    expected = (share * tokens * (5 / 6 * 2.5 + 1 / 6 * 10.0) / 1e6).sum(axis=0)
    np.testing.assert_allclose(fallback.totals, expected, rtol=1e-4)
    np.testing.assert_allclose(api.metrics["availability"], 1 - share, rtol=1e-6)
    self_ = res.option("self")
    assert {"downtime_hours", "availability", "engineer_hours", "incidents", "sla_breach"} <= set(self_.metrics)
    items = [ln.item for ln in self_.lines]
    assert items[-9:] == ["Engineer time: incidents", "Engineer time: changes", "Engineer time: follow-up",
                          "Engineer time: patching", "Engineer time: upgrades", "On-call rotation",
                          "On-call stipends", "Fallback to api", "SLA penalties"]
    penalties = next(ln for ln in self_.lines if ln.item == "SLA penalties").totals
    np.testing.assert_allclose(penalties, 1000 * self_.metrics["sla_breach"].sum(axis=0), rtol=1e-6)
    bands = res.percentiles()
    assert {"availability", "sla_breach", "engineer_hours"} <= set(bands[bands.option == "self"].metric)


def test_api_defaults_match_status_page_availability() -> None:
    doc = _ops_doc("vectorized")
    res = sim.run(parse_experiment(doc), paths=4000)
    avail = res.option("api").metrics["availability"].astype(np.float64)
    # calibrated to ~99.48-99.69% monthly availability (OpenAI, Anthropic status pages, 2023-24)
    assert 0.9940 < avail.mean() < 0.9975


def test_cli_ops_override_and_report(tmp_path: Path) -> None:
    f = tmp_path / "ops.toml"
    f.write_text(to_toml(_ops_doc("vectorized")))
    assert main(["run", str(f), "--out", str(tmp_path / "r"), "--ops", "des", "--paths", "50", "--quiet"]) == 0
    md = (tmp_path / "r" / "report.md").read_text()
    assert "## Operations" in md and "discrete-event (SimPy" in md
    assert (tmp_path / "r" / "charts" / "availability.png").exists()
    assert (tmp_path / "r" / "charts" / "engineer_hours.png").exists()


BAD = [
    (("gpu_failures_per_year",), -0.1, "options[2].ops.gpu_failures_per_year: must be >= 0, got -0.1"),
    (("engineers",), 0, "options[2].ops.engineers: zero engineers, but GPU faults, patching, upgrades need one"),
    (("fallback",), "nobody", 'options[2].ops.fallback: "nobody" names no other API option'),
    (("replicas",), None, "options[2].ops.replicas: required without a capacity model"),
    (("outage_hours",), "5 to 1", 'options[2].ops.outage_hours: "5 to 1": upper bound must exceed lower'),
    (("enginers",), 2, 'options[2].ops.enginers: unknown key (did you mean "engineers"?)'),
]


@pytest.mark.parametrize("field,value,message", BAD, ids=[b[0][0] for b in BAD])
def test_bad_ops_input_exits_2(field, value, message, tmp_path: Path, capsys) -> None:
    doc = copy.deepcopy(_ops_doc())
    if value is None:
        del doc["options"][2]["ops"][field[0]]
    else:
        doc["options"][2]["ops"][field[0]] = value
    f = tmp_path / "bad.toml"
    f.write_text(to_toml(doc))
    assert main(["run", str(f), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{f}: {message}" in err, err
    assert not (tmp_path / "out").exists()


def test_month_boundaries_with_an_inexact_month_length() -> None:
    # 30.4167-day months: H = 730.0008, where t // H can round down exactly at a boundary
    from numpy.random import default_rng

    from sim.ops.des import FleetPath

    hours = 30.4167 * 24
    fi = _fleet(1, 3, hours_per_month=hours, maintenance_start=0.0)
    path = FleetPath(fi, 0, default_rng(0))
    for m in range(3):
        assert path.month(m * hours) == m
        assert path.month(np.nextafter((m + 1) * hours, 0)) == m
    assert path.run().shape == (ROWS, 3)  # terminates


def test_operations_inputs_are_shared_through_market(tmp_path) -> None:  # noqa: ANN001
    """Two fleets naming one [market] salary and change failure rate read the same draw on each
    path: the input appears once, by its name, and the per-option copies are gone."""
    from pathlib import Path

    import sim

    text = Path("experiments/ops_single_engineer.toml").read_text()
    text = text.replace("[market]\n", '[market]\neng = "180k to 280k"\ncfr = "5% to 15%"\n', 1)
    head, *fleets = text.split('kind = "self_hosted"')
    shared = '  [options.ops]\n  engineer_annual_cost = "market.eng"\n  change_failure_rate = "market.cfr"'
    text = head + "".join('kind = "self_hosted"' + f.replace("  [options.ops]", shared, 1) for f in fleets)
    (tmp_path / "shared.toml").write_text(text)
    inputs = sim.run(sim.load_experiment(tmp_path / "shared.toml"), paths=200, seed=5).result.inputs
    assert {"market.eng", "market.cfr"} <= set(inputs)
    assert not [k for k in inputs if k.endswith((".ops.engineer_annual_cost", ".ops.change_failure_rate"))]
