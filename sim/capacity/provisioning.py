"""Provisioning policies price the replicas a Sizing asks for: reserved (locked price, paid
whether used or not), on-demand (market path, follows need), spot (discount, preemptions),
hybrid (reserved base, overflow to an API). Shortfall goes to the overflow or is unserved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.capacity.config import Capacity, Provisioning
from sim.capacity.sizing import Sizing, as_row, served
from sim.gpu_market import default_process, discount_spec
from sim.pricing import Cost, LineSet, Metrics
from sim.scenario import Scenario
from sim.specs import given
from sim.workload import Tokens

Pricer = Callable[[Cost], Cost]


@dataclass
class CapacityOutcome:
    lines: LineSet
    metrics: Metrics = field(default_factory=dict)
    sizing: Sizing | None = None  # a declared fleet's check: the load it met (for operations)


def reserved_class(term_months: int) -> str | None:
    """The catalog's price class of a reservation: 3-year from a 36-month term, 1-year from 12
    months; None below a year, where sim/data/gpu_discounts.csv has no sourced discount (a shorter
    commitment is priced at the on-demand price at signing unless the file gives its discount)."""
    if term_months >= 36:
        return "reserved_3y"
    return "reserved_1y" if term_months >= 12 else None


def line_names(prov: Provisioning, horizon: int) -> list[str]:
    """The GPU lines a policy prices, in order (names a cost item of the option may not take)."""
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


def on_demand_price(prov: Provisioning, gpu: str, key: str, sc: Scenario) -> np.ndarray | float:
    """The option's on-demand $/GPU-hour on each path: its own, or the provider class's default
    process, drawn under a key shared by every option renting that GPU there (one market)."""
    if prov.hourly_price is not None:
        return sc.series(f"{key}.provisioning.hourly_price", prov.hourly_price)
    cls = prov.provider_class
    return sc.series(f"catalog.{gpu}.{cls}.on_demand", default_process(gpu, cls))


def discount(prov: Provisioning, tier: str | None, key: str, field_name: str, sc: Scenario) -> np.ndarray | float:
    """A discount off on-demand: the option's own field, or the provider class's range (shared key);
    0 for a tier the catalog does not price (a reservation shorter than a year)."""
    given_spec = getattr(prov, field_name)
    if given_spec is not None:
        return sc.series(f"{key}.provisioning.{field_name}", given_spec)
    if tier is None:
        return 0.0
    cls = prov.provider_class
    return sc.series(f"catalog.{cls}.{tier}.discount", discount_spec(cls, tier))


def provision(cap: Capacity, prov: Provisioning, key: str, sizing: Sizing, sc: Scenario, tokens: Tokens,
              hours: float, reserved_gpus: float | None, overflow_pricer: Pricer | None) -> CapacityOutcome:
    """GPU lines and capacity metrics for one self-hosted option on this chunk's paths (its setup
    chosen: ``cap.gpu`` names one GPU)."""
    assert isinstance(cap.gpu, str), "the engine chose the setup before pricing"
    months = sc.months
    hours = prov.hours_per_month or hours
    tp = sizing.tp
    od_price = on_demand_price(prov, cap.gpu, key, sc)
    needed = sizing.replicas
    lines = LineSet()
    if prov.policy in ("on_demand", "spot"):
        provisioned = _with_lead_time(needed, prov.lead_time_months)
        price = od_price
        capacity = _serving_capacity(provisioned, sizing)
        if prov.policy == "spot":
            price = od_price * (1.0 - discount(prov, "spot", key, "spot_discount", sc))
            lost = sc.scalar(f"{key}.provisioning.preempted_fraction", prov.preempted_fraction)
            capacity = capacity * (1.0 - as_row(lost))
        lines.add(line_names(prov, months)[0], "gpu", provisioned * tp * hours * price)
        gpus_used = provisioned * tp
    else:
        gpus_used, capacity = _reserved(cap, prov, key, sizing, sc, hours, reserved_gpus, od_price, lines)
    overflow = prov.overflow if prov.overflow not in (None, "on_demand") else None
    metrics = served(sizing, tokens, gpus_used, np.asarray(gpus_used, float) / tp, capacity, overflow,
                     overflow_pricer, lines)
    return CapacityOutcome(lines, metrics)


def _with_lead_time(needed: np.ndarray, lead: int) -> np.ndarray:
    """Scale-downs are immediate; a scale-up ordered in month t serves from month t + lead."""
    if lead <= 0:
        return needed
    earlier = np.concatenate([np.repeat(needed[:1], lead, axis=0), needed[:-lead]], axis=0)
    return np.asarray(np.minimum(needed, earlier), dtype=float)


def _serving_capacity(replicas: np.ndarray, sizing: Sizing) -> np.ndarray:
    """Replica-seconds per second available for traffic once spares and standby are set aside:
    (replicas - spares) / (1 + standby share of the serving replicas)."""
    with_standby = (sizing.replicas - sizing.spares) / np.maximum(sizing.serving, 1.0)
    return np.asarray(np.maximum(replicas - sizing.spares, 0.0) / np.maximum(with_standby, 1.0), dtype=float)


def _reserved(cap: Capacity, prov: Provisioning, key: str, sizing: Sizing, sc: Scenario, hours: float,
              reserved_gpus: float | None, od_price: np.ndarray | float,
              lines: LineSet) -> tuple[np.ndarray, np.ndarray]:
    """Reserved GPUs at the price locked at signing for the term (paid whether used or not),
    renewed at the then-market price less a discount, or ended early against a fee; on-demand
    GPUs cover what the reservation does not (after the term, after termination, bursts)."""
    assert isinstance(cap.gpu, str), "the engine chose the setup before pricing"
    months, n = sc.months, sc.n
    tp, term = sizing.tp, prov.term_months
    names = line_names(prov, months)
    tier = reserved_class(term)
    od_full = np.broadcast_to(od_price, (months, n))
    reserve_discount = discount(prov, tier, key, "renewal_discount", sc)
    if prov.reserved_price is not None:
        locked = sc.series(f"{key}.provisioning.reserved_price", prov.reserved_price)  # float or (1, n)
    else:  # the on-demand price at signing less the class's discount: never dearer than on-demand then
        locked = od_full[:1] * (1.0 - reserve_discount)
    n_gpus = float(prov.gpus if prov.gpus is not None else given(reserved_gpus))
    t = np.arange(months)[:, None]
    stop = months  # the reservation runs to the horizon unless it ends earlier
    if prov.after_term == "on_demand":
        stop = min(stop, term)
    end = prov.early_termination
    ended = end is not None and end.month < term
    if end is not None and ended:
        stop = min(stop, end.month)
    held_mask = (t < stop).astype(float)
    lines.add("GPU compute (reserved)", "gpu", n_gpus * hours * locked * ((t < term) * held_mask))
    if "GPU compute (renewed)" in names:
        disc = reserve_discount
        renewed = np.zeros((months, n))
        for start in range(term, months, term):  # each renewal locks the market price of its first month
            renewed[start:start + term] = n_gpus * hours * od_full[start] * (1.0 - disc)
        lines.add("GPU compute (renewed)", "gpu", renewed * held_mask)
    if end is not None:
        fee = np.zeros((months, n))
        if ended:
            m = end.month
            share = as_row(sc.scalar(f"{key}.provisioning.early_termination.fee_share", end.fee_share))
            fee[m - 1] = np.broadcast_to(n_gpus * hours * locked * (term - m) * share, (1, n))[0]
        lines.add("Early termination fee", "gpu", fee)
    held = np.floor(n_gpus / tp) * held_mask * np.ones((1, n))
    needed = np.broadcast_to(sizing.replicas, (months, n))
    on_demand = np.where(held_mask > 0, 0.0, needed)  # after the reservation: rent what is needed
    if prov.overflow == "on_demand":
        on_demand = np.maximum(on_demand, needed - held)  # bursts above the reservation
    if "GPU compute (on-demand)" in names:
        lines.add("GPU compute (on-demand)", "gpu", on_demand * tp * hours * od_price)
    total = held + on_demand
    return total * tp, _serving_capacity(total, sizing)
