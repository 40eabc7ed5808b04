"""The building blocks of the SimPy fleet model: the team as a priority queue of engineers, and
per-event draws buffered from a path's random stream."""

from __future__ import annotations

import heapq
from typing import Any

import simpy
from numpy.random import Generator

from distributions import Distribution

INCIDENT, PATCHING, BACKLOG = 0, 1, 2  # request priorities: lower is served first


class Draws:
    """Per-event draws from one distribution, sampled 32 at a time from the path's stream."""

    def __init__(self, dist: Distribution, rng: Generator, scale: float = 1.0) -> None:
        self.dist, self.rng, self.scale = dist, rng, scale
        self.buf: list[float] = []

    def next(self) -> float:
        """The next draw (at least 0: a duration)."""
        if not self.buf:
            self.buf = (self.dist.sample(self.rng, 32) * self.scale).tolist()[::-1]
        return max(self.buf.pop(), 0.0)


class Backlog:
    """Work items served first come, first served: what an unbounded ``simpy.Store`` does, event for
    event (a put is an event that, once processed, hands the oldest item to the oldest waiting get),
    without its generic queues of put and get requests."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.items: list[Any] = []
        self.waiting: list[simpy.Event] = []

    def put(self, item: Any) -> simpy.Event:
        event = self.env.event()
        event.callbacks.append(self._hand_over)
        self.items.append(item)
        return event.succeed()

    def get(self) -> simpy.Event:
        event = self.env.event()
        self.waiting.append(event)
        self._hand_over(None)
        return event

    def _hand_over(self, _event: object) -> None:
        if self.waiting and self.items:
            self.waiting.pop(0).succeed(self.items.pop(0))


class Engineers:
    """The team as a non-preemptive priority queue (what ``simpy.PriorityResource`` does, with far
    fewer objects per request): ``yield request(priority)``, work, ``release()``; ties served in
    arrival order."""

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env, self.free = env, capacity
        self.waiting: list[tuple[int, int, simpy.Event]] = []
        self.seq = 0

    def request(self, priority: int) -> simpy.Event:
        event = self.env.event()
        if self.free > 0:
            self.free -= 1
            event.succeed()
        else:
            self.seq += 1
            heapq.heappush(self.waiting, (priority, self.seq, event))
        return event

    def take(self) -> bool:
        """An engineer at once, if one is free and nobody waits (no event to schedule)."""
        if self.free > 0 and not self.waiting:
            self.free -= 1
            return True
        return False

    def release(self, _event: object = None) -> None:
        if self.waiting:
            heapq.heappop(self.waiting)[2].succeed()  # the engineer goes straight to the next one
        else:
            self.free += 1


__all__ = ["BACKLOG", "INCIDENT", "PATCHING", "Backlog", "Draws", "Engineers"]
