"""Decision analytics on drawn samples: sensitivity ranks the dominant input first; safe budgets;
the article's 2x rule; compare is exact on identical reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.risk import margin_rule, safe_budgets
from sim.analysis.sensitivity import sensitivity
from sim.cli import main
from sim.loader import parse_experiment
from tests.conftest import EXPERIMENTS, fixed_doc, test_seed, to_toml


def _doc() -> dict:
    return {
        "experiment": {"name": "sens", "horizon_months": 12, "paths": 4000, "seed": test_seed(21)},
        "workload": {"input_tokens_per_day": "5M to 6M", "output_tokens_per_day": "1M"},
        "options": [
            {"name": "api", "kind": "api", "input_per_million": 2.5, "output_per_million": 10.0},
            {"name": "self", "kind": "self_hosted", "costs": [
                {"item": "big", "monthly": "1k to 100k"},      # dominant
                {"item": "small", "monthly": "100 to 120"},    # minor
                {"item": "people", "fte": 0.2, "annual_cost": "200k to 210k"},
            ]},
        ],
    }


def test_tornado_ranks_the_dominant_input_first() -> None:
    res = sim.run(parse_experiment(_doc()))
    table = sensitivity(res, "self")
    assert table.input.iloc[0] == "options[1].costs[0].monthly"
    assert table.spearman.iloc[0] > 0.95
    assert table.swing.iloc[0] > 10 * abs(table.swing.iloc[1])
    diff = sensitivity(res, "self", "api")
    assert diff.input.iloc[0] == "options[1].costs[0].monthly"
    # the API's input volume moves the difference by ~$900 against the dominant line's ~$1M spread:
    # its true rank correlation is about 0, so only its size is tested (sign is sampling noise)
    api_input = diff[diff.input == "workload.input_tokens_per_day"].spearman.iloc[0]
    assert abs(api_input) < 4.5 / np.sqrt(4000)


def test_average_ranks_by_hand_and_against_scipy() -> None:
    """Ties share their mean rank: [3, 1, 3, 2] -> [3.5, 1, 3.5, 2]; rows are ranked separately,
    and random rows with and without ties match scipy.stats.rankdata exactly."""
    from scipy.stats import rankdata

    from sim.analysis.sensitivity import average_ranks

    assert average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]
    assert average_ranks(np.array([[2.0, 2.0], [5.0, 1.0]])).tolist() == [[1.5, 1.5], [2.0, 1.0]]
    rng = np.random.default_rng(test_seed(11))
    for x in (rng.normal(size=(4, 999)), rng.integers(0, 7, size=(3, 500)).astype(float)):
        assert np.array_equal(average_ranks(x), rankdata(x, axis=-1))


def test_safe_budgets_exact_on_fixed_costs() -> None:
    res = sim.run(parse_experiment(fixed_doc(months=6)), paths=20)
    safe = safe_budgets(res.option("self"))
    assert safe == {"safe_monthly_budget_p90": 13275.0, "safe_monthly_budget_p95": 13275.0,
                    "safe_total_budget_p90": 6 * 13275.0, "safe_total_budget_p95": 6 * 13275.0}


def test_margin_rule_probability() -> None:
    """P(API >= margin x self-hosted) on paired paths, at the margin the file asks for (>=, not >);
    no rule (and no report section) when the file asks for none."""
    assert margin_rule(sim.run(parse_experiment(_doc())).result) == []
    doc = _doc()
    doc["options"][0]["input_per_million"] = 250.0  # an API near 3x the self-hosted median
    for margin in (2.0, 3.0):
        res = sim.run(parse_experiment({**doc, "decision": {"self_host_margin": margin}}))
        rule = {(a, b): (p, se) for a, b, p, se in margin_rule(res.result)}
        p, se = rule[("api", "self")]
        expected = float((res.option("api").totals >= margin * res.option("self").totals).mean())
        assert 0 < p < 1 and p == expected and se == pytest.approx(np.sqrt(p * (1 - p) / 4000))


def test_sensitivity_csv_and_report_section(tmp_path: Path) -> None:
    res = sim.run(sim.load_experiment(EXPERIMENTS / "article_uncertain.toml"), paths=2000)
    res.write_report(tmp_path / "r")
    table = pd.read_csv(tmp_path / "r" / "sensitivity.csv")
    assert {"option", "versus", "input", "label", "spearman", "swing"} <= set(table.columns)
    md = (tmp_path / "r" / "report.md").read_text()
    assert "## What drives the answer" in md and "charts/tornado.png" in md
    assert "## Margin rule: self-host only if the API costs at least 2×" in md and "charts/tail_risk.png" in md


def test_compare_is_exact_on_identical_reports(tmp_path: Path, capsys) -> None:
    exp = str(EXPERIMENTS / "article_uncertain.toml")
    for name in ("a", "b"):
        assert main(["run", exp, "--out", str(tmp_path / name), "--paths", "500", "--quiet"]) == 0
    out = tmp_path / "cmp"
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 0
    diff = pd.read_csv(out / "compare.csv")
    assert len(diff) and (diff.difference == 0).all()
    assert "no differences" in capsys.readouterr().out
    assert main(["run", exp, "--out", str(tmp_path / "c"), "--paths", "500", "--seed", "9", "--quiet"]) == 0
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "c"), "--out", str(out)]) == 0
    changed = pd.read_csv(out / "compare.csv")
    assert (changed.difference != 0).any()
    row = changed[(changed.option == "GPT-4o") & (changed.figure == "total_p50")].iloc[0]
    assert row.difference == pytest.approx(row.after - row.before)


def test_compare_rejects_a_folder_without_a_report(tmp_path: Path, capsys) -> None:
    assert main(["compare", str(tmp_path), str(tmp_path)]) == 2
    assert "summary.csv" in capsys.readouterr().err


def _corr_doc(**extra) -> dict:
    return {
        "experiment": {"name": "corr", "horizon_months": 6, "paths": 10_000, "seed": test_seed(3)},
        "workload": {"input_tokens_per_day": "3M to 8M", "output_tokens_per_day": "1M", "monthly_growth": "0% to 6%"},
        "market": {"gpu": "2 to 3.5", "path": {"process": "trend", "start": "2 to 3", "annual_change": 0}},
        "options": [{"name": "s", "kind": "self_hosted", "costs": [
            {"item": "g", "gpus": 2, "hourly_price": "market.gpu"}, {"item": "m", "monthly": "300 to 600"}]}],
        **extra,
    }


def test_iman_conover_hits_the_asked_correlations_and_keeps_marginals(tmp_path: Path) -> None:
    from scipy.stats import spearmanr

    asked = [{"a": "workload.monthly_growth", "b": "market.gpu", "rank_correlation": 0.6},
             {"a": "options[0].costs[1].monthly", "b": "market.gpu", "rank_correlation": -0.3}]
    res = sim.run(parse_experiment(_corr_doc(correlations=asked)))
    plain = sim.run(parse_experiment(_corr_doc()))
    got = res.inputs
    assert abs(spearmanr(got["workload.monthly_growth"], got["market.gpu"])[0] - 0.6) < 0.05
    assert abs(spearmanr(got["options[0].costs[1].monthly"], got["market.gpu"])[0] + 0.3) < 0.05
    assert abs(spearmanr(got["options[0].costs[1].monthly"], got["workload.monthly_growth"])[0]) < 0.05
    for key in ("workload.monthly_growth", "market.gpu", "options[0].costs[1].monthly"):
        assert np.array_equal(np.sort(got[key]), np.sort(plain.inputs[key]))  # same values, reordered
    res.write_report(tmp_path / "r")
    table = pd.read_csv(tmp_path / "r" / "correlations.csv")
    assert list(table.asked) == [0.6, -0.3] and np.allclose(table.achieved, table.asked, atol=0.05)


@pytest.mark.parametrize("entries,message", [
    ([{"a": "workload.monthly_growth", "b": "market.gpu", "rank_correlation": 0.9},
      {"a": "workload.monthly_growth", "b": "options[0].costs[1].monthly", "rank_correlation": 0.9},
      {"a": "market.gpu", "b": "options[0].costs[1].monthly", "rank_correlation": -0.9}],
     "correlations: market.gpu, options[0].costs[1].monthly, workload.monthly_growth: the correlation matrix is "
     "not positive semi-definite"),
    ([{"a": "workload.nope", "b": "market.gpu", "rank_correlation": 0.5}],
     'correlations[0].a: "workload.nope" names no input of this experiment'),
    ([{"a": "market.path", "b": "market.gpu", "rank_correlation": 0.5}],
     'correlations[0].a: "market.path" is a process'),
    ([{"a": "workload.output_tokens_per_day", "b": "market.gpu", "rank_correlation": 0.5}],
     'correlations[0].a: "workload.output_tokens_per_day" is fixed'),
    ([{"a": "market.gpu", "b": "market.gpu", "rank_correlation": 0.5}],
     "correlations[0].b: an input cannot be correlated with itself"),
    ([{"a": "market.gpu", "b": "workload.monthly_growth", "rank_correlation": 1.5}],
     "correlations[0].rank_correlation: must be <= 1, got 1.5"),
])
def test_bad_correlations_exit_2(entries, message, tmp_path: Path, capsys) -> None:
    f = tmp_path / "c.toml"
    f.write_text(to_toml(_corr_doc(correlations=entries)))
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"{f}: {message}" in err, err


def _stress_doc(*shocks, **extra) -> dict:
    doc = _doc()
    doc["experiment"].update(paths=2000, horizon_months=12)
    doc["market"] = {"gpu": {"process": "mean_reverting", "start": "2 to 3.5", "long_run": 2.2,
                             "half_life_months": 9, "volatility": 0.2}}
    doc["options"][1]["costs"].append({"item": "gpus", "gpus": 2, "hourly_price": "market.gpu"})
    doc["scenarios"] = [{"name": "shock", "shocks": list(shocks)}]
    doc.update(extra)
    return doc


def _shocked(base):
    """The scenario run in full (reports keep only its totals), on the base run's paths."""
    from sim.stress import apply_scenario

    return sim.run(apply_scenario(base.experiment, base.experiment.scenarios[0]), paths=base.paths, seed=base.seed)


