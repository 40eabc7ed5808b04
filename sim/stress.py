"""``[[scenarios]]``: named stress tests. Each shock multiplies or sets an input, the traffic or an
API option's prices over a window of months, or adds a cost line; the scenario is the same
experiment re-run at the same seed (common random numbers), so its difference from the base case
is the shocks' alone."""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.analysis.cheapest import prob_cheapest
from sim.analysis.quantiles import band
from sim.analysis.risk import budget_risk, safe_budgets
from sim.config import CostLine, Experiment, StressScenario
from sim.engine import run
from sim.names import find
from sim.result import Result
from sim.specs import given


def apply_scenario(exp: Experiment, scenario: StressScenario) -> Experiment:
    """A copy of the experiment with the scenario's added lines; the other shocks act in the
    Scenario (sim.scenario) when inputs are drawn."""
    out = copy.deepcopy(exp)
    for s in scenario.shocks:
        if s.add_line is None:
            continue
        opt = find(out.options, given(s.option))
        end = None if s.months is None else s.from_month + s.months - 1
        opt.costs.append(CostLine(item=s.add_line, monthly=s.monthly, start_month=s.from_month, end_month=end,
                                  category="other"))
    out.active_scenario = scenario
    return out


def run_scenarios(exp: Experiment, paths: int, seed: int, workers: int = 1, ops: str | None = None,
                  progress: Callable[[int, int], None] | None = None) -> list[tuple[str, Result]]:
    """[(scenario name, Result)] for every [[scenarios]] entry, at the base run's paths and seed;
    each keeps per-path totals, worst months and months over budget (what its tables need).
    ``progress(done, total)`` is called after each scenario."""
    out = []
    for k, sc in enumerate(exp.scenarios):
        out.append((sc.name, run(apply_scenario(exp, sc), paths=paths, seed=seed, workers=workers, ops=ops,
                                 totals_only=True)))
        if progress is not None:
            progress(k + 1, len(exp.scenarios))
    return out


def scenario_table(base: Result, runs: list[tuple[str, Result]]) -> pd.DataFrame:
    """Per scenario and option: median and P5/P95 of the total, the median's change from the base
    case (paired paths), P(cheapest), and the same budget figures as summary.csv (P(any month over),
    expected months over, P(total over) where [budget] sets them; the budgets safe at P90/P95)."""
    rows = []
    for name, res in [("base", base), *runs]:
        cheapest = prob_cheapest(res)
        for opt in res.options:
            p5, p50, p95 = band(opt.totals)
            change = opt.totals - base.option(opt.name).totals
            rows.append({"scenario": name, "option": opt.name, "total_p5": p5, "total_p50": p50, "total_p95": p95,
                         "median_change": float(np.median(change)), "mean_change": float(change.mean()),
                         "p_cheapest": cheapest[opt.name][0], "p_cheapest_se": cheapest[opt.name][1],
                         **budget_risk(res, opt), **safe_budgets(opt)})
    return pd.DataFrame(rows)
