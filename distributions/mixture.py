"""Mixture: with probability w_i the draw comes from component i (e.g. "normal year or boom")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.random import Generator

from distributions.base import Distribution, Fn, check_weights


class Mixture(Distribution):
    family = "mixture"

    def __init__(self, components: Sequence[Distribution], weights: Sequence[float]) -> None:
        if len(components) == 0:
            raise ValueError("a mixture needs at least one component")
        self.weights = check_weights(weights, len(components), "components")
        self.components = list(components)

    def sample(self, rng: Generator, size: int) -> np.ndarray:
        pick = np.searchsorted(np.cumsum(self.weights), rng.random(size), side="right")
        pick = np.minimum(pick, len(self.components) - 1)
        out = np.empty(size)
        for i, comp in enumerate(self.components):
            mask = pick == i
            out[mask] = comp.sample(rng, int(mask.sum()))
        return out

    @property
    def mean(self) -> float:
        return float(sum(w * c.mean for w, c in zip(self.weights, self.components, strict=True)))

    def _pairs(self) -> list[tuple[float, Distribution]]:
        return [(float(w), c) for w, c in zip(self.weights, self.components, strict=True) if w > 0]

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        return np.asarray(sum(w * c.cdf(x) for w, c in self._pairs()), dtype=float)

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        """No closed form: the smallest x with cdf(x) >= q, by bisection between the components'
        own quantiles (which bracket it)."""
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        out = np.empty(qs.shape)
        for k, level in enumerate(qs.ravel()):
            ends = [float(c.ppf(p)) for _, c in self._pairs() for p in (min(level, 1 - 1e-15), max(level, 1e-15))]
            lo, hi = min(ends), max(ends)
            if float(self.cdf(lo)) >= level:
                out.flat[k] = lo
                continue
            for _ in range(200):  # cdf(lo) < level <= cdf(hi)
                mid = 0.5 * (lo + hi)
                if mid in (lo, hi):
                    break
                if float(self.cdf(mid)) >= level:
                    hi = mid
                else:
                    lo = mid
            out.flat[k] = hi
        return out.reshape(np.shape(q))

    @property
    def variance(self) -> float:
        second = sum(w * (c.variance + c.mean**2) for w, c in self._pairs())
        return max(0.0, second - self.mean**2)

    @property
    def support(self) -> tuple[float, float]:
        ends = [c.support for _, c in self._pairs()]
        return min(e[0] for e in ends), max(e[1] for e in ends)

    def expect(self, fn: Fn) -> float:
        return float(sum(w * c.expect(fn) for w, c in self._pairs()))

    @property
    def is_fixed(self) -> bool:
        return all(c.is_fixed for c in self.components) and len(
            {c.mean for c, w in zip(self.components, self.weights, strict=True) if w > 0}
        ) == 1


