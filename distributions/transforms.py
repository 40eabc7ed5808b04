"""Log transforms of relative changes, for processes built from multiplicative steps: a jump of
size S multiplies a value by (1 + S), a price cut of size S by (1 - S); summing the logs and
exponentiating composes them."""

from __future__ import annotations

import numpy as np
from numpy.random import Generator

from distributions.base import Distribution

#: relative changes are kept strictly above -100% so that their log stays finite
FLOOR = -0.999999


class LogOnePlus(Distribution):
    """log(1 + S) for a relative change S (at least FLOOR): the log of one jump's factor."""

    family = "log1p"

    def __init__(self, base: Distribution) -> None:
        self.base = base

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return np.asarray(np.log1p(np.maximum(self.base.sample(rng, size), FLOOR)), dtype=float)

    @property
    def mean(self) -> float:
        """E[log(1 + S)] (not log E[1 + S]: the two differ by Jensen's inequality)."""
        return self.base.expect(lambda s: np.log1p(np.maximum(s, FLOOR)))

    @property
    def is_fixed(self) -> bool:
        return self.base.is_fixed

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        return np.asarray(np.log1p(np.maximum(self.base.ppf(q), FLOOR)), dtype=float)


class LogOneMinus(Distribution):
    """log(1 - S) for a cut of size S in [0, 1): the log of the factor a price cut leaves."""

    family = "log1m"

    def __init__(self, base: Distribution) -> None:
        self.base = base

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return np.asarray(np.log1p(-np.minimum(self.base.sample(rng, size), -FLOOR)), dtype=float)

    @property
    def mean(self) -> float:
        """E[log(1 - S)]."""
        return self.base.expect(lambda s: np.log1p(-np.minimum(s, -FLOOR)))

    @property
    def is_fixed(self) -> bool:
        return self.base.is_fixed

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        # decreasing in S: the q-quantile of log(1 - S) is at S's (1 - q)-quantile
        return np.asarray(np.log1p(-np.minimum(self.base.ppf(1 - np.asarray(q, dtype=float)), -FLOOR)), dtype=float)


__all__ = ["FLOOR", "LogOneMinus", "LogOnePlus"]
