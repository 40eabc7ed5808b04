"""Operations priced: engineer hours by cause, shortfall served by a fallback API (or unserved),
SLA breaches and penalties, for self-hosted fleets (des or vectorized) and API providers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from distributions import compound_poisson
from sim.ops.config import ApiOps, SelfHostedOps
from sim.ops.des import simulate_des
from sim.ops.inputs import FleetOutcome, fleet_inputs
from sim.ops.vectorized import simulate_vectorized
from sim.pricing import Cost, LineSet, Metrics
from sim.scenario import Scenario
from sim.specs import is_zero
from sim.workload import Tokens

Pricer = Callable[[Cost], Cost]

#: a full-time year: 52 weeks x 40 hours (the usual divisor from a loaded annual cost to an hourly rate)
WORK_HOURS_PER_YEAR = 2080.0
ENGINEER_LINES = ("Engineer time: incidents", "Engineer time: patching", "Engineer time: upgrades")
OPS_METRICS = ("downtime_hours", "availability", "engineer_hours", "incidents", "sla_breach", "unserved_tokens")
#: engineer hours by cause (self-hosted fleets)
CAUSE_METRICS = ("engineer_hours_incidents", "engineer_hours_patching", "engineer_hours_upgrades")


@dataclass
class OpsOutcome:
    lines: LineSet = field(default_factory=LineSet)
    metrics: Metrics = field(default_factory=dict)
    events: int = 0


def fallback_line(name: str) -> str:
    return f"Fallback to {name}"


SLA_LINE = "SLA penalties"


def line_names(ops: SelfHostedOps | ApiOps) -> list[str]:
    """The lines operations price for an option (names a cost item of the option may not take)."""
    names = list(ENGINEER_LINES) if isinstance(ops, SelfHostedOps) else []
    if ops.fallback is not None:
        names.append(fallback_line(ops.fallback))
    if not is_zero(ops.sla_penalty):
        names.append(SLA_LINE)
    return names


def _consequences(ops: SelfHostedOps | ApiOps, key: str, sc: Scenario, downtime: np.ndarray, hours: float,
                  tokens: Tokens, fallback_pricer: Pricer | None, out: OpsOutcome) -> None:
    """Shortfall to the fallback (or unserved), availability and SLA penalties."""
    share = np.clip(downtime / hours, 0.0, 1.0)
    availability = 1.0 - share
    breach = (availability < ops.sla_target).astype(float)
    if ops.fallback is not None and fallback_pricer is not None:
        out.lines.add(fallback_line(ops.fallback), "usage", fallback_pricer(share))
        out.metrics["unserved_tokens"] = np.zeros_like(share)
    else:
        out.metrics["unserved_tokens"] = share * (tokens.input + tokens.output)
    if not is_zero(ops.sla_penalty):
        penalty = sc.series(f"{key}.sla_penalty", ops.sla_penalty)
        out.lines.add(SLA_LINE, "other", breach * penalty)
    out.metrics.update(downtime_hours=downtime, availability=availability, sla_breach=breach)


def _in_order(metrics: Metrics) -> Metrics:
    """Operations metrics in the order reports list them."""
    return {k: metrics[k] for k in (*OPS_METRICS, *CAUSE_METRICS) if k in metrics}


def fleet_ops(ops: SelfHostedOps, key: str, sc: Scenario, tokens: Tokens, required: np.ndarray | float, spare: int,
              gpus_per_replica: int, hours: float, engine: str, fallback_pricer: Pricer | None) -> OpsOutcome:
    """Run the fleet model (``engine`` = "des" or "vectorized") and price what it found."""
    fi = fleet_inputs(ops, f"{key}.ops", sc, required, spare, gpus_per_replica, hours)
    result: FleetOutcome = (simulate_des if engine == "des" else simulate_vectorized)(fi, f"{key}.ops", sc)
    out = OpsOutcome(events=result.events)
    hourly = sc.series(f"{key}.ops.engineer_annual_cost", ops.engineer_annual_cost) / WORK_HOURS_PER_YEAR
    for name, worked in zip(ENGINEER_LINES, (result.incident_hours, result.patching_hours, result.upgrade_hours),
                            strict=True):
        out.lines.add(name, "people", worked * hourly)
    out.metrics["engineer_hours"] = result.incident_hours + result.patching_hours + result.upgrade_hours
    for name, worked in zip(CAUSE_METRICS, (result.incident_hours, result.patching_hours, result.upgrade_hours),
                            strict=True):
        out.metrics[name] = worked
    out.metrics["incidents"] = result.incidents
    _consequences(ops, f"{key}.ops", sc, result.downtime_hours, hours, tokens, fallback_pricer, out)
    out.metrics = _in_order(out.metrics)
    return out


def api_ops(ops: ApiOps, key: str, sc: Scenario, tokens: Tokens, hours: float,
            fallback_pricer: Pricer | None) -> OpsOutcome:
    """Provider incidents (vectorised: they do not contend for anything of ours)."""
    months = sc.months
    rate = np.broadcast_to(sc.series(f"{key}.ops.incidents_per_month", ops.incidents_per_month), (1, sc.n)).T
    impact = sc.series(f"{key}.ops.incident_impact", ops.incident_impact)
    packed = sc.draw_rows(
        f"{key}.ops.incidents",
        lambda rng, rows: np.stack(compound_poisson(rng, rate[rows], ops.incident_hours,
                                                    (rows.stop - rows.start, months)), axis=1))
    counts, hours_down = packed[:, 0].T, packed[:, 1].T
    out = OpsOutcome()
    out.metrics["incidents"] = counts
    out.metrics["engineer_hours"] = np.zeros_like(counts)
    _consequences(ops, f"{key}.ops", sc, np.minimum(hours_down * impact, hours), hours, tokens, fallback_pricer, out)
    out.metrics = _in_order(out.metrics)
    return out
