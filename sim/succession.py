"""Model succession: on each path, when each successor of an option arrives, when it is evaluated
(both models run) and when it takes the traffic; the one-off migration costs. Successors are taken
in order: one is not evaluated before the previous one serves. Arrays over (months, n)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from distributions import Distribution
from sim.pricing import LineSet
from sim.scenario import Scenario
from sim.specs import Ref


class Arriving(Protocol):
    """What a successor (API model or open model) says about its arrival."""

    name: str
    arrives: Distribution | Ref
    migration_cost: Distribution | Ref
    evaluation_months: int


@dataclass
class Switches:
    """Which model serves each month and path, and which are being evaluated."""

    generation: np.ndarray  # (months, n): 0 = the option's own model, k = its k-th successor
    evaluating: list[np.ndarray]  # per successor: (months, n) 1 while it is evaluated beside the current one
    start: list[np.ndarray]  # per successor: (n,) month index (0-based) its evaluation starts; >= months: never

    def serving(self, k: int) -> np.ndarray:
        """(months, n) 1 where model k takes the traffic."""
        return np.asarray(self.generation == k, float)


def switches(successors: Sequence[Arriving], key: str, sc: Scenario) -> Switches:
    """Arrival month (1-based, drawn per path) -> evaluation from that month (not before the previous
    successor serves) -> serving ``evaluation_months`` later."""
    months, n = sc.months, sc.n
    t = np.arange(months)[:, None]
    generation = np.zeros((months, n))
    taken = np.zeros(n)  # month the current model took over
    evaluating, starts = [], []
    for k, succ in enumerate(successors):
        arrive = np.broadcast_to(np.asarray(sc.scalar(f"{key}.successors[{k}].arrives", succ.arrives), float), (n,))
        start = np.maximum(np.ceil(arrive - 1e-9) - 1.0, taken)
        serves = start + succ.evaluation_months
        evaluating.append(np.asarray((t >= start) & (t < serves), float))
        generation = np.where(t >= serves, float(k + 1), generation)
        starts.append(start)
        taken = serves
    return Switches(generation, evaluating, starts)


def migration_lines(successors: Sequence[Arriving], key: str, sc: Scenario, sw: Switches, lines: LineSet) -> None:
    """A "Migration to <name>" line per successor: its cost in the month its evaluation starts."""
    t = np.arange(sc.months)[:, None]
    for k, succ in enumerate(successors):
        cost = sc.scalar(f"{key}.successors[{k}].migration_cost", succ.migration_cost)
        lines.add(f"Migration to {succ.name}", "people",
                  np.asarray(t == sw.start[k][None, :], float) * np.asarray(cost, float))


def migration_names(successors: Sequence[Arriving]) -> list[str]:
    return [f"Migration to {s.name}" for s in successors]


__all__ = ["Switches", "migration_lines", "migration_names", "switches"]
