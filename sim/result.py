"""Result: cost per option x path x month (and per cost line), plus the inputs that made it. A
plain record of arrays: what is derived from it (tables, scenario re-runs, reports) is in
sim.study, which imports it, never the reverse."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from sim.config import Experiment
from sim.names import find

if TYPE_CHECKING:
    from sim.capacity.choose import Choice

Array = npt.NDArray[np.float64]


@dataclass
class LineResult:
    """One cost line of one option."""

    item: str
    category: str
    totals: Array  # (paths,) horizon total per path
    mean_by_month: Array  # (months,)
    by_month: npt.NDArray[np.float32] | None = None  # (months, paths), when line bands are kept


@dataclass
class OptionResult:
    """One option's costs on every path. Arrays are indexed by path in the run's path order, which
    is the same for every option, so ``a.totals - b.totals`` is a paired, path-by-path difference.

    ``totals``: (paths,) float64, the horizon total per path (USD). ``gpu_totals``: (paths,), the
    total of the option's GPU lines (category ``gpu``), None for an option without any. ``by_month``:
    (months, paths) float32 monthly cost, None in a totals-only run (a stress scenario). ``lines``:
    the cost lines, each with its per-path totals and mean by month. ``worst_month``: (paths,)
    float32, the dearest month, ``by_month.max(axis=0)``. ``months_over_budget``: (paths,) months of
    ``by_month`` above ``[budget] monthly``. ``metrics``:
    capacity and operations series, (months, paths) each (e.g. ``"gpus"``, ``"utilization"``)."""

    name: str
    kind: str
    by_month: npt.NDArray[np.float32] | None  # (months, paths) monthly cost, month-major; None: totals only
    totals: Array  # (paths,) horizon total
    lines: list[LineResult]
    worst_month: npt.NDArray[np.float32] | None = None  # (paths,) the dearest month, as by_month holds it
    gpu_totals: Array | None = None  # (paths,) horizon total of the option's GPU lines
    months_over_budget: npt.NDArray[np.int16] | None = None  # (paths,) months above budget.monthly
    metrics: dict[str, npt.NDArray[np.float32]] = field(default_factory=dict)  # (months, paths) each

    def cumulative(self) -> Array:
        """(months, paths) cumulative cost."""
        if self.by_month is None:
            raise ValueError(f"{self.name}: monthly costs were not kept (a totals-only run)")
        return np.cumsum(self.by_month, axis=0, dtype=np.float64)


@dataclass
class Result:
    """A run: the experiment, its paths and seed, and one OptionResult per option (in file order)."""

    experiment: Experiment
    paths: int
    seed: int
    options: list[OptionResult]
    inputs: dict[str, Array] = field(default_factory=dict)  # per-path draws by dotted config path
    workers: int = 1
    chunk_paths: int = 0
    line_bands: bool = True
    timings: dict[str, float] = field(default_factory=dict)
    reserved_gpus: dict[int, float] = field(default_factory=dict)  # size_for decisions, by option index
    # (months, paths) input + output tokens a month; kept only when a fleet is checked
    tokens: npt.NDArray[np.float32] | None = None
    ops_engine: str = "vectorized"
    ops_events: int = 0  # DES events processed (0 for the vectorised engine)
    setups: dict[int, Choice] = field(default_factory=dict)  # chosen GPU setups, by option index

    @property
    def name(self) -> str:
        """The experiment's name (``[experiment] name``)."""
        return self.experiment.experiment.name

    @property
    def months(self) -> int:
        return self.experiment.horizon

    @property
    def fixed(self) -> bool:
        """True when every option costs the same on every path (an all-fixed experiment): its
        probabilities are then exact, not estimates."""
        return all(float(np.ptp(o.totals)) == 0.0 for o in self.options)

    @property
    def percentile_levels(self) -> list[float]:
        return list(self.experiment.experiment.percentiles)

    def option(self, name: str) -> OptionResult:
        """The option called ``name`` (KeyError if there is none)."""
        return find(self.options, name)


__all__ = ["LineResult", "OptionResult", "Result"]
