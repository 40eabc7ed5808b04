"""Exact sample percentiles by selection (a radix histogram for long rows, else np.partition),
with order-statistic confidence intervals. Linear interpolation between order statistics, as
numpy's default method."""

from __future__ import annotations

import math

import numpy as np

from sim.analysis.selection import select_fastest, strategy, usable


def _ranks(n: int, levels: list[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h = (n - 1) * np.asarray(levels, dtype=float) / 100.0
    lo = np.floor(h).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    return lo, hi, h - lo


def binom_ppf(q: float, n: int, p: float) -> int:
    """The smallest k with P(Binomial(n, p) <= k) >= q (scipy.stats.binom.ppf's convention, for
    0 < q < 1), from the pmf summed over the mean +- 40 SD; the mass outside is below 1e-300.
    Computed here so that a run does not import scipy.stats (0.6 s) for two integers."""
    if p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    sd = math.sqrt(n * p * (1.0 - p))
    first = max(0, math.floor(n * p - 40.0 * sd - 40.0))
    last = min(n, math.ceil(n * p + 40.0 * sd + 40.0))
    k = np.arange(first, last + 1, dtype=np.float64)
    log_ratio = np.log((n - k[:-1]) / (k[:-1] + 1.0)) + math.log(p) - math.log1p(-p)
    anchor = math.lgamma(n + 1) - math.lgamma(first + 1) - math.lgamma(n - first + 1) + first * math.log(p) \
        + (n - first) * math.log1p(-p)
    log_pmf = anchor + np.concatenate([[0.0], np.cumsum(log_ratio)])
    cdf = np.cumsum(np.exp(log_pmf))
    # a CDF that meets q exactly (odd n, p = q = 1/2) must count as reaching it despite rounding
    return first + min(int(np.searchsorted(cdf, q * (1.0 - 1e-12), side="left")), last - first)


#: rows are taken in blocks of about this many values, so that the selection's temporaries stay
#: small beside the arrays themselves and in cache (1,000,000 paths: a month at a time; 100,000 paths:
#: 10 months; measured 0.65 s for the bench bands at 100k against 0.95 s with blocks of 4M)
BLOCK_CELLS = 1 << 20


def row_percentiles(arr: np.ndarray, levels: list[float]) -> np.ndarray:
    """Percentiles of each row of ``arr`` (rows x samples) -> (len(levels), rows) float64.

    Constant rows (fixed costs) skip selection and are returned exactly.
    """
    rows, n = arr.shape
    out = np.empty((len(levels), rows))
    step = max(1, BLOCK_CELLS // max(n, 1))
    for start in range(0, rows, step):
        out[:, start:start + step] = _block_percentiles(arr[start:start + step], levels)
    return out


def _block_percentiles(arr: np.ndarray, levels: list[float]) -> np.ndarray:
    rows, n = arr.shape
    lo, hi, frac = _ranks(n, levels)
    if usable(arr, nan_free=True) and strategy(arr.dtype) == "sort":
        return _sorted_percentiles(arr, lo, hi, frac)
    out = np.empty((len(levels), rows))
    first = arr[:, 0]
    smallest = arr.min(axis=1)  # a row holding NaN has a NaN minimum (and is not constant)
    const = smallest == arr.max(axis=1)
    out[:, const] = first[const].astype(np.float64)[None, :]
    vary = np.flatnonzero(~const)
    if vary.size:
        rows_ = arr if vary.size == rows else arr[vary]  # no copy when every row varies
        ranks = np.unique(np.concatenate([lo, hi]))
        if usable(rows_, nan_free=not np.isnan(smallest[vary]).any()):  # a radix histogram or a sort
            chosen = select_fastest(rows_, ranks)
            a = chosen[:, np.searchsorted(ranks, lo)].astype(np.float64)
            b = chosen[:, np.searchsorted(ranks, hi)].astype(np.float64)
        else:
            part = np.partition(rows_, ranks, axis=1)
            a = part[:, lo].astype(np.float64)
            b = part[:, hi].astype(np.float64)
        out[:, vary] = (a + (b - a) * frac[None, :]).T
    return out


def _sorted_percentiles(arr: np.ndarray, lo: np.ndarray, hi: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """_block_percentiles by one sort per row, where numpy sorts faster than it selects: a row's
    least and greatest values are its sorted ends, so no pass looks for them first (a NaN, sorted
    last, makes a row vary; its ranks are those np.partition gives)."""
    ordered = np.sort(arr, axis=1)
    a = ordered[:, lo].astype(np.float64)
    b = ordered[:, hi].astype(np.float64)
    out: np.ndarray = (a + (b - a) * frac[None, :]).T
    const = ordered[:, 0] == ordered[:, -1]
    out[:, const] = arr[const, 0].astype(np.float64)[None, :]
    return out


def cumulative_percentiles(by_month: np.ndarray, levels: list[float]) -> np.ndarray:
    """row_percentiles of np.cumsum(by_month, axis=0, dtype=float64), the running total built a
    block of months at a time (the same additions in the same order: identical values) instead
    of a second (months, paths) float64 array."""
    months, n = by_month.shape
    out = np.empty((len(levels), months))
    step = max(1, BLOCK_CELLS // max(n, 1))
    running = np.zeros(n)
    for start in range(0, months, step):
        rows = min(step, months - start)
        block = running[None, :] if rows == 1 else np.empty((rows, n))  # one month: no copy
        for k in range(rows):
            np.add(running, by_month[start + k], out=running, dtype=np.float64)  # as running += (no cast buffer)
            if rows > 1:
                block[k] = running
        out[:, start:start + step] = _block_percentiles(block, levels)
    return out


def ordered_percentiles(ordered: np.ndarray, levels: list[float]) -> np.ndarray:
    """Percentiles of a sorted 1-D sample (np.sort's order): the order statistics are read off, no
    selection; the same values as row_percentiles of the unsorted sample."""
    lo, hi, frac = _ranks(ordered.size, levels)
    a, b = ordered[lo].astype(np.float64), ordered[hi].astype(np.float64)
    out: np.ndarray = a + (b - a) * frac
    return out


def percentile_ci(
    values: np.ndarray, levels: list[float], confidence: float = 0.95, ordered: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentiles of a 1-D sample with distribution-free CIs from binomial order statistics.

    The interval [x_(r), x_(s)] covers the true p-quantile with probability >= ``confidence``
    (r, s from Binomial(n, p) quantiles). Returns (estimate, ci_low, ci_high). ``ordered``:
    np.sort(values), when the caller has it (the order statistics are then read off).
    """
    n = values.size
    p = np.asarray(levels, dtype=float) / 100.0
    alpha = (1 - confidence) / 2
    r = np.clip([binom_ppf(alpha, n, pi) for pi in p], 1, n) - 1  # 0-based
    s = np.clip([binom_ppf(1 - alpha, n, pi) + 1 for pi in p], 1, n) - 1
    lo, hi, frac = _ranks(n, levels)
    part = ordered if ordered is not None else np.partition(values, np.unique(np.concatenate([lo, hi, r, s])))
    est = part[lo] + (part[hi] - part[lo]) * frac
    return est, part[r].astype(float), part[s].astype(float)


def tail_mean(values: np.ndarray, level: float = 95.0, ordered: np.ndarray | None = None) -> tuple[float, float]:
    """(VaR, CVaR) at ``level``: the level-percentile, and the mean of the worst (100 - level)%
    of outcomes, VaR + E[(X - VaR)+] / (1 - level/100) (Rockafellar & Uryasev 2002): with ties at
    the VaR it counts only the share of them that falls in the tail. ``ordered``: np.sort(values)."""
    var = float(row_percentiles(values[None, :], [level])[0, 0] if ordered is None
                else ordered_percentiles(ordered, [level])[0])
    excess = np.maximum(np.asarray(values, dtype=np.float64) - var, 0.0)
    return var, var + float(excess.mean()) / (1.0 - level / 100.0)


def percentile_rank(values: np.ndarray, x: float) -> float:
    """Where ``x`` sits in the sample, in percent (mid-rank for ties)."""
    below = np.count_nonzero(values < x)
    equal = np.count_nonzero(values == x)
    return 100.0 * (below + 0.5 * equal) / values.size


def band(values: np.ndarray) -> tuple[float, float, float]:
    """P5, P50 and P95 of a 1-D sample (exact sample percentiles)."""
    p5, p50, p95 = row_percentiles(np.asarray(values)[None, :], [5, 50, 95])[:, 0]
    return float(p5), float(p50), float(p95)


def share(hits: np.ndarray) -> tuple[float, float]:
    """The share of True in a 1-D sample and its binomial standard error sqrt(p(1 - p) / n)."""
    n = hits.size
    p = float(np.count_nonzero(hits)) / n
    return p, float(np.sqrt(p * (1 - p) / n))


def p95_precision(totals: np.ndarray) -> float:
    """Half-width of the 95% CI of the P95 over its value (0 for a constant)."""
    est, lo, hi = percentile_ci(totals, [95.0])
    if est[0] == 0:
        return 0.0 if hi[0] == lo[0] else math.inf
    return float((hi[0] - lo[0]) / 2 / abs(est[0]))
