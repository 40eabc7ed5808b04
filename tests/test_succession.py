"""Model succession by hand: an API option moves to a cheaper model when it arrives (evaluation
traffic while both run, a one-off migration), successors in order, the capability-price trend,
a self-hosted fleet taking a faster open model; the report's table; bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.config import CAPABILITY_PRICE_FALL
from sim.loader import parse_experiment
from tests.conftest import to_toml


def _doc(months: int = 8, **api) -> dict:
    return {"experiment": {"name": "succ", "horizon_months": months, "paths": 40, "seed": 2, "days_per_month": 30},
            "workload": {"input_tokens_per_day": "1M", "output_tokens_per_day": "1M"},
            "options": [{"name": "api", "kind": "api", "input_per_million": 10.0, "output_per_million": 10.0,
                         **api}]}


NEW = {"name": "new", "input_per_million": 2.0, "output_per_million": 2.0, "arrives": 4, "migration_cost": 10_000,
       "evaluation_months": 1, "evaluation_share": 0.5}


def test_a_successor_by_hand() -> None:
    """60M tokens a month: $600 at $10, $120 at $2. Month 4 evaluates (old prices on all traffic, the
    newcomer on half: $60 more) and pays the $10,000 migration; from month 5 the newcomer serves."""
    res = sim.run(parse_experiment(_doc(successors=[NEW]))).result
    opt = res.option("api")
    lines = {line.item: line.mean_by_month for line in opt.lines}
    tokens = np.array([600.0, 600, 600, 600, 120, 120, 120, 120])
    np.testing.assert_allclose(lines["input tokens"] + lines["output tokens"], tokens, rtol=1e-6)
    np.testing.assert_allclose(lines["Evaluation traffic"], [0, 0, 0, 60, 0, 0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(lines["Migration to new"], [0, 0, 0, 10_000, 0, 0, 0, 0])
    assert np.all(opt.metrics["model_generation"] == np.array([0, 0, 0, 0, 1, 1, 1, 1])[:, None])


def test_successors_wait_for_each_other_and_a_late_one_never_comes() -> None:
    second = {"name": "newer", "input_per_million": 1.0, "output_per_million": 1.0, "arrives": 2,
              "evaluation_months": 0}
    never = {"name": "never", "input_per_million": 0.1, "output_per_million": 0.1, "arrives": 50,
             "migration_cost": 99_999}
    res = sim.run(parse_experiment(_doc(successors=[NEW, second, never]))).result
    gen = res.option("api").metrics["model_generation"][:, 0]
    # "newer" arrives in month 2 but is taken up only once "new" serves (month 5), with no evaluation
    np.testing.assert_array_equal(gen, [0, 0, 0, 0, 2, 2, 2, 2])
    lines = {line.item: line.totals for line in res.option("api").lines}
    assert np.all(lines["Migration to never"] == 0)
    study = sim.run(parse_experiment(_doc(successors=[NEW, second, never])))
    table = study.succession().set_index("successor")
    assert table.loc["new", "share_of_paths"] == 1.0 and table.loc["new", "month_p50"] == 5
    assert table.loc["newer", "month_p50"] == 5 and table.loc["never", "share_of_paths"] == 0.0


def test_an_uncertain_arrival_switches_on_the_share_of_paths_it_falls_within_the_horizon() -> None:
    """Arrival uniform on 1..16 months, horizon 8: the switch happens on about half the paths."""
    doc = _doc(successors=[{**NEW, "arrives": {"dist": "uniform", "low": 0.5, "high": 16.5},
                            "evaluation_months": 0}])
    doc["experiment"]["paths"] = 4000
    table = sim.run(parse_experiment(doc)).succession()
    share = float(table.share_of_paths.iloc[0])
    assert abs(share - 8 / 16) < 4 * (0.25 / 4000) ** 0.5


def test_the_capability_price_trend_is_the_published_decline() -> None:
    doc = _doc(months=13, price_trend="capability")
    doc["experiment"]["paths"] = 4000
    res = sim.run(parse_experiment(doc)).result
    fall = res.inputs["options[0].capability_price_fall"]
    assert np.quantile(fall, 0.05) == pytest.approx(9, rel=0.05)
    assert np.quantile(fall, 0.95) == pytest.approx(40, rel=0.05)
    by_month = res.option("api").by_month.astype(float)
    np.testing.assert_allclose(by_month[12] / by_month[0], 1 / fall, rtol=1e-4)  # a year on: 9x to 40x cheaper
    np.testing.assert_allclose(by_month[6] / by_month[0], fall ** -0.5, rtol=1e-4)  # half a year: the square root
    assert CAPABILITY_PRICE_FALL == "9 to 40"


def test_capability_trend_and_successors_do_not_mix() -> None:
    with pytest.raises(sim.ExperimentError, match='price_trend = "capability" already moves to cheaper models'):
        parse_experiment(_doc(price_trend="capability", successors=[NEW]), "x.toml")


def test_a_successor_from_the_catalog_with_fallback_prices() -> None:
    doc = _doc(cached_input_share=0.5, cached_input_per_million=1.0,
               successors=[{"name": "llama", "catalog": "deepinfra/llama-3.3-70b", "arrives": 1}])
    res = sim.run(parse_experiment(doc)).result
    lines = {line.item: float(line.mean_by_month[2]) for line in res.option("api").lines}
    # DeepInfra lists no cache price: cached input pays its input price ($0.13)
    assert lines["cached input tokens"] == pytest.approx(30 * 0.5 * 0.13)
    assert lines["input tokens"] == pytest.approx(30 * 0.5 * 0.13)
    assert lines["output tokens"] == pytest.approx(30 * 0.39)


def _fleet_doc() -> dict:
    return {"experiment": {"name": "up", "horizon_months": 6, "paths": 20, "seed": 3, "days_per_month": 30},
            "workload": {"input_tokens_per_day": "200M", "output_tokens_per_day": "40M"},
            "options": [{"name": "api", "kind": "api", "input_per_million": 1, "output_per_million": 1},
                        {"name": "self", "kind": "self_hosted",
                         "fleet": {"model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": 4, "prompt_tokens": 1000,
                                   "server_speedup": 1.0, "peak_to_average": 2.0, "burst_factor": 1.0,
                                   "successors": [{"name": "faster", "arrives": 3, "throughput_change": 1.0,
                                                   "migration_cost": 5000}]},
                         "costs": [{"item": "GPUs", "category": "gpu", "monthly": 8000}]}]}


def test_a_faster_open_model_halves_the_load_from_its_month() -> None:
    res = sim.run(parse_experiment(_fleet_doc())).result
    opt = res.option("self")
    util = opt.metrics["utilization"][:, 0].astype(float)
    np.testing.assert_allclose(util[2:], util[:2].mean() / 2, rtol=1e-5)  # twice the throughput per replica
    lines = {line.item: line.mean_by_month for line in opt.lines}
    np.testing.assert_allclose(lines["Migration to faster"], [0, 0, 5000, 0, 0, 0])


def test_the_report_shows_the_migrations(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(to_toml(_doc(successors=[NEW])))
    assert main(["run", str(f), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "## Model succession" in md and "| api | new | 100% | 5 (5–5) | $10,000 | $60.00 |" in md


@pytest.mark.parametrize("change,message", [
    ({"catalog": "nobody/nothing"}, 'options[0].successors[0].catalog: "nobody/nothing" is not in the price catalog'),
    ({"input_per_million": None}, "options[0].successors[0].input_per_million: required"),
    ({"name": "api"}, "options[0].successors: the option and its successors' names"),
    ({"arrives": 0}, "options[0].successors[0].arrives"),
    ({"evaluation_months": 99}, "options[0].successors[0].evaluation_months"),
])
def test_bad_successors_exit_2_naming_the_field(change, message, tmp_path: Path, capsys) -> None:
    succ = {k: v for k, v in {**NEW, **change}.items() if v is not None}
    f = tmp_path / "bad.toml"
    f.write_text(to_toml(_doc(successors=[succ])))
    assert main(["run", str(f), "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
