"""Pydantic field types for numeric specs: parse the distribution grammar and check its range.

Each field type is a ``SpecField``: the range a value must lie in (checked exactly for fixed
values, by P5/P95 for uncertain ones), and a plausible ceiling for the field (a GPU-hour above
$1,000, a line above $1B a month) that the mean and the P95 must not exceed: a number that is
representable but absurd is refused where it is written, before it can overflow a sum or a chart.
Processes are checked against the same ceiling once the horizon is known (sim.plausible).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict
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
from distributions.numbers import parse_number
from distributions.processes import GBM, MeanReverting, Trend


class Strict(BaseModel):
    """The base of every experiment-file table: unknown keys, NaN and infinity refused."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, validate_default=True,
                              allow_inf_nan=False)


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


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:.3g}"


@dataclass(frozen=True)
class SpecField:
    """What a numeric field accepts: a spec (process or not) within [low, high], whose mean and
    P95 stay at or below ``cap`` (the plausible ceiling, in ``unit``)."""

    allow_process: bool = False
    low: float | None = 0.0
    high: float | None = None
    cap: float | None = None
    unit: str = ""
    hint: str = ""  # shown when the value is too large (e.g. percentages written without "%")
    allow_ref: bool = True
    no_ref: str = "this value is drawn per event, so it cannot be shared"  # why, when allow_ref is False

    def check(self, dist: Distribution) -> None:
        """Raise SpecError if ``dist`` leaves [low, high] or its mean or P95 exceeds the cap."""
        hint = f" ({self.hint})" if self.hint else ""
        if self.low is not None:
            lo = tail(dist, upper=False)
            if dist.is_fixed and lo < self.low:
                raise SpecError(f"must be >= {self.low:g}, got {lo:g}")
            if lo < self.low:
                raise SpecError(f"can be below {self.low:g} (its P5 is {lo:.4g}): use a lognormal "
                                f"(0 < A < B) or clip = [{self.low:g}, ...]")
        if self.high is not None:
            hi = tail(dist, upper=True)
            if dist.is_fixed and hi > self.high:
                raise SpecError(f"must be <= {self.high:g}, got {hi:g}{hint}")
            if hi > self.high:
                fix = f"{self.hint}, or bound it" if self.hint else "bound it"
                raise SpecError(f"can exceed {self.high:g} (its P95 is {hi:.4g}): {fix} with a beta, a pert "
                                f"or clip = [..., {self.high:g}]")
        if self.cap is not None:
            unit = f" {self.unit}" if self.unit else ""
            for what, value in (("P95", tail(dist, upper=True)), ("mean", dist.mean)):
                if not math.isfinite(value) or value > self.cap:
                    raise SpecError(f"its {what} is {_fmt(value)}{unit}, above the plausible ceiling of "
                                    f"{_fmt(self.cap)}{unit} for this field{hint}")

    def __call__(self, value: Any) -> Distribution | Process | Ref:
        if isinstance(value, Distribution | Process | Ref):
            return value
        match = _REF.match(value) if isinstance(value, str) else None
        if match:
            if not self.allow_ref:
                raise PydanticCustomError("spec", "{message}", {
                    "message": f"a [market] reference is not allowed here: {self.no_ref}", "subpath": ""})
            return Ref(match.group(1), self)
        try:
            spec = parse_spec(value) if self.allow_process else parse_distribution(value)
            for d in process_starts(spec) if isinstance(spec, Process) else [spec]:
                self.check(d)
        except SpecError as exc:
            raise PydanticCustomError(
                "spec", "{message}", {"message": exc.message, "subpath": exc.subpath}
            ) from None
        except RecursionError:
            raise PydanticCustomError("spec", "{message}", {
                "message": "nested too deeply (more than a few dozen levels)", "subpath": ""}) from None
        return spec


T = TypeVar("T")


def given(value: T | None) -> T:
    """A field the validated schema guarantees is set (e.g. a cost line's driver keys)."""
    assert value is not None, "validated experiments set this field"
    return value


