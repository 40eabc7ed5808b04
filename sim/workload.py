"""Token volume per path and month: month-1 daily volume, growth drift and volatility."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import Workload
from sim.scenario import Scenario


@dataclass
class Tokens:
    """Tokens per month, each month-major (months, n)."""

    input: np.ndarray
    output: np.ndarray

    def select(self, which: str) -> np.ndarray:
        if which == "input":
            return self.input
        if which == "output":
            return self.output
        return self.input + self.output


def volume_multiplier(wl: Workload, sc: Scenario) -> np.ndarray:
    """Traffic relative to month 1, (months, n) or (months, 1): (1 + g)^(t-1) times a mean-one
    lognormal random walk with monthly volatility sigma."""
    months = sc.months
    g = np.maximum(np.atleast_1d(sc.scalar("workload.monthly_growth", wl.monthly_growth)), -0.999999)
    t = np.arange(months, dtype=float)[:, None]
    log_mult = t * np.log1p(g)[None, :]
    sigma = sc.scalar("workload.growth_volatility", wl.growth_volatility)
    if not (isinstance(sigma, float) and sigma == 0.0) and months > 1:
        eps = sc.draw("workload.growth_shocks", lambda rng, size: rng.standard_normal((size, months - 1)))
        s = np.atleast_1d(sigma)[None, :]
        walk = np.empty((months, sc.n))
        walk[0] = 0.0
        np.cumsum(s * eps.T - s**2 / 2, axis=0, out=walk[1:])
        log_mult = np.add(log_mult, walk, out=walk)  # the walk's buffer takes the sum (the same values)
    return np.exp(log_mult)


def sample_tokens(wl: Workload, sc: Scenario, days_per_month: float) -> Tokens:
    """Monthly input and output tokens; both follow the same traffic multiplier."""
    mult = volume_multiplier(wl, sc) * days_per_month
    per_day_in = np.atleast_1d(sc.scalar("workload.input_tokens_per_day", wl.input_tokens_per_day))
    per_day_out = np.atleast_1d(sc.scalar("workload.output_tokens_per_day", wl.output_tokens_per_day))
    shape = (sc.months, sc.n)
    mult = sc.shocked(mult, "workload.tokens")  # a stress scenario's traffic shock, if any
    return Tokens(np.broadcast_to(per_day_in[None, :] * mult, shape),
                  np.broadcast_to(per_day_out[None, :] * mult, shape))
