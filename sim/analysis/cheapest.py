"""P(each option is cheapest over the horizon), measured on paired paths."""

from __future__ import annotations

import numpy as np

from sim.result import Result


def prob_cheapest(result: Result) -> dict[str, tuple[float, float]]:
    """option -> (probability, standard error), one option's row of shares at a time (the full
    (options, paths) array of shares is 56 MB at 7 options and 1M paths, for seven numbers)."""
    best = result.options[0].totals.copy()
    for o in result.options[1:]:
        np.minimum(best, o.totals, out=best)  # in place: np.minimum.reduce would stack (options, paths)
    count = np.zeros(best.size, dtype=np.int32)
    for o in result.options:
        count += o.totals == best
    n = best.size
    out = {}
    for o in result.options:
        row = (o.totals == best) / count
        out[o.name] = (float(row.mean()), float(row.std() / np.sqrt(n)))
    return out
