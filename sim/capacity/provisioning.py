"""Provisioning policies price the replicas a Sizing asks for: reserved (locked price, paid
whether used or not), on-demand (market path, follows need), spot (discount, preemptions),
hybrid (reserved base, overflow to an API). Shortfall goes to the overflow or is unserved."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from distributions import parse_distribution
from sim.capacity.catalog import price_range
from sim.capacity.config import Capacity, Provisioning
from sim.capacity.sizing import Sizing, as_row, overflow_fraction
from sim.scenario import Scenario
from sim.workload import Tokens


@dataclass
class CapacityOutcome:
    lines: dict[str, np.ndarray | float]
    metrics: dict[str, np.ndarray] = field(default_factory=dict)


def line_names(prov: Provisioning, horizon: int) -> list[str]:
    """The GPU lines a policy reports, in order (known before any path is drawn)."""
    if prov.policy in ("on_demand", "spot"):
        names = [f"GPU compute ({prov.policy.replace('_', '-')})"]
    else:
        names = ["GPU compute (reserved)"]
        if horizon > prov.term_months and prov.after_term == "renew":
            names.append("GPU compute (renewed)")
        if prov.early_termination is not None:
            names.append("Early termination fee")
        if (prov.overflow == "on_demand" or prov.early_termination is not None
                or (horizon > prov.term_months and prov.after_term == "on_demand")):
            names.append("GPU compute (on-demand)")
    if prov.overflow not in (None, "on_demand"):
        names.append(f"Overflow to {prov.overflow}")
    return names


def default_discount(gpu: str, price_class: str) -> float:
    """1 - median(class) / median(on-demand) over the catalog's ranges."""
    od, other = price_range(gpu, "on_demand"), price_range(gpu, price_class)
    if od is None or other is None:
        raise ValueError(f"the catalog has no {price_class} or on_demand price for {gpu}")
    mid = lambda r: (r[0] * r[1]) ** 0.5  # noqa: E731 - lognormal median of "low to high"
    return max(0.0, 1.0 - mid(other) / mid(od))


def _series(sc: Scenario, key: str, spec, default_key: str, default) -> np.ndarray | float:
    """A user-given price, or the catalog's range drawn under a shared key (common numbers)."""
    if spec is not None:
        return sc.series(key, spec)
    return sc.series(default_key, parse_distribution(default))


def provision(cap: Capacity, prov: Provisioning, key: str, sizing: Sizing, sc: Scenario, tokens: Tokens,
              hours: float, reserved_gpus: float | None, overflow_pricer) -> CapacityOutcome:
    """GPU lines and capacity metrics for one self-hosted option on this chunk's paths."""
    from sim.capacity.catalog import default_price_spec

    months, n = sc.months, sc.n
    hours = prov.hours_per_month or hours
    tp = sizing.tp
    od_price = _series(sc, f"{key}.provisioning.hourly_price", prov.hourly_price,
                       f"catalog.{cap.gpu}.on_demand", default_price_spec(cap.gpu, "on_demand"))
    needed = sizing.replicas
    lines: dict[str, np.ndarray | float] = {}
    spare = cap.spare_replicas
    if prov.policy in ("on_demand", "spot"):
        provisioned = _with_lead_time(needed, prov.lead_time_months)
        price = od_price
        capacity = _serving_capacity(provisioned, sizing, spare)
        if prov.policy == "spot":
            disc = (sc.series(f"{key}.provisioning.spot_discount", prov.spot_discount)
                    if prov.spot_discount is not None else default_discount(cap.gpu, "spot"))
            price = od_price * (1.0 - disc)
            lost = sc.scalar(f"{key}.provisioning.preempted_fraction", prov.preempted_fraction)
            capacity = capacity * (1.0 - as_row(lost))
        lines[line_names(prov, months)[0]] = provisioned * tp * hours * price
        gpus_used = provisioned * tp
    else:
        gpus_used, capacity = _reserved(cap, prov, key, sizing, sc, hours, reserved_gpus, od_price, lines)
    frac = overflow_fraction(sizing.load, sizing.peak_to_average, capacity)
    total_tokens = tokens.input + tokens.output
    served = sizing.load * (1.0 - frac)  # busy replica-seconds per second actually served here
    metrics = {"gpus": np.broadcast_to(gpus_used, (months, n)),
               "gpus_needed": np.broadcast_to(sizing.gpus, (months, n)),
               "utilization": np.clip(served / np.maximum(gpus_used / tp, 1e-12), 0.0, 1.0)}
    if prov.overflow not in (None, "on_demand"):
        cost = overflow_pricer(frac)
        lines[f"Overflow to {prov.overflow}"] = cost
        metrics["overflow_cost"] = np.broadcast_to(cost, (months, n))
        metrics["unserved_tokens"] = np.zeros((months, n))
    else:
        metrics["overflow_cost"] = np.zeros((months, n))
        metrics["unserved_tokens"] = frac * total_tokens
    return CapacityOutcome(lines, metrics)


