"""Discrete families: poisson, bernoulli, empirical (weighted values)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.random import Generator

import distributions.lazy as lazy
from distributions.base import Distribution, Fn, check_weights


class Poisson(Distribution):
    family = "poisson"

    def __init__(self, lam: float) -> None:
        if not lam >= 0:
            raise ValueError(f"lam must be >= 0, got {lam:g}")
        self.lam = float(lam)

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return rng.poisson(self.lam, size).astype(float)

    @property
    def mean(self) -> float:
        return self.lam

    @property
    def is_fixed(self) -> bool:
        return self.lam == 0

    def scipy(self) -> Any:
        return lazy.stats().poisson(self.lam)


class Bernoulli(Distribution):
    """1 with probability p, else 0 (e.g. "does the engineer leave this year")."""

    family = "bernoulli"

    def __init__(self, p: float) -> None:
        if not 0 <= p <= 1:
            raise ValueError(f"p must be in [0, 1], got {p:g}")
        self.p = float(p)

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        return (rng.random(size) < self.p).astype(float)

    @property
    def mean(self) -> float:
        return self.p

    @property
    def is_fixed(self) -> bool:
        return self.p in (0.0, 1.0)

    def scipy(self) -> Any:
        return lazy.stats().bernoulli(self.p)


class Empirical(Distribution):
    """Draws from listed values (e.g. past monthly bills), optionally weighted."""

    family = "empirical"

    def __init__(self, values: Sequence[float], weights: Sequence[float] | None = None) -> None:
        vals = np.asarray(values, dtype=float)
        if vals.ndim != 1 or vals.size == 0:
            raise ValueError("values must be a non-empty list of numbers")
        if not np.all(np.isfinite(vals)):
            raise ValueError("values must be finite numbers")
        w = np.full(vals.size, 1.0 / vals.size) if weights is None else check_weights(weights, vals.size, "values")
        order = np.argsort(vals, kind="stable")
        self.values = vals[order]
        self.weights = w[order]
        self._cdf = np.cumsum(self.weights)

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        idx = np.searchsorted(self._cdf, rng.random(size), side="right")
        return self.values[np.minimum(idx, self.values.size - 1)]

    @property
    def mean(self) -> float:
        return float(self.values @ self.weights)

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        idx = np.searchsorted(self._cdf, np.asarray(q, dtype=float) - 1e-12, side="left")
        return self.values[np.minimum(idx, self.values.size - 1)]

    @property
    def is_fixed(self) -> bool:
        return bool(np.all(self.values[self.weights > 0] == self.values[self.weights > 0][0]))

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        idx = np.searchsorted(self.values, x, side="right")
        return np.asarray(np.concatenate([[0.0], self._cdf])[idx], dtype=float)

    @property
    def variance(self) -> float:
        return float(((self.values - self.mean) ** 2) @ self.weights)

    @property
    def support(self) -> tuple[float, float]:
        kept = self.values[self.weights > 0]
        return float(kept[0]), float(kept[-1])

    def expect(self, fn: Fn) -> float:
        return float(np.asarray(fn(self.values), dtype=float) @ self.weights)

    def __repr__(self) -> str:
        return f"Empirical(values={self.values.tolist()}, weights={self.weights.tolist()})"
