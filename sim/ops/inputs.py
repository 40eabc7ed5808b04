"""Per-path inputs of the operations models: rates drawn once per path (uncertainty about the
world), durations kept as distributions to draw per event (every repair differs), the clock
(coverage and working hours) and the day's traffic shape."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from distributions import Distribution, Fixed
from sim.ops.clock import Coverage, day_shape
from sim.ops.config import SelfHostedOps
from sim.scenario import Scenario

HOURS_PER_YEAR = 8760.0
#: hours an engineer works on an upgrade in one sitting (a working day)
WORK_BLOCK_HOURS = 8.0
#: an engineer-week of work, whatever the engineer's own week (part-timers take longer)
ENGINEER_WEEK_HOURS = 40.0

#: rows of a fleet model's output, per month: request-weighted downtime, engineer hours by cause,
#: incidents by cause, changes
DOWNTIME, H_INCIDENT, H_CHANGE, H_FOLLOWUP, H_PATCHING, H_UPGRADE = range(6)
N_FAULTS, N_CHANGE_INCIDENTS, N_OUTAGES, N_CHANGES = range(6, 10)
ROWS = 10


@dataclass
class FleetInputs:
    """Everything the fleet models need, for the n paths of a chunk."""

    required: np.ndarray  # (months, n) serving replicas needed each month
    load: np.ndarray  # (months, n) the mean traffic in replicas (= required when unknown: every replica busy)
    shapes: np.ndarray  # (n, 24) traffic by hour of day relative to its mean (flat when unknown)
    spare: int
    gpus_per_replica: int
    failure_rate: np.ndarray  # (n,) per GPU-hour
    outage_rate: np.ndarray  # (n,) per hour
    upgrade_rate: np.ndarray  # (n,) per hour
    change_rate: np.ndarray  # (n,) changes per working hour
    change_failure: np.ndarray  # (n,) probability a change causes an incident
    engineers: int
    block_interval_hours: float  # calendar hours between an upgrade's working blocks
    hours_per_month: float
    coverage: Coverage
    vendor: bool  # a managed service answers pages and mitigates; our engineers do the follow-up
    diagnosis: Distribution  # hours, per event
    replacement: Distribution
    failover: Distribution  # minutes
    outage: Distribution  # hours
    maintenance: Distribution  # hours
    restart: Distribution  # minutes per replica
    upgrade_weeks: Distribution
    change_hours: Distribution
    detection: Distribution  # minutes
    change_impact: Distribution  # share of requests failing, per bad change
    response: Distribution  # minutes from page to work
    mitigation: Distribution  # hours
    followup: Distribution  # hours
    best_effort_delay: Distribution  # hours
    hours_per_week: float
    maintenance_start: float | None = None  # hours into each month, or random within the first week

    @property
    def months(self) -> int:
        return int(self.required.shape[0])

    @property
    def n(self) -> int:
        return int(self.required.shape[1])

    @property
    def page_delay(self) -> Distribution:
        """Hours from a page to someone at work on it, beyond waiting for working hours."""
        return self.best_effort_delay if self.coverage.kind == "best_effort" else self.response


def _rate(sc: Scenario, key: str, spec: Distribution, per: float) -> np.ndarray:
    return np.broadcast_to(np.asarray(sc.scalar(key, spec), dtype=float) / per, (sc.n,)).copy()


def fleet_inputs(ops: SelfHostedOps, key: str, sc: Scenario, required: np.ndarray | float, spare: int,
                 gpus_per_replica: int, hours_per_month: float, load: np.ndarray | None = None,
                 peak_to_average: np.ndarray | float | None = None) -> FleetInputs:
    """Draw the per-path rates; pass the duration distributions through. Without ``load`` every
    serving replica is taken as busy (a shortfall loses its share of capacity at any hour)."""
    need = np.maximum(np.broadcast_to(required, (sc.months, sc.n)), 1.0)
    if load is None or peak_to_average is None:
        traffic, shapes = need, np.ones((sc.n, 24))
    else:
        traffic = np.maximum(np.broadcast_to(load, (sc.months, sc.n)), 1e-12)
        peaks = np.broadcast_to(np.asarray(peak_to_average, float).reshape(-1), (sc.n,))
        shapes = np.array([day_shape(p) for p in peaks])
    coverage = Coverage(ops.coverage, ops.working_hours[0], ops.working_hours[1], ops.working_days)
    working_share = coverage.working_hours_per_week / 168.0
    return FleetInputs(
        required=need,
        load=np.asarray(traffic, float),
        shapes=shapes,
        spare=spare,
        gpus_per_replica=gpus_per_replica,
        failure_rate=_rate(sc, f"{key}.gpu_failures_per_year", ops.gpu_failures_per_year, HOURS_PER_YEAR),
        outage_rate=_rate(sc, f"{key}.outages_per_year", ops.outages_per_year, HOURS_PER_YEAR),
        upgrade_rate=_rate(sc, f"{key}.upgrades_per_year", ops.upgrades_per_year, HOURS_PER_YEAR),
        change_rate=_rate(sc, f"{key}.changes_per_month", ops.changes_per_month, hours_per_month * working_share),
        change_failure=_rate(sc, f"{key}.change_failure_rate", ops.change_failure_rate, 1.0),
        engineers=ops.engineers,
        block_interval_hours=WORK_BLOCK_HOURS * 168.0 / ops.hours_per_week,
        hours_per_month=hours_per_month,
        coverage=coverage,
        vendor=ops.coverage_by == "vendor",
        diagnosis=ops.diagnosis_hours,
        replacement=ops.replacement_hours,
        failover=ops.failover_minutes,
        outage=ops.outage_hours,
        maintenance=ops.maintenance_hours,
        restart=ops.restart_minutes,
        upgrade_weeks=ops.upgrade_weeks,
        change_hours=ops.change_hours,
        detection=ops.detection_minutes,
        change_impact=ops.change_impact,
        response=_per_hour(ops.response_minutes),
        mitigation=ops.mitigation_hours,
        followup=ops.followup_hours,
        best_effort_delay=ops.best_effort_delay_hours,
        hours_per_week=ops.hours_per_week,
        maintenance_start=ops.maintenance_start_hour,
    )


class _Scaled(Distribution):
    """A distribution of minutes read in hours."""

    family = "scaled"

    def __init__(self, base: Distribution, factor: float) -> None:
        self.base, self.factor = base, factor

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.asarray(self.base.sample(rng, size), float) * self.factor

    @property
    def mean(self) -> float:
        return self.base.mean * self.factor

    @property
    def is_fixed(self) -> bool:
        return self.base.is_fixed


def _per_hour(minutes: Distribution) -> Distribution:
    return Fixed(minutes.mean / 60.0) if minutes.is_fixed else _Scaled(minutes, 1 / 60.0)


@dataclass
class FleetOutcome:
    """Per month and path: what operations cost in time, in rows (ROWS, months, n) as named above."""

    rows: np.ndarray
    events: int = 0  # discrete events processed (DES only), for the benchmark

    def __getitem__(self, row: int) -> np.ndarray:
        return np.asarray(self.rows[row], float)


__all__ = ["DOWNTIME", "ENGINEER_WEEK_HOURS", "H_CHANGE", "H_FOLLOWUP", "H_INCIDENT", "H_PATCHING", "H_UPGRADE",
           "HOURS_PER_YEAR", "N_CHANGES", "N_CHANGE_INCIDENTS", "N_FAULTS", "N_OUTAGES", "ROWS", "WORK_BLOCK_HOURS",
           "FleetInputs", "FleetOutcome", "fleet_inputs"]
