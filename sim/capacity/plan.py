"""`tcosim capacity FILE`: for every checked option, the setups considered (when a setup was chosen)
and the median path's month-by-month plan: tokens, GPUs needed and rented, the two utilisation
figures, the tokens its GPUs could not serve, and the cost."""

from __future__ import annotations

import numpy as np

from sim.capacity.choose import Choice
from sim.config import SelfHostedOption
from sim.fmt import money
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
                   f"{money(c.cost):>12} {100 * c.utilization:>10.2g}%  {verdict}")
    return out


def plan_lines(result: Result) -> list[str]:
    out = []
    days = result.experiment.experiment.days_per_month
    checked = [(i, o) for i, o in enumerate(result.options) if "gpus" in o.metrics]
    unchecked = [o.name for spec, o in zip(result.experiment.options, result.options, strict=True)
                 if isinstance(spec, SelfHostedOption) and not spec.checked]
    if not checked:
        return ["no option's GPUs are checked against the workload ([options.capacity] or [options.fleet]); "
                "nothing to plan"]
    tokens = given(result.tokens)
    for i, opt in checked:
        by_month = given(opt.by_month)
        p = median_path(opt.totals)
        out.append(f"{opt.name}: the median path of {result.paths:,} (horizon total {money(float(opt.totals[p]))})")
        if i in result.setups:
            out += candidate_lines(result.setups[i])
        if i in result.reserved_gpus:
            out.append(f"  reservation sized for the forecast: {result.reserved_gpus[i]:.0f} GPUs")
        out.append(f"  {'month':>5} {'tokens/day':>14} {'GPUs needed':>11} {'GPUs':>5} {'utilisation':>11} "
                   f"{'busy':>6} {'not served/day':>14} {'cost':>10} {'$/M tokens':>10}")
        m = opt.metrics
        for t in range(result.months):
            month_tokens = float(tokens[t, p])
            cost = float(by_month[t, p])
            per_m = cost / month_tokens * 1e6 if month_tokens > 0 else float("nan")
            out.append(f"  {t + 1:>5} {month_tokens / days:>14,.0f} {m['gpus_needed'][t, p]:>11.0f} "
                       f"{m['gpus'][t, p]:>5.0f} {100 * m['utilization'][t, p]:>10.2g}% "
                       f"{100 * m['busy_fraction'][t, p]:>5.0f}% {m['shortfall_tokens'][t, p] / days:>14,.0f} "
                       f"{money(cost):>10} {per_m:>10.2f}")
    out += [f"{name}: GPUs not checked against the workload (no [options.capacity] or [options.fleet])"
            for name in unchecked]
    return out
