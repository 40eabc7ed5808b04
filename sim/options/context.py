"""What every option needs to price a chunk: the scenario, the token paths, the calendar."""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario import Scenario
from sim.workload import Tokens


@dataclass
class PricingContext:
    scenario: Scenario
    tokens: Tokens
    hours_per_month: float

    @property
    def shape(self) -> tuple[int, int]:
        """Month-major shape of a chunk's cost arrays: (months, n)."""
        return (self.scenario.months, self.scenario.n)
