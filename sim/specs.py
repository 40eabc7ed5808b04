"""Pydantic field types for numeric specs: parse the distribution grammar and check its range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from distributions import (
    Clipped,
    Distribution,
    Mixture,
    Process,
    SpecError,
    parse_distribution,
    parse_spec,
)
from distributions.processes import GBM, MeanReverting, Trend


def tail(dist: Distribution, upper: bool) -> float:
    """A practical end of a distribution: its P5 (or P95 when ``upper``); the exact minimum
    (maximum) for fixed and empirical ones; clips and mixture components respected."""
    pick = max if upper else min
    if dist.is_fixed:
        return dist.mean
    if isinstance(dist, Clipped):
        inner = tail(dist.base, upper)
        return min(dist.high, inner) if upper else max(dist.low, inner)
    if isinstance(dist, Mixture):
        return pick(tail(c, upper) for c in dist.components)
    values = getattr(dist, "values", None)
    if values is not None:
        return float(pick(values))
    return float(dist.ppf(0.95 if upper else 0.05))


def _check_range(dist: Distribution, low: float | None, high: float | None) -> None:
    """Reject values outside [low, high]: fixed ones exactly, uncertain ones by their P5/P95."""
    if low is not None:
        lo = tail(dist, upper=False)
        if dist.is_fixed and lo < low:
            raise SpecError(f"must be >= {low:g}, got {lo:g}")
        if lo < low:
            raise SpecError(f"can be below {low:g} (its P5 is {lo:.4g}): use a lognormal "
                            f"(0 < A < B) or clip = [{low:g}, ...]")
    if high is not None:
        hi = tail(dist, upper=True)
        if dist.is_fixed and hi > high:
            raise SpecError(f"must be <= {high:g}, got {hi:g}")
        if hi > high:
            raise SpecError(f"can exceed {high:g} (its P95 is {hi:.4g}): use a beta or pert, "
                            f"or clip = [..., {high:g}]")


def median(spec: Distribution | Ref, market: dict | None = None) -> float:
    """A spec's median (its mean where no quantile function exists), following [market] references."""
    if isinstance(spec, Ref):
        spec = (market or {})[spec.name]
    if spec.is_fixed:
        return spec.mean
    try:
        return float(spec.ppf(0.5))
    except NotImplementedError:
        return spec.mean


def _process_starts(proc: Process) -> list[Distribution]:
    if isinstance(proc, Trend | GBM | MeanReverting):
        return [proc.start]
    return []


@dataclass(frozen=True)
class Ref:
    """A reference to a named input of ``[market]`` (``"market.h100_hourly"``): every field that
    names it reads the same draws on a path, so options share one GPU or salary market."""

    name: str
    allow_process: bool
    low: float | None
    high: float | None

    @property
    def key(self) -> str:
        return f"market.{self.name}"

    is_fixed = False  # resolved only against [market]; never treated as a known constant


_REF = re.compile(r"^market\.([A-Za-z_][A-Za-z0-9_]*)$")


def check_ref(ref: Ref, target: Distribution | Process) -> None:
    """Check the named input fits the field that references it; raise SpecError if not."""
    if isinstance(target, Process) and not ref.allow_process:
        raise SpecError(f"{ref.key} is a process; this field takes one value per path")
    for d in _process_starts(target) if isinstance(target, Process) else [target]:
        _check_range(d, ref.low, ref.high)


def _make(allow_process: bool, low: float | None, high: float | None, allow_ref: bool = True):
    def validate(value: Any) -> Distribution | Process | Ref:
        if isinstance(value, Distribution | Process | Ref):
            return value
        match = _REF.match(value) if isinstance(value, str) else None
        if match:
            if not allow_ref:
                raise PydanticCustomError("spec", "{message}", {
                    "message": "a [market] reference is not allowed here (this value is drawn per event)",
                    "subpath": ""})
            return Ref(match.group(1), allow_process, low, high)
        try:
            spec = parse_spec(value) if allow_process else parse_distribution(value)
            dists = _process_starts(spec) if isinstance(spec, Process) else [spec]
            for d in dists:
                _check_range(d, low, high)
        except SpecError as exc:
            raise PydanticCustomError(
                "spec", "{message}", {"message": exc.message, "subpath": exc.subpath}
            ) from None
        return spec

    return BeforeValidator(validate)


# Scalars drawn once per path
Amount = Annotated[Any, _make(False, 0.0, None)]  # costs and prices: never negative
EventAmount = Annotated[Any, _make(False, 0.0, None, allow_ref=False)]  # drawn per event
Quantity = Annotated[Any, _make(False, 0.0, None)]  # counts, volumes, rates: never negative
Fraction = Annotated[Any, _make(False, 0.0, 1.0)]  # shares and discounts
EventFraction = Annotated[Any, _make(False, 0.0, 1.0, allow_ref=False)]
AnySpec = Annotated[Any, _make(True, None, None, allow_ref=False)]  # [market] entries
Change = Annotated[Any, _make(False, -1.0, None)]  # relative changes: never below -100%
# Scalars or processes (values that may move month to month)
AmountPath = Annotated[Any, _make(True, 0.0, None)]

