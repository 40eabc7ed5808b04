"""The experiment file schema (pydantic v2, unknown keys rejected) and its loader."""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from distributions import SpecError
from sim.capacity.config import Capacity, Provisioning
from sim.errors import ExperimentError, dotted
from sim.ops.config import ApiOps, SelfHostedOps
from sim.specs import (
    Amount,
    AmountPath,
    AnySpec,
    Change,
    EventAmount,
    EventFraction,
    Fraction,
    Quantity,
    Ref,
    check_ref,
)
from sim.stress import Shock, StressScenario

#: 365 days / 12 months; the experiment may say otherwise (the article uses 30).
DAYS_PER_MONTH = 365 / 12


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, validate_default=True)


class ExperimentMeta(Strict):
    name: str
    description: str = ""
    horizon_months: int = Field(ge=1, le=600)
    paths: int = Field(default=10_000, ge=1, le=100_000_000)
    seed: int = Field(default=0, ge=0)
    percentiles: list[float] = Field(default_factory=lambda: [5.0, 25.0, 50.0, 75.0, 95.0])
    days_per_month: float = Field(default=DAYS_PER_MONTH, gt=0, le=31)
    line_bands: bool | Literal["auto"] = "auto"
    price_file: str | None = None
    ops: Literal["vectorized", "des"] = "vectorized"  # operations model of [options.ops] (--ops overrides)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", v):
            raise ValueError(f'"{v}": use letters, digits, ".", "_" and "-" only (it names the report folder)')
        return v

    @field_validator("percentiles")
    @classmethod
    def _percentiles(cls, v: list[float]) -> list[float]:
        if not v:
            raise ValueError("give at least one percentile")
        if any(not 0 < p < 100 for p in v):
            raise ValueError("each percentile must lie strictly between 0 and 100")
        if sorted(set(v)) != list(v):
            raise ValueError("list percentiles in increasing order without repeats")
        return v

    @property
    def hours_per_month(self) -> float:
        return self.days_per_month * 24


class Workload(Strict):
    """Month-1 volume per day, then growth: volume_t = volume_1 * (1 + g)^(t-1) * shock_t."""

    input_tokens_per_day: Quantity
    output_tokens_per_day: Quantity
    monthly_growth: Change = 0.0
    growth_volatility: Quantity = 0.0


class Budget(Strict):
    monthly: float | None = Field(default=None, gt=0)
    total: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> Budget:
        if self.monthly is None and self.total is None:
            raise ValueError("give monthly and/or total")
        return self


_DRIVERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required keys, optional keys)
    "monthly": (("monthly",), ()),
    "gpu_hours": (("gpus", "hourly_price"), ("hours_per_month",)),
    "fte": (("fte", "annual_cost"), ()),
    "events": (("events_per_year", "cost_per_event"), ()),
    "per_million_tokens": (("per_million_tokens",), ("tokens",)),
    "per_gb": (("per_gb", "bytes_per_token"), ("tokens",)),
    "share_of": (("share_of", "share"), ()),
}
_DEFAULT_CATEGORY = {"monthly": "other", "gpu_hours": "gpu", "fte": "people", "events": "people",
                     "per_million_tokens": "usage", "per_gb": "network", "share_of": "other"}
Category = Literal["gpu", "redundancy", "infra", "people", "software", "usage", "network", "other"]


class CostLine(Strict):
    """One named line of a monthly bill, with exactly one driver."""

    item: str = Field(min_length=1)
    category: Category | None = None
    start_month: int = Field(default=1, ge=1)
    end_month: int | None = Field(default=None, ge=1)
    monthly: AmountPath | None = None
    gpus: Quantity | None = None
    hourly_price: AmountPath | None = None
    hours_per_month: Quantity | None = None
    fte: Quantity | None = None
    annual_cost: Amount | None = None
    events_per_year: Quantity | None = None
    cost_per_event: EventAmount | None = None
    per_million_tokens: AmountPath | None = None
    per_gb: Amount | None = None
    bytes_per_token: Quantity | None = None
    tokens: Literal["total", "input", "output"] = "total"
    share_of: str | None = None
    share: Quantity | None = None

    @model_validator(mode="after")
    def _driver(self) -> CostLine:
        given = {k for k in _DRIVERS_KEYS if getattr(self, k) is not None}
        kinds = [k for k, (req, _) in _DRIVERS.items() if set(req) <= given]
        if len(kinds) != 1 or given - set(_DRIVERS[kinds[0]][0]) - set(_DRIVERS[kinds[0]][1]):
            choices = "; ".join(" + ".join(req) for req, _ in _DRIVERS.values())
            raise ValueError(f"give exactly one driver: {choices} (got: {', '.join(sorted(given)) or 'none'})")
        if self.end_month is not None and self.end_month < self.start_month:
            raise ValueError("end_month must not be before start_month")
        return self

    @property
    def driver(self) -> str:
        given = {k for k in _DRIVERS_KEYS if getattr(self, k) is not None}
        return next(k for k, (req, _) in _DRIVERS.items() if set(req) <= given)

    @property
    def resolved_category(self) -> str:
        return self.category or _DEFAULT_CATEGORY[self.driver]