def test_scenario_shocks_change_only_what_they_name() -> None:
    doc = _stress_doc({"target": "market.gpu", "multiply": 1.8, "from_month": 4, "months": 3})
    base = sim.run(parse_experiment(doc))
    (name, light), = base.run_scenarios()
    shocked = _shocked(base)
    assert name == "shock" and np.array_equal(light.option("self").totals, shocked.option("self").totals)
    assert np.array_equal(shocked.option("api").totals, base.option("api").totals)
    gpu_base = next(ln for ln in base.option("self").lines if ln.item == "gpus").by_month
    gpu_shock = next(ln for ln in shocked.option("self").lines if ln.item == "gpus").by_month
    outside = np.r_[0:3, 6:12]
    assert np.array_equal(gpu_base[outside], gpu_shock[outside])
    np.testing.assert_allclose(gpu_shock[3:6], gpu_base[3:6] * 1.8, rtol=1e-6)


def test_traffic_price_and_added_line_shocks() -> None:
    doc = _stress_doc({"target": "workload.tokens", "multiply": 3, "from_month": 7},
                      {"target": "options[0].prices", "multiply": 0.5, "from_month": 10},
                      {"add_line": "contractor", "option": "self", "monthly": 25000, "from_month": 2, "months": 3})
    base = sim.run(parse_experiment(doc))
    base.run_scenarios()
    shocked = _shocked(base)
    factor = np.r_[np.ones(6), np.full(3, 3.0), np.full(3, 1.5)][:, None]
    np.testing.assert_allclose(shocked.option("api").by_month, base.option("api").by_month * factor, rtol=1e-6)
    added = next(ln for ln in shocked.option("self").lines if ln.item == "contractor")
    assert np.all(added.totals == 75000)
    table = __import__("sim.stress", fromlist=["scenario_table"]).scenario_table(base, base.scenarios)
    assert set(table.scenario) == {"base", "shock"}
    from sim.report.budget import _shock_text  # the report names the option, not its index

    shocks = base.experiment.scenarios[0].shocks
    assert [_shock_text(base.result, s) for s in shocks] == [
        "workload.tokens ×3 from month 7", "api / prices ×0.5 from month 10",
        "+ line “contractor” on self from month 2 for 3 months"]


