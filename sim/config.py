"""The experiment file schema (pydantic v2): unknown keys, NaN and infinity rejected; names
printable and unique; every number within its field's range and plausible ceiling."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from sim.capacity.config import Capacity, Fleet, Provisioning
from sim.names import FolderName, Name, Text, find
from sim.ops.config import ApiOps, SelfHostedOps
from sim.specs import (
    AnnualCost,
    AnySpec,
    BytesPerToken,
    Change,
    CutRate,
    EventFraction,
    EventMoney,
    EventRate,
    Fraction,
    Fte,
    GpuCount,
    Growth,
    HourlyPricePath,
    HoursPerMonth,
    MoneyPath,
    Month,
    Multiple,
    Number,
    OneOff,
    PerGB,
    PriceFall,
    Ref,
    Strict,
    TokenPrice,
    TokenPricePath,
    TokensPerDay,
    Volatility,
    Whole,
)
from sim.switch_config import MoveBack, StagedOption, Trigger

#: 365 days / 12 months; the experiment may say otherwise (the article uses 30).
DAYS_PER_MONTH = 365 / 12


#: the longest horizon simulated: 20 years (compounding beyond it means nothing for a rental decision)
MAX_HORIZON = 240


class ExperimentMeta(Strict):
    name: FolderName
    description: Text = ""
    horizon_months: Whole = Field(ge=1, le=MAX_HORIZON)
    paths: Whole = Field(default=10_000, ge=1, le=100_000_000)
    seed: Whole = Field(default=0, ge=0)
    percentiles: list[float] = Field(default_factory=lambda: [5.0, 25.0, 50.0, 75.0, 95.0])
    days_per_month: Number = Field(default=DAYS_PER_MONTH, gt=0, le=31)
    line_bands: bool | Literal["auto"] = "auto"
    price_file: str | None = Field(default=None, min_length=1, max_length=4096)
    price_file_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")  # default: the file's
    ops: Literal["vectorized", "des"] = "vectorized"  # operations model of [options.ops] (--ops overrides)

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

    input_tokens_per_day: TokensPerDay
    output_tokens_per_day: TokensPerDay
    monthly_growth: Growth = 0.0
    growth_volatility: Volatility = 0.0


class Budget(Strict):
    """Monthly and/or total budget in USD. The ceilings are far above any bill the cost lines can
    make (a line is capped at $1e9 a month): beyond them a budget is a typo, and float32 monthly
    costs are compared with it."""

    monthly: Number | None = Field(default=None, gt=0, le=1e12)
    total: Number | None = Field(default=None, gt=0, le=1e15)

    @model_validator(mode="after")
    def _one(self) -> Budget:
        if self.monthly is None and self.total is None:
            raise ValueError("give monthly and/or total")
        return self


class Decision(Strict):
    """How the answer is read. ``self_host_margin``: self-host only if the API costs at least this
    many times the self-hosted total (the article's step 4 says 2); the report then gives the
    probability of that margin on paired paths."""

    self_host_margin: Number | None = Field(default=None, ge=1, le=100)


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

    item: Name
    category: Category | None = None
    start_month: Whole = Field(default=1, ge=1)
    end_month: Whole | None = Field(default=None, ge=1)
    monthly: MoneyPath | None = None
    gpus: GpuCount | None = None
    hourly_price: HourlyPricePath | None = None
    hours_per_month: HoursPerMonth | None = None
    fte: Fte | None = None
    annual_cost: AnnualCost | None = None
    events_per_year: EventRate | None = None
    cost_per_event: EventMoney | None = None
    per_million_tokens: TokenPricePath | None = None
    per_gb: PerGB | None = None
    bytes_per_token: BytesPerToken | None = None
    tokens: Literal["total", "input", "output"] = "total"
    share_of: str | None = None
    share: Multiple | None = None

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


class PriceCuts(Strict):
    """Discrete price-cut events: Poisson with ``rate_per_year``; each cuts prices by ``size``."""

    rate_per_year: CutRate
    size: EventFraction


#: the price of a fixed capability falls 9x to 900x a year (Epoch AI, "LLM inference prices have
#: fallen rapidly but unequally across tasks", 2025-03-12; GPT-4 level on PhD science: 40x) or 10x a
#: year (a16z, "LLMflation", 2024-11): P5 9x (the hardest milestones), P95 40x (GPT-4 level)
CAPABILITY_PRICE_FALL = "9 to 40"


class Successor(Strict):
    """A cheaper model of the same capability an API option moves to when it arrives: from then its
    prices apply (after an evaluation during which both run); the migration is a one-off cost."""

    name: Name
    catalog: str | None = Field(default=None, min_length=1, max_length=200)
    input_per_million: TokenPrice | None = None
    output_per_million: TokenPrice | None = None
    cached_input_per_million: TokenPrice | None = None  # default: its input price (no cache discount)
    cache_write_per_million: TokenPrice | None = None  # default: its input price
    long_input_per_million: TokenPrice | None = None  # default: its base input price
    long_output_per_million: TokenPrice | None = None  # default: its base output price
    arrives: Month  # the month it is available (beyond the horizon: never), e.g. "6 to 18"
    migration_cost: OneOff = 0.0  # prompt rework, evals, rollout: $ once, when the evaluation starts
    evaluation_months: Whole = Field(default=0, ge=0, le=24)  # months both run before the switch
    evaluation_share: Fraction = 1.0  # share of traffic mirrored to the newcomer while it is evaluated


class ApiOption(Strict):
    name: Name
    kind: Literal["api"]
    catalog: str | None = Field(default=None, min_length=1, max_length=200)
    input_per_million: TokenPrice | None = None
    output_per_million: TokenPrice | None = None
    cached_input_per_million: TokenPrice | None = None
    cached_input_share: Fraction = 0.0  # share of input tokens read from the provider's prompt cache
    cache_write_per_million: TokenPrice | None = None
    cache_write_share: Fraction = 0.0  # share of input tokens written to the cache (Anthropic bills writes)
    long_context_share: Fraction = 0.0  # share of tokens in requests above the long-context threshold
    long_context_tokens: Whole | None = Field(default=None, ge=1, le=100_000_000)  # the threshold (from the catalog)
    long_input_per_million: TokenPrice | None = None
    long_output_per_million: TokenPrice | None = None
    batch_share: Fraction = 0.0
    batch_discount: Fraction | None = None
    annual_price_change: Change = 0.0  # the named model's list price a year (most stay put)
    price_cuts: PriceCuts | None = None
    # "capability": price a fixed capability, not the named model: it falls as cheaper models reach
    # it, divided by capability_price_fall each year (migrations assumed free and continuous)
    price_trend: Literal["list", "capability"] = "list"
    capability_price_fall: PriceFall = CAPABILITY_PRICE_FALL
    successors: list[Successor] = Field(default_factory=list, max_length=20)
    ops: ApiOps | None = None  # provider incidents and what they cost
    costs: list[CostLine] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_way_to_get_cheaper(self) -> ApiOption:
        if self.price_trend == "capability" and self.successors:
            raise ValueError('price_trend = "capability" already moves to cheaper models of the same capability: '
                             'give successors with price_trend = "list", or neither')
        return self


class SelfHostedOption(Strict):
    name: Name
    kind: Literal["self_hosted"]
    capacity: Capacity | None = None  # size GPUs from the workload (with provisioning)
    provisioning: Provisioning | None = None
    fleet: Fleet | None = None  # the hand-written fleet its cost lines pay for, checked against the load
    ops: SelfHostedOps | None = None  # failures, repairs, outages, patching, upgrades, engineers
    costs: list[CostLine] = Field(default_factory=list)

    @model_validator(mode="after")
    def _lines_or_capacity(self) -> SelfHostedOption:
        if (self.capacity is None) != (self.provisioning is None):
            raise ValueError("capacity and provisioning go together: give both or neither")
        if self.capacity is not None and self.fleet is not None:
            raise ValueError("give a capacity model (GPUs sized and priced) or a fleet (GPUs you price in cost "
                             "lines), not both")
        if self.capacity is None and not self.costs:
            raise ValueError("give cost lines ([[options.costs]]) or a capacity model ([options.capacity])")
        return self

    @property
    def checked(self) -> bool:
        """Whether its GPUs are checked against the workload (a capacity model or a declared fleet)."""
        return self.capacity is not None or self.fleet is not None


Option = Annotated[ApiOption | SelfHostedOption | StagedOption, Field(discriminator="kind")]
AnyOption = ApiOption | SelfHostedOption | StagedOption


def option_index(exp: Experiment, name: str) -> int:
    """Position of the option called ``name`` in the experiment (KeyError if there is none)."""
    return exp.options.index(find(exp.options, name))


def has_gpu_lines(opt: AnyOption) -> bool:
    """Whether the option rents GPUs (the base of its TCO multiplier)."""
    return getattr(opt, "capacity", None) is not None or any(c.resolved_category == "gpu" for c in opt.costs)
ClaimMetric = Literal["daily_cost", "monthly_cost", "cumulative_cost", "total_cost", "tco_multiplier"]


class Claim(Strict):
    """A figure from a spreadsheet or article to check against the simulation."""

    option: str
    metric: ClaimMetric
    month: Whole | None = Field(default=None, ge=1)
    value: Number
    source: Text = Field(default="", max_length=500)
    tolerance: Number = Field(default=0.01, gt=0, lt=1)


class Correlation(Strict):
    """A rank (Spearman) correlation between two sampled inputs named by dotted path."""

    a: str
    b: str
    rank_correlation: Number = Field(ge=-1, le=1)


class Shock(Strict):
    """One shock of a stress scenario: change an input, the traffic or an API's prices over a window
    of months (multiply or set), or add a cost line to an option."""

    target: str | None = Field(default=None, min_length=1, max_length=200)  # dotted input path,
    # "workload.tokens", or "options[i].prices"
    multiply: Number | None = Field(default=None, ge=0)
    set: Number | None = None
    add_line: Name | None = None  # or: the name of a cost line to add to option ``option``
    option: str | None = None
    monthly: MoneyPath | None = None
    from_month: Whole = Field(default=1, ge=1)
    months: Whole | None = Field(default=None, ge=1)  # default: to the horizon

    @model_validator(mode="after")
    def _one_kind(self) -> Shock:
        changes = self.target is not None
        adds = self.add_line is not None
        if changes == adds:
            raise ValueError("give either target (with multiply or set) or add_line (with option and monthly)")
        if changes and (self.multiply is None) == (self.set is None):
            raise ValueError("a target shock needs exactly one of multiply or set")
        if adds and (self.option is None or self.monthly is None):
            raise ValueError("add_line needs option and monthly")
        return self


class StressScenario(Strict):
    name: Name
    shocks: list[Shock] = Field(min_length=1)


#: Experiment fields the loader fills in; a file may not set them
INTERNAL_FIELDS = ("source", "sha256", "raw", "base_dir", "active_scenario")
MarketName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]


class Experiment(Strict):
    experiment: ExperimentMeta
    workload: Workload
    budget: Budget | None = None
    decision: Decision | None = None
    market: dict[MarketName, AnySpec] = Field(default_factory=dict)
    options: list[Option] = Field(min_length=1)
    claims: list[Claim] = Field(default_factory=list)
    correlations: list[Correlation] = Field(default_factory=list)
    scenarios: list[StressScenario] = Field(default_factory=list)
    # filled in by the loader, not by the file (the loader refuses these keys in a file)
    source: str = Field(default="<memory>", exclude=True)
    sha256: str = Field(default="", exclude=True)
    raw: dict = Field(default_factory=dict, exclude=True)  # the document as read (sweeps re-validate it)
    base_dir: str = Field(default="", exclude=True)  # where relative paths in the file start
    active_scenario: StressScenario | None = Field(default=None, exclude=True)  # set by sim.stress

    @property
    def horizon(self) -> int:
        return self.experiment.horizon_months


def refs(node: object, loc: tuple = ()) -> list[tuple[tuple, Ref]]:
    """Every [market] reference in the experiment, with its location."""
    if isinstance(node, Ref):
        return [(loc, node)]
    if isinstance(node, BaseModel):
        return [r for name in type(node).model_fields for r in refs(getattr(node, name), (*loc, name))]
    if isinstance(node, list):
        return [r for i, item in enumerate(node) for r in refs(item, (*loc, i))]
    return []


ALL_FIELDS = sorted({f for m in (ExperimentMeta, Workload, Budget, Decision, CostLine, PriceCuts, ApiOption,
                                 SelfHostedOption, Claim, Experiment, Capacity, Provisioning, Fleet, ApiOps,
                                 SelfHostedOps, Correlation, StressScenario, Shock, StagedOption, Trigger, MoveBack)
                     for f in m.model_fields} - set(INTERNAL_FIELDS))
