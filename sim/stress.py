"""``[[scenarios]]``: named stress tests. Each shock multiplies or sets an input, the traffic or an
API option's prices over a window of months, or adds a cost line; the scenario is the same
experiment re-run at the same seed (common random numbers), so its difference from the base case
is the shocks' alone."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config import CostLine, StressScenario


@dataclass(frozen=True)
class Window:
    multiply: float | None
    set: float | None
    start: int  # 0-based month
    stop: int

    def apply(self, value, months: int, n: int) -> np.ndarray:
        """``value`` (float, (1, n) or (months, n)) with the shock applied: (months, n)."""
        out = np.array(np.broadcast_to(value, (months, n)), dtype=float)
        if self.multiply is not None:
            out[self.start:self.stop] *= self.multiply
        else:
            out[self.start:self.stop] = self.set
        return out


def shock_windows(scenario: StressScenario | None, horizon: int) -> dict[str, list[Window]]:
    """Scenario key -> its shocks (a target that is a market reference is keyed by the market name)."""
    out: dict[str, list[Window]] = {}
    if scenario is None:
        return out
    for s in scenario.shocks:
        if s.target is None:
            continue
        start = s.from_month - 1
        stop = horizon if s.months is None else min(horizon, start + s.months)
        out.setdefault(s.target, []).append(Window(s.multiply, s.set, start, stop))
    return out


def apply_scenario(exp, scenario: StressScenario):
    """A copy of the experiment with the scenario's added lines; the other shocks act in the
    Scenario (sim.scenario) when inputs are drawn."""
    out = copy.deepcopy(exp)
    for s in scenario.shocks:
        if s.add_line is None:
            continue
        opt = next(o for o in out.options if o.name == s.option)
        end = None if s.months is None else s.from_month + s.months - 1
        opt.costs.append(CostLine(item=s.add_line, monthly=s.monthly, start_month=s.from_month, end_month=end,
                                  category="other"))
    out.active_scenario = scenario
    return out


def run_scenarios(exp, paths: int, seed: int, workers: int = 1, ops: str | None = None) -> list:
    """[(scenario name, Result)] for every [[scenarios]] entry, at the base run's paths and seed."""
    from sim.engine import run

    return [(sc.name, run(apply_scenario(exp, sc), paths=paths, seed=seed, workers=workers, ops=ops,
                          totals_only=True))
            for sc in exp.scenarios]


def scenario_table(base, runs: list) -> pd.DataFrame:
    """Per scenario and option: median and P5/P95 of the total, the median's change from the base
    case (paired paths), and P(cheapest)."""
    from sim.analysis.cheapest import prob_cheapest
    from sim.analysis.quantiles import row_percentiles

    rows = []
    for name, res in [("base", base), *runs]:
        cheapest = prob_cheapest(res)
        for opt in res.options:
            p5, p50, p95 = row_percentiles(opt.totals[None, :], [5, 50, 95])[:, 0]
            change = opt.totals - base.option(opt.name).totals
            rows.append({"scenario": name, "option": opt.name, "total_p5": p5, "total_p50": p50, "total_p95": p95,
                         "median_change": float(np.median(change)), "mean_change": float(change.mean()),
                         "p_cheapest": cheapest[opt.name][0]})
    return pd.DataFrame(rows)
