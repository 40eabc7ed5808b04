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
    ops_engine: str = "vectorized"  # "des" runs the SimPy fleet model per path
    ops_events: int = 0  # discrete events processed in this chunk (benchmark)

    def api_pricer(self, name: str):
        """Prices a share (months, n) of the tokens at the named API option's prices, on the same
        paths (its keys give the same draws as the option itself: common random numbers)."""
        from sim.options.api import token_lines
        from sim.workload import Tokens

        exp = self.experiment
        j = next(i for i, o in enumerate(exp.options) if o.name == name)

        def price(share):
            tokens = Tokens(self.tokens.input * share, self.tokens.output * share)
            return sum(token_lines(exp.options[j], f"options[{j}]", self.scenario, tokens).values())

        return price

    @property
    def shape(self) -> tuple[int, int]:
        """Month-major shape of a chunk's cost arrays: (months, n)."""
        return (self.scenario.months, self.scenario.n)
