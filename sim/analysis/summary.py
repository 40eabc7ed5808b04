"""One row per option: horizon total percentiles with CIs, mean, P(cheapest), risk, TCO multiple
(beside the GPUs it refers to), and for a checked fleet the share of tokens it could not serve."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.bands import level_label
from sim.analysis.capacity import gpu_count, unserved_share
from sim.analysis.cheapest import prob_cheapest
from sim.analysis.quantiles import percentile_ci, row_percentiles
from sim.analysis.risk import budget_risk, safe_budgets, tco_multiplier
from sim.result import Result


def summary_table(result: Result) -> pd.DataFrame:
    levels = result.percentile_levels
    cheapest = prob_cheapest(result)
    rows = []
    for index, opt in enumerate(result.options):
        n = opt.totals.size
        row: dict[str, object] = {"option": opt.name, "kind": opt.kind, "paths": n}
        row["mean"] = float(opt.totals.mean())
        row["mean_se"] = float(opt.totals.std() / np.sqrt(n))
        ordered = np.sort(opt.totals)  # one sort serves the percentiles, their CIs, VaR and safe budgets
        est, lo, hi = percentile_ci(opt.totals, levels, ordered=ordered)
        for p, e, a, b in zip(levels, est, lo, hi, strict=True):
            tag = f"total_p{level_label(p)}"
            row[tag], row[f"{tag}_ci_low"], row[f"{tag}_ci_high"] = float(e), a, b
        row["p_cheapest"], row["p_cheapest_se"] = cheapest[opt.name]
        row.update(budget_risk(result, opt, ordered))
        row.update(safe_budgets(opt, ordered))
        ratio = tco_multiplier(opt)
        if ratio is not None and np.isfinite(ratio).all():
            t5, t50, t95 = row_percentiles(ratio[None, :], [5, 50, 95])[:, 0]
            row.update(tco_multiplier_p5=t5, tco_multiplier_p50=t50, tco_multiplier_p95=t95,
                       tco_gpus=gpu_count(result, index))
        short = unserved_share(result, opt)
        if short is not None:
            s50, s95 = row_percentiles(short[None, :], [50, 95])[:, 0]
            row.update(unserved_share_p50=s50, unserved_share_p95=s95)
        rows.append(row)
    return pd.DataFrame(rows)