def is_zero(spec: object) -> bool:
    """Whether a spec is the fixed number 0 (a share, rate or penalty that is off)."""
    return getattr(spec, "is_fixed", False) is True and getattr(spec, "mean", None) == 0


def median(spec: Distribution | Ref, market: dict[str, Any] | None = None) -> float:
    """A spec's median (its mean where no quantile function exists), following [market] references."""
    if isinstance(spec, Ref):
        target = (market or {})[spec.name]
        assert isinstance(target, Distribution), f"{spec.key} takes one value per path"
        spec = target
    if spec.is_fixed:
        return spec.mean
    try:
        return float(spec.ppf(0.5))
    except NotImplementedError:
        return spec.mean


def process_starts(proc: Process) -> list[Distribution]:
    if isinstance(proc, Trend | GBM | MeanReverting):
        return [proc.start]
    return []


@dataclass(frozen=True)
class Ref:
    """A reference to a named input of ``[market]`` (``"market.h100_hourly"``): every field that
    names it reads the same draws on a path, so options share one GPU or salary market."""

    name: str
    field: SpecField

    @property
    def key(self) -> str:
        return f"market.{self.name}"

    is_fixed = False  # resolved only against [market]; never treated as a known constant


_REF = re.compile(r"^market\.([A-Za-z_][A-Za-z0-9_]*)$")


def check_ref(ref: Ref, target: Distribution | Process) -> None:
    """Check the named input fits the field that references it; raise SpecError if not."""
    if isinstance(target, Process) and not ref.field.allow_process:
        raise SpecError(f"{ref.key} is a process; this field takes one value per path")
    for d in process_starts(target) if isinstance(target, Process) else [target]:
        ref.field.check(d)


def spec_type(**kwargs: Any) -> Any:
    """A field type: Annotated[Any, SpecField(...)] (see SpecField for the arguments)."""
    return Annotated[Any, BeforeValidator(SpecField(**kwargs))]


@functools.cache  # per (model class, field name): iter_specs asks it for every field of every load
def field_spec(model: type[BaseModel], name: str) -> SpecField | None:
    """The SpecField of a model field (through ``| None``), or None for a non-spec field."""
    info = model.model_fields[name]
    for meta in info.metadata:
        if isinstance(meta, BeforeValidator) and isinstance(meta.func, SpecField):
            return meta.func
    stack = [info.annotation]
    while stack:
        ann = stack.pop()
        for meta in getattr(ann, "__metadata__", ()):
            if isinstance(meta, BeforeValidator) and isinstance(meta.func, SpecField):
                return meta.func
        if get_origin(ann) is Union or type(ann).__name__ == "UnionType":
            stack.extend(get_args(ann))
    return None


