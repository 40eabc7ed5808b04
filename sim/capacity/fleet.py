"""A fleet written by hand (its GPUs priced in the option's own cost lines), checked against the
workload on every path and month exactly as a sized fleet is: the replicas it forms, what they
serve within the SLOs, the shortfall (to an overflow API, or unserved)."""

from __future__ import annotations

from sim.capacity.config import Fleet, Spares
from sim.capacity.provisioning import CapacityOutcome
from sim.capacity.sizing import Pricer, Setup, served, size
from sim.pricing import LineSet
from sim.scenario import Scenario
from sim.workload import Tokens


def replicas_of(fleet: Fleet) -> int:
    """Replicas the fleet's GPUs form (a GPU left over forms none)."""
    return fleet.gpus // fleet.tensor_parallel


def check_fleet(fleet: Fleet, key: str, sc: Scenario, tokens: Tokens, days_per_month: float,
                overflow_pricer: Pricer | None) -> CapacityOutcome:
    """Metrics of a declared fleet (and its overflow line, if it names an overflow API)."""
    sizing = size(fleet, Setup(fleet.gpu, fleet.tensor_parallel), key, sc, tokens, days_per_month,
                  Spares(fleet.spare_replicas))
    replicas = float(replicas_of(fleet))
    lines = LineSet()
    metrics = served(sizing, tokens, float(fleet.gpus), replicas, max(replicas - fleet.spare_replicas, 0.0),
                     fleet.overflow, overflow_pricer, lines)
    return CapacityOutcome(lines, metrics, sizing)
