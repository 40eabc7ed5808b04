"""The cheapest feasible setup: every candidate GPU and tensor-parallel width of a capacity model is
sized on the run's pilot paths; the one whose GPU-hours at the stated demand quantile cost least
(at the median catalog price of its provisioning class), among those that meet the SLOs, serves
the whole run. The table of candidates is kept for the report and ``tcosim capacity FILE``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from distributions import Distribution
from sim.capacity.checks import why_not
from sim.capacity.config import Capacity, Provisioning, spares
from sim.capacity.provisioning import reserved_class
from sim.capacity.sizing import Setup, size
from sim.config import Experiment
from sim.gpu_market import median_discount, median_on_demand
from sim.scenario import Scenario
from sim.specs import Ref, median
from sim.workload import Tokens


@dataclass
class Candidate:
    setup: Setup
    why_not: str  # empty when the setup meets the SLOs at the median inputs
    replicas: float = 0.0  # mean over months of the replicas needed at the quantile
    gpu_hours: float = 0.0  # over the horizon, at the quantile
    price: float = 0.0  # $ per GPU-hour used to compare
    cost: float = 0.0  # gpu_hours x price
    utilization: float = 0.0  # median load over the replicas, averaged over months
    batch: float = 0.0  # sequences per replica at the median path
    slo_share: float = 0.0  # share of pilot paths on which one sequence meets both SLOs

    @property
    def feasible(self) -> bool:
        return not self.why_not


@dataclass
class Choice:
    """The setup chosen for one option, and every candidate considered."""

    setup: Setup
    quantile: float
    candidates: list[Candidate]

    @property
    def winner(self) -> Candidate:
        return next(c for c in self.candidates if c.setup == self.setup)


def unit_price(gpu: str, prov: Provisioning, market: dict[str, object]) -> float:
    """$ per GPU-hour a candidate is compared at: the on-demand price (the provisioning's own where
    it names one GPU, else the provider class's catalog median) less the median discount of the
    policy's tier (a reservation locks on-demand less its discount; spot runs at a discount)."""
    spec: object = prov.hourly_price
    if isinstance(spec, Ref):
        spec = market[spec.name]
    if spec is None:
        price = median_on_demand(gpu, prov.provider_class)
    else:
        start = getattr(spec, "start", spec)  # a price process: its starting level
        assert isinstance(start, Distribution | Ref)
        price = median(start, market)
    if prov.policy in ("reserved", "hybrid"):
        if prov.reserved_price is not None:
            return median(prov.reserved_price, market)
        off = prov.renewal_discount
        tier = reserved_class(prov.term_months)
    elif prov.policy == "spot":
        off, tier = prov.spot_discount, "spot"
    else:
        return price
    if off is None:
        return price * (1.0 - (median_discount(prov.provider_class, tier) if tier is not None else 0.0))
    return price * (1.0 - median(off, market))


def choose(exp: Experiment, cap: Capacity, prov: Provisioning, key: str, sc: Scenario, tokens: Tokens) -> Choice:
    """Size every candidate on the pilot paths of ``sc`` and pick the cheapest feasible one."""
    days, hours = exp.experiment.days_per_month, prov.hours_per_month or exp.experiment.hours_per_month
    candidates = []
    for gpu in cap.gpus_considered:
        for tp in cap.widths_considered:
            setup = Setup(gpu, tp)
            reason = why_not(cap, setup, exp)
            if reason:
                candidates.append(Candidate(setup, reason[1]))
                continue
            sizing = size(cap, setup, key, sc, tokens, days, spares(cap.spare_replicas), cap.standby_fraction)
            replicas = np.broadcast_to(sizing.replicas, (sc.months, sc.n))
            need = np.quantile(replicas, cap.choose_at, axis=1, method="inverted_cdf")
            load = np.median(np.broadcast_to(sizing.load, (sc.months, sc.n)), axis=1)
            gpu_hours = float(need.sum() * tp * hours)
            price = unit_price(gpu, prov, exp.market)
            candidates.append(Candidate(
                setup, "", replicas=float(need.mean()), gpu_hours=gpu_hours, price=price, cost=gpu_hours * price,
                utilization=float(np.mean(load / need)), batch=float(np.median(sizing.plan.batch)),
                slo_share=float(np.mean(sizing.plan.slo_met))))
    feasible = [c for c in candidates if c.feasible]
    best = min(feasible, key=lambda c: (c.cost, c.gpu_hours, c.setup.tp))
    return Choice(best.setup, cap.choose_at, candidates)
