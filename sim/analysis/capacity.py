"""What a self-hosted option's GPUs did with the traffic: the share they could not serve themselves,
how many GPUs there were (the scale a TCO multiplier refers to), and the sentences a reader must see
when a fleet is unchecked or falls short."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.capacity.fleet import replicas_of
from sim.config import SelfHostedOption
from sim.result import OptionResult, Result
from sim.specs import median

Array = npt.NDArray[np.float64]
#: a fleet that leaves more than this share of its tokens unserved on the median path is infeasible
INFEASIBLE_SHARE = 0.01


def unserved_share(result: Result, opt: OptionResult) -> Array | None:
    """Per path: the share of the horizon's demanded tokens the option's own GPUs could not serve
    (whether an overflow API took them or not); None for an option whose GPUs are unchecked."""
    shortfall = opt.metrics.get("shortfall_tokens")
    if shortfall is None or result.tokens is None:
        return None
    demand = result.tokens.sum(axis=0, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = shortfall.sum(axis=0, dtype=np.float64) / demand
    return np.asarray(np.where(demand > 0, share, 0.0), float)


def gpu_count(result: Result, index: int) -> float | None:
    """The GPUs a TCO multiplier divides by, the median path's mean over months: a capacity model's
    GPUs; else the GPUs of the option's cost lines of category ``gpu`` (median counts); else a
    declared fleet's serving GPUs (its replicas less spares; failover GPUs are priced as
    ``redundancy``, outside the base); None when unknown."""
    opt, spec = result.options[index], result.experiment.options[index]
    if getattr(spec, "capacity", None) is not None and "gpus" in opt.metrics:
        return float(np.median(opt.metrics["gpus"].mean(axis=0, dtype=np.float64)))
    counts = [median(line.gpus, result.experiment.market) for line in spec.costs
              if line.resolved_category == "gpu" and line.gpus is not None]
    if counts:
        return float(sum(counts))
    fleet = getattr(spec, "fleet", None)
    if fleet is not None:
        return float((replicas_of(fleet) - fleet.spare_replicas) * fleet.tensor_parallel)
    return None


def _overflow(spec: SelfHostedOption) -> str | None:
    """The API a checked option's shortfall goes to (None: unserved)."""
    table = spec.fleet if spec.fleet is not None else spec.provisioning
    name = getattr(table, "overflow", None)
    return None if name in (None, "on_demand") else name


def notes(result: Result) -> list[str]:
    """Sentences a reader must not miss: unchecked fleets, fleets short of their load, chosen setups."""
    out = []
    for i, (spec, opt) in enumerate(zip(result.experiment.options, result.options, strict=True)):
        if not isinstance(spec, SelfHostedOption):
            continue
        if not spec.checked:
            out.append(f"“{opt.name}”: its GPUs are not checked against the workload (no [options.capacity] or "
                       "[options.fleet]): its bill does not grow with traffic, and tokens it could not serve are "
                       "not counted.")
            continue
        share = unserved_share(result, opt)
        if share is not None and float(np.quantile(share, 0.95)) > 0:
            p50, p95 = np.quantile(share, [0.5, 0.95])
            overflow = _overflow(spec)
            if overflow is not None:
                out.append(f"“{opt.name}”: its own GPUs serve {100 * (1 - p50):.3g}% of the tokens on the median "
                           f"path; the other {100 * p50:.2g}% (P95 {100 * p95:.2g}%) overflow to “{overflow}” at its "
                           "prices.")
            else:
                out.append(f"“{opt.name}”: its GPUs cannot serve all the traffic: {100 * p50:.2g}% of the tokens on "
                           f"the median path go unserved (P95 {100 * p95:.2g}%), and nothing in its bill pays for "
                           "them (name an overflow API to price them).")
        if i in result.setups:
            choice = result.setups[i]
            feasible = sum(c.feasible for c in choice.candidates)
            out.append(f"“{opt.name}”: {choice.setup} chosen, the cheapest of {feasible} feasible setups "
                       f"({len(choice.candidates)} considered) at the P{100 * choice.quantile:g} demand.")
    return out