_DRIVERS_KEYS = sorted({k for req, opt in _DRIVERS.values() for k in (*req, *opt)} - {"tokens"})
#: names the API option gives its own token lines
TOKEN_LINES = ("input tokens", "cached input tokens", "output tokens")


class PriceCuts(Strict):
    """Discrete price-cut events: Poisson with ``rate_per_year``; each cuts prices by ``size``."""

    rate_per_year: Quantity
    size: EventFraction


class ApiOption(Strict):
    name: str = Field(min_length=1)
    kind: Literal["api"]
    catalog: str | None = None
    input_per_million: Amount | None = None
    output_per_million: Amount | None = None
    cached_input_per_million: Amount | None = None
    cached_input_share: Fraction = 0.0
    batch_share: Fraction = 0.0
    batch_discount: Fraction | None = None
    annual_price_change: Change = 0.0
    price_cuts: PriceCuts | None = None
    ops: ApiOps | None = None  # provider incidents and what they cost
    costs: list[CostLine] = Field(default_factory=list)


class SelfHostedOption(Strict):
    name: str = Field(min_length=1)
    kind: Literal["self_hosted"]
    capacity: Capacity | None = None  # size GPUs from the workload (with provisioning)
    provisioning: Provisioning | None = None
    ops: SelfHostedOps | None = None  # failures, repairs, outages, patching, upgrades, engineers
    costs: list[CostLine] = Field(default_factory=list)

    @model_validator(mode="after")
    def _lines_or_capacity(self) -> SelfHostedOption:
        if (self.capacity is None) != (self.provisioning is None):
            raise ValueError("capacity and provisioning go together: give both or neither")
        if self.capacity is None and not self.costs:
            raise ValueError("give cost lines ([[options.costs]]) or a capacity model ([options.capacity])")
        return self


Option = Annotated[ApiOption | SelfHostedOption, Field(discriminator="kind")]


def has_gpu_lines(opt: ApiOption | SelfHostedOption) -> bool:
    """Whether the option rents GPUs (the base of its TCO multiplier)."""
    return getattr(opt, "capacity", None) is not None or any(c.resolved_category == "gpu" for c in opt.costs)
ClaimMetric = Literal["daily_cost", "monthly_cost", "cumulative_cost", "total_cost", "tco_multiplier"]


class Claim(Strict):
    """A figure from a spreadsheet or article to check against the simulation."""

    option: str
    metric: ClaimMetric
    month: int | None = Field(default=None, ge=1)
    value: float
    source: str = ""
    tolerance: float = Field(default=0.01, gt=0, lt=1)


class Correlation(Strict):
    """A rank (Spearman) correlation between two sampled inputs named by dotted path."""

    a: str
    b: str
    rank_correlation: float = Field(ge=-1, le=1)


class Experiment(Strict):
    experiment: ExperimentMeta
    workload: Workload
    budget: Budget | None = None
    market: dict[str, AnySpec] = Field(default_factory=dict)
    options: list[Option] = Field(min_length=1)
    claims: list[Claim] = Field(default_factory=list)
    correlations: list[Correlation] = Field(default_factory=list)
    scenarios: list[StressScenario] = Field(default_factory=list)
    # filled in by load_experiment, not by the file
    source: str = Field(default="<memory>", exclude=True)
    sha256: str = Field(default="", exclude=True)
    active_scenario: StressScenario | None = Field(default=None, exclude=True)  # set by sim.stress

    @model_validator(mode="after")
    def _semantics(self) -> Experiment:
        for loc, ref in _refs(self, ()):
            if ref.name not in self.market:
                known = ", ".join(f"market.{k}" for k in self.market) or "none defined"
                raise _LocatedError(loc, f'"{ref.key}" is not defined in [market] (have: {known})')
            try:
                check_ref(ref, self.market[ref.name])
            except SpecError as exc:
                raise _LocatedError(loc, exc.message) from None
        if self.correlations:
            from sim.correlations import build_groups

            try:
                build_groups(self)
            except ValueError as exc:
                loc = ("correlations",) if exc.index is None else ("correlations", exc.index, exc.field)
                raise _LocatedError(loc, exc.message) from None
        if self.scenarios:
            from sim.stress import check_scenarios

            for loc, msg in check_scenarios(self):
                raise _LocatedError(loc, msg)
            seen = [s.name for s in self.scenarios]
            if len(set(seen)) != len(seen):
                raise _LocatedError(("scenarios",), "scenario names must be unique")
        names = [o.name for o in self.options]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise _LocatedError(("options",), f"option names must be unique; repeated: {', '.join(dupes)}")
        for i, opt in enumerate(self.options):
            items = [c.item for c in opt.costs]
            rep = sorted({n for n in items if items.count(n) > 1})
            if rep:
                raise _LocatedError(("options", i, "costs"), f"cost items must be unique; repeated: {', '.join(rep)}")
            for j, line in enumerate(opt.costs):
                if line.share_of is not None and line.share_of not in items[:j]:
                    raise _LocatedError(("options", i, "costs", j, "share_of"),
                                        f'"{line.share_of}" names no earlier cost item of this option')
                if isinstance(opt, ApiOption) and line.item in TOKEN_LINES:
                    raise _LocatedError(("options", i, "costs", j, "item"),
                                        f'"{line.item}" is reserved for the API\'s token lines')
                if line.start_month > self.experiment.horizon_months:
                    raise _LocatedError(("options", i, "costs", j, "start_month"),
                                        f"{line.start_month} is past horizon_months ({self.experiment.horizon_months})")
        for i, opt in enumerate(self.options):
            if opt.ops is not None:
                from sim.ops.checks import check_ops

                for loc, msg in check_ops(self, i):
                    raise _LocatedError(("options", i, "ops", *loc), msg)
            if isinstance(opt, SelfHostedOption) and opt.capacity is not None:
                from sim.capacity.checks import check_capacity

                for loc, msg in check_capacity(self, i):
                    raise _LocatedError(("options", i, *loc), msg)
        for i, claim in enumerate(self.claims):
            if claim.option not in names:
                raise _LocatedError(("claims", i, "option"),
                                    f'"{claim.option}" names no option (have: {", ".join(names)})')
            if claim.month is not None and claim.month > self.experiment.horizon_months:
                raise _LocatedError(("claims", i, "month"), f"{claim.month} is past horizon_months")
            opt = self.options[names.index(claim.option)]
            if claim.metric == "tco_multiplier" and not has_gpu_lines(opt):
                raise _LocatedError(("claims", i, "metric"),
                                    f'tco_multiplier needs a cost line of category "gpu" in "{claim.option}"')
        return self

    @property
    def horizon(self) -> int:
        return self.experiment.horizon_months


