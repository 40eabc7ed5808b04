"""Continuous families: fixed, uniform, normal (optionally truncated), lognormal, triangular,
PERT, beta, gamma. Each validates its parameters and knows its analytic mean."""

from __future__ import annotations

import functools
import math
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.random import Generator

import distributions.lazy as lazy
from distributions.base import Distribution

#: z such that P(Z <= z) = 0.95 for a standard normal; "A to B" is a 90% interval.
Z95 = 1.6448536269514722  # scipy.special.ndtri(0.95), a literal so that importing loads no scipy


def _cdf(x: float) -> float:
    """Standard normal CDF of a scalar (the standard library's erfc)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def ndtri(q: np.ndarray | float) -> np.ndarray:
    """Standard normal quantile: a scalar by the standard library (validation asks for P5 and P95
    of every input, and should not wait for scipy), an array by scipy.special."""
    if np.ndim(q) == 0:
        x = float(q)
        return np.asarray(-math.inf if x <= 0 else math.inf if x >= 1 else NormalDist().inv_cdf(x))
    return np.asarray(lazy.special().ndtri(q), dtype=float)


def _positive(name: str, value: float) -> float:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value:g}")
    return float(value)


class Fixed(Distribution):
    """A known number: every draw equals ``value``."""

    family = "fixed"

    def __init__(self, value: float) -> None:
        self.value = float(value)

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def is_fixed(self) -> bool:
        return True


class Uniform(Distribution):
    family = "uniform"

    def __init__(self, low: float, high: float) -> None:
        if not high > low:
            raise ValueError(f"high ({high:g}) must exceed low ({low:g})")
        self.low, self.high = float(low), float(high)

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        return np.asarray(self.low + np.asarray(q, dtype=float) * (self.high - self.low), dtype=float)

    def scipy(self) -> Any:
        return lazy.stats().uniform(self.low, self.high - self.low)


class Normal(Distribution):
    """Normal(mean, sd), truncated to [low, high] when either bound is given."""

    family = "normal"

    def __init__(
        self, mean: float, sd: float, low: float | None = None, high: float | None = None
    ) -> None:
        if not sd >= 0:
            raise ValueError(f"sd must be >= 0, got {sd:g}")
        if low is not None and high is not None and not high > low:
            raise ValueError(f"high ({high:g}) must exceed low ({low:g})")
        self.mu, self.sd = float(mean), float(sd)
        self.low = -math.inf if low is None else float(low)
        self.high = math.inf if high is None else float(high)
        if sd == 0 and not self.low <= self.mu <= self.high:
            raise ValueError("a zero-sd normal must have its mean inside [low, high]")
        if sd > 0:
            a, b = (_cdf((bound - self.mu) / self.sd) for bound in (self.low, self.high))
            if not b - a > 1e-12:
                raise ValueError("truncation [low, high] leaves no probability mass")

    @functools.cached_property
    def _ab(self) -> tuple[float, float]:
        """Standard normal CDF at the truncation bounds, by scipy (the sampler's exact values)."""
        ndtr = lazy.special().ndtr
        return float(ndtr((self.low - self.mu) / self.sd)), float(ndtr((self.high - self.mu) / self.sd))

    @property
    def truncated(self) -> bool:
        return math.isfinite(self.low) or math.isfinite(self.high)

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        if self.sd == 0:
            return np.full(size, self.mu)
        if not self.truncated:
            return rng.normal(self.mu, self.sd, size)
        a, b = self._ab
        u = rng.uniform(a, b, size)
        return np.asarray(np.clip(self.mu + self.sd * lazy.special().ndtri(u), self.low, self.high), dtype=float)

    @property
    def mean(self) -> float:
        if self.sd == 0 or not self.truncated:
            return self.mu
        return float(self.scipy().mean())

    @property
    def is_fixed(self) -> bool:
        return self.sd == 0

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        if self.is_fixed:
            return np.full(np.shape(q), self.mu)
        if not self.truncated:
            return np.asarray(self.mu + self.sd * ndtri(q), dtype=float)
        a, b = self._ab if np.ndim(q) else (_cdf((self.low - self.mu) / self.sd), _cdf((self.high - self.mu) / self.sd))
        u = a + np.asarray(q, dtype=float) * (b - a)
        return np.asarray(np.clip(self.mu + self.sd * ndtri(u), self.low, self.high), dtype=float)

    def scipy(self) -> Any:
        if not self.truncated:
            return lazy.stats().norm(self.mu, self.sd)
        a, b = (self.low - self.mu) / self.sd, (self.high - self.mu) / self.sd
        return lazy.stats().truncnorm(a, b, loc=self.mu, scale=self.sd)


class LogNormal(Distribution):
    """exp(Normal(mu, sigma)). Build it with one of the ``from_*`` constructors."""

    family = "lognormal"

    def __init__(self, mu: float, sigma: float) -> None:
        if not sigma >= 0:
            raise ValueError(f"sigma must be >= 0, got {sigma:g}")
        self.mu, self.sigma = float(mu), float(sigma)

    @classmethod
    def from_p5_p95(cls, p5: float, p95: float) -> LogNormal:
        _positive("p5", p5)
        if not p95 > p5:
            raise ValueError(f"p95 ({p95:g}) must exceed p5 ({p5:g})")
        lo, hi = math.log(p5), math.log(p95)
        return cls((lo + hi) / 2, (hi - lo) / (2 * Z95))

    @classmethod
    def from_median_p95(cls, median: float, p95: float) -> LogNormal:
        _positive("median", median)
        if not p95 > median:
            raise ValueError(f"p95 ({p95:g}) must exceed median ({median:g})")
        return cls(math.log(median), (math.log(p95) - math.log(median)) / Z95)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> LogNormal:
        _positive("mean", mean)
        _positive("sd", sd)
        s2 = math.log1p((sd / mean) ** 2)
        return cls(math.log(mean) - s2 / 2, math.sqrt(s2))

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, size)

    @property
    def mean(self) -> float:
        log_mean = self.mu + self.sigma**2 / 2
        return math.exp(log_mean) if log_mean < 709.0 else math.inf  # beyond: no float holds it

    @property
    def is_fixed(self) -> bool:
        return self.sigma == 0

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        return np.asarray(np.exp(self.mu + self.sigma * ndtri(q)), dtype=float)

    def scipy(self) -> Any:
        return lazy.stats().lognorm(s=self.sigma, scale=math.exp(self.mu))


