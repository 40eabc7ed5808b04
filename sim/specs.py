"""Pydantic field types for numeric specs: parse the distribution grammar and check its range."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from distributions import (
    Clipped,
    Distribution,
    Fixed,
    Mixture,
    Process,
    SpecError,
    parse_distribution,
    parse_spec,
)
from distributions.processes import GBM, MeanReverting, Trend


def lower_tail(dist: Distribution) -> float:
    """A practical lower end of a distribution: its P5 (the minimum for fixed/empirical/clipped)."""
    if dist.is_fixed:
        return dist.mean
    if isinstance(dist, Clipped):
        return max(dist.low, lower_tail(dist.base))
    if isinstance(dist, Mixture):
        return min(lower_tail(c) for c in dist.components)
    values = getattr(dist, "values", None)
    if values is not None:
        return float(values.min())
    return float(dist.ppf(0.05))


def upper_tail(dist: Distribution) -> float:
    if dist.is_fixed:
        return dist.mean
    if isinstance(dist, Clipped):
        return min(dist.high, upper_tail(dist.base))
    if isinstance(dist, Mixture):
        return max(upper_tail(c) for c in dist.components)
    values = getattr(dist, "values", None)
    if values is not None:
        return float(values.max())
    return float(dist.ppf(0.95))


def _check_range(dist: Distribution, low: float | None, high: float | None, what: str) -> None:
    if low is not None:
        lo = lower_tail(dist)
        if lo < low:
            if dist.is_fixed:
                raise SpecError(f"must be >= {low:g} ({what}), got {lo:g}")
            raise SpecError(
                f"can be below {low:g} (its P5 is {lo:.4g}); {what} cannot: use a lognormal "
                f"(0 < A < B) or clip = [{low:g}, ...]"
            )
    if high is not None:
        hi = upper_tail(dist)
        if hi > high:
            raise SpecError(f"must be <= {high:g} ({what}), got {'P95 ' if not dist.is_fixed else ''}{hi:.4g}")


def _process_starts(proc: Process) -> list[Distribution]:
    if isinstance(proc, Trend | GBM | MeanReverting):
        return [proc.start]
    return []


def _make(allow_process: bool, low: float | None, high: float | None, what: str):
    def validate(value: Any) -> Distribution | Process:
        if isinstance(value, Distribution | Process):
            return value
        try:
            spec = parse_spec(value) if allow_process else parse_distribution(value)
            dists = _process_starts(spec) if isinstance(spec, Process) else [spec]
            for d in dists:
                _check_range(d, low, high, what)
        except SpecError as exc:
            raise PydanticCustomError(
                "spec", "{message}", {"message": exc.message, "subpath": exc.subpath}
            ) from None
        return spec

    return BeforeValidator(validate)


# Scalars drawn once per path
Amount = Annotated[Any, _make(False, 0.0, None, "costs and prices are never negative")]
Quantity = Annotated[Any, _make(False, 0.0, None, "a quantity is never negative")]
Fraction = Annotated[Any, _make(False, 0.0, 1.0, "a share lies between 0 and 1")]
Change = Annotated[Any, _make(False, -1.0, None, "a change cannot be below -100%")]
Real = Annotated[Any, _make(False, None, None, "")]
# Scalars or processes (values that may move month to month)
AmountPath = Annotated[Any, _make(True, 0.0, None, "costs and prices are never negative")]


def fixed_value(spec: Distribution | Process) -> float | None:
    """The number behind a fixed spec, else None."""
    return spec.value if isinstance(spec, Fixed) else None


def is_finite_number(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)
