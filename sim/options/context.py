"""What every option needs to price a chunk: the scenario, the token paths, the calendar."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.config import Experiment
from sim.scenario import Scenario
from sim.workload import Tokens


@dataclass
class PricingContext:
    scenario: Scenario
    tokens: Tokens
    hours_per_month: float
    experiment: Experiment
    #: option index -> reserved GPUs sized from the demand forecast (size_for), fixed per run
    reserved_gpus: dict[int, float] = field(default_factory=dict)
    ops_engine: str = "vectorized"  # "des" runs the SimPy fleet model per path
    ops_events: int = 0  # discrete events processed in this chunk (benchmark)

    @property
    def shape(self) -> tuple[int, int]:
        """Month-major shape of a chunk's cost arrays: (months, n)."""
        return (self.scenario.months, self.scenario.n)
