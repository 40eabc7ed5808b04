"""Percentile bands per month (monthly and cumulative cost, per cost line) as a tidy table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.quantiles import row_percentiles
from sim.analysis.risk import tco_multiplier
from sim.result import Result

COLUMNS = ["option", "metric", "month", "percentile", "value"]


def level_label(p: float) -> int | float:
    """5.0 -> 5, 2.5 -> 2.5: percentiles as written in the file."""
    return int(p) if float(p).is_integer() else float(p)


def _rows(option: str, metric: str, values: np.ndarray, levels: list[float], months: np.ndarray):
    """values: (levels, len(months)) -> tidy frame."""
    k, m = values.shape
    return pd.DataFrame({
        "option": option,
        "metric": metric,
        "month": np.tile(months, k),
        "percentile": np.repeat(np.array([level_label(p) for p in levels], dtype=object), m),
        "value": values.ravel(),
    })


def percentile_table(result: Result) -> pd.DataFrame:
    """Every band the report shows, in one tidy frame (the content of percentiles.csv)."""
    levels = result.percentile_levels
    months = np.arange(1, result.months + 1)
    frames = []
    for opt in result.options:
        frames.append(_rows(opt.name, "monthly_cost", row_percentiles(opt.by_month, levels), levels, months))
        frames.append(_rows(opt.name, "cumulative_cost", row_percentiles(opt.cumulative(), levels), levels, months))
        for line in opt.lines:
            if line.by_month is not None:
                frames.append(_rows(opt.name, f"line:{line.item}",
                                    row_percentiles(line.by_month, levels), levels, months))
        ratio = tco_multiplier(opt)
        if ratio is not None and np.isfinite(ratio).all():
            frames.append(_rows(opt.name, "tco_multiplier", row_percentiles(ratio[None, :], levels),
                                levels, months[-1:]))
    return pd.concat(frames, ignore_index=True)[COLUMNS]
