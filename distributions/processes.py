"""Stochastic processes over months, sampled as (paths, months) arrays.

Month 1 holds the starting value; month t is (t - 1)/12 years later. Every parameter is itself a
Distribution drawn once per path (uncertainty about the world); the process adds month-to-month
variability on top. All families share ``sample(rng, paths, months) -> ProcessDraw``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np
from numpy.random import Generator

from distributions.base import Distribution
from distributions.transforms import LogOneMinus, LogOnePlus


@dataclass
class ProcessDraw:
    """Values over months plus the per-path parameter draws (kept for sensitivity analysis)."""

    values: np.ndarray
    params: dict[str, np.ndarray] = field(default_factory=dict)


#: per-event values drawn at once; beyond this the rows are drawn in batches (bounded memory)
MAX_DRAWS_AT_ONCE = 1 << 23


def compound_poisson(
    rng: Generator,
    rate: np.ndarray | float,
    size: Distribution,
    shape: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Counts ~ Poisson(rate) per cell of ``shape`` and the sum of that many iid ``size`` draws.

    ``rate`` is per cell (broadcast against ``shape``). Returns (counts, sums), both float64.
    Memory stays bounded: with more than MAX_DRAWS_AT_ONCE events the sizes are drawn and summed
    a batch of rows at a time (the same stream, consumed in the same order).
    """
    counts = rng.poisson(np.broadcast_to(rate, shape))
    total = int(counts.sum())
    sums = np.zeros(shape[0] * shape[1])
    if total <= MAX_DRAWS_AT_ONCE:
        if total:
            draws = size.sample(rng, total)
            cells = np.repeat(np.arange(sums.size), counts.ravel())
            sums = np.bincount(cells, weights=draws, minlength=sums.size).astype(float)
        return counts.astype(float), sums.reshape(shape)
    per_row = counts.sum(axis=1)
    start = 0
    while start < shape[0]:
        stop = start + 1
        while stop < shape[0] and per_row[start:stop + 1].sum() <= MAX_DRAWS_AT_ONCE:
            stop += 1
        block = counts[start:stop]
        n = int(block.sum())
        if n:
            draws = size.sample(rng, n)
            cells = np.repeat(np.arange(block.size), block.ravel())
            sums[start * shape[1]:stop * shape[1]] = np.bincount(cells, weights=draws, minlength=block.size)
        start = stop
    return counts.astype(float), sums.reshape(shape)


#: a jump process with more jumps than this a year is volatility, not jumps
MAX_JUMPS_PER_YEAR = 52.0


def _upper_tail(dist: Distribution) -> float:
    """The largest value a rate can practically take: its 1 - 1e-6 quantile, or its largest component."""
    if dist.is_fixed:
        return dist.mean
    try:
        return float(dist.ppf(1 - 1e-6))
    except NotImplementedError:
        return max(_upper_tail(c) for c in getattr(dist, "components", [dist]) if c is not dist) \
            if hasattr(dist, "components") else float("inf")


@dataclass
class Jumps:
    """Compound-Poisson jumps in the log value: ``rate_per_year`` events, each multiplying the
    value by (1 + size) — e.g. a GPU shortage: rate 0.3, size "20% to 80%" — or, as ``falls``
    (``direction = -1``), by (1 - size): a price war or a supply glut, size "15% to 45%"."""

    rate_per_year: Distribution
    size: Distribution
    direction: int = 1

    def __post_init__(self) -> None:
        name = "jumps" if self.direction > 0 else "falls"
        if self.rate_per_year.is_fixed and self.rate_per_year.mean < 0:
            raise ValueError(f"{name}.rate_per_year must be >= 0")
        highest = _upper_tail(self.rate_per_year)
        if not highest <= MAX_JUMPS_PER_YEAR:
            raise ValueError(f"{name}.rate_per_year reaches {highest:.3g}: {name} are rare events (at most "
                             f"{MAX_JUMPS_PER_YEAR:g} a year); model frequent moves with volatility")
        try:  # a fall's size is clipped just below 100% (LogOneMinus); its bulk must lie well below
            lowest, top = float(self.size.ppf(1e-9)), float(self.size.ppf(0.999))
        except NotImplementedError:
            lowest, top = 0.0, 0.0
        if self.direction > 0 and lowest <= -1:
            raise ValueError("jumps.size must stay above -100% (a value cannot fall below zero)")
        if self.direction < 0 and not (lowest >= 0 and top < 1):
            raise ValueError("falls.size is the share a fall takes off: between 0% and (not reaching) 100%")

    def log_factor(self) -> Distribution:
        """The distribution of one event's log multiplier."""
        return LogOnePlus(self.size) if self.direction > 0 else LogOneMinus(self.size)

    def log_jumps(self, rng: Generator, paths: int, months: int) -> tuple[np.ndarray, np.ndarray]:
        """Sum of log jump factors per (path, month); month 1 never jumps. Returns (sums, rate)."""
        rate = np.maximum(self.rate_per_year.sample(rng, paths), 0.0)
        sums = np.zeros((paths, months))
        if months > 1:
            _, sums[:, 1:] = compound_poisson(rng, rate[:, None] / 12.0, self.log_factor(), (paths, months - 1))
        return sums, rate

    def log_mgf_month(self, c: float) -> float:
        """log E[exp(c * J)] for one month's jump sum J (fixed rate only)."""
        sign = self.direction
        mgf = self.size.expect(lambda s: np.asarray(1.0 + sign * s, dtype=float) ** c)
        return self.rate_per_year.mean / 12.0 * (mgf - 1.0)


