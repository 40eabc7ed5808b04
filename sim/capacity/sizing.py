"""Demand -> replicas: the load a month brings (replica-seconds per second at the planned batch),
replicas for its burst peak under the utilisation cap, spares, standby; overflow above a given
capacity through the day; what a fleet served (vectorised over (months, n))."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from distributions import Distribution
from sim.capacity.catalog import gpus, models
from sim.capacity.config import Serving, Spares
from sim.capacity.serving import Plan, Replica, busy_fraction, plan
from sim.pricing import Cost, LineSet, Metrics
from sim.scenario import Scenario
from sim.succession import switches
from sim.workload import Tokens

SECONDS_PER_DAY = 86_400.0
#: what a checked fleet reports per month and path (percentiles.csv metrics), in report order
CAPACITY_METRICS = ("gpus", "gpus_needed", "utilization", "busy_fraction", "unserved_tokens", "overflow_cost",
                    "shortfall_tokens")


@dataclass(frozen=True)
class Setup:
    """A GPU type and the tensor-parallel width of one replica."""

    gpu: str
    tp: int

    def replica(self, serving: Serving) -> Replica:
        return Replica(models()[serving.model], gpus()[self.gpu], serving.precision, serving.kv_precision, self.tp)

    def __str__(self) -> str:
        return f"{self.tp} × {self.gpu}" if self.tp > 1 else self.gpu


@dataclass
class Sizing:
    """Per month and path: the load, the replicas it needs, what a request costs a replica."""

    plan: Plan
    load: np.ndarray  # (months, n) busy replica-seconds per second at the planned batch
    requests_per_s: np.ndarray  # (months, n) the day's mean
    peak_to_average: np.ndarray | float  # (1, n) or float
    serving: np.ndarray  # replicas to serve the burst peak under the utilisation cap
    replicas: np.ndarray  # serving + spares + standby
    spares: np.ndarray  # spare replicas (taking no traffic)
    tp: int

    @property
    def gpus(self) -> np.ndarray:
        return np.asarray(self.replicas * self.tp, float)


def as_row(value: np.ndarray | float) -> np.ndarray | float:
    """A per-path value as a (1, n) row that broadcasts over months; floats stay floats."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value)[None, :]