class Triangular(Distribution):
    family = "triangular"

    def __init__(self, low: float, mode: float, high: float) -> None:
        if not (low <= mode <= high and high > low):
            raise ValueError(f"need low <= mode <= high and low < high, got {low:g}, {mode:g}, {high:g}")
        self.low, self.mode, self.high = float(low), float(mode), float(high)

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def scipy(self) -> Any:
        width = self.high - self.low
        return lazy.stats().triang((self.mode - self.low) / width, loc=self.low, scale=width)


class Beta(Distribution):
    """Beta(alpha, beta) scaled onto [low, high] (default [0, 1])."""

    family = "beta"

    def __init__(self, alpha: float, beta: float, low: float = 0.0, high: float = 1.0) -> None:
        _positive("alpha", alpha)
        _positive("beta", beta)
        if not high > low:
            raise ValueError(f"high ({high:g}) must exceed low ({low:g})")
        self.alpha, self.beta = float(alpha), float(beta)
        self.low, self.high = float(low), float(high)

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return self.low + (self.high - self.low) * rng.beta(self.alpha, self.beta, size)

    @property
    def mean(self) -> float:
        return self.low + (self.high - self.low) * self.alpha / (self.alpha + self.beta)

    def scipy(self) -> Any:
        return lazy.stats().beta(self.alpha, self.beta, loc=self.low, scale=self.high - self.low)


class Pert(Beta):
    """PERT: a beta on [low, high] with the given mode; ``lamb`` = 4 is the classic weighting."""

    family = "pert"

    def __init__(self, low: float, mode: float, high: float, lamb: float = 4.0) -> None:
        if not (low <= mode <= high and high > low):
            raise ValueError(f"need low <= mode <= high and low < high, got {low:g}, {mode:g}, {high:g}")
        _positive("lamb", lamb)
        width = high - low
        super().__init__(
            1 + lamb * (mode - low) / width, 1 + lamb * (high - mode) / width, low, high
        )
        self.mode, self.lamb = float(mode), float(lamb)


class Gamma(Distribution):
    """Gamma(shape, scale); or give mean and sd."""

    family = "gamma"

    def __init__(self, shape: float, scale: float) -> None:
        self.shape = _positive("shape", shape)
        self.scale = _positive("scale", scale)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> Gamma:
        _positive("mean", mean)
        _positive("sd", sd)
        return cls((mean / sd) ** 2, sd**2 / mean)

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size)

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    def scipy(self) -> Any:
        return lazy.stats().gamma(self.shape, scale=self.scale)