def _add_jumps(steps: np.ndarray, params: dict[str, np.ndarray], rng: Generator,
               jumps: Jumps | None, falls: Jumps | None) -> None:
    """Add rises then falls to the log steps in place, recording each rate draw."""
    paths, months = steps.shape
    for name, events in (("jumps", jumps), ("falls", falls)):
        if events is not None:
            sums, params[f"{name}.rate_per_year"] = events.log_jumps(rng, paths, months)
            steps += sums


class Process(ABC):
    """A value that moves month to month."""

    family: str = ""

    @abstractmethod
    def sample(self, rng: Generator, paths: int, months: int) -> ProcessDraw:
        """Draw ``paths`` independent paths of ``months`` values."""

    @abstractmethod
    def mean(self, months: int) -> np.ndarray:
        """Analytic E[value] per month (requires every parameter but ``start`` to be fixed)."""

    @property
    def is_fixed(self) -> bool:
        return False

    def _require_fixed(self, **params: Distribution | None) -> None:
        loose = [k for k, v in params.items() if v is not None and not v.is_fixed]
        if loose:
            raise ValueError(f"closed-form mean needs fixed {', '.join(loose)}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({vars(self)!r})"


def _years(months: int) -> np.ndarray:
    return np.arange(months) / 12.0


class Trend(Process):
    """value_t = start * (1 + annual_change) ** ((t - 1) / 12): a steady price decline or rise."""

    family = "trend"

    def __init__(self, start: Distribution, annual_change: Distribution) -> None:
        if annual_change.is_fixed and annual_change.mean <= -1:
            raise ValueError("annual_change must be > -100%")
        self.start, self.annual_change = start, annual_change

    def sample(self, rng: Generator, paths: int, months: int) -> ProcessDraw:
        start = self.start.sample(rng, paths)
        change = np.maximum(self.annual_change.sample(rng, paths), -0.999999)
        values = start[:, None] * np.exp(np.log1p(change)[:, None] * _years(months)[None, :])
        return ProcessDraw(values, {"start": start, "annual_change": change})

    def mean(self, months: int) -> np.ndarray:
        self._require_fixed(annual_change=self.annual_change)
        return self.start.mean * (1 + self.annual_change.mean) ** _years(months)

    @property
    def is_fixed(self) -> bool:
        return self.start.is_fixed and self.annual_change.is_fixed


class GBM(Process):
    """Geometric Brownian motion with annual drift mu (E[S_t] = S_0 e^{mu t}) and volatility,
    plus optional jumps up and falls."""

    family = "gbm"

    def __init__(
        self,
        start: Distribution,
        drift: Distribution,
        volatility: Distribution,
        jumps: Jumps | None = None,
        falls: Jumps | None = None,
    ) -> None:
        if volatility.is_fixed and volatility.mean < 0:
            raise ValueError("volatility must be >= 0")
        self.start, self.drift, self.volatility, self.jumps, self.falls = start, drift, volatility, jumps, falls

    def sample(self, rng: Generator, paths: int, months: int) -> ProcessDraw:
        start = self.start.sample(rng, paths)
        mu = self.drift.sample(rng, paths)
        sigma = np.abs(self.volatility.sample(rng, paths))
        dt = 1.0 / 12.0
        steps = np.zeros((paths, months))
        if months > 1:
            eps = rng.standard_normal((paths, months - 1))
            steps[:, 1:] = ((mu - sigma**2 / 2) * dt)[:, None] + (sigma * math.sqrt(dt))[:, None] * eps
        params = {"start": start, "drift": mu, "volatility": sigma}
        _add_jumps(steps, params, rng, self.jumps, self.falls)
        return ProcessDraw(start[:, None] * np.exp(np.cumsum(steps, axis=1)), params)

    def mean(self, months: int) -> np.ndarray:
        self._require_fixed(drift=self.drift, volatility=self.volatility)
        out = self.start.mean * np.exp(self.drift.mean * _years(months))
        for name, events in (("jumps", self.jumps), ("falls", self.falls)):
            if events is not None:
                self._require_fixed(**{f"{name}.rate_per_year": events.rate_per_year})
                out = out * np.exp(events.log_mgf_month(1.0) * np.arange(months))
        return out


class MeanReverting(Process):
    """Log Ornstein-Uhlenbeck: the log value reverts to log(long_run) with the given half-life
    in months; volatility is annual (of the log value); optional jumps and falls decay the same way."""

    family = "mean_reverting"

    def __init__(
        self,
        start: Distribution,
        long_run: Distribution,
        half_life_months: Distribution,
        volatility: Distribution,
        jumps: Jumps | None = None,
        falls: Jumps | None = None,
    ) -> None:
        for name, d in (("start", start), ("long_run", long_run), ("half_life_months", half_life_months)):
            if d.is_fixed and d.mean <= 0:
                raise ValueError(f"{name} must be > 0")
        if volatility.is_fixed and volatility.mean < 0:
            raise ValueError("volatility must be >= 0")
        self.start, self.long_run = start, long_run
        self.half_life_months, self.volatility, self.jumps, self.falls = half_life_months, volatility, jumps, falls

    @staticmethod
    def _coefficients(half_life: np.ndarray | float, sigma: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        kappa = math.log(2) / np.asarray(half_life, dtype=float)
        phi = np.exp(-kappa)
        sigma_month = np.asarray(sigma, dtype=float) / math.sqrt(12.0)
        step_sd = sigma_month * np.sqrt((1 - phi**2) / (2 * kappa))
        return phi, step_sd

    def sample(self, rng: Generator, paths: int, months: int) -> ProcessDraw:
        start = np.maximum(self.start.sample(rng, paths), 1e-300)
        long_run = np.maximum(self.long_run.sample(rng, paths), 1e-300)
        half_life = np.maximum(self.half_life_months.sample(rng, paths), 1e-9)
        sigma = np.abs(self.volatility.sample(rng, paths))
        phi, step_sd = self._coefficients(half_life, sigma)
        m = np.log(long_run)
        shocks = np.zeros((paths, months))
        if months > 1:
            shocks[:, 1:] = step_sd[:, None] * rng.standard_normal((paths, months - 1))
        params = {"start": start, "long_run": long_run, "half_life_months": half_life, "volatility": sigma}
        _add_jumps(shocks, params, rng, self.jumps, self.falls)
        x = np.empty((paths, months))
        x[:, 0] = np.log(start)
        for t in range(1, months):  # a loop over months, vectorised across paths
            x[:, t] = m + (x[:, t - 1] - m) * phi + shocks[:, t]
        return ProcessDraw(np.exp(x), params)

    def mean(self, months: int) -> np.ndarray:
        self._require_fixed(
            start=self.start, long_run=self.long_run,
            half_life_months=self.half_life_months, volatility=self.volatility,
        )
        phi_a, sd_a = self._coefficients(self.half_life_months.mean, self.volatility.mean)
        phi, step_sd = float(phi_a), float(sd_a)
        m, x0 = math.log(self.long_run.mean), math.log(self.start.mean)
        out = np.empty(months)
        for t in range(months):
            powers = phi ** (2 * np.arange(t))  # phi^{2(t-s)} for the t shocks so far
            log_mean = m + (x0 - m) * phi**t + step_sd**2 * powers.sum() / 2
            for name, events in (("jumps", self.jumps), ("falls", self.falls)):
                if events is not None and t > 0:
                    self._require_fixed(**{f"{name}.rate_per_year": events.rate_per_year})
                    log_mean += sum(events.log_mgf_month(phi**k) for k in range(t))
            out[t] = math.exp(log_mean)
        return out
