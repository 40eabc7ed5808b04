"""Cost lines are named where they are priced: under every kind of stress shock each option's lines
add up to its total, and each line carries the cost its pricer gave it."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import sim
from sim.stress import apply_scenario
from tests.conftest import to_toml

DAYS = 30


def _doc(*shocks: dict) -> dict:
    return {
        "experiment": {"name": "lines", "horizon_months": 6, "paths": 300, "seed": 4, "days_per_month": DAYS},
        "workload": {"input_tokens_per_day": "4M to 6M", "output_tokens_per_day": "1M"},
        "market": {"gpu": {"process": "mean_reverting", "start": "2 to 3", "long_run": 2.2, "half_life_months": 9,
                           "volatility": 0.2}},
        "options": [
            {"name": "api", "kind": "api", "input_per_million": 2.5, "output_per_million": 10.0,
             "cached_input_per_million": 1.25, "cached_input_share": 0.0},
            {"name": "self", "kind": "self_hosted", "costs": [
                {"item": "GPUs", "category": "gpu", "gpus": 2, "hourly_price": "market.gpu"},
                {"item": "standby", "share_of": "GPUs", "share": 0.5},
                {"item": "ops", "monthly": "300 to 600"}]},
        ],
        "scenarios": [{"name": "s", "shocks": list(shocks)}],
    }


def _full(doc: dict) -> sim.Study:
    """The scenario's experiment run in full (a report keeps only its totals)."""
    exp = sim.parse_experiment(doc)
    return sim.run(apply_scenario(exp, exp.scenarios[0]))


SHOCKS = {
    "set a fixed-zero cached share": {"target": "options[0].cached_input_share", "set": 0.4},
    "multiply an input": {"target": "options[1].costs[2].monthly", "multiply": 2.0},
    "a market process": {"target": "market.gpu", "multiply": 1.8, "from_month": 2, "months": 3},
    "traffic": {"target": "workload.tokens", "multiply": 3.0, "from_month": 4},
    "API prices": {"target": "options[0].prices", "multiply": 0.5, "from_month": 3},
    "an added line": {"add_line": "contractor", "option": "self", "monthly": 25000, "from_month": 2, "months": 2},
}


@pytest.mark.parametrize("kind", list(SHOCKS))
def test_lines_add_up_to_the_total_under_every_shock(kind: str) -> None:
    study = _full(_doc(SHOCKS[kind]))
    for opt in study.options:
        lines = np.sum([ln.totals for ln in opt.lines], axis=0)
        np.testing.assert_allclose(lines, opt.totals, rtol=1e-12, err_msg=f"{kind}: {opt.name}")
        by_month = np.sum([ln.mean_by_month for ln in opt.lines], axis=0)
        np.testing.assert_allclose(by_month.sum(), opt.totals.mean(), rtol=1e-9)


def test_the_cached_input_line_is_labelled_by_its_pricer() -> None:
    """The shock that set a fixed-zero cached share once labelled the cached cost "output tokens"
    and dropped the output line (lines summed to $843.75 against a total of $1,743.75)."""
    study = _full(_doc(SHOCKS["set a fixed-zero cached share"]))
    api = study.option("api")
    lines = {ln.item: ln for ln in api.lines}
    assert list(lines) == ["input tokens", "cached input tokens", "output tokens"]
    tokens_in = study.inputs["workload.input_tokens_per_day"] * DAYS * 6
    np.testing.assert_allclose(lines["cached input tokens"].totals, tokens_in * 0.4 * 1.25 / 1e6, rtol=1e-9)
    np.testing.assert_allclose(lines["input tokens"].totals, tokens_in * 0.6 * 2.5 / 1e6, rtol=1e-9)
    np.testing.assert_allclose(lines["output tokens"].totals, 1e6 * DAYS * 6 * 10.0 / 1e6, rtol=1e-12)
    base = sim.run(sim.parse_experiment(_doc(SHOCKS["set a fixed-zero cached share"])))
    assert [ln.item for ln in base.option("api").lines] == ["input tokens", "output tokens"]


def test_categories_come_from_the_pricer() -> None:
    doc = copy.deepcopy(_doc(SHOCKS["multiply an input"]))
    study = sim.run(sim.parse_experiment(doc))
    assert [(ln.item, ln.category) for ln in study.option("self").lines] == [
        ("GPUs", "gpu"), ("standby", "other"), ("ops", "other")]
    gpu = next(ln for ln in study.option("self").lines if ln.item == "GPUs")
    np.testing.assert_array_equal(study.option("self").gpu_totals, gpu.totals)


def test_a_cached_share_shock_needs_a_cached_price(tmp_path) -> None:
    from sim.cli import main

    doc = _doc(SHOCKS["set a fixed-zero cached share"])
    del doc["options"][0]["cached_input_per_million"]
    f = tmp_path / "e.toml"
    f.write_text(to_toml(doc))
    assert main(["validate", str(f)]) == 2


def test_a_line_set_refuses_a_second_line_of_the_same_name() -> None:
    from sim.pricing import LineSet

    lines = LineSet()
    lines.add("x", "gpu", 1.0)
    with pytest.raises(ValueError, match="two cost lines are named 'x'"):
        lines.add("x", "other", 2.0)
    with pytest.raises(ValueError, match="unknown cost category 'gpus'"):
        lines.add("y", "gpus", 2.0)
