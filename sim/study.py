"""A Study is what one run means: its Result (a record of arrays) and everything derived from it
(percentile bands, P(cheapest), the summary, sensitivity, stress-scenario re-runs, the report),
each computed once and kept. ``sim.run`` returns one; the report and the CLI read from it.

    study = sim.run(exp, paths=20_000, seed=1)
    study.percentiles(); study.prob_cheapest(); study.summary(); study.write_report("reports/x")
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.bands import percentile_table
from sim.analysis.cheapest import prob_cheapest
from sim.analysis.claims import ClaimCheck, check_claims
from sim.analysis.correlations import correlation_table
from sim.analysis.notes import notes as run_notes
from sim.analysis.sensitivity import Orders, sensitivity_table
from sim.analysis.succession import succession_table
from sim.analysis.summary import summary_table
from sim.analysis.switch import switch_table
from sim.analysis.voi import voi_table
from sim.config import Experiment
from sim.engine import run as simulate
from sim.progress import Progress
from sim.result import OptionResult, Result
from sim.stress import run_scenarios, scenario_table


class Study:
    """A run's Result and its derived tables (cached: the report reuses what a notebook computed)."""

    def __init__(self, result: Result, scenarios: list[tuple[str, Result]] | None = None) -> None:
        self.result = result
        self._scenarios = scenarios
        self._tables: dict[str, pd.DataFrame] = {}
        self._orders: Orders = {}  # each input sorted once for sensitivity and value of information

    # --- the record ------------------------------------------------------------------------
    @property
    def experiment(self) -> Experiment:
        return self.result.experiment

    @property
    def name(self) -> str:
        """The experiment's name (it names the report folder)."""
        return self.result.experiment.experiment.name

    @property
    def paths(self) -> int:
        return self.result.paths

    @property
    def seed(self) -> int:
        return self.result.seed

    @property
    def months(self) -> int:
        return self.result.months

    @property
    def options(self) -> list[OptionResult]:
        return self.result.options

    def option(self, name: str) -> OptionResult:
        """Per-path arrays of one option: ``.totals``, ``.gpu_totals``, ``.by_month``, ``.lines``."""
        return self.result.option(name)

    @property
    def inputs(self) -> dict[str, Any]:
        return self.result.inputs

    @property
    def timings(self) -> dict[str, float]:
        return self.result.timings

    # --- derived, computed once --------------------------------------------------------------
    def _cached(self, key: str, make: Any) -> pd.DataFrame:
        if key not in self._tables:
            self._tables[key] = make()
        return self._tables[key].copy()

    def percentiles(self) -> pd.DataFrame:
        """Tidy bands: columns option, metric, month, percentile, value (as percentiles.csv)."""
        return self._cached("bands", lambda: percentile_table(self.result))

    def prob_cheapest(self) -> dict[str, tuple[float, float]]:
        """option -> (P(cheapest over the horizon), its standard error), on paired paths."""
        return prob_cheapest(self.result)

    def summary(self) -> pd.DataFrame:
        """One row per option (the rows of summary.csv)."""
        return self._cached("summary", lambda: summary_table(self.result))

    def sensitivity(self) -> pd.DataFrame:
        """Inputs ranked by Spearman correlation with each self-hosted total (and its difference
        from the cheapest API): the rows of sensitivity.csv."""
        return self._cached("sensitivity", lambda: sensitivity_table(self.result, self._orders))

    def value_of_information(self) -> pd.DataFrame:
        """EVPI, then the EVPPI of each sampled input, largest first (the rows of voi.csv): what
        knowing everything, or one input, before choosing would save in expectation."""
        return self._cached("voi", lambda: voi_table(self.result, self._orders))

    def switches(self) -> pd.DataFrame:
        """Per staged plan: share of paths that switch, go-live month, paired difference from its
        two pure options (the rows of switch.csv)."""
        return self._cached("switch", lambda: switch_table(self.result))

    def correlations(self) -> pd.DataFrame:
        """Each asked rank correlation beside the achieved one (correlations.csv)."""
        return self._cached("correlations", lambda: correlation_table(self.result))

    def notes(self) -> list[str]:
        """Sentences a reader must not miss (printed after the summary, near the top of the report):
        fleets unchecked or short of their load, setups chosen, prices left at their base tier."""
        return run_notes(self.result)

    def succession(self) -> pd.DataFrame:
        """Per option and successor: share of paths it takes over on, the month, migration cost."""
        return self._cached("succession", lambda: succession_table(self.result))

    def claims(self) -> list[ClaimCheck]:
        return check_claims(self.result)

    def run_scenarios(self, progress: Callable[[int, int], None] | None = None) -> list[tuple[str, Result]]:
        """The experiment's [[scenarios]] at this run's seed and paths (common random numbers):
        [(scenario name, Result)], each Result holding per-path totals, worst months and months
        over budget. ``progress(done, total)`` is called after each scenario."""
        if self._scenarios is None:
            r = self.result
            self._scenarios = run_scenarios(r.experiment, r.paths, r.seed, r.workers, r.ops_engine, progress)
        return self._scenarios

    @property
    def scenarios(self) -> list[tuple[str, Result]]:
        """The scenario runs made so far (run_scenarios() makes them)."""
        return self._scenarios or []

    @property
    def fixed(self) -> bool:
        """True when the base run and every scenario run so far cost the same on every path: its
        probabilities are then exact, not estimates."""
        return self.result.fixed and all(res.fixed for _, res in self.scenarios)

    def scenario(self, name: str) -> Result:
        """The Result of the stress scenario called ``name`` (run on first use), e.g.
        ``study.scenario("GPU shortage").option("Self-hosted").totals``: per-path totals on the
        same paths as the base run. Its options hold totals, worst months and months over budget."""
        runs = dict(self.run_scenarios())
        if name not in runs:
            raise KeyError(f"no scenario {name!r} (have: {', '.join(runs) or 'none'})")
        return runs[name]

    def scenario_table(self) -> pd.DataFrame:
        """Per scenario (the base case first) and option: total bands, the paired change from the
        base case, P(cheapest) and the budget figures (the rows of scenarios.csv)."""
        return self._cached("scenarios", lambda: scenario_table(self.result, self.run_scenarios()))

    def write_report(self, out_dir: str | Path, wall_time: float | None = None,
                     progress: Progress | None = None, started: float | None = None) -> Path:
        """Write every report file to ``out_dir`` (replacing only a previous report of ours);
        ``progress`` (a sim.progress.Progress) is told of the charts and the writing. The report
        states ``wall_time`` as the simulation and analysis time, or with ``started`` (a
        time.perf_counter() reading) the time from then until its last table is written."""
        from sim.report.writer import write_report  # the report draws charts: matplotlib loads on demand

        return write_report(self, Path(out_dir), wall_time=wall_time, progress=progress, started=started)


def run(exp: Experiment, **kwargs: Any) -> Study:
    """Simulate (sim.engine.run's arguments) and return the Study of the run."""
    return Study(simulate(exp, **kwargs))


__all__ = ["Study", "run"]
