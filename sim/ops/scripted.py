"""A fleet path whose faults, outages and backlog work can be scripted at given hours: the exact
traces of tests/test_des_trace.py, and one path's story told event by event (changes are scripted
with FleetPath.change_at, which the model itself uses)."""

from __future__ import annotations

from sim.ops.des import FleetPath, Steps
from sim.ops.inputs import H_FOLLOWUP, H_UPGRADE


class ScriptedPath(FleetPath):
    """FleetPath with events placed by hand (on top of its random ones, which a test turns off)."""

    def fault_at(self, hour: float, serving: bool = True) -> None:
        """Script a GPU fault at ``hour`` (on a serving replica, or a spare)."""
        def later() -> Steps:
            yield self.env.timeout(hour)
            yield self.env.process(self.repair(self.month(hour), serving))

        self.env.process(later())

    def outage_at(self, hour: float, hours: float) -> None:
        """Script a provider outage from ``hour`` for ``hours``."""
        def later() -> Steps:
            yield self.env.timeout(hour)
            yield self.env.process(self.provider_outage(hours))

        self.env.process(later())

    def queue(self, hours: float, upgrade: bool = False) -> None:
        """Script backlog work (an upgrade project or a follow-up) of ``hours``, queued now."""
        self.backlog.put((hours, H_UPGRADE if upgrade else H_FOLLOWUP))


__all__ = ["ScriptedPath"]
