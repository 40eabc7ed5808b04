"""Result: cost per option x path x month (and per cost line), plus the inputs that made it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from sim.config import Experiment


@dataclass
class LineResult:
    """One cost line of one option."""

    item: str
    category: str
    totals: np.ndarray  # (paths,) float64, horizon total per path
    mean_by_month: np.ndarray  # (months,) float64
    by_month: np.ndarray | None = None  # (months, paths) float32, when line bands are kept


@dataclass
class OptionResult:
    name: str
    kind: str
    by_month: np.ndarray | None  # (months, paths) float32 monthly cost (month-major); None: totals only
    totals: np.ndarray  # (paths,) float64 horizon total
    lines: list[LineResult]
    worst_month: np.ndarray | None = None  # (paths,) float64 the dearest month of each path
    gpu_totals: np.ndarray | None = None  # (paths,) horizon total of the option's GPU lines
    months_over_budget: np.ndarray | None = None  # (paths,) int16, months above budget.monthly
    metrics: dict[str, np.ndarray] = field(default_factory=dict)  # capacity: (months, paths) float32

    def cumulative(self) -> np.ndarray:
        """(months, paths) float64 cumulative cost."""
        return np.cumsum(self.by_month, axis=0, dtype=np.float64)


@dataclass
class Result:
    experiment: Experiment
    paths: int
    seed: int
    options: list[OptionResult]
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    workers: int = 1
    chunk_paths: int = 0
    line_bands: bool = True
    timings: dict[str, float] = field(default_factory=dict)
    reserved_gpus: dict[int, float] = field(default_factory=dict)  # size_for decisions, by option index
    tokens: np.ndarray | None = None  # (months, paths) float32: input + output tokens per month
    ops_engine: str = "vectorized"
    ops_events: int = 0  # DES events processed (0 for the vectorised engine)
    scenarios: list = field(default_factory=list)  # [(stress scenario name, Result)], same seed and paths
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def months(self) -> int:
        return self.experiment.horizon

    @property
    def percentile_levels(self) -> list[float]:
        return list(self.experiment.experiment.percentiles)

    def option(self, name: str) -> OptionResult:
        for opt in self.options:
            if opt.name == name:
                return opt
        raise KeyError(name)

    # --- analysis, for notebooks (the report uses the same functions) ---
    def percentiles(self) -> pd.DataFrame:
        """Tidy bands: columns option, metric, month, percentile, value (as percentiles.csv)."""
        from sim.analysis.bands import percentile_table

        if "bands" not in self._tables:  # the report reuses them: computing is the costly part
            self._tables["bands"] = percentile_table(self)
        return self._tables["bands"].copy()

    def prob_cheapest(self) -> dict[str, tuple[float, float]]:
        """option -> (P(cheapest over the horizon), its standard error), on paired paths."""
        from sim.analysis.cheapest import prob_cheapest

        return prob_cheapest(self)

    def summary(self) -> pd.DataFrame:
        from sim.analysis.summary import summary_table

        if "summary" not in self._tables:
            self._tables["summary"] = summary_table(self)
        return self._tables["summary"].copy()

    def sensitivity(self) -> pd.DataFrame:
        """Inputs ranked by Spearman correlation with each self-hosted total (and its difference
        from the cheapest API): the rows of sensitivity.csv."""
        from sim.analysis.sensitivity import sensitivity_table

        if "sensitivity" not in self._tables:
            self._tables["sensitivity"] = sensitivity_table(self)
        return self._tables["sensitivity"].copy()

    def run_scenarios(self) -> list:
        """Run the experiment's [[scenarios]] at this run's seed and paths (common random numbers)."""
        from sim.stress import run_scenarios

        if self.experiment.scenarios and not self.scenarios:
            self.scenarios = run_scenarios(self.experiment, self.paths, self.seed, self.workers, self.ops_engine)
        return self.scenarios

    def write_report(self, out_dir: str | Path, wall_time: float | None = None) -> Path:
        from sim.report.writer import write_report

        return write_report(self, Path(out_dir), wall_time=wall_time)
