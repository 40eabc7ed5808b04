"""Hand-computable oracles for the decision analytics: each test fails if its formula is bent
(ties counted twice, a claim's tolerance ignored, > turned into >=, the mean month used for the
worst, CVaR over the whole sample, the GPU lead time ignored, the swing's deciles widened)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import sim
from sim.analysis.cheapest import prob_cheapest
from sim.analysis.claims import check_claims
from sim.analysis.quantiles import tail_mean
from sim.analysis.risk import budget_risk, safe_budgets
from sim.analysis.sensitivity import sensitivity
from sim.loader import parse_experiment
from sim.result import OptionResult, Result
from tests.conftest import fixed_doc, test_seed


def _record(totals: dict[str, list[float]], inputs: dict[str, np.ndarray] | None = None) -> Result:
    """A Result holding only per-path totals (what the analyses below read)."""
    exp = parse_experiment(fixed_doc())
    options = [OptionResult(name, "api", None, np.asarray(t, dtype=float), []) for name, t in totals.items()]
    return Result(exp, len(next(iter(totals.values()))), 0, options, inputs or {})


def test_ties_for_cheapest_are_split_not_counted_twice() -> None:
    # path 0: a and b tie; path 1: a and c tie; path 2: b alone; path 3: all three tie
    res = _record({"a": [1, 2, 3, 4], "b": [1, 3, 2, 4], "c": [2, 2, 3, 4]})
    p = prob_cheapest(res)
    assert p["a"][0] == pytest.approx((1 / 2 + 1 / 2 + 0 + 1 / 3) / 4)
    assert p["b"][0] == pytest.approx((1 / 2 + 0 + 1 + 1 / 3) / 4)
    assert p["c"][0] == pytest.approx((0 + 1 / 2 + 0 + 1 / 3) / 4)
    assert sum(v for v, _ in p.values()) == pytest.approx(1.0)


def test_a_claim_is_judged_by_its_own_tolerance() -> None:
    doc = fixed_doc(months=3)  # the API costs 5M x $2.5 + 1M x $10 = $22.50 a day, $675 a month
    doc["claims"] = [{"option": "api", "metric": "monthly_cost", "value": 742.5, "tolerance": 0.2},
                     {"option": "api", "metric": "monthly_cost", "value": 742.5},
                     {"option": "api", "metric": "monthly_cost", "value": 680.0, "tolerance": 0.005}]
    checks = check_claims(sim.run(parse_experiment(doc), paths=10).result)
    assert [c.diff for c in checks] == pytest.approx([0.1, 0.1, 5 / 675])
    assert [c.supported for c in checks] == [True, False, False]


@pytest.mark.parametrize("budget,months_over", [(13275.0, 0), (13274.99, 6)])
def test_a_month_exactly_at_the_budget_is_not_over_it(budget: float, months_over: int) -> None:
    doc = fixed_doc(months=6)  # self-hosted: exactly $13,275 every month
    doc["budget"] = {"monthly": budget, "total": budget * 6}
    res = sim.run(parse_experiment(doc), paths=10).result
    opt = res.option("self")
    assert np.all(opt.months_over_budget == months_over)
    risk = budget_risk(res, opt)
    assert risk["p_any_month_over_budget"] == (1.0 if months_over else 0.0)
    assert risk["p_total_over_budget"] == (1.0 if months_over else 0.0)


def _levels_doc(weights: list[float]) -> dict:
    """One API option at $1 per million input tokens, 30-day months, +10% a month: a path at v
    tokens a day costs 30v, 33v, 36.3v (in $ per million tokens a day) in months 1-3."""
    return {
        "experiment": {"name": "levels", "horizon_months": 3, "paths": 4000, "seed": test_seed(17),
                       "days_per_month": 30},
        "workload": {"input_tokens_per_day": {"dist": "empirical", "values": ["1M", "2M", "3M", "4M"],
                                              "weights": weights},
                     "output_tokens_per_day": 0, "monthly_growth": 0.1},
        "options": [{"name": "api", "kind": "api", "input_per_million": 1.0, "output_per_million": 1.0}],
    }


def test_the_safe_monthly_budget_is_read_from_each_path_s_worst_month() -> None:
    res = sim.run(parse_experiment(_levels_doc([0.25, 0.25, 0.25, 0.25]))).result
    safe = safe_budgets(res.option("api"))
    # P90 and P95 of the worst month fall among the 4M paths (a quarter of them): 4 x 30 x 1.1^2,
    # as the monthly costs are kept (float32)
    assert safe["safe_monthly_budget_p90"] == float(np.float32(4 * 30 * 1.1**2))
    assert safe["safe_monthly_budget_p95"] == float(np.float32(4 * 30 * 1.1**2))
    # ... not their mean month (132.4), nor month 1 (120); the total: 4 x 30 x 3.31
    assert safe["safe_total_budget_p90"] == pytest.approx(397.2, rel=1e-12)


def test_var_and_cvar_on_samples_computed_by_hand() -> None:
    var, cvar = tail_mean(np.arange(1.0, 21.0))
    assert var == pytest.approx(19.05)  # (n - 1) x 0.95 = 18.05: 19 + 0.05 x (20 - 19)
    assert cvar == pytest.approx(20.0)  # the worst 5% of 20 values: the largest
    # ties at the VaR: only the share of them inside the worst 5% counts
    res = sim.run(parse_experiment(_levels_doc([0.5, 0.3, 0.17, 0.03]))).result
    opt = res.option("api")
    level = res.inputs["workload.input_tokens_per_day"]
    totals = {v: 30 * 3.31 * v / 1e6 for v in (1e6, 2e6, 3e6, 4e6)}
    share_4m = float(np.mean(level == 4e6))
    assert 0.02 < share_4m < 0.05 and float(np.mean(level >= 3e6)) > 0.05  # so the VaR lands on 3M
    risk = budget_risk(res, opt)
    assert risk["var95"] == pytest.approx(totals[3e6], rel=1e-12)
    expected = totals[3e6] + share_4m * (totals[4e6] - totals[3e6]) / 0.05
    assert risk["cvar95"] == pytest.approx(expected, rel=1e-9)
    assert risk["cvar95"] != pytest.approx(float(opt.totals[opt.totals >= risk["var95"]].mean()), rel=1e-3)


def test_added_gpus_serve_only_after_the_lead_time() -> None:
    doc = {
        "experiment": {"name": "lead", "horizon_months": 8, "paths": 50, "seed": 2, "days_per_month": 30},
        "workload": {"input_tokens_per_day": "3B", "output_tokens_per_day": "600M", "monthly_growth": 0.3},
        "options": [{"name": "gpu", "kind": "self_hosted",
                     "capacity": {"model": "llama-3.3-70b", "gpu": "h100-sxm", "precision": "fp8",
                                  "tensor_parallel": 2, "prompt_tokens": 1000, "peak_to_average": 2.0,
                                  "server_speedup": 1.5, "spare_replicas": 0},
                     "provisioning": {"policy": "on_demand", "hourly_price": 2.5, "lead_time_months": 2}}],
    }
    res = sim.run(parse_experiment(doc)).result
    m = res.option("gpu").metrics
    need, have = m["gpus_needed"].astype(float), m["gpus"].astype(float)
    assert np.all(np.diff(need[:, 0]) > 0)  # demand grows every month
    earlier = np.concatenate([need[:1], need[:1], need[:-2]])  # the need known two months before
    np.testing.assert_array_equal(have, np.minimum(need, earlier))
    assert np.all(have[2:] < need[2:]) and np.all(m["unserved_tokens"][2:] > 0)


def test_the_sensitivity_swing_compares_the_outer_deciles() -> None:
    x = np.linspace(0.0, 1.0, 1001)
    res = _record({"self": list(3.0 * x + 10.0)}, {"input.x": x})
    res.options[0].kind = "self_hosted"
    row = sensitivity(res, "self").iloc[0]
    assert row.spearman == pytest.approx(1.0)
    assert row.median_low == pytest.approx(3.0 * 0.05 + 10.0)  # x in [0, 0.1]: median 0.05
    assert row.median_high == pytest.approx(3.0 * 0.95 + 10.0)  # x in [0.9, 1]: median 0.95
    assert row.swing == pytest.approx(3.0 * 0.9)


def test_budget_risk_probabilities_count_paths() -> None:
    doc = copy.deepcopy(_levels_doc([0.25, 0.25, 0.25, 0.25]))
    doc["budget"] = {"monthly": 100.0, "total": 300.0}  # over: 4M paths in months 1-3, 3M paths in month 3
    res = sim.run(parse_experiment(doc)).result
    opt = res.option("api")
    level = res.inputs["workload.input_tokens_per_day"]
    expected_months = np.select([level == 4e6, level == 3e6], [3, 1], 0)  # 3M: 90, 99, 108.9
    np.testing.assert_array_equal(opt.months_over_budget, expected_months)
    risk = budget_risk(res, opt)
    assert risk["p_any_month_over_budget"] == pytest.approx(float(np.mean(level >= 3e6)))
    assert risk["expected_months_over_budget"] == pytest.approx(float(expected_months.mean()))
    assert risk["p_total_over_budget"] == pytest.approx(float(np.mean(level == 4e6)))  # 4M: 397.2; 3M: 297.9
