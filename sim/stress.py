"""``[[scenarios]]``: named stress tests. Each shock multiplies or sets an input, the traffic or an
API option's prices over a window of months, or adds a cost line; the scenario is the same
experiment re-run at the same seed (common random numbers), so its difference from the base case
is the shocks' alone."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.specs import Amount


class Shock(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, validate_default=True)

    target: str | None = None  # dotted input path, "workload.tokens", or "options[i].prices"
    multiply: float | None = Field(default=None, ge=0)
    set: float | None = None
    add_line: str | None = None  # or: the name of a cost line to add to option ``option``
    option: str | None = None
    monthly: Amount | None = None
    from_month: int = Field(default=1, ge=1)
    months: int | None = Field(default=None, ge=1)  # default: to the horizon

    @model_validator(mode="after")
    def _one_kind(self) -> Shock:
        changes = self.target is not None
        adds = self.add_line is not None
        if changes == adds:
            raise ValueError("give either target (with multiply or set) or add_line (with option and monthly)")
        if changes and (self.multiply is None) == (self.set is None):
            raise ValueError("a target shock needs exactly one of multiply or set")
        if adds and (self.option is None or self.monthly is None):
            raise ValueError("add_line needs option and monthly")
        return self


class StressScenario(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    name: str = Field(min_length=1)
    shocks: list[Shock] = Field(min_length=1)


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
    from sim.config import CostLine

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

    return [(sc.name, run(apply_scenario(exp, sc), paths=paths, seed=seed, workers=workers, ops=ops))
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


def check_scenarios(exp) -> list[tuple[tuple, str]]:
    """Every target must be something the engine draws or prices; every added line's option must exist."""
    from sim.correlations import resolve

    names = {o.name for o in exp.options}
    problems = []
    for i, sc in enumerate(exp.scenarios):
        for j, s in enumerate(sc.shocks):
            loc = ("scenarios", i, "shocks", j)
            if s.add_line is not None:
                if s.option not in names:
                    problems.append(((*loc, "option"), f'"{s.option}" names no option'))
                continue
            if s.target == "workload.tokens":
                continue
            if s.target.endswith(".prices"):
                idx = s.target.removesuffix(".prices")
                if not any(f"options[{k}]" == idx and o.kind == "api" for k, o in enumerate(exp.options)):
                    problems.append(((*loc, "target"),
                                     f'"{s.target}": a prices shock names an API option as options[i].prices'))
                continue
            try:
                resolve(exp, s.target)
            except ValueError as exc:
                message = str(exc)
                if "is a process" not in message and "is fixed" not in message:  # those can be shocked too
                    problems.append(((*loc, "target"), message))
                    continue
            partial = s.from_month > 1 or (s.months is not None and s.from_month + s.months - 1 < exp.horizon)
            if partial and _drawn_once(s.target):
                problems.append(((*loc, "target"), f'"{s.target}" is drawn once per path: shock it over the '
                                                   "whole horizon (no from_month or months)"))
    return problems


def _drawn_once(target: str) -> bool:
    """Inputs the engine reads as one number per path (not month by month)."""
    return (target.startswith("workload.") or target.endswith(".annual_price_change")
            or any(part in target for part in (".capacity.", ".ops.", ".provisioning.", ".price_cuts.")))
