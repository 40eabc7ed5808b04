"""`tcosim capacity FILE`: the median path's month-by-month plan of every sized option."""

from __future__ import annotations

import numpy as np

from sim.fmt import money
from sim.result import Result
from sim.specs import given

#: paths simulated for the quick look (enough for a stable median path)
PLAN_PATHS = 2000


def median_path(values: np.ndarray) -> int:
    """Index of the path whose value is the (lower) median."""
    order = np.argsort(values, kind="stable")
    return int(order[(values.size - 1) // 2])


def plan_lines(result: Result) -> list[str]:
    out = []
    days = result.experiment.experiment.days_per_month
    sized = [(i, o) for i, o in enumerate(result.options) if "gpus" in o.metrics]
    if not sized:
        return ["no option has a capacity model ([options.capacity]); nothing to plan"]
    tokens = given(result.tokens)
    for i, opt in sized:
        by_month = given(opt.by_month)
        p = median_path(opt.totals)
        out.append(f"{opt.name}: the median path of {result.paths:,} (horizon total {money(float(opt.totals[p]))})")
        if i in result.reserved_gpus:
            out.append(f"  reservation sized for the forecast: {result.reserved_gpus[i]:.0f} GPUs")
        out.append(f"  {'month':>5} {'tokens/day':>12} {'GPUs needed':>11} {'GPUs':>5} {'utilisation':>11} "
                   f"{'unserved/day':>12} {'cost':>10} {'$/M tokens':>10}")
        m = opt.metrics
        for t in range(result.months):
            month_tokens = float(tokens[t, p])
            cost = float(by_month[t, p])
            per_m = cost / month_tokens * 1e6 if month_tokens > 0 else float("nan")
            out.append(f"  {t + 1:>5} {month_tokens / days:>12,.0f} {m['gpus_needed'][t, p]:>11.0f} "
                       f"{m['gpus'][t, p]:>5.0f} "
                       f"{100 * m['utilization'][t, p]:>10.1f}% {m['unserved_tokens'][t, p] / days:>12,.0f} "
                       f"{money(cost):>10} {per_m:>10.2f}")
    return out
