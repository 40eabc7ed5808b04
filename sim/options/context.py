"""What every option needs to price a chunk: the scenario, the token paths, the calendar."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario
from sim.workload import Tokens


@dataclass
class PricingContext:
    scenario: Scenario
    tokens: Tokens
    hours_per_month: float

    @property
    def shape(self) -> tuple[int, int]:
        return (self.scenario.n, self.scenario.months)

    def full(self, value: np.ndarray | float) -> np.ndarray:
        """Broadcast a float, (n,1) or (n, months) value to a fresh (n, months) float64 array."""
        out = np.empty(self.shape)
        out[...] = value
        return out
