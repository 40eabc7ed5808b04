"""Stress-scenario shocks as month windows on the inputs they name (applied where inputs are drawn,
in sim.scenario): multiply or set a value from one month to another."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import StressScenario


@dataclass(frozen=True)
class Window:
    multiply: float | None
    set: float | None
    start: int  # 0-based month
    stop: int

    def apply(self, value, months: int, n: int) -> np.ndarray:
        """``value`` (float, (1, n) or (months, n)) with the shock applied: (months, n)."""
        out = np.array(np.broadcast_to(value, (months, n)), dtype=float)
        if self.multiply is not None:
            out[self.start:self.stop] *= self.multiply
        else:
            out[self.start:self.stop] = self.set
        return out


def shock_windows(scenario: StressScenario | None, horizon: int) -> dict[str, list[Window]]:
    """Scenario key -> its shocks (a target that is a market reference is keyed by the market name)."""
    out: dict[str, list[Window]] = {}
    if scenario is None:
        return out
    for s in scenario.shocks:
        if s.target is None:
            continue
        start = s.from_month - 1
        stop = horizon if s.months is None else min(horizon, start + s.months)
        out.setdefault(s.target, []).append(Window(s.multiply, s.set, start, stop))
    return out
