"""When staged plans switch, and what the staging costs or saves against its two pure options."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.quantiles import row_percentiles, share
from sim.result import Result
from sim.switch_config import StagedOption

COLUMNS = ["option", "start", "switch_to", "p_switch", "p_switch_se", "live_month_p10", "live_month_p50",
           "live_month_p90", "p_moved_back", "vs_start_mean", "p_cheaper_than_start", "vs_switch_to_mean",
           "p_cheaper_than_switch_to"]


def go_live_months(on: np.ndarray) -> np.ndarray:
    """(months, paths) 0/1 -> the first month (1-based) on the self-hosted option, 0 if never."""
    first = np.argmax(on > 0, axis=0) + 1
    return np.where((on > 0).any(axis=0), first, 0)


def switch_table(result: Result) -> pd.DataFrame:
    """One row per staged option: share of paths that switch, the go-live month (P10/P50/P90 of
    the paths that do), share that moved back, and its paired difference from each pure option."""
    rows = []
    for spec, opt in zip(result.experiment.options, result.options, strict=True):
        if not isinstance(spec, StagedOption) or "on_self_hosted" not in opt.metrics:
            continue
        on = opt.metrics["on_self_hosted"]
        live = go_live_months(on)
        switched = live > 0
        p, se = share(switched)
        row = {"option": opt.name, "start": spec.start, "switch_to": spec.switch_to, "p_switch": p, "p_switch_se": se}
        if switched.any():
            p10, p50, p90 = row_percentiles(live[switched][None, :].astype(float), [10, 50, 90])[:, 0]
            row.update(live_month_p10=p10, live_month_p50=p50, live_month_p90=p90)
        moved_back = switched & (on[-1] == 0)
        row["p_moved_back"] = share(moved_back)[0]
        for side, name in (("start", spec.start), ("switch_to", spec.switch_to)):
            other = result.option(name).totals
            row[f"vs_{side}_mean"] = float((opt.totals - other).mean())
            row[f"p_cheaper_than_{side}"] = share(opt.totals < other)[0]
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


__all__ = ["go_live_months", "switch_table"]