def _with_lead_time(needed: np.ndarray, lead: int) -> np.ndarray:
    """Scale-downs are immediate; a scale-up ordered in month t serves from month t + lead."""
    if lead <= 0:
        return needed
    earlier = np.concatenate([np.repeat(needed[:1], lead, axis=0), needed[:-lead]], axis=0)
    return np.minimum(needed, earlier)


def _serving_capacity(replicas: np.ndarray, sizing: Sizing, spare: int) -> np.ndarray:
    """Replica-seconds per second available for traffic once spares and standby are set aside:
    (replicas - spares) / (1 + standby share of the serving replicas)."""
    with_standby = (sizing.replicas - spare) / np.maximum(sizing.serving, 1.0)
    return np.maximum(replicas - spare, 0.0) / np.maximum(with_standby, 1.0)


def _reserved(cap, prov, key, sizing, sc, hours, reserved_gpus, od_price, lines):
    """Reserved GPUs at the price locked at signing for the term (paid whether used or not),
    renewed at the then-market price less a discount, or ended early against a fee; on-demand
    GPUs cover what the reservation does not (after the term, after termination, bursts)."""
    from sim.capacity.catalog import default_price_spec

    months, n = sc.months, sc.n
    tp, term = sizing.tp, prov.term_months
    names = line_names(prov, months)
    cls = "reserved_3y" if term >= 36 else "reserved_1y"
    locked = _series(sc, f"{key}.provisioning.reserved_price", prov.reserved_price,
                     f"catalog.{cap.gpu}.{cls}", default_price_spec(cap.gpu, cls))  # float or (1, n)
    n_gpus = float(prov.gpus if prov.gpus is not None else reserved_gpus)
    t = np.arange(months)[:, None]
    stop = months  # the reservation runs to the horizon unless it ends earlier
    if prov.after_term == "on_demand":
        stop = min(stop, term)
    ended = prov.early_termination is not None and prov.early_termination.month < term
    if ended:
        stop = min(stop, prov.early_termination.month)
    held_mask = (t < stop).astype(float)
    lines["GPU compute (reserved)"] = n_gpus * hours * locked * ((t < term) * held_mask)
    if "GPU compute (renewed)" in names:
        disc = (sc.series(f"{key}.provisioning.renewal_discount", prov.renewal_discount)
                if prov.renewal_discount is not None else default_discount(cap.gpu, cls))
        od_full = np.broadcast_to(od_price, (months, n))
        renewed = np.zeros((months, n))
        for start in range(term, months, term):  # each renewal locks the market price of its first month
            renewed[start:start + term] = n_gpus * hours * od_full[start] * (1.0 - disc)
        lines["GPU compute (renewed)"] = renewed * held_mask
    if prov.early_termination is not None:
        fee = np.zeros((months, n))
        if ended:
            m = prov.early_termination.month
            share = as_row(sc.scalar(f"{key}.provisioning.early_termination.fee_share",
                                   prov.early_termination.fee_share))
            fee[m - 1] = np.broadcast_to(n_gpus * hours * locked * (term - m) * share, (1, n))[0]
        lines["Early termination fee"] = fee
    held = np.floor(n_gpus / tp) * held_mask * np.ones((1, n))
    needed = np.broadcast_to(sizing.replicas, (months, n))
    on_demand = np.where(held_mask > 0, 0.0, needed)  # after the reservation: rent what is needed
    if prov.overflow == "on_demand":
        on_demand = np.maximum(on_demand, needed - held)  # bursts above the reservation
    if "GPU compute (on-demand)" in names:
        lines["GPU compute (on-demand)"] = on_demand * tp * hours * od_price
    total = held + on_demand
    return total * tp, _serving_capacity(total, sizing, cap.spare_replicas)