def _refs(node: object, loc: tuple) -> list[tuple[tuple, Ref]]:
    """Every [market] reference in the experiment, with its location."""
    if isinstance(node, Ref):
        return [(loc, node)]
    if isinstance(node, BaseModel):
        return [r for name in type(node).model_fields for r in _refs(getattr(node, name), (*loc, name))]
    if isinstance(node, list):
        return [r for i, item in enumerate(node) for r in _refs(item, (*loc, i))]
    return []


class _LocatedError(ValueError):
    def __init__(self, loc: tuple, msg: str) -> None:
        super().__init__(msg)
        self.loc, self.msg = loc, msg


_ALL_FIELDS = sorted({f for m in (ExperimentMeta, Workload, Budget, CostLine, PriceCuts, ApiOption,
                                  SelfHostedOption, Claim, Experiment, Capacity, Provisioning, ApiOps,
                                  SelfHostedOps, Correlation, Shock, StressScenario)
                       for f in m.model_fields}
                     - {"source", "sha256"})


def _format(err: dict[str, Any]) -> tuple[str, str]:
    loc = list(err["loc"])
    # drop the discriminator tag pydantic inserts after options[i]
    loc = [p for k, p in enumerate(loc) if not (k > 0 and isinstance(loc[k - 1], int) and p in ("api", "self_hosted"))]
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "spec":
        path = dotted(loc)
        sub = ctx.get("subpath", "")
        if sub:
            path = f"{path}{'' if sub.startswith('[') else '.'}{sub}"
        return path, ctx["message"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        near = difflib.get_close_matches(key, _ALL_FIELDS, n=1)
        hint = f' (did you mean "{near[0]}"?)' if near else ""
        return dotted(loc), f"unknown key{hint}"
    if kind == "missing":
        return dotted(loc), "required field is missing"
    if kind == "union_tag_invalid":
        return dotted([*loc, "kind"]), f'unknown option kind {ctx.get("tag")!r} (expected "api" or "self_hosted")'
    if kind == "union_tag_not_found":
        return dotted([*loc, "kind"]), 'required: kind = "api" or "self_hosted"'
    msg = err["msg"]
    value_error = ctx.get("error")
    if isinstance(value_error, _LocatedError):
        return dotted([*loc, *value_error.loc]), value_error.msg
    msg = msg.removeprefix("Value error, ")
    return dotted(loc), msg


def parse_experiment(data: dict[str, Any], source: str = "<memory>") -> Experiment:
    """Validate a parsed TOML document; raise ExperimentError listing every problem."""
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as exc:
        problems = list(dict.fromkeys(_format(e) for e in exc.errors()))
        raise ExperimentError(source, problems) from None
    exp.source = source
    return exp


def load_experiment(path: str | Path) -> Experiment:
    """Read, parse and validate an experiment file (TOML), resolving catalog prices."""
    from sim.catalog import resolve_prices  # local: catalog reads files relative to the experiment

    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ExperimentError(name, [("", f"cannot read file: {exc.strerror}")]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ExperimentError(name, [("", f"not valid TOML: {exc}")]) from None
    exp = parse_experiment(data, name)
    exp.sha256 = hashlib.sha256(raw).hexdigest()
    resolve_prices(exp, base_dir=path.parent)
    return exp
