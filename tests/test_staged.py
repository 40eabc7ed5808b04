"""The staged switch: the trigger's month arithmetic by hand, an all-fixed plan priced exactly,
the report's switch table, validation, and optimize searching the threshold."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.errors import ExperimentError
from sim.loader import parse_experiment
from sim.options.staged import switch_months
from sim.switch_config import StagedOption
from tests.conftest import fixed_doc, to_toml


def _plan(**kw) -> StagedOption:
    base = {"name": "s", "kind": "staged", "start": "api", "switch_to": "self",
            "trigger": {"tokens_per_day": 4, "months": 2}, "lead_time_months": 1, "migration_cost": 0}
    return StagedOption.model_validate({**base, **kw})


def test_trigger_months_and_lead_time_by_hand() -> None:
    """Above 4 in months 2, 3 (1-based): the trigger (2 months) fires at the end of month 3, one
    month of lead time, live from month 5. A level equal to the threshold does not count."""
    level = np.array([[1, 5, 5, 5, 1, 1, 1]], dtype=float).T
    assert switch_months(_plan(), level, level)[:, 0].tolist() == [False] * 4 + [True] * 3
    equal = np.array([[1, 4, 4, 4, 4, 4, 4]], dtype=float).T
    assert not switch_months(_plan(), equal, equal).any()
    broken = np.array([[5, 1, 5, 1, 5, 1, 5]], dtype=float).T  # never two months in a row
    assert not switch_months(_plan(), broken, broken).any()
    now = switch_months(_plan(trigger={"tokens_per_day": 4, "months": 1}, lead_time_months=0), level, level)
    assert now[:, 0].tolist() == [False, False, True, True, True, True, True]


def test_moving_back_once() -> None:
    """Live from month 4; volume below 3 for 2 months (months 5, 6) moves it back from month 7,
    and a later rise does not switch it again."""
    level = np.array([[5, 5, 5, 5, 2, 2, 9, 9, 9]], dtype=float).T
    plan = _plan(move_back={"tokens_per_day": 3, "months": 2})
    assert switch_months(plan, level, level)[:, 0].astype(int).tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0]


def _staged_doc(trigger: dict, lead: int = 1) -> dict:
    """API $675 a month growing 50% a month (5M in + 1M out a day at $2.5/$10, 30 days), a
    self-hosted option at $1,000 a month, and a plan between them with a $500 migration."""
    doc = fixed_doc(months=4, monthly_growth=0.5)
    doc["options"][1]["costs"] = [{"item": "GPU", "category": "gpu", "monthly": 1000}]
    doc["options"].append({"name": "staged", "kind": "staged", "start": "api", "switch_to": "self",
                           "trigger": trigger, "lead_time_months": lead, "migration_cost": 500})
    return doc


def test_all_fixed_staged_plan_is_priced_exactly(tmp_path: Path) -> None:
    """Spend $1,012.50 > $1,000 in month 2 fires the trigger; a month of lead time; live in month
    4: 675 + 1,012.50 + 1,518.75 on the API, then $1,000 and the $500 migration = $4,706.25."""
    study = sim.run(parse_experiment(_staged_doc({"api_spend_monthly": 1000, "months": 1}), "s.toml"))
    api = study.option("api").totals
    assert np.all(api == 675 * (1 + 1.5 + 2.25 + 3.375))
    assert np.all(study.option("staged").totals == 4706.25)
    study.write_report(tmp_path / "r")
    table = pd.read_csv(tmp_path / "r" / "switch.csv")
    assert table.p_switch.tolist() == [1.0] and table.live_month_p50.tolist() == [4.0]
    assert table.vs_start_mean.tolist() == [4706.25 - api[0]]
    assert table.vs_switch_to_mean.tolist() == [4706.25 - 4000.0]
    report = (tmp_path / "r" / "report.md").read_text()
    assert "## When does the staged plan switch?" in report and "charts/switch.png" in report


def test_a_trigger_that_fires_too_late_never_switches() -> None:
    """6M, 9M, 13.5M, 20.25M tokens a day: above 10M from month 3, two months to fire (month 4),
    live in month 5, past the horizon: the plan is the API, line for line."""
    study = sim.run(parse_experiment(_staged_doc({"tokens_per_day": "10M", "months": 2}), "s.toml"))
    assert np.array_equal(study.option("staged").totals, study.option("api").totals)
    assert study.switches().p_switch.tolist() == [0.0]


@pytest.mark.parametrize("change, where, message", [
    ({"start": "self"}, "options[2].start", 'is not an api option of this file (have: "api")'),
    ({"switch_to": "nobody"}, "options[2].switch_to", 'is not an self-hosted option'),
    ({"trigger": {"tokens_per_day": 5, "api_spend_monthly": 5}}, "options[2].trigger",
     "give one of tokens_per_day or api_spend_monthly"),
    ({"trigger": {"tokens_per_day": 5, "months": 9}}, "options[2].trigger.months", "past horizon_months (4)"),
    ({"migration_cost": None}, "options[2].migration_cost", "required field is missing"),
])
def test_bad_staged_plans_are_refused_by_field(change, where, message) -> None:
    doc = _staged_doc({"tokens_per_day": 5})
    doc["options"][2].update(change)
    if change.get("migration_cost", 0) is None:
        del doc["options"][2]["migration_cost"]
    with pytest.raises(ExperimentError) as info:
        parse_experiment(copy.deepcopy(doc), "s.toml")
    text = str(info.value)
    assert where in text and message in text, text


def test_optimize_searches_the_threshold(tmp_path: Path) -> None:
    """Thresholds $500, $1,000, $2,000 a month of API spend: $500 fires in month 1 (live month 3:
    675 + 1,012.50 + 1,000 + 1,000 + 500 = $4,187.50), $1,000 gives $4,706.25, $2,000 fires in
    month 4 and never goes live ($5,484.38 on the API): the lowest threshold wins."""
    f = tmp_path / "s.toml"
    f.write_text(to_toml(_staged_doc({"api_spend_monthly": 1000, "months": 1})))
    out = tmp_path / "opt"
    assert main(["optimize", str(f), "--decide", "options[2].trigger.api_spend_monthly=2000,500,1000",
                 "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "optimize.csv")
    assert table["options[2].trigger.api_spend_monthly"].tolist() == [500.0, 1000.0, 2000.0]
    assert table.objective.tolist() == [4187.5, 4706.25, 675 * (1 + 1.5 + 2.25 + 3.375)]


def test_a_sweep_pairs_the_staged_plan_with_each_api() -> None:
    """A staged plan is a decision too: each sweep point has its pair row against the API (all
    fixed: $4,706.25 against the API's $5,062.50, so P(plan cheaper) = 1 exactly)."""
    from sim.sweep import run_point

    exp = parse_experiment(_staged_doc({"api_spend_monthly": 1000, "months": 1}), "s.toml")
    rows = run_point(exp, "workload.input_tokens_per_day", 5e6, 100, 1)
    pair = [r for r in rows if r["kind"] == "pair" and r["option"] == "staged"]
    assert [(r["versus"], r["p"], r["total_p50"]) for r in pair] == [("api", 1.0, 4706.25)]
