"""GPU rental markets: on-demand price ranges per GPU and provider class, discounts per class and
tier, the dated price history shipped in sim/data, the large moves it shows, and the default
on-demand price process calibrated to reproduce them.

Tiers come from one market: on a path, reserved and spot prices are discounts on that path's
on-demand price (a reservation locks the on-demand price at signing less its discount), so a
default reservation is never dearer than on-demand when it is signed."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from distributions import Fixed, Jumps, MeanReverting, Process, parse_distribution

PROVIDER_CLASSES = ("hyperscaler", "gpu_cloud", "marketplace")
TIERS = ("reserved_1y", "reserved_3y", "spot")

# The default on-demand process (log Ornstein-Uhlenbeck with rises and falls), calibrated on
# sim/data/gpu_price_history.csv so that its large moves happen about as often as the history's
# (tests/test_gpu_market.py; docs/reference.md "GPU markets" gives the figures):
#: months for a shock to half decay
HALF_LIFE_MONTHS = 9.0
#: annual volatility of the log price between jumps
VOLATILITY = 0.15
#: rises: shortages (2023 launch scarcity; the 2026 inference squeeze, +38% in five months)
RISES = (0.35, "10% to 50%")
#: falls: price wars and supply gluts (-30% in two months in 2024; AWS -44% in June 2025; spot -40% in 2026)
FALLS = (0.55, "15% to 45%")
#: where a path's price reverts to, relative to its start: a generation's rental price drifts down as
#: the next one ships (H100: $8+ in 2023, $1.70-$3 in 2025-26)
LONG_RUN = "0.6 to 1.05"


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("sim").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def on_demand_range(gpu: str, provider_class: str) -> tuple[float, float] | None:
    """The catalog's on-demand $/GPU-hour range (a 90% interval) for a GPU at a provider class."""
    rows = [r for r in _rows("gpu_prices.csv") if r["gpu"] == gpu and r["provider_class"] == provider_class]
    if not rows:
        return None
    return min(float(r["low"]) for r in rows), max(float(r["high"]) for r in rows)


@cache
def discount_range(provider_class: str, tier: str) -> tuple[float, float]:
    """The catalog's discount range off on-demand for a provider class and tier."""
    row = next(r for r in _rows("gpu_discounts.csv") if r["provider_class"] == provider_class and r["tier"] == tier)
    return float(row["low"]), float(row["high"])


def _interval(low: float, high: float) -> str | float:
    return low if low == high else f"{low!r} to {high!r}"


def discount_spec(provider_class: str, tier: str):
    """The discount as a distribution ("low to high": a 90% interval)."""
    return parse_distribution(_interval(*discount_range(provider_class, tier)))


def median_discount(provider_class: str, tier: str) -> float:
    low, high = discount_range(provider_class, tier)
    return math.sqrt(low * high)  # the lognormal median of "low to high"


def median_on_demand(gpu: str, provider_class: str) -> float:
    rng = on_demand_range(gpu, provider_class)
    assert rng is not None, "checked at validation: the catalog has this price"
    return math.sqrt(rng[0] * rng[1])


def default_process(gpu: str, provider_class: str) -> Process:
    """The default on-demand price path for a GPU at a provider class: starts in the catalog's
    range, reverts towards LONG_RUN of it, rises and falls at the calibrated rates."""
    low, high = on_demand_range(gpu, provider_class) or (math.nan, math.nan)
    start = parse_distribution(_interval(low, high))
    factor_low, factor_high = (float(x.rstrip()) for x in LONG_RUN.split(" to "))
    long_run = Fixed(low * factor_low) if low == high else parse_distribution(
        f"{low * factor_low!r} to {high * factor_high!r}")
    return MeanReverting(start, long_run, Fixed(HALF_LIFE_MONTHS), Fixed(VOLATILITY),
                         Jumps(Fixed(RISES[0]), parse_distribution(RISES[1])),
                         Jumps(Fixed(FALLS[0]), parse_distribution(FALLS[1]), direction=-1))


# --- the history and its large moves -----------------------------------------------------------------

@dataclass(frozen=True)
class Move:
    """A large price move: a change of at least ``change`` (negative: a fall) within ``months``."""

    name: str
    months: int
    change: float

    def hit(self, before: np.ndarray | float, after: np.ndarray | float) -> np.ndarray:
        ratio = np.asarray(after, float) / np.asarray(before, float)
        return np.asarray(ratio <= 1 + self.change if self.change < 0 else ratio >= 1 + self.change)


#: the moves the default process must reproduce (the issue's two, and the 2026 rebound)
MOVES = (Move("a fall of 30% or more within two months", 2, -0.30),
         Move("a fall of 50% or more within 24 months", 24, -0.50),
         Move("a rise of 35% or more within six months", 6, 0.35))


def move_probabilities(values: np.ndarray) -> dict[str, float]:
    """Per move: the share of paths (rows of ``values``, months in columns) on which it happens at
    least once, between any two months at most ``months`` apart."""
    out = {}
    for move in MOVES:
        seen = np.zeros(values.shape[0], bool)
        for gap in range(1, min(move.months, values.shape[1] - 1) + 1):
            seen |= move.hit(values[:, :-gap], values[:, gap:]).any(axis=1)
        out[move.name] = float(seen.mean())
    return out


@dataclass(frozen=True)
class Observation:
    month: str  # YYYY-MM
    gpu: str
    series: str
    price: float
    kind: str  # quoted or derived
    source: str

    @property
    def index(self) -> int:
        year, month = self.month.split("-")
        return int(year) * 12 + int(month) - 1


def history() -> list[Observation]:
    """The dated price observations (sim/data/gpu_price_history.csv), oldest first."""
    rows = [Observation(r["month"], r["gpu"], r["series"], float(r["price"]), r["kind"], r["source"])
            for r in _rows("gpu_price_history.csv")]
    return sorted(rows, key=lambda o: (o.index, o.series))


def history_moves() -> dict[str, list[tuple[Observation, Observation]]]:
    """Per move: the pairs of observations of the same series at most its months apart that show it."""
    rows = history()
    out: dict[str, list[tuple[Observation, Observation]]] = {m.name: [] for m in MOVES}
    for move in MOVES:
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                if b.series == a.series and b.gpu == a.gpu and 0 < b.index - a.index <= move.months \
                        and bool(move.hit(a.price, b.price)):
                    out[move.name].append((a, b))
    return out


__all__ = ["FALLS", "HALF_LIFE_MONTHS", "LONG_RUN", "MOVES", "PROVIDER_CLASSES", "RISES", "TIERS", "VOLATILITY",
           "Move", "Observation", "default_process", "discount_range", "discount_spec", "history",
           "history_moves", "median_discount", "median_on_demand", "move_probabilities", "on_demand_range"]
