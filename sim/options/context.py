"""What every option needs to price a chunk: the scenario, the token paths, the calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sim.scenario import Scenario
from sim.workload import Tokens

if TYPE_CHECKING:
    from sim.config import Experiment


@dataclass
class PricingContext:
    scenario: Scenario
    tokens: Tokens
    hours_per_month: float
    experiment: Experiment | None = None
    #: option index -> reserved GPUs sized from the demand forecast (size_for), fixed per run
    reserved_gpus: dict[int, float] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """Month-major shape of a chunk's cost arrays: (months, n)."""
        return (self.scenario.months, self.scenario.n)
