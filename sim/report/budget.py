"""The report's risk sections: budget risk of the base case, the decision's margin rule, and the
stress scenarios, each with the same budget table (P(any month over), expected months over,
P(total over), the budgets safe at P90/P95)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.analysis.risk import margin_rule
from sim.analysis.sensitivity import label
from sim.fmt import money, money_delta, prob
from sim.report.document import Document
from sim.result import Result

if TYPE_CHECKING:
    from sim.study import Study


def budget_headers(result: Result) -> list[str]:
    """The budget columns, named with the budget they test."""
    budget = result.experiment.budget
    headers = []
    if budget is not None and budget.monthly is not None:
        headers += [f"P(any month > {money(budget.monthly)})", "expected months over"]
    if budget is not None and budget.total is not None:
        headers += [f"P(total > {money(budget.total)})"]
    return headers + ["safe monthly (P90)", "safe monthly (P95)", "safe total (P90)", "safe total (P95)"]


def budget_cells(result: Result, row: pd.Series, paths: int, exact: bool) -> list[str]:
    """One row's budget cells (a row of summary.csv or scenarios.csv)."""
    budget = result.experiment.budget
    cells = []
    if budget is not None and budget.monthly is not None:
        cells += [prob(row.p_any_month_over_budget, n=paths, exact=exact), f"{row.expected_months_over_budget:.1f}"]
    if budget is not None and budget.total is not None:
        cells += [prob(row.p_total_over_budget, row.p_total_over_budget_se, n=paths, exact=exact)]
    return cells + [money(row.safe_monthly_budget_p90), money(row.safe_monthly_budget_p95),
                    money(row.safe_total_budget_p90), money(row.safe_total_budget_p95)]


def risk_section(doc: Document, study: Study, summary: pd.DataFrame, charts: dict[str, str]) -> None:
    result = study.result
    budget = result.experiment.budget
    doc.h(2, "Budget risk")
    doc.p("How likely is each option to overrun the budget, how bad is its worst 5%, and what budget would "
          "hold with 90% or 95% probability? The safe monthly budget is the figure no month of the horizon "
          "exceeds; the safe total, the horizon total's percentile.")
    doc.table(["option", "VaR95 (P95 total)", "CVaR95 (mean of worst 5%)", *budget_headers(result)],
              [[r.option, money(r.var95), money(r.cvar95), *budget_cells(result, r, result.paths, result.fixed)]
               for _, r in summary.iterrows()])
    if budget is None:
        doc.p("No `[budget]` in the experiment: add `monthly` and/or `total` to see the chance of overrunning it.")
    if study.scenarios:
        doc.p("The same table under each stress scenario is in the section Stress scenarios below.")
    if "risk" in charts:
        doc.image(charts["risk"], "Tail risk of the horizon total")
    rule = margin_rule(result)
    if rule:
        decision = result.experiment.decision
        assert decision is not None and decision.self_host_margin is not None
        margin = f"{decision.self_host_margin:g}×"
        doc.h(3, f"Margin rule: self-host only if the API costs at least {margin} the self-hosted total")
        doc.p(f"How often does each API cost at least {margin} each self-hosted option, path by path? The margin is "
              "`[decision] self_host_margin`, kept for the costs a plan misses.")
        doc.table(["API option", "self-hosted option", f"P(API ≥ {margin} self-hosted)"],
                  [[a, b, prob(p, se, n=result.paths, exact=result.fixed)] for a, b, p, se in rule])


def _shock_text(result: Result, s: Any) -> str:
    """'Claude 3.5 Sonnet / prices ×0.5 from month 9': the target named as the reader knows it."""
    if s.target:
        what = f"{label(result, s.target)} " + (f"×{s.multiply:g}" if s.multiply is not None else f"= {s.set:g}")
    else:
        what = f"+ line “{s.add_line}” on {s.option}"
    return what + f" from month {s.from_month}" + (f" for {s.months} months" if s.months else "")


def scenario_section(doc: Document, study: Study, charts: dict[str, str]) -> None:
    if not study.scenarios:
        return
    result = study.result
    table = study.scenario_table()
    doc.h(2, "Stress scenarios")
    doc.p("What happens to each option's cost, its chance of being cheapest and its budget if the shocks below "
          "hit? Each scenario re-runs the same paths (same seed) with its shocks, so the change from the base "
          "case is the shocks' alone; the change is the median of the paired per-path differences.")
    for spec in result.experiment.scenarios:
        shocks = "; ".join(_shock_text(result, s) for s in spec.shocks)
        doc.p(f"**{spec.name}**: {shocks}.")
    exact = study.fixed
    doc.table(["scenario", "option", "P5 total", "median total", "P95 total", "median change vs base",
               "P(cheapest)"],
              [[r.scenario, r.option, money(r.total_p5), money(r.total_p50), money(r.total_p95),
                "" if r.scenario == "base" else money_delta(r.median_change),
                prob(r.p_cheapest, r.p_cheapest_se, n=result.paths, exact=exact)] for r in table.itertuples()])
    doc.h(3, "Budget under each scenario")
    doc.p("Would the budget survive each scenario? The base case's budget table, re-computed on every scenario's "
          "paths (columns of scenarios.csv).")
    doc.table(["scenario", "option", *budget_headers(result)],
              [[r.scenario, r.option, *budget_cells(result, r, result.paths, exact)] for _, r in table.iterrows()])
    if "scenarios" in charts:
        doc.image(charts["scenarios"], "Horizon totals per stress scenario")


__all__ = ["budget_cells", "budget_headers", "risk_section", "scenario_section"]
