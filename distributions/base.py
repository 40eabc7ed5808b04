"""The Distribution interface: one uniform signature for every family (NEP 19 style)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.random import Generator


def check_weights(weights: object, count: int, what: str) -> np.ndarray:
    """Probabilities of ``count`` outcomes: non-negative, summing to 1 (to 1e-9), renormalised.
    Raises ValueError naming what the weights are for."""
    w = np.asarray(weights, dtype=float)
    if w.shape != (count,):
        raise ValueError(f"weights has {w.size} entries but there are {count} {what}")
    if np.any(w < 0) or not np.isclose(w.sum(), 1.0, atol=1e-9):
        raise ValueError(f"weights must be >= 0 and sum to 1 (they sum to {w.sum():g})")
    return np.asarray(w / w.sum(), dtype=float)


Fn = Callable[[np.ndarray], np.ndarray]


class Distribution(ABC):
    """A scalar random variable: draws with an explicit Generator, knows its analytic mean,
    variance, median, support and quantile function (tests compare samples against them)."""

    #: family name as written in experiment files (``dist = "..."``)
    family: str = ""

    @abstractmethod
    def sample(self, rng: Generator, size: int) -> np.ndarray:
        """Return ``size`` independent draws as a float64 array."""

    @property
    @abstractmethod
    def mean(self) -> float:
        """Analytic mean."""

    def scipy(self) -> Any:
        """Equivalent frozen ``scipy.stats`` distribution (used for ppf, KS tests, expectations)."""
        raise NotImplementedError(f"{self.family} has no scipy equivalent")

    # Degenerate (fixed) members of any family answer exactly; the rest ask scipy by default.
    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        """Quantile function: the smallest x with P(X <= x) >= q."""
        if self.is_fixed:
            return np.full(np.shape(q), self.mean)
        return np.asarray(self.scipy().ppf(q), dtype=float)

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        """P(X <= x)."""
        if self.is_fixed:
            return np.asarray(np.asarray(x, dtype=float) >= self.mean, dtype=float)
        return np.asarray(self.scipy().cdf(x), dtype=float)

    @property
    def median(self) -> float:
        return float(self.ppf(0.5))

    @property
    def variance(self) -> float:
        """Analytic variance."""
        return 0.0 if self.is_fixed else float(self.scipy().var())

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and largest values a draw can take (infinite where unbounded)."""
        if self.is_fixed:
            return self.mean, self.mean
        low, high = self.scipy().support()
        return float(low), float(high)

    @property
    def is_fixed(self) -> bool:
        """True when every draw is the same number."""
        return False

    def expect(self, fn: Fn) -> float:
        """E[fn(X)], exactly where the family allows, else by quadrature."""
        if self.is_fixed:
            return float(fn(np.array(self.mean)))
        return float(self.scipy().expect(fn))

    def expect_clipped(self, low: float, high: float) -> float:
        """E[clip(X, low, high)], the analytic mean of a clipped distribution."""
        return self.expect(lambda x: np.clip(x, low, high))

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


class Clipped(Distribution):
    """A distribution whose draws are clipped into [low, high] (``clip = [low, high]``)."""

    family = "clip"

    def __init__(self, base: Distribution, low: float, high: float) -> None:
        if not low <= high:
            raise ValueError(f"clip: low {low:g} must not exceed high {high:g}")
        self.base = base
        self.low = float(low)
        self.high = float(high)

    def _clip(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.clip(x, self.low, self.high), dtype=float)

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return self._clip(self.base.sample(rng, size))

    @property
    def mean(self) -> float:
        return self.base.expect(self._clip)

    @property
    def variance(self) -> float:
        return max(0.0, self.base.expect(lambda x: self._clip(x) ** 2) - self.mean**2)

    @property
    def support(self) -> tuple[float, float]:
        low, high = self.base.support
        return max(low, self.low), min(high, self.high)

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        return self._clip(self.base.ppf(q))

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.where(x < self.low, 0.0, np.where(x >= self.high, 1.0, self.base.cdf(x)))

    @property
    def is_fixed(self) -> bool:
        return self.base.is_fixed or self.low == self.high

    def expect(self, fn: Fn) -> float:
        return self.base.expect(lambda x: fn(self._clip(x)))
