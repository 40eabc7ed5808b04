"""Operations priced: engineer hours by cause, shortfall served by a fallback API (or unserved),
SLA breaches and penalties, for self-hosted fleets (des or vectorized) and API providers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from distributions import compound_poisson
from sim.ops.config import ON_CALL_CEILING, ApiOps, SelfHostedOps
from sim.ops.des_paths import simulate_des
from sim.ops.inputs import (
    DOWNTIME,
    H_CHANGE,
    H_FOLLOWUP,
    H_INCIDENT,
    H_PATCHING,
    H_UPGRADE,
    N_CHANGE_INCIDENTS,
    N_CHANGES,
    N_FAULTS,
    N_OUTAGES,
    FleetOutcome,
    fleet_inputs,
)
from sim.ops.vectorized import simulate_vectorized
from sim.pricing import Cost, LineSet, Metrics
from sim.scenario import Scenario
from sim.specs import is_zero
from sim.workload import Tokens

Pricer = Callable[[Cost], Cost]

#: a full-time year: 52 weeks x 40 hours (the usual divisor from a loaded annual cost to an hourly rate)
WORK_HOURS_PER_YEAR = 2080.0
#: engineer time by cause: the line, the metric, the fleet model's row
CAUSES = (("Engineer time: incidents", "engineer_hours_incidents", H_INCIDENT),
          ("Engineer time: changes", "engineer_hours_changes", H_CHANGE),
          ("Engineer time: follow-up", "engineer_hours_followup", H_FOLLOWUP),
          ("Engineer time: patching", "engineer_hours_patching", H_PATCHING),
          ("Engineer time: upgrades", "engineer_hours_upgrades", H_UPGRADE))
ENGINEER_LINES = tuple(line for line, _, _ in CAUSES)
CAUSE_METRICS = tuple(metric for _, metric, _ in CAUSES)
#: incidents by what triggered them: the metric and the fleet model's row
TRIGGERS = (("incidents_changes", N_CHANGE_INCIDENTS), ("incidents_faults", N_FAULTS),
            ("incidents_outages", N_OUTAGES))
ON_CALL_LINES = ("On-call rotation", "On-call stipends", "On-call vendor")
OPS_METRICS = ("downtime_hours", "availability", "engineer_hours", "incidents", "sla_breach", "unserved_tokens",
               "changes", "incidents_changes", "incidents_faults", "incidents_outages", "on_call_share")


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
    names = [*ENGINEER_LINES, *ON_CALL_LINES] if isinstance(ops, SelfHostedOps) else []
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
              gpus_per_replica: int, hours: float, engine: str, fallback_pricer: Pricer | None,
              load: np.ndarray | None = None, peak_to_average: np.ndarray | float | None = None) -> OpsOutcome:
    """Run the fleet model (``engine`` = "des" or "vectorized") and price what it found: engineer
    time by cause, on-call coverage, lost traffic to the fallback (or unserved), SLA breaches."""
    fi = fleet_inputs(ops, f"{key}.ops", sc, required, spare, gpus_per_replica, hours, load, peak_to_average)
    result: FleetOutcome = (simulate_des if engine == "des" else simulate_vectorized)(fi, f"{key}.ops", sc)
    out = OpsOutcome(events=result.events)
    hourly = sc.series(f"{key}.ops.engineer_annual_cost", ops.engineer_annual_cost) / WORK_HOURS_PER_YEAR
    total = np.zeros((sc.months, sc.n))
    for line, metric, row in CAUSES:
        out.lines.add(line, "people", result[row] * hourly)
        out.metrics[metric] = result[row]
        total = total + result[row]
    out.metrics["engineer_hours"] = total
    for metric, row in TRIGGERS:
        out.metrics[metric] = result[row]
    out.metrics["incidents"] = sum((result[row] for _, row in TRIGGERS), np.zeros((sc.months, sc.n)))
    out.metrics["changes"] = result[N_CHANGES]
    _on_call(ops, f"{key}.ops", sc, hours, out)
    _consequences(ops, f"{key}.ops", sc, result[DOWNTIME], hours, tokens, fallback_pricer, out)
    out.metrics = _in_order(out.metrics)
    return out


#: engineers on call at once: a primary and a secondary (SRE book), per site under 24x7
_SLOTS = {"24x7": 2, "business_hours": 1, "best_effort": 0}


def on_call_share(ops: SelfHostedOps) -> float:
    """Share of each rotation engineer's time spent on call (the SRE book caps it at 25%): 24x7 at
    one site with a primary and a secondary, 2 / rotation; two sites each cover half the day;
    business hours one engineer in working hours."""
    if ops.coverage_by == "vendor" or ops.coverage == "best_effort":
        return 0.0
    covered = 1.0 if ops.coverage == "24x7" else ops.working_days * (ops.working_hours[1] - ops.working_hours[0]) / 168
    return _SLOTS[ops.coverage] * covered / ops.rotation_size


def _on_call(ops: SelfHostedOps, key: str, sc: Scenario, hours: float, out: OpsOutcome) -> None:
    """What coverage costs: the rotation's share of salaries and the weekly stipends of a 24x7
    rotation, or a vendor's monthly fee."""
    shape = (sc.months, sc.n)
    if ops.coverage_by == "vendor":
        fee = sc.series(f"{key}.vendor_fee", ops.vendor_fee)
        out.lines.add("On-call vendor", "people", np.broadcast_to(fee, shape))
    else:
        salary = sc.series(f"{key}.engineer_annual_cost", ops.engineer_annual_cost) / 12.0
        share = sc.series(f"{key}.rotation_share", ops.rotation_share)
        out.lines.add("On-call rotation", "people", np.broadcast_to(ops.rotation_size * salary * share, shape))
        if ops.coverage == "24x7":
            weeks = hours / 168.0
            stipend = sc.series(f"{key}.on_call_stipend", ops.on_call_stipend)
            out.lines.add("On-call stipends", "people", np.broadcast_to(_SLOTS["24x7"] * ops.sites * weeks * stipend,
                                                                        shape))
    out.metrics["on_call_share"] = np.full(shape, on_call_share(ops))


def on_call_risk(ops: SelfHostedOps) -> str | None:
    """A sentence when the rotation is below the minimum for its coverage or above the 25% ceiling."""
    share = on_call_share(ops)
    if ops.coverage_by == "team" and ops.rotation_size < ops.rotation_minimum:
        n = ops.rotation_size
        coverage = {"24x7": "24x7", "business_hours": "business-hours", "best_effort": "best-effort"}[ops.coverage]
        load = (f"each is on call {100 * share:.0f}% of the time (SRE book ceiling {100 * ON_CALL_CEILING:.0f}%)"
                if share > ON_CALL_CEILING else "nobody covers absences")
        return (f"{n} engineer{'s' if n != 1 else ''} on a {coverage} rotation ({ops.sites} site"
                f"{'s' if ops.sites > 1 else ''}) is below the minimum of {ops.rotation_minimum}: {load}, a burnout "
                "risk")
    return None


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
