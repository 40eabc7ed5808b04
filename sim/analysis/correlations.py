"""Correlated inputs: each rank correlation the experiment asked for beside the one achieved."""

from __future__ import annotations

import pandas as pd

from sim.correlations import resolve
from sim.result import Result


def correlation_table(result: Result) -> pd.DataFrame:
    """Each asked rank correlation beside the one achieved in the drawn inputs."""
    from scipy.stats import spearmanr  # 0.6 s to import: only for experiments that correlate inputs

    rows = []
    for entry in result.experiment.correlations:
        ka, kb = resolve(result.experiment, entry.a)[0], resolve(result.experiment, entry.b)[0]
        achieved = float(spearmanr(result.inputs[ka], result.inputs[kb])[0])
        rows.append({"a": entry.a, "b": entry.b, "asked": entry.rank_correlation, "achieved": achieved})
    return pd.DataFrame(rows, columns=["a", "b", "asked", "achieved"])