@pytest.mark.parametrize("shock,message", [
    ({"target": "workload.nothing", "multiply": 2}, 'scenarios[0].shocks[0].target: "workload.nothing" names no input'),
    ({"target": "workload.monthly_growth", "set": 0.1, "from_month": 6},
     'scenarios[0].shocks[0].target: "workload.monthly_growth" is drawn once per path'),
    ({"target": "market.gpu", "multiply": 2, "set": 1}, "scenarios[0].shocks[0]: a target shock needs exactly one"),
    ({"add_line": "x", "option": "nobody", "monthly": 5}, 'scenarios[0].shocks[0].option: "nobody" names no option'),
])
def test_bad_scenarios_exit_2(shock, message, tmp_path: Path, capsys) -> None:
    f = tmp_path / "s.toml"
    f.write_text(to_toml(_stress_doc(shock)))
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"{f}: {message}" in err, err


def test_convergence_stops_at_the_asked_precision() -> None:
    from sim.convergence import p95_precision, run_to_precision

    exp = parse_experiment(_doc())
    res = run_to_precision(exp, 0.03, 2048, 200_000, {})
    assert res.timings["precision_achieved"] <= 0.03
    assert max(p95_precision(o.totals) for o in res.options) == res.timings["precision_achieved"]
    assert res.timings["precision_rounds"] >= 2  # 2,048 paths were not enough
    smaller = sim.run(exp, paths=res.paths // 2)
    assert max(p95_precision(o.totals) for o in smaller.options) > 0.03 * 0.9  # it did not overshoot much
    capped = run_to_precision(exp, 1e-6, 2048, 4096, {})
    assert capped.paths == 4096 and capped.timings["precision_achieved"] > 1e-6


def test_precision_flag_on_the_command_line(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text(to_toml(_doc()))
    assert main(["run", str(f), "--out", str(tmp_path / "r"), "--precision", "5%", "--quiet"]) == 0
    md = (tmp_path / "r" / "report.md").read_text()
    assert "Run with `--precision 5%`" in md
