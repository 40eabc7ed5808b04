"""P(each option is cheapest over the horizon), measured on paired paths."""

from __future__ import annotations

import numpy as np

from sim.result import Result


def cheapest_shares(totals: np.ndarray) -> np.ndarray:
    """(options, paths) totals -> (options, paths) share of 'cheapest' (ties split evenly)."""
    best = totals.min(axis=0)
    winners = totals == best[None, :]
    return np.asarray(winners / winners.sum(axis=0)[None, :], dtype=float)


def prob_cheapest(result: Result) -> dict[str, tuple[float, float]]:
    """option -> (probability, standard error)."""
    totals = np.stack([o.totals for o in result.options])
    shares = cheapest_shares(totals)
    n = totals.shape[1]
    p = shares.mean(axis=1)
    se = shares.std(axis=1) / np.sqrt(n)
    return {o.name: (float(p[i]), float(se[i])) for i, o in enumerate(result.options)}
