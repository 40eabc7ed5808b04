"""The Distribution interface: one uniform signature for every family (NEP 19 style)."""

from __future__ import annotations

from abc import ABC, abstractmethod
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


class Distribution(ABC):
    """A scalar random variable: draws with an explicit Generator, knows its analytic mean."""

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

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        """Quantile function."""
        return np.asarray(self.scipy().ppf(q), dtype=float)

    @property
    def is_fixed(self) -> bool:
        """True when every draw is the same number."""
        return False

    def expect_clipped(self, low: float, high: float) -> float:
        """E[clip(X, low, high)], used for the analytic mean of a clipped distribution."""
        return float(self.scipy().expect(lambda x: np.clip(x, low, high)))

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

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return np.asarray(np.clip(self.base.sample(rng, size), self.low, self.high), dtype=float)

    @property
    def mean(self) -> float:
        return self.base.expect_clipped(self.low, self.high)

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        return np.asarray(np.clip(self.base.ppf(q), self.low, self.high), dtype=float)

    @property
    def is_fixed(self) -> bool:
        return self.base.is_fixed or self.low == self.high

    def expect_clipped(self, low: float, high: float) -> float:
        lo, hi = max(low, self.low), min(high, self.high)
        if lo > hi:
            return float(np.clip(self.low if low > self.high else self.high, low, high))
        return self.base.expect_clipped(lo, hi)
