"""Schema of an option's ``[options.ops]`` table. Every default names its source."""

from __future__ import annotations

from pydantic import Field

from sim.specs import (
    AnnualCost,
    FaultRate,
    Fraction,
    Hours,
    Minutes,
    Money,
    MonthlyEventRate,
    OutageRate,
    Strict,
    UpgradeRate,
    Weeks,
)

#: Llama 3 training: 268 GPU-attributed interruptions in 54 days on 16,384 H100s ("The Llama 3
#: Herd of Models", Table 5) = 268 / (16,384 x 54/365) = 0.11 per GPU-year; the upper end allows
#: for a fleet older or hotter than Meta's.
GPU_FAILURES_PER_YEAR = "0.11 to 0.17"


class SelfHostedOps(Strict):
    """Failures, repairs, outages, patching and upgrades of a self-hosted fleet."""

    replicas: int | None = Field(default=None, ge=1, le=100_000)  # serving replicas (default: the capacity model's)
    spare_replicas: int | None = Field(default=None, ge=0, le=10_000)  # default: the capacity model's, else 0
    gpus_per_replica: int | None = Field(default=None, ge=1, le=64)  # default: capacity tensor_parallel, else 1
    gpu_failures_per_year: FaultRate = GPU_FAILURES_PER_YEAR  # per GPU; a fault downs its replica
    diagnosis_hours: Hours = "0.5 to 4"  # engineer hands-on time per GPU fault (assumption)
    replacement_hours: Hours = "4 to 48"  # provider swaps the node, no engineer (assumption)
    failover_minutes: Minutes = "2 to 15"  # a spare takes over the failed replica's traffic (assumption)
    outages_per_year: OutageRate = "1 to 4"  # provider/zone outages taking the whole fleet down (assumption)
    outage_hours: Hours = "0.5 to 6"
    maintenance_hours: Hours = "2 to 6"  # monthly OS/CUDA/driver/framework patching, engineer time (assumption)
    restart_minutes: Minutes = "5 to 20"  # per replica during the rolling restart; a spare hides it
    # hours into each month the patching window starts; default: at random in the first week
    maintenance_start_hour: float | None = Field(default=None, ge=0, le=168)
    upgrades_per_year: UpgradeRate = {"dist": "uniform", "low": 2, "high": 3}  # article: 2-3 a year
    upgrade_weeks: Weeks = "2 to 4"  # article: 2-4 engineer-weeks each
    engineers: int = Field(default=2, ge=0, le=1000)  # on-call engineers who can work at once (the team)
    hours_per_week: float = Field(default=40.0, gt=0, le=168)  # an engineer's working week
    engineer_annual_cost: AnnualCost = "180k to 280k"  # article: Levels.fyi Q1 2026; hourly = / 2080
    # an API option serving the shortfall; none: the traffic is unserved
    fallback: str | None = Field(default=None, max_length=100)
    sla_target: float = Field(default=0.999, gt=0, le=1)  # article: "99.9% uptime requirements"
    sla_penalty: Money = 0.0  # $ per month below the target (credits owed, penalties)


class ApiOps(Strict):
    """Provider incidents. Defaults calibrated on public status pages: OpenAI 99.48% and Anthropic
    99.69% available over Sep 2023-Aug 2024, 6-9 incidents a month of median 0.7-1.3 h; an incident
    fails a share of requests (impact), so full-outage hours = duration x impact."""

    incidents_per_month: MonthlyEventRate = "6 to 9"
    incident_hours: Hours = {"dist": "lognormal", "median": 1.0, "p95": 4.0}
    incident_impact: Fraction = "20% to 50%"  # share of requests failing during an incident (calibration)
    fallback: str | None = Field(default=None, max_length=100)  # another API option taking the traffic; none: lost
    sla_target: float = Field(default=0.999, gt=0, le=1)
    sla_penalty: Money = 0.0
