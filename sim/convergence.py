"""``--precision``: add paths until every option's P95 total is known to the asked relative
precision (half-width of its 95% order-statistic interval / its value), up to a cap. Draws depend
only on the seed and the path index, so a larger run extends the smaller one path for path."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sim.analysis.quantiles import p95_precision
from sim.config import Experiment
from sim.engine import run
from sim.result import Result
from sim.scenario import BLOCK_PATHS


def run_to_precision(exp: Experiment, precision: float, start: int, cap: int, run_kwargs: dict[str, Any],
                     progress: Callable[[int, int], None] | None = None) -> Result:
    """Run with ``start`` paths, then double (in whole seed blocks) until every option's P95
    precision is within ``precision`` or ``cap`` paths are reached. Returns the last Result, with
    ``timings["precision_rounds"]``."""
    paths = max(BLOCK_PATHS, math.ceil(start / BLOCK_PATHS) * BLOCK_PATHS)
    rounds = 0
    while True:
        rounds += 1
        result = run(exp, paths=min(paths, cap), progress=progress, **run_kwargs)
        worst = max(p95_precision(o.totals) for o in result.options)
        if worst <= precision or paths >= cap:
            result.timings["precision_rounds"] = rounds
            result.timings["precision_asked"] = precision
            result.timings["precision_achieved"] = worst
            return result
        # the CI width shrinks like 1/sqrt(n): aim for the asked precision, at least double
        ratio = worst / precision if math.isfinite(worst) else math.inf
        need = paths * min(ratio, 1e6) ** 2 * 1.1
        paths = int(min(cap, max(2 * paths, math.ceil(need / BLOCK_PATHS) * BLOCK_PATHS)))