def iter_specs(node: object, loc: tuple = ()) -> Iterator[tuple[tuple, object, SpecField]]:
    """Every spec-valued field under ``node`` (a model, list or dict): (location, value, field)."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            field = field_spec(type(node), name)
            if field is not None and value is not None:
                yield (*loc, name), value, field
            elif isinstance(value, BaseModel | list):
                yield from iter_specs(value, (*loc, name))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from iter_specs(item, (*loc, i))


def _plain_number(value: Any) -> Any:
    """A fixed number as people write it ("$25k", "$5,100", "99.9%", "10k"); not a distribution."""
    if isinstance(value, str):
        try:
            return parse_number(value)
        except ValueError:
            raise ValueError(f'"{value}": not a number; write e.g. 25000, "$25k", "$25,000", "40%" (a fixed '
                             "number: this field takes no distribution)") from None
    return value


def _whole_number(value: Any) -> Any:
    """A whole number, also written "10k" or "1,000"."""
    if isinstance(value, str):
        try:
            value = parse_number(value)
        except ValueError:
            raise ValueError(f'"{value}": not a whole number; write e.g. 12, "10k", "1,000"') from None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: a fixed number that also reads "$25k", "$5,100", "40%" (budgets, SLOs, claims, shocks)
Number = Annotated[float, BeforeValidator(_plain_number)]
#: a fixed whole number that also reads "10k", "1,000" (paths, GPUs, engineers)
Whole = Annotated[int, BeforeValidator(_whole_number)]


# --- field types: range, plausible ceiling (each ceiling far above any real deployment) ---------
_PCT = 'write percentages with "%", e.g. "5% to 15%"'
#: $ per month of one cost line (a billion dollars a month)
Money = spec_type(cap=1e9, unit="$/month")
MoneyPath = spec_type(allow_process=True, cap=1e9, unit="$/month")
#: $ per event (an upgrade project, an outage's cost)
EventMoney = spec_type(cap=1e9, unit="$", allow_ref=False)
#: a one-off amount drawn once per path (a migration project)
OneOff = spec_type(cap=1e9, unit="$")
#: a yearly factor a price is divided by (1: flat; published capability declines reach 900)
PriceFall = spec_type(low=1.0, cap=10_000.0, unit="x a year")
#: a month of the horizon, counted from 1 (an arrival beyond the horizon means never)
Month = spec_type(low=1.0, cap=1000.0, unit="months")
#: $ per GPU-hour (the dearest cloud GPU lists near $15; $1,000 is a typo)
HourlyPrice = spec_type(cap=1000.0, unit="$/GPU-hour")
HourlyPricePath = spec_type(allow_process=True, cap=1000.0, unit="$/GPU-hour")
#: $ per million tokens (frontier output lists at tens to a few hundred dollars)
TokenPrice = spec_type(cap=10_000.0, unit="$/M tokens")
TokenPricePath = spec_type(allow_process=True, cap=10_000.0, unit="$/M tokens")
PerGB = spec_type(cap=1000.0, unit="$/GB")
AnnualCost = spec_type(cap=1e8, unit="$/year")
#: tokens per day (Google served ~1.3 quadrillion tokens a month in 2025: ~4e13 a day)
TokensPerDay = spec_type(cap=1e15, unit="tokens/day", hint='a suffix multiplies: "5M" is five million')
Tokens = spec_type(cap=1e7, unit="tokens")  # per request (context lengths)
GpuCount = spec_type(cap=1e6, unit="GPUs")
HoursPerMonth = spec_type(high=744.0, hint="a month has at most 744 hours")
Fte = spec_type(cap=10_000.0, unit="FTE")
BytesPerToken = spec_type(cap=1e6, unit="bytes")
Multiple = spec_type(cap=100.0, unit="x")  # shares of another line, peak/average, speed-ups
#: events per year drawn one by one (each draws its own cost): about three a day at most; a
#: cost incurred more often than that is a monthly line
EventRate = spec_type(cap=1000.0, unit="per year")
FaultRate = spec_type(cap=100.0, unit="per GPU-year")
MonthlyEventRate = spec_type(cap=300.0, unit="per month")  # provider incidents: status pages show 6-9
Hours = spec_type(cap=8760.0, unit="hours", allow_ref=False)  # a duration drawn per event
Minutes = spec_type(cap=10_080.0, unit="minutes", allow_ref=False)
Weeks = spec_type(cap=520.0, unit="weeks", allow_ref=False)
#: price cuts a year: a cut a week would be a price path, not cuts
CutRate = spec_type(cap=52.0, unit="per year")
#: provider/zone outages a year (one a day) and model upgrades a year (one a week)
OutageRate = spec_type(cap=365.0, unit="per year")
UpgradeRate = spec_type(cap=52.0, unit="per year")
Fraction = spec_type(high=1.0, hint=_PCT)
EventFraction = spec_type(high=1.0, hint=_PCT, allow_ref=False)
#: monthly traffic growth: -100% to +100% a month
Growth = spec_type(low=-1.0, high=1.0, hint=_PCT)
Volatility = spec_type(high=1.0, hint=_PCT)  # month-to-month noise in volume
#: relative change per year: never below -100%, at most +1,000%
Change = spec_type(low=-1.0, high=10.0, hint=_PCT)
#: [market] entries: checked against the ceiling of each field that references them
AnySpec = spec_type(allow_process=True, low=None, allow_ref=False,
                    no_ref="a [market] entry is the shared value itself, so it cannot refer to an entry (itself "
                           "or another); write its number, distribution or process here")
