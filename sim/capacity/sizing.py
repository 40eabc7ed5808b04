"""Demand -> replicas: peak load under the utilisation cap, spares, standby; overflow above a
given capacity through the day (vectorised over (months, n))."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.capacity.catalog import gpus, models
from sim.capacity.config import Capacity
from sim.capacity.throughput import ReplicaPlan, plan_replica
from sim.scenario import Scenario
from sim.workload import Tokens

SECONDS_PER_DAY = 86_400.0


@dataclass
class Sizing:
    """Per month and path: mean load (busy replica-seconds per second) and replicas needed."""

    plan: ReplicaPlan
    load: np.ndarray  # (months, n)
    peak_to_average: np.ndarray | float  # (1, n) or float
    serving: np.ndarray  # replicas to serve the burst peak under the utilisation cap
    replicas: np.ndarray  # serving + spares + standby
    tp: int

    @property
    def gpus(self) -> np.ndarray:
        return self.replicas * self.tp


def as_row(value: np.ndarray | float) -> np.ndarray | float:
    """A per-path value as a (1, n) row that broadcasts over months; floats stay floats."""
    return value if isinstance(value, float) else np.asarray(value)[None, :]


def size(cap: Capacity, key: str, sc: Scenario, tokens: Tokens, days_per_month: float) -> Sizing:
    """How many replicas each month needs on each path."""
    model, gpu = models()[cap.model], gpus()[cap.gpu]
    prompt = sc.scalar(f"{key}.prompt_tokens", cap.prompt_tokens)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(tokens.input[0] > 0, tokens.output[0] / tokens.input[0], 0.0)
    output = np.asarray(prompt) * ratio  # output per request follows the workload's own ratio
    plan = plan_replica(model, gpu, cap.precision, cap.kv_precision, cap.tensor_parallel, prompt,
                        np.maximum(output, 1.0), sc.scalar(f"{key}.prefix_cache_hit", cap.prefix_cache_hit),
                        cap.tpot_slo_ms / 1e3, cap.max_batch,
                        sc.scalar(f"{key}.server_speedup", cap.server_speedup))
    seconds = days_per_month * SECONDS_PER_DAY
    load = (tokens.input * as_row(plan.prefill_s_per_token * np.ones(sc.n))
            + tokens.output * as_row(plan.decode_s_per_token * np.ones(sc.n))) / seconds
    peak = sc.scalar(f"{key}.peak_to_average", cap.peak_to_average)
    burst = sc.scalar(f"{key}.burst_factor", cap.burst_factor)
    util = sc.scalar(f"{key}.utilization_cap", cap.utilization_cap)
    peak_row = as_row(np.maximum(peak, 1.0)) if not isinstance(peak, float) else max(peak, 1.0)
    target = load * peak_row * as_row(burst) / np.maximum(as_row(util), 1e-9)
    serving = np.maximum(np.ceil(target - 1e-9), 1.0)  # a deployed service runs one replica at least
    standby = np.ceil(serving * as_row(sc.scalar(f"{key}.standby_fraction", cap.standby_fraction)) - 1e-9)
    replicas = serving + cap.spare_replicas + standby
    return Sizing(plan, load, peak_row, serving, replicas, cap.tensor_parallel)


def overflow_fraction(load: np.ndarray, peak_to_average: np.ndarray | float, capacity: np.ndarray) -> np.ndarray:
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
