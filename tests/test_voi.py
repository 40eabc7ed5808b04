"""Value of information: EVPI against closed forms, EVPPI of a deciding input against the EVPI, an
irrelevant input's EVPPI against its sampling bound, and voi.csv in the report."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.analysis.voi import bins_for, evpi, evppi, evppi_with_error, groups_of
from sim.loader import parse_experiment
from tests.conftest import fixed_doc, test_seed


def test_evpi_of_a_normal_difference_is_the_closed_form() -> None:
    """Option 1 costs 10 + D, option 2 costs 10, D ~ Normal(mu, sd): a decision on the means takes
    option 2 (mu > 0), perfect information saves E[max(0, -D)] = sd phi(mu/sd) - mu Phi(-mu/sd)."""
    mu, sd, n = 1.0, 2.0, 200_000
    d = np.random.default_rng(test_seed(3)).normal(mu, sd, n)
    value, se = evpi(np.stack([10.0 + d, np.full(n, 10.0)]))
    truth = sd * stats.norm.pdf(mu / sd) - mu * stats.norm.cdf(-mu / sd)
    assert se == pytest.approx(np.maximum(-d, 0).std(ddof=1) / math.sqrt(n), rel=1e-9)
    assert abs(value - truth) < 4 * se


def test_evpi_is_exactly_zero_when_one_option_always_wins() -> None:
    costs = np.stack([np.linspace(1.0, 2.0, 1000), np.full(1000, 5.0)])
    assert evpi(costs) == (0.0, 0.0)
    assert evppi(costs, np.linspace(0, 1, 1000)) == 0.0


def test_one_deciding_input_has_evppi_equal_to_evpi_and_others_near_zero() -> None:
    """A = 100 X, B = 50 with X ~ U(0, 1): EVPI = 50 - E[min(100X, 50)] = 12.5, all of it from X.
    Z is independent of both costs: its EVPPI is binning noise alone. With the means tied (the
    worst case) each bin gains E[max(0, e)] = 0.4 sd for a bin mean's error e ~ N(0, sd), and the
    average of the bins' gains varies by 0.58 sd / sqrt(bins): 0.8 sd is > 4 of those above it."""
    n = 100_000
    rng = np.random.default_rng(test_seed(5))
    x, z = rng.random(n), rng.normal(size=n)
    costs = np.stack([100.0 * x, np.full(n, 50.0)])
    total, total_se = evpi(costs)
    assert abs(total - 12.5) < 4 * total_se
    value, se, floor, bins = evppi_with_error(costs, x)
    # bins of X are 1/bins wide: the one around 0.5 can lose at most 100 * (1/bins)^2 / 8
    assert abs(value - total) <= 100 / bins**2 / 8 + 1e-9
    assert se < total_se
    irrelevant, _, _, _ = evppi_with_error(costs, z)
    bin_sd = 100 / math.sqrt(12) / math.sqrt(n / bins)  # SD of a bin's mean of A
    assert irrelevant < 0.8 * bin_sd < 0.05 * total
    assert floor < 0.8 * bin_sd


