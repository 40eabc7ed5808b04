"""Budget risk: P(a month over the monthly budget), P(total over budget), VaR/CVaR, TCO multiple."""

from __future__ import annotations

import numpy as np

from sim.analysis.quantiles import ordered_percentiles, row_percentiles, share, tail_mean
from sim.result import OptionResult, Result
from sim.specs import given


def budget_risk(result: Result, opt: OptionResult, ordered: np.ndarray | None = None) -> dict[str, float]:
    """Risk figures for one option; budget ones only where the experiment gives a budget.
    ``ordered``: np.sort(opt.totals), when the caller has it."""
    out: dict[str, float] = {}
    out["var95"], out["cvar95"] = tail_mean(opt.totals, 95.0, ordered)
    budget = result.experiment.budget
    if budget is not None and budget.monthly is not None and opt.months_over_budget is not None:
        over = opt.months_over_budget > 0
        out["p_any_month_over_budget"] = float(over.mean())
        out["expected_months_over_budget"] = float(opt.months_over_budget.mean())
    if budget is not None and budget.total is not None:
        out["p_total_over_budget"], out["p_total_over_budget_se"] = share(opt.totals > budget.total)
    return out


def safe_budgets(opt: OptionResult, ordered: np.ndarray | None = None) -> dict[str, float]:
    """The budgets that hold with 90% and 95% probability: monthly (no month above it over the
    horizon) and total. ``ordered``: np.sort(opt.totals), when the caller has it."""
    monthly = row_percentiles(given(opt.worst_month)[None, :], [90, 95])[:, 0]
    total = row_percentiles(opt.totals[None, :], [90, 95])[:, 0] if ordered is None \
        else ordered_percentiles(ordered, [90, 95])
    return {"safe_monthly_budget_p90": float(monthly[0]), "safe_monthly_budget_p95": float(monthly[1]),
            "safe_total_budget_p90": float(total[0]), "safe_total_budget_p95": float(total[1])}


def margin_rule(result: Result) -> list[tuple[str, str, float, float]]:
    """``[decision] self_host_margin`` (self-host only if the API costs at least that many times
    the self-hosted total) as a probability on paired paths: (API option, self-hosted option,
    P(API >= margin x self), its SE); empty when the experiment sets no margin."""
    decision = result.experiment.decision
    if decision is None or decision.self_host_margin is None:
        return []
    margin = decision.self_host_margin
    out = []
    for api in (o for o in result.options if o.kind == "api"):
        for own in (o for o in result.options if o.kind == "self_hosted"):
            out.append((api.name, own.name, *share(api.totals >= margin * own.totals)))
    return out


def tco_multiplier(opt: OptionResult) -> np.ndarray | None:
    """Horizon total / horizon GPU cost per path (the article's 'TCO multiplier'), if any GPU lines."""
    if opt.gpu_totals is None:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = opt.totals / opt.gpu_totals
    return np.where(opt.gpu_totals > 0, ratio, np.nan)
