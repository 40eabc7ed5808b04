"""When options move to their successors (newer, cheaper API models; newer open models on a
self-hosted fleet): on what share of paths within the horizon, in which month, at what cost."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.config import ApiOption
from sim.result import Result


def _successors(spec: object) -> list[Any]:
    if isinstance(spec, ApiOption):
        return list(spec.successors)
    serving = getattr(spec, "capacity", None) or getattr(spec, "fleet", None)
    return list(serving.successors) if serving is not None else []


def succession_table(result: Result) -> pd.DataFrame:
    """A row per option and successor: share of paths on which it takes the traffic within the
    horizon, the month it does (median and P10-P90 over those paths), mean migration cost, and the
    option's mean cost of evaluation traffic (all its successors)."""
    rows = []
    for spec, opt in zip(result.experiment.options, result.options, strict=True):
        generation = opt.metrics.get("model_generation")
        if generation is None:
            continue
        lines = {line.item: line for line in opt.lines}
        evaluation = lines.get("Evaluation traffic")
        evaluated = float(evaluation.totals.mean()) if evaluation is not None else 0.0
        for k, succ in enumerate(_successors(spec)):
            served = np.asarray(generation, float) >= k + 1
            happens = served.any(axis=0)
            first = np.argmax(served, axis=0)[happens] + 1  # 1-based month it takes the traffic
            p10, p50, p90 = np.quantile(first, [0.1, 0.5, 0.9]) if first.size else (np.nan,) * 3
            migration = lines.get(f"Migration to {succ.name}")
            rows.append({"option": opt.name, "successor": succ.name, "share_of_paths": float(happens.mean()),
                         "month_p10": float(p10), "month_p50": float(p50), "month_p90": float(p90),
                         "migration_cost_mean": float(migration.totals.mean()) if migration is not None else 0.0,
                         "option_evaluation_cost_mean": evaluated})
    return pd.DataFrame(rows)


__all__ = ["succession_table"]
