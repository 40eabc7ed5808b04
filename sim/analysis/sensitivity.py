"""Sensitivity from the samples already drawn: which inputs move an option's horizon total (or
its difference from an alternative) most. Spearman rank correlation, and the swing of the median
between an input's bottom and top decile. Inputs are named by their dotted config path."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from sim.analysis.selection import stable_argsort
from sim.config import option_index, refs
from sim.result import Result
from sim.switch_config import StagedOption

#: enough paths for stable ranks; the first ones are used, so the answer does not depend on workers
MAX_PATHS = 100_000


#: stable argsort of each input's first paths, by input key: sensitivity and value of information
#: rank and bin the same inputs, so a Study sorts each once (a dict it passes to both)
Orders = dict[str, np.ndarray]


def input_order(result: Result, key: str, n: int, orders: Orders | None) -> np.ndarray:
    """np.argsort(result.inputs[key][:n], kind="stable"), from ``orders`` when it holds it."""
    if orders is not None and key in orders and orders[key].size == n:
        return orders[key]
    order = stable_argsort(result.inputs[key][:n])
    if orders is not None:
        orders[key] = order
    return order


def average_ranks(x: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Ranks 1..n along the last axis, ties sharing their mean rank (scipy.stats.rankdata's
    "average"; exact halves and integers either way), without importing scipy.stats (0.6 s).
    ``order``: np.argsort(x, axis=-1, kind="stable") when the caller has it."""
    rows = np.atleast_2d(x)
    m, n = rows.shape
    order = np.stack([stable_argsort(row) for row in rows]) if order is None else np.atleast_2d(order)
    ordered = np.take_along_axis(rows, order, axis=1)
    starts = np.ones((m, n), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group = np.cumsum(starts.ravel()) - 1
    first = np.flatnonzero(starts.ravel()) % n
    size = np.bincount(group)
    rank_of_group = first + (size + 1) / 2.0
    out = np.empty((m, n))
    np.put_along_axis(out, order, rank_of_group[group].reshape(m, n), axis=1)
    return out.reshape(np.shape(x))


def feeds(result: Result, index: int, key: str) -> bool:
    """Whether the input ``key`` can move option ``index``'s cost: its own inputs, the [market]
    entries it refers to, the GPU market of its provider class, and inputs of no option (workload);
    not another option's inputs, which could only show up as sampling noise (or through a correlation,
    which makes them no driver of this option)."""
    spec = result.experiment.options[index]
    if isinstance(spec, StagedOption):  # a staged plan is made of its two options
        return any(feeds(result, option_index(result.experiment, name), key) for name in (spec.start, spec.switch_to)) \
            or key.startswith(f"options[{index}]")
    own = re.match(r"options\[(\d+)\]", key)
    if own:
        return int(own.group(1)) == index
    if key.startswith("market."):
        return any(ref.name == key.split(".")[1] for _, ref in refs(spec))
    if key.startswith("catalog."):
        prov = getattr(spec, "provisioning", None)
        return prov is not None and prov.provider_class in key.split(".")
    return True


def _standard_ranks(result: Result, key: str, n: int, orders: Orders | None,
                    ranks: dict[str, np.ndarray] | None) -> np.ndarray:
    """An input's average ranks on its first ``n`` paths, standardised (mean 0, SD 1), from
    ``ranks`` when it holds them (each sensitivity pair of an option ranks the same inputs)."""
    if ranks is not None and key in ranks:
        return ranks[key]
    r: np.ndarray = average_ranks(result.inputs[key][:n], input_order(result, key, n, orders))
    r = (r - r.mean()) / r.std()
    if ranks is not None:
        ranks[key] = r
    return r


def sensitivity(result: Result, option: str, versus: str | None = None, orders: Orders | None = None,
                ranks: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """One row per varying input that feeds the target, sorted by |Spearman| with it: the
    option's horizon total, or (with ``versus``) the option's total minus the other option's,
    path by path. ``ranks``: standardised ranks by input key, filled and reused (sensitivity_table)."""
    n = min(result.paths, MAX_PATHS)
    y = result.option(option).totals[:n]
    indices = [option_index(result.experiment, option)]
    if versus is not None:
        y = y - result.option(versus).totals[:n]
        indices.append(option_index(result.experiment, versus))
    names = [k for k, v in result.inputs.items()
             if np.ptp(v[:n]) > 0 and any(feeds(result, i, k) for i in indices)]
    if not names or np.ptp(y) == 0:
        return pd.DataFrame(columns=["option", "versus", "input", "spearman", "median_low", "median_high", "swing"])
    x = np.stack([result.inputs[k][:n] for k in names])
    rx = np.stack([_standard_ranks(result, k, n, orders, ranks) for k in names])
    ry = average_ranks(y)
    ry = (ry - ry.mean()) / ry.std()
    rho = rx @ ry / n
    low_cut = np.quantile(x, 0.1, axis=1, keepdims=True)
    high_cut = np.quantile(x, 0.9, axis=1, keepdims=True)
    med_low = np.array([np.median(y[row <= cut]) for row, cut in zip(x, low_cut[:, 0], strict=True)])
    med_high = np.array([np.median(y[row >= cut]) for row, cut in zip(x, high_cut[:, 0], strict=True)])
    frame = pd.DataFrame({"option": option, "versus": versus or "", "input": names, "spearman": rho,
                          "median_low": med_low, "median_high": med_high, "swing": med_high - med_low})
    return frame.reindex(frame.spearman.abs().sort_values(ascending=False).index).reset_index(drop=True)


def label(result: Result, path: str) -> str:
    """'options[6].costs[7].fte' -> 'Self-hosted ... / MLOps engineer time / fte'."""
    match = re.match(r"options\[(\d+)\](?:\.costs\[(\d+)\])?\.?(.*)", path)
    if not match:
        return path
    opt = result.experiment.options[int(match.group(1))]
    parts = [opt.name]
    if match.group(2) is not None:
        parts.append(opt.costs[int(match.group(2))].item)
    if match.group(3):
        parts.append(match.group(3))
    return " / ".join(parts)


def default_pairs(result: Result) -> list[tuple[str, str | None]]:
    """Each self-hosted option alone, and against the API option with the lowest median total."""
    apis = [o for o in result.options if o.kind == "api"]
    best = min(apis, key=lambda o: float(np.median(o.totals))).name if apis else None
    pairs: list[tuple[str, str | None]] = []
    for opt in result.options:
        if opt.kind in ("self_hosted", "staged"):
            pairs.append((opt.name, None))
            if best is not None:
                pairs.append((opt.name, best))
    return pairs


def sensitivity_table(result: Result, orders: Orders | None = None) -> pd.DataFrame:
    ranks: dict[str, np.ndarray] = {}
    frames = [sensitivity(result, a, b, orders, ranks) for a, b in default_pairs(result)]
    frames = [f.assign(label=[label(result, p) for p in f.input]) for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["option", "versus", "input", "spearman", "median_low", "median_high", "swing"])
    return pd.concat(frames, ignore_index=True)
