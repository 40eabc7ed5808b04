"""Percentile bands per month (monthly and cumulative cost, per cost line) as a tidy table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.quantiles import cumulative_percentiles, row_percentiles
from sim.analysis.risk import tco_multiplier
from sim.parallel import worker_pool
from sim.result import Result
from sim.specs import given

COLUMNS = ["option", "metric", "month", "percentile", "value"]


def level_label(p: float) -> int | float:
    """5.0 -> 5, 2.5 -> 2.5: percentiles as written in the file."""
    return int(p) if float(p).is_integer() else float(p)


def level_array(levels: list[float]) -> np.ndarray:
    """The percentile column: whole numbers as int64 when every level is whole (5, 50, 95), else
    float64 (2.5, 50.0); numeric either way, never an object column."""
    values = np.asarray(levels, dtype=float)
    return values.astype(np.int64) if np.all(values == np.round(values)) else values


def _rows(option: str, metric: str, values: np.ndarray, levels: list[float], months: np.ndarray) -> pd.DataFrame:
    """values: (levels, len(months)) -> tidy frame."""
    k, m = values.shape
    return pd.DataFrame({
        "option": option,
        "metric": metric,
        "month": np.tile(months, k),
        "percentile": np.repeat(level_array(levels), m),
        "value": values.ravel(),
    })


#: below this many cells (paths x months, all series) a process pool costs more than it saves
PARALLEL_MIN_CELLS = 20_000_000

_SHARED: Result | None = None  # set before forking, so workers read the arrays copy-on-write


def _jobs(result: Result) -> list[tuple[int, str, int]]:
    jobs = []
    for i, opt in enumerate(result.options):
        jobs += [(i, "monthly_cost", -1), (i, "cumulative_cost", -1)]
        jobs += [(i, "line", j) for j, line in enumerate(opt.lines) if line.by_month is not None]
        jobs += [(i, f"metric:{name}", -1) for name in opt.metrics]
        ratio = tco_multiplier(opt)
        if ratio is not None and np.isfinite(ratio).all():
            jobs.append((i, "tco_multiplier", -1))
    return jobs


def _compute(job: tuple[int, str, int], result: Result | None = None) -> np.ndarray:
    """Percentiles of one series: (levels, months) or (levels, 1) for the TCO multiplier."""
    result = result if result is not None else _SHARED
    assert result is not None
    i, metric, j = job
    opt = result.options[i]
    levels = result.percentile_levels
    if metric == "monthly_cost":
        return row_percentiles(given(opt.by_month), levels)
    if metric == "cumulative_cost":
        return cumulative_percentiles(given(opt.by_month), levels)
    if metric == "line":
        return row_percentiles(given(opt.lines[j].by_month), levels)
    if metric.startswith("metric:"):
        return row_percentiles(opt.metrics[metric.removeprefix("metric:")], levels)
    return row_percentiles(given(tco_multiplier(opt))[None, :], levels)


def _compute_all(result: Result, jobs: list[tuple[int, str, int]], workers: int) -> list[np.ndarray]:
    cells = result.paths * result.months * len(jobs)
    if workers <= 1 or cells < PARALLEL_MIN_CELLS:
        return [_compute(job, result) for job in jobs]
    global _SHARED
    _SHARED = result
    try:
        with worker_pool(min(workers, len(jobs))) as pool:
            return list(pool.imap(_compute, jobs))
    finally:
        _SHARED = None


def percentile_table(result: Result, workers: int | None = None) -> pd.DataFrame:
    """Every band the report shows, in one tidy frame (the content of percentiles.csv).

    With ``workers`` > 1 (default: the run's), series are split over forked processes; the
    numbers are the same either way.
    """
    levels = result.percentile_levels
    months = np.arange(1, result.months + 1)
    jobs = _jobs(result)
    values = _compute_all(result, jobs, result.workers if workers is None else workers)
    frames = []
    for (i, metric, j), vals in zip(jobs, values, strict=True):
        opt = result.options[i]
        name = f"line:{opt.lines[j].item}" if metric == "line" else metric.removeprefix("metric:")
        frames.append(_rows(opt.name, name, vals, levels, months[-1:] if metric == "tco_multiplier" else months))
    return pd.concat(frames, ignore_index=True)[COLUMNS]
