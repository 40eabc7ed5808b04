"""Mixture: with probability w_i the draw comes from component i (e.g. "normal year or boom")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.random import Generator

from distributions.base import Distribution, check_weights


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

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(sum(
            w * np.asarray(c.scipy().cdf(x))
            for w, c in zip(self.weights, self.components, strict=True)
        ), dtype=float)

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        raise NotImplementedError("a mixture has no closed-form quantile function")

    @property
    def is_fixed(self) -> bool:
        return all(c.is_fixed for c in self.components) and len(
            {c.mean for c, w in zip(self.components, self.weights, strict=True) if w > 0}
        ) == 1

    def expect_clipped(self, low: float, high: float) -> float:
        return float(
            sum(
                w * c.expect_clipped(low, high)
                for w, c in zip(self.weights, self.components, strict=True)
            )
        )