def size(serving: Serving, setup: Setup, key: str, sc: Scenario, tokens: Tokens, days_per_month: float,
         spares: Spares, standby: Distribution | float = 0.0) -> Sizing:
    """How many replicas of ``setup`` each month needs on each path."""
    prompt = np.asarray(sc.scalar(f"{key}.prompt_tokens", serving.prompt_tokens), float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(tokens.input[0] > 0, tokens.output[0] / tokens.input[0], 0.0)
    output = np.maximum(prompt * ratio, 1.0)  # output per request follows the workload's own ratio
    replica_plan = plan(setup.replica(serving), prompt, output,
                        sc.scalar(f"{key}.prefix_cache_hit", serving.prefix_cache_hit),
                        serving.tpot_slo_ms / 1e3, serving.ttft_slo_ms / 1e3, serving.max_batch,
                        sc.scalar(f"{key}.server_speedup", serving.server_speedup))
    requests = tokens.input / (days_per_month * SECONDS_PER_DAY) / as_row(prompt)
    load = requests * as_row(output * replica_plan.seconds_per_output_token) / upgrade_speed(serving, key, sc)
    peak = sc.scalar(f"{key}.peak_to_average", serving.peak_to_average)
    burst = sc.scalar(f"{key}.burst_factor", serving.burst_factor)
    util = sc.scalar(f"{key}.utilization_cap", serving.utilization_cap)
    peak_row = as_row(np.maximum(peak, 1.0)) if not isinstance(peak, float) else max(peak, 1.0)
    target = load * peak_row * as_row(burst) / np.maximum(as_row(util), 1e-9)
    needed = np.maximum(np.ceil(target - 1e-9), 1.0)  # a deployed service runs one replica at least
    share = 0.0 if isinstance(standby, float) else sc.scalar(f"{key}.standby_fraction", standby)
    extra = np.ceil(needed * as_row(share) - 1e-9)
    spare = spares.of(needed)
    return Sizing(replica_plan, np.asarray(load, float), np.asarray(requests, float), peak_row, needed,
                  np.asarray(needed + spare + extra, float), np.asarray(spare, float), setup.tp)


def upgrade_speed(serving: Serving, key: str, sc: Scenario) -> np.ndarray | float:
    """Throughput relative to the option's own model, per month and path: the product of the
    throughput changes of the successors serving by then (1 without successors)."""
    if not serving.successors:
        return 1.0
    sw = switches(serving.successors, key, sc)
    speed = np.ones((sc.months, sc.n))
    for k, succ in enumerate(serving.successors):
        change = np.asarray(sc.scalar(f"{key}.successors[{k}].throughput_change", succ.throughput_change), float)
        speed = speed * np.where(sw.generation >= k + 1, np.maximum(1.0 + change, 1e-6), 1.0)
    return speed


Pricer = Callable[[Cost], Cost]


def served(sizing: Sizing, tokens: Tokens, gpus_used: np.ndarray | float, replicas: np.ndarray | float,
           serving_replicas: np.ndarray | float, overflow: str | None, pricer: Pricer | None,
           lines: LineSet) -> Metrics:
    """What a fleet of ``gpus_used`` GPUs forming ``replicas``, ``serving_replicas`` of them taking
    traffic, served of the month's load: its shortfall overflows to the named API (a line) or goes
    unserved. ``utilization`` is the load served over the replicas' capacity at the SLO;
    ``busy_fraction`` the share of time a replica runs a step."""
    shape = sizing.load.shape
    frac = overflow_fraction(sizing.load, sizing.peak_to_average, serving_replicas)
    done = sizing.load * (1.0 - frac)  # busy replica-seconds per second actually served here
    replicas = np.maximum(replicas, 1e-12)
    per_replica = sizing.requests_per_s * (1.0 - frac) / np.maximum(serving_replicas, 1e-12)
    busy = busy_fraction(per_replica, as_row(sizing.plan.request_s), sizing.peak_to_average)
    shortfall = frac * (tokens.input + tokens.output)
    metrics: Metrics = {
        "gpus": np.broadcast_to(gpus_used, shape),
        "gpus_needed": np.broadcast_to(sizing.gpus, shape),
        "utilization": np.clip(done / replicas, 0.0, 1.0),
        "busy_fraction": np.clip(busy * np.minimum(serving_replicas / replicas, 1.0), 0.0, 1.0),
    }
    if overflow is not None and pricer is not None:
        cost = pricer(frac)
        lines.add(f"Overflow to {overflow}", "usage", cost)
        metrics["unserved_tokens"] = np.zeros(shape)
        metrics["overflow_cost"] = np.broadcast_to(cost, shape)
    else:
        metrics["unserved_tokens"] = shortfall
        metrics["overflow_cost"] = np.zeros(shape)
    metrics["shortfall_tokens"] = shortfall
    return metrics


def overflow_fraction(load: np.ndarray, peak_to_average: np.ndarray | float,
                      capacity: np.ndarray | float) -> np.ndarray:
    """Share of the day's work above ``capacity`` (replica-seconds per second).

    The day is a linear load-duration curve from the peak p = P x mean down to a trough
    m = max(0, 2 x mean - p); when P > 2 the load is zero for the rest of the day (busy share 2/P).
    """
    load = np.asarray(load, dtype=float)
    p = load * peak_to_average
    cap = np.asarray(capacity, dtype=float)
    if np.all(cap >= p):  # the usual case: sized for the peak, nothing spills
        return np.zeros(np.broadcast_shapes(p.shape, cap.shape))
    m = np.maximum(2.0 * load - p, 0.0)
    span = np.where(p > 2.0 * load, 2.0 * load / np.where(p > 0, p, 1.0), 1.0)  # busy share of the day
    with np.errstate(divide="ignore", invalid="ignore"):
        above = np.where(p - m > 0, span * (p - cap) / (p - m), 0.0)
        partial = (p - cap) * above / 2.0
        work = np.where(cap >= p, 0.0, np.where(cap <= m, load - cap, partial))
        frac = np.where(load > 0, np.maximum(work, 0.0) / load, 0.0)
    return np.clip(frac, 0.0, 1.0)
