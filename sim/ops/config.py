"""Schema of an option's ``[options.ops]`` table. Every default names its source."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.specs import (
    AnnualCost,
    FaultRate,
    Fraction,
    Hours,
    Minutes,
    Money,
    MonthlyEventRate,
    Number,
    OutageRate,
    Strict,
    UpgradeRate,
    Weeks,
    Whole,
)

#: Llama 3 training: 268 GPU-attributed interruptions in 54 days on 16,384 H100s ("The Llama 3
#: Herd of Models", Table 5) = 268 / (16,384 x 54/365) = 0.11 per GPU-year; the upper end allows
#: for a fleet older or hotter than Meta's.
GPU_FAILURES_PER_YEAR = "0.11 to 0.17"


#: incident work as it is: about 6 hours per on-call incident once root cause, remediation and
#: follow-up (postmortem, bug fixes) are counted ("Site Reliability Engineering", O'Reilly 2016,
#: ch. 11 "Being On-Call"); hands-on diagnosis, mitigation and follow-up below average
#: 1.42 + 0.71 + 3.66 = 5.8 h, after a response of 5-15 minutes (9 on average)
RESPONSE_MINUTES = "5 to 15"
DIAGNOSIS_HOURS = "0.5 to 3"
MITIGATION_HOURS = "0.25 to 1.5"
FOLLOWUP_HOURS = "2 to 6"
#: the smallest rotation for each coverage: 24x7 at one site 8 engineers, or 6 per site across two
#: (SRE book, "Being On-Call"); business hours a primary and a backup (assumption); best effort one
ROTATION_MINIMUM = {("24x7", 1): 8, ("24x7", 2): 12, ("business_hours", 1): 2, ("business_hours", 2): 2,
                    ("best_effort", 1): 1, ("best_effort", 2): 1}
#: the SRE book's ceiling: at most 25% of an engineer's time on call
ON_CALL_CEILING = 0.25


class SelfHostedOps(Strict):
    """Failures, repairs, outages, changes, patching and upgrades of a self-hosted fleet, and the
    on-call coverage that answers them."""

    replicas: Whole | None = Field(default=None, ge=1, le=100_000)  # serving replicas (default: the capacity model's)
    spare_replicas: Whole | None = Field(default=None, ge=0, le=10_000)  # default: the capacity model's, else 0
    gpus_per_replica: Whole | None = Field(default=None, ge=1, le=64)  # default: capacity tensor_parallel, else 1
    gpu_failures_per_year: FaultRate = GPU_FAILURES_PER_YEAR  # per GPU; a fault downs its replica
    # changes: binary and configuration pushes cause most outages (SRE Workbook, appendix C: binary
    # push 37%, configuration push 31%, hardware 2% of outage triggers at Google, 2010-2017)
    changes_per_month: MonthlyEventRate = "4 to 12"  # deploys and config pushes (DORA 2023: high performers
    # deploy daily to weekly, medium weekly to monthly; assumption for a serving stack)
    change_failure_rate: Fraction = "5% to 15%"  # DORA 2023 clusters: elite 5%, high 10%, medium 15%
    change_hours: Hours = "0.5 to 2"  # review and rollout per change (assumption)
    detection_minutes: Minutes = "5 to 30"  # a bad change's errors reach an alert (assumption)
    change_impact: Fraction = "20% to 100%"  # share of requests failing until it is rolled back (assumption)
    # incident work, each incident (fault, bad change, outage): see the constants above
    response_minutes: Minutes = RESPONSE_MINUTES  # from a page to someone at work on it
    diagnosis_hours: Hours = DIAGNOSIS_HOURS
    mitigation_hours: Hours = MITIGATION_HOURS  # rollback, config fix (0 for a GPU the provider swaps)
    followup_hours: Hours = FOLLOWUP_HOURS  # postmortem and fixes: backlog work, beside upgrades
    # on-call coverage
    coverage: Literal["24x7", "business_hours", "best_effort"] = "24x7"
    working_hours: tuple[float, float] = (9.0, 17.0)  # local time; hour 0 of a run is Monday 00:00
    working_days: Whole = Field(default=5, ge=1, le=7)
    sites: Literal[1, 2] = 1  # follow the sun across two sites: 12-hour shifts
    rotation: Whole | None = Field(default=None, ge=1, le=1000)  # engineers on the rotation (default: the minimum)
    rotation_share: Fraction = "10% to 25%"  # share of the rotation's salaries this service carries
    # (assumption: a platform rotation covers several services; the SRE book caps on-call at 25%)
    on_call_stipend: Money = "300 to 1000"  # $ per engineer-week on call (assumption, within the weekly
    # payments listed in The Pragmatic Engineer's "Oncall compensation" survey of 80+ employers, 2023)
    coverage_by: Literal["team", "vendor"] = "team"  # "vendor": a managed service answers pages
    vendor_fee: Money = "4k to 12k"  # $ a month for vendor 24x7 coverage (assumption)
    best_effort_delay_hours: Hours = "1 to 8"  # best effort: noticed this long into the working day
    replacement_hours: Hours = "4 to 48"  # provider swaps the node, no engineer (assumption)
    failover_minutes: Minutes = "2 to 15"  # a spare takes over the failed replica's traffic (assumption)
    outages_per_year: OutageRate = "1 to 4"  # provider/zone outages taking the whole fleet down (assumption)
    outage_hours: Hours = "0.5 to 6"
    maintenance_hours: Hours = "2 to 6"  # monthly OS/CUDA/driver/framework patching, engineer time (assumption)
    restart_minutes: Minutes = "5 to 20"  # per replica during the rolling restart; a spare hides it
    # hours into each month the patching window starts; default: at random in the first week
    maintenance_start_hour: Number | None = Field(default=None, ge=0, le=168)
    upgrades_per_year: UpgradeRate = {"dist": "uniform", "low": 2, "high": 3}  # article: 2-3 a year
    upgrade_weeks: Weeks = "2 to 4"  # article: 2-4 engineer-weeks each
    engineers: Whole = Field(default=2, ge=0, le=1000)  # engineers who can work on this service at once
    hours_per_week: Number = Field(default=40.0, gt=0, le=168)  # an engineer's working week
    engineer_annual_cost: AnnualCost = "180k to 280k"  # article: Levels.fyi Q1 2026; hourly = / 2080
    # an API option serving the shortfall; none: the traffic is unserved
    fallback: str | None = Field(default=None, max_length=100)
    sla_target: Number = Field(default=0.999, gt=0, le=1)  # article: "99.9% uptime requirements"
    sla_penalty: Money = 0.0  # $ per month below the target (credits owed, penalties)

    @model_validator(mode="after")
    def _hours(self) -> SelfHostedOps:
        start, end = self.working_hours
        if not 0 <= start < end <= 24:
            raise ValueError("working_hours must be [start, end] within a day, start before end")
        return self

    @property
    def rotation_size(self) -> int:
        """Engineers on the rotation: the given number, or the minimum for the coverage."""
        return self.rotation if self.rotation is not None else ROTATION_MINIMUM[(self.coverage, self.sites)]

    @property
    def rotation_minimum(self) -> int:
        return ROTATION_MINIMUM[(self.coverage, self.sites)]


class ApiOps(Strict):
    """Provider incidents. Defaults calibrated on public status pages: OpenAI 99.48% and Anthropic
    99.69% available over Sep 2023-Aug 2024, 6-9 incidents a month of median 0.7-1.3 h; an incident
    fails a share of requests (impact), so full-outage hours = duration x impact."""

    incidents_per_month: MonthlyEventRate = "6 to 9"
    incident_hours: Hours = {"dist": "lognormal", "median": 1.0, "p95": 4.0}
    incident_impact: Fraction = "20% to 50%"  # share of requests failing during an incident (calibration)
    fallback: str | None = Field(default=None, max_length=100)  # another API option taking the traffic; none: lost
    sla_target: Number = Field(default=0.999, gt=0, le=1)
    sla_penalty: Money = 0.0
