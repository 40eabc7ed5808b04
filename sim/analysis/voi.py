"""Value of information: what knowing the uncertain inputs before choosing an option would save.

EVPI = min_i E[C_i] - E[min_i C_i]: the expected saving of a decision-maker who could see each
path's outcome before choosing, over one who must choose on the means. EVPPI of one input: the
same saving when only that input is known, E over the input of min_i E[C_i | input], with the
conditional means estimated by binning the existing paths on the input (Strong & Oakley 2013's
nonparametric approach in its simplest form; Sadatsafavi et al. 2013). Costs are minimised.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.selection import stable_argsort
from sim.analysis.sensitivity import MAX_PATHS, Orders, input_order, label
from sim.result import Result

#: batches of contiguous paths for the standard error (batch means; paths are independent draws)
BATCHES = 10

#: savings below this share of the largest mean cost are summation-order residue, not value
RESIDUE = 1e-9

COLUMNS = ["kind", "input", "label", "value", "se", "noise_floor", "share_of_evpi", "bins"]


def bins_for(n: int) -> int:
    """Bins on the input: n^(1/3) (a bias-variance balance for a binned regression), 4 to 50."""
    return int(min(50, max(4, round(n ** (1 / 3)))))


def evpi(costs: np.ndarray) -> tuple[float, float]:
    """(EVPI, its standard error) from (options, paths) costs on paired paths."""
    means = costs.mean(axis=1)
    gain = np.maximum(costs[int(np.argmin(means))] - costs.min(axis=0), 0.0)
    n = costs.shape[1]
    se = float(gain.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    return float(gain.mean()), se


def decided_cost(costs: np.ndarray, groups: np.ndarray, count: int) -> float:
    """Mean cost when the option is chosen per group of paths on its group mean: the expected cost
    of deciding after learning which group a path is in."""
    sums = np.stack([np.bincount(groups, weights=row, minlength=count) for row in costs])
    return float(sums.min(axis=0).sum() / costs.shape[1])


def groups_of(x: np.ndarray, bins: int, order: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Group id per path: the input's distinct values when there are at most ``bins`` of them
    (an exact conditional mean), else ``bins`` equal-count bins of its rank. ``order``:
    np.argsort(x, kind="stable") when the caller has it."""
    order = stable_argsort(x) if order is None else order
    ordered = x[order]
    new = np.empty(x.size, dtype=bool)
    new[0], new[1:] = True, ordered[1:] != ordered[:-1]
    out = np.empty(x.size, dtype=np.int64)
    distinct = int(np.count_nonzero(new))
    if distinct <= bins:
        out[order] = np.cumsum(new) - 1
        return out, distinct
    out[order] = np.arange(x.size) * bins // x.size
    return out, bins


def evppi(costs: np.ndarray, x: np.ndarray, bins: int | None = None, order: np.ndarray | None = None) -> float:
    """EVPPI of the input ``x`` (per path) for the choice among the rows of ``costs``; between 0
    and the EVPI of the same paths by construction."""
    groups, count = groups_of(x, bins or bins_for(x.size), order)
    return _saving(costs, groups, count)


def _saving(costs: np.ndarray, groups: np.ndarray, count: int) -> float:
    """min_i mean_i minus the decided cost: >= 0 in exact arithmetic (a sum of minima is at most
    the minimum of sums); a residue of summation order (|d| <= 1e-9 of the costs) is 0."""
    means = costs.mean(axis=1)
    saving = float(means.min()) - decided_cost(costs, groups, count)
    return saving if saving > RESIDUE * float(np.abs(means).max()) else 0.0


def evppi_with_error(costs: np.ndarray, x: np.ndarray,
                     order: np.ndarray | None = None) -> tuple[float, float, float, int]:
    """(EVPPI, standard error by batch means, noise floor, bins). The noise floor is the same
    estimator with paths binned by their index instead of the input (an input of no value with
    this many paths): binning noise lifts every estimate by about that much. ``order``:
    np.argsort(x, kind="stable"), whose paths inside a batch are that batch's own stable order."""
    n = x.size
    bins = bins_for(n)
    order = stable_argsort(x) if order is None else order
    value = evppi(costs, x, bins, order)
    floor = _saving(costs, np.arange(n) * bins // n, bins)
    size = n // BATCHES
    if size < 8:
        return value, math.nan, floor, bins
    batch = [evppi(costs[:, b * size:(b + 1) * size], x[b * size:(b + 1) * size], None, own)
             for b, own in enumerate(_within_batches(order, size, BATCHES))]
    # batches of n/K paths vary sqrt(K) times more than the whole sample
    return value, float(np.std(batch, ddof=1) / math.sqrt(BATCHES)), floor, bins


def _within_batches(order: np.ndarray, size: int, count: int) -> list[np.ndarray]:
    """The stable order of each batch of ``size`` paths alone (paths b*size.. of batch b), taken
    from the whole sample's: sorting by (value, index) and keeping a range of indices leaves them
    in their own (value, index) order. One stable sort of the batch numbers (a radix sort of small
    integers) groups them all, where a mask per batch read the whole order ``count`` times."""
    batch = order // size
    kept = batch < count  # the remainder beyond count * size paths is in no batch
    ids = batch[kept].astype(np.int16)
    grouped = order[kept][np.argsort(ids, kind="stable")]
    ends = np.cumsum(np.bincount(ids, minlength=count))
    return [part - b * size for b, part in enumerate(np.split(grouped, ends[:-1]))]


def voi_table(result: Result, orders: Orders | None = None) -> pd.DataFrame:
    """EVPI, then EVPPI of every sampled input that varies, largest first (the rows of voi.csv).
    Empty with fewer than two options. The first ``MAX_PATHS`` paths are used (as for
    sensitivity), so the table does not depend on the worker count."""
    if len(result.options) < 2:
        return pd.DataFrame(columns=COLUMNS)
    n = min(result.paths, MAX_PATHS)
    costs = np.stack([np.asarray(o.totals[:n], dtype=np.float64) for o in result.options])
    total, total_se = evpi(costs)
    rows = [{"kind": "evpi", "input": "", "label": "all uncertain inputs (perfect information)",
             "value": total, "se": total_se, "noise_floor": 0.0, "share_of_evpi": 1.0 if total > 0 else math.nan,
             "bins": 0}]
    partial: list[dict[str, Any]] = []
    for key, values in result.inputs.items():
        x = np.asarray(values[:n])
        if x.ndim != 1 or np.ptp(x) == 0:
            continue
        value, se, floor, bins = evppi_with_error(costs, x, input_order(result, key, n, orders))
        partial.append({"kind": "evppi", "input": key, "label": label(result, key), "value": value, "se": se,
                        "noise_floor": floor, "share_of_evpi": value / total if total > 0 else math.nan,
                        "bins": bins})
    partial.sort(key=lambda r: -float(r["value"]))
    return pd.DataFrame(rows + partial, columns=COLUMNS)


def chosen_option(result: Result) -> str:
    """The option a decision on the means picks (lowest mean horizon total on the paths used)."""
    n = min(result.paths, MAX_PATHS)
    return result.options[int(np.argmin([o.totals[:n].mean() for o in result.options]))].name


__all__ = ["chosen_option", "evpi", "evppi", "evppi_with_error", "voi_table"]
