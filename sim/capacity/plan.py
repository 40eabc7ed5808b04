"""`tcosim capacity FILE`: for every checked option, the setups considered (when a setup was chosen)
and the median path's month-by-month plan: tokens, GPUs needed and rented, the two utilisation
figures, the tokens its GPUs could not serve, and the cost."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.capacity.choose import Choice
from sim.config import SelfHostedOption
from sim.fmt import amount, money, share
from sim.result import Result
from sim.specs import given

#: paths simulated for the quick look (enough for a stable median path)
PLAN_PATHS = 2000


def median_path(values: np.ndarray) -> int:
    """Index of the path whose value is the (lower) median."""
    order = np.argsort(values, kind="stable")
    return int(order[(values.size - 1) // 2])


def candidate_lines(choice: Choice) -> list[str]:
    """The setups considered, cheapest feasible first, and why the others fail."""
    out = [f"  setups considered at the P{100 * choice.quantile:g} demand (cheapest feasible first):",
           f"    {'setup':<16} {'replicas':>8} {'GPU-hours':>10} {'$/GPU-h':>8} {'cost':>12} "
           f"{'utilisation':>11}  verdict"]
    for c in sorted(choice.candidates, key=lambda c: (not c.feasible, c.cost)):
        if not c.feasible:
            out.append(f"    {str(c.setup):<16} {'':>8} {'':>10} {'':>8} {'':>12} {'':>11}  {c.why_not}")
            continue
        verdict = "chosen" if c is choice.winner else ""
        out.append(f"    {str(c.setup):<16} {c.replicas:>8.1f} {c.gpu_hours:>10,.0f} {c.price:>8.2f} "
                   f"{money(c.cost):>12} {share(c.utilization):>11}  {verdict}")
    return out


def plan_table(result: Result) -> pd.DataFrame:
    """The median path's month-by-month plan of every checked option (the rows of capacity.csv)."""
    days = result.experiment.experiment.days_per_month
    tokens = given(result.tokens)
    rows = []
    for opt in (o for o in result.options if "gpus" in o.metrics):
        by_month, m, p = given(opt.by_month), opt.metrics, median_path(opt.totals)
        for t in range(result.months):
            month_tokens, cost = float(tokens[t, p]), float(by_month[t, p])
            rows.append({"option": opt.name, "month": t + 1, "path": p, "tokens_per_day": month_tokens / days,
                         "gpus_needed": float(m["gpus_needed"][t, p]), "gpus": float(m["gpus"][t, p]),
                         "utilization": float(m["utilization"][t, p]),
                         "busy_fraction": float(m["busy_fraction"][t, p]),
                         "unserved_tokens_per_day": float(m["shortfall_tokens"][t, p]) / days, "cost": cost,
                         "cost_per_million_tokens": cost / month_tokens * 1e6 if month_tokens > 0 else float("nan")})
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)


PLAN_COLUMNS = ["option", "month", "path", "tokens_per_day", "gpus_needed", "gpus", "utilization", "busy_fraction",
                "unserved_tokens_per_day", "cost", "cost_per_million_tokens"]


def plan_lines(result: Result) -> list[str]:
    """The plan as the terminal shows it: per checked option, its setups and its month rows."""
    out = []
    checked = [(i, o) for i, o in enumerate(result.options) if "gpus" in o.metrics]
    unchecked = [o.name for spec, o in zip(result.experiment.options, result.options, strict=True)
                 if isinstance(spec, SelfHostedOption) and not spec.checked]
    if not checked:
        return ["no option's GPUs are checked against the workload ([options.capacity] or [options.fleet]); "
                "nothing to plan"]
    table = plan_table(result)
    for i, opt in checked:
        p = median_path(opt.totals)
        out.append(f"{opt.name}: the median path of {result.paths:,} (horizon total {money(float(opt.totals[p]))})")
        if i in result.setups:
            out += candidate_lines(result.setups[i])
        if i in result.reserved_gpus:
            out.append(f"  reservation sized for the forecast: {result.reserved_gpus[i]:.0f} GPUs")
        out.append(f"  {'month':>5} {'tokens/day':>10} {'GPUs needed':>11} {'GPUs':>5} {'utilisation':>11} "
                   f"{'busy':>6} {'not served/day':>14} {'cost':>10} {'$/M tokens':>10}")
        for r in table[table.option == opt.name].itertuples():
            out.append(f"  {r.month:>5} {amount(r.tokens_per_day):>10} {r.gpus_needed:>11.0f} {r.gpus:>5.0f} "
                       f"{share(r.utilization):>11} {share(r.busy_fraction):>6} "
                       f"{amount(r.unserved_tokens_per_day):>14} {money(r.cost):>10} "
                       f"{money(r.cost_per_million_tokens):>10}")
    out += [f"{name}: GPUs not checked against the workload (no [options.capacity] or [options.fleet])"
            for name in unchecked]
    return out