def test_a_discrete_input_is_grouped_by_value_exactly() -> None:
    """X in {0, 1, 2}: the conditional means are exact, so EVPPI is computed, not estimated:
    A = 30 X + noise, B = 30: EVPI of X = 30 - E[min(30X, 30)] = 30 - (0 + 30 + 30)/3 = 10."""
    n = 30_000
    x = np.tile([0.0, 1.0, 2.0], n // 3)
    noise = np.random.default_rng(test_seed(7)).normal(0, 1, n)
    noise -= np.bincount(x.astype(int), weights=noise)[x.astype(int)] / (n // 3)  # mean 0 in each group
    groups, count = groups_of(x, 50)
    assert count == 3 and set(groups.tolist()) == {0, 1, 2}
    assert evppi(np.stack([30.0 * x + noise, np.full(n, 30.0)]), x) == pytest.approx(10.0, rel=1e-12)


def test_evppi_lies_between_zero_and_evpi() -> None:
    rng = np.random.default_rng(test_seed(9))
    n = 5_000
    for _ in range(20):
        costs = rng.lognormal(0, 1, size=(4, n)) * rng.uniform(0.5, 2, size=(4, 1))
        total, _ = evpi(costs)
        for x in (costs[0], rng.random(n), np.round(rng.random(n), 1)):
            assert 0.0 <= evppi(costs, x) <= total + 1e-12


def test_bins_follow_the_cube_root_within_limits() -> None:
    assert [bins_for(n) for n in (10, 1000, 100_000, 10**7)] == [4, 10, 46, 50]


def _choice_doc() -> dict:
    """An API whose input price alone (uniform 1-4 $/M) decides against a fixed $700/month fleet,
    and a dear API never chosen whatever its price. Per month the API costs 150 p + 300 (5M input
    and 1M output tokens a day over 30 days): EVPI = 3 months x E[max(0, 150 p - 400)] = 133.33."""
    doc = fixed_doc()
    doc["experiment"]["paths"] = 20_000
    doc["options"][0]["input_per_million"] = {"dist": "uniform", "low": 1.0, "high": 4.0}
    doc["options"][1]["costs"] = [{"item": "GPU", "category": "gpu", "monthly": 700}]
    doc["options"].append({"name": "dear", "kind": "api", "input_per_million": {"dist": "uniform", "low": 100,
                                                                               "high": 200},
                           "output_per_million": 10.0})
    return doc


def test_voi_csv_of_a_run_where_one_price_decides(tmp_path: Path) -> None:
    exp = parse_experiment(_choice_doc(), "choice.toml")
    study = sim.run(exp, seed=test_seed(2))
    study.write_report(tmp_path / "r")
    table = pd.read_csv(tmp_path / "r" / "voi.csv")
    total = table.iloc[0]
    assert total.kind == "evpi" and abs(total.value - 400 / 3) < 4 * total.se
    price = table[table.input == "options[0].input_per_million"].iloc[0]
    assert price.value == pytest.approx(total.value, abs=100 * 3 / price.bins**2)
    assert table[table.input == "options[2].input_per_million"].iloc[0].value == 0.0
    report = (tmp_path / "r" / "report.md").read_text()
    assert "## What would knowing more be worth?" in report and "charts/value_of_information.png" in report


def test_one_option_has_no_voi_csv(tmp_path: Path) -> None:
    doc = fixed_doc()
    doc["options"] = doc["options"][:1]
    sim.run(parse_experiment(doc, "one.toml")).write_report(tmp_path / "r")
    assert not (tmp_path / "r" / "voi.csv").exists()
    assert "What would knowing more" not in (tmp_path / "r" / "report.md").read_text()


def test_all_fixed_run_has_zero_voi(tmp_path: Path) -> None:
    sim.run(parse_experiment(fixed_doc(), "fixed.toml")).write_report(tmp_path / "r")
    table = pd.read_csv(tmp_path / "r" / "voi.csv")
    assert table.kind.tolist() == ["evpi"] and table.value.tolist() == [0.0]
    assert "cannot change it" in (tmp_path / "r" / "report.md").read_text()


def test_the_terminal_says_what_information_is_worth(tmp_path: Path, capsys) -> None:
    from sim.cli import main
    from tests.conftest import to_toml

    fixed = tmp_path / "fixed.toml"
    fixed.write_text(to_toml(fixed_doc()))
    assert main(["run", str(fixed), "--out", str(tmp_path / "a")]) == 0
    assert "value of information: none (the same option is cheapest on every path)" in capsys.readouterr().out
    choice = tmp_path / "choice.toml"
    choice.write_text(to_toml(_choice_doc()))
    assert main(["run", str(choice), "--out", str(tmp_path / "b"), "--paths", "4000"]) == 0
    out = capsys.readouterr().out
    assert "(EVPI); worth most to learn: api / input_per_million ($" in out


@pytest.mark.parametrize("n,size,count", [(1000, 100, 10), (1007, 100, 10), (1000, 37, 3)])
def test_a_batch_s_order_taken_from_the_whole_sample_is_its_own_stable_order(n: int, size: int, count: int) -> None:
    """_within_batches keeps each batch's paths from the whole sample's stable argsort: the same as
    sorting that batch alone, ties included (so the batch EVPPI, and voi.csv, do not change); paths
    past count * size are in no batch."""
    from sim.analysis.voi import _within_batches

    rng = np.random.default_rng(test_seed(31))
    x = rng.integers(0, 5, n).astype(float)  # many ties
    parts = _within_batches(np.argsort(x, kind="stable"), size, count)
    assert len(parts) == count
    for b, part in enumerate(parts):
        assert np.array_equal(part, np.argsort(x[b * size:(b + 1) * size], kind="stable"))


def test_sharing_the_inputs_sort_changes_no_table() -> None:
    """A Study sorts each input once for sensitivity and value of information: both tables are
    the same as when each sorts for itself."""
    from sim.analysis.sensitivity import sensitivity_table
    from sim.analysis.voi import voi_table

    study = sim.run(sim.load_experiment(Path("experiments/article_uncertain.toml")), paths=3000)
    assert study.sensitivity().to_csv() == sensitivity_table(study.result).to_csv()
    assert study.value_of_information().to_csv() == voi_table(study.result).to_csv()
    assert study._orders and all(o.size == 3000 for o in study._orders.values())
