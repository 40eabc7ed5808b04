"""Per-path inputs of the operations models: rates drawn once per path (uncertainty about the
world), durations kept as distributions to draw per event (every repair differs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from distributions import Distribution
from sim.ops.config import SelfHostedOps
from sim.scenario import Scenario

HOURS_PER_YEAR = 8760.0
#: hours an engineer works on an upgrade in one sitting (a working day)
WORK_BLOCK_HOURS = 8.0
#: an engineer-week of work, whatever the engineer's own week (part-timers take longer)
ENGINEER_WEEK_HOURS = 40.0


@dataclass
class FleetInputs:
    """Everything the fleet models need, for the n paths of a chunk."""

    required: np.ndarray  # (months, n) serving replicas needed each month
    spare: int
    gpus_per_replica: int
    failure_rate: np.ndarray  # (n,) per GPU-hour
    outage_rate: np.ndarray  # (n,) per hour
    upgrade_rate: np.ndarray  # (n,) per hour
    engineers: int
    block_interval_hours: float  # calendar hours between an upgrade's working blocks
    hours_per_month: float
    diagnosis: Distribution  # hours, per event
    replacement: Distribution
    failover: Distribution  # minutes
    outage: Distribution  # hours
    maintenance: Distribution  # hours
    restart: Distribution  # minutes per replica
    upgrade_weeks: Distribution
    hours_per_week: float
    maintenance_start: float | None = None  # hours into each month, or random within the first week

    @property
    def months(self) -> int:
        return int(self.required.shape[0])

    @property
    def n(self) -> int:
        return int(self.required.shape[1])


def _rate(sc: Scenario, key: str, spec: Distribution, per: float) -> np.ndarray:
    return np.broadcast_to(np.asarray(sc.scalar(key, spec), dtype=float) / per, (sc.n,)).copy()


def fleet_inputs(ops: SelfHostedOps, key: str, sc: Scenario, required: np.ndarray | float, spare: int,
                 gpus_per_replica: int, hours_per_month: float) -> FleetInputs:
    """Draw the per-path rates; pass the duration distributions through."""
    return FleetInputs(
        required=np.maximum(np.broadcast_to(required, (sc.months, sc.n)), 1.0),
        spare=spare,
        gpus_per_replica=gpus_per_replica,
        failure_rate=_rate(sc, f"{key}.gpu_failures_per_year", ops.gpu_failures_per_year, HOURS_PER_YEAR),
        outage_rate=_rate(sc, f"{key}.outages_per_year", ops.outages_per_year, HOURS_PER_YEAR),
        upgrade_rate=_rate(sc, f"{key}.upgrades_per_year", ops.upgrades_per_year, HOURS_PER_YEAR),
        engineers=ops.engineers,
        block_interval_hours=WORK_BLOCK_HOURS * 168.0 / ops.hours_per_week,
        hours_per_month=hours_per_month,
        diagnosis=ops.diagnosis_hours,
        replacement=ops.replacement_hours,
        failover=ops.failover_minutes,
        outage=ops.outage_hours,
        maintenance=ops.maintenance_hours,
        restart=ops.restart_minutes,
        upgrade_weeks=ops.upgrade_weeks,
        hours_per_week=ops.hours_per_week,
        maintenance_start=ops.maintenance_start_hour,
    )


@dataclass
class FleetOutcome:
    """Per month and path (months, n): what operations cost in time."""

    downtime_hours: np.ndarray  # full-outage-equivalent hours of missing serving capacity
    incident_hours: np.ndarray  # engineer hours on incidents (diagnosis)
    patching_hours: np.ndarray  # engineer hours on maintenance windows
    upgrade_hours: np.ndarray  # engineer hours on model upgrades
    incidents: np.ndarray  # GPU faults and provider outages
    events: int = 0  # discrete events processed (DES only), for the benchmark
