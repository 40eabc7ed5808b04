"""Clock time for operations: the simulation's hour 0 is Monday 00:00 local time. Working hours
(who is at work), on-call coverage (when a page is answered), and the day's traffic shape (how many
requests a capacity shortfall loses at that hour). Scalar functions for the discrete-event model,
vectorised ones for its twin; both give the same numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

HOURS_PER_WEEK = 168.0
#: the hour of the day traffic peaks (assumption: mid-afternoon for business traffic)
PEAK_HOUR = 14.0


@dataclass(frozen=True)
class Coverage:
    """Who answers a page when: "24x7" at once; "business_hours" only in working hours (a page at
    night or at the weekend waits for the next working hour); "best_effort" nobody is paged: it is
    noticed in working hours, some hours later."""

    kind: str = "24x7"
    start_hour: float = 9.0  # local working day
    end_hour: float = 17.0
    working_days: int = 5  # Monday to Friday

    def working(self, t: float) -> bool:
        day, hour = divmod(t % HOURS_PER_WEEK, 24.0)
        return day < self.working_days and self.start_hour <= hour < self.end_hour

    def next_working(self, t: float) -> float:
        """The first working moment at or after ``t``."""
        if self.working(t):
            return t
        week_start = t - t % HOURS_PER_WEEK
        day, hour = divmod(t % HOURS_PER_WEEK, 24.0)
        d = int(day) if hour < self.start_hour else int(day) + 1
        while d >= self.working_days:  # past the last working day: Monday next week
            week_start += HOURS_PER_WEEK
            d = 0
        return week_start + d * 24.0 + self.start_hour

    def answered(self, t: float, delay_hours: float) -> float:
        """When someone starts on an incident raised at ``t``: ``delay_hours`` after the page (24x7),
        after the next working hour starts (business hours), or after it plus the noticing delay."""
        if self.kind == "24x7":
            return t + delay_hours
        return self.next_working(t) + delay_hours

    def next_working_vec(self, t: np.ndarray) -> np.ndarray:
        week_start = t - np.mod(t, HOURS_PER_WEEK)
        day, hour = np.divmod(np.mod(t, HOURS_PER_WEEK), 24.0)
        working = (day < self.working_days) & (hour >= self.start_hour) & (hour < self.end_hour)
        d = np.where(hour < self.start_hour, day, day + 1)
        week_start = np.where(d >= self.working_days, week_start + HOURS_PER_WEEK, week_start)
        d = np.where(d >= self.working_days, 0.0, d)
        return np.asarray(np.where(working, t, week_start + d * 24.0 + self.start_hour), float)

    def answered_vec(self, t: np.ndarray, delay_hours: np.ndarray) -> np.ndarray:
        if self.kind == "24x7":
            return np.asarray(t + delay_hours, float)
        return np.asarray(self.next_working_vec(t) + delay_hours, float)

    @property
    def working_hours_per_week(self) -> float:
        return self.working_days * (self.end_hour - self.start_hour)

    def working_clock_at(self, w: float) -> float:
        """working_clock for one moment (the discrete-event model's changes)."""
        per_day = self.end_hour - self.start_hour
        weeks, rest = divmod(w, self.working_hours_per_week)
        days, hours = divmod(rest, per_day)
        return weeks * HOURS_PER_WEEK + days * 24.0 + self.start_hour + hours

    def working_clock(self, w: np.ndarray | float) -> np.ndarray:
        """Clock time of the moment ``w`` working hours after hour 0 (changes happen at work)."""
        w = np.asarray(w, float)
        per_day = self.end_hour - self.start_hour
        weeks, rest = np.divmod(w, self.working_hours_per_week)
        days, hours = np.divmod(rest, per_day)
        return np.asarray(weeks * HOURS_PER_WEEK + days * 24.0 + self.start_hour + hours, float)


def day_shape(peak_to_average: float) -> list[float]:
    """Traffic by hour of the day relative to the day's mean (mean 1): a cosine peaking at
    PEAK_HOUR with the peak ``peak_to_average`` times the mean; above 2 the night is empty."""
    p = max(float(peak_to_average), 1.0)
    raw = [max(0.0, 1.0 + (p - 1.0) * math.cos(2 * math.pi * (h + 0.5 - PEAK_HOUR) / 24.0)) for h in range(24)]
    mean = sum(raw) / 24.0
    return [r / mean for r in raw]


def lost_profile(shape: list[float], capacity: float) -> list[float]:
    """Cumulative lost traffic over the day (25 points, hours 0..24) with serving ``capacity`` in
    units of the mean traffic: what the hour's traffic exceeds it by."""
    cum, total = [0.0], 0.0
    for s in shape:
        if s > capacity:  # else the hour adds 0.0, which leaves the sum as it is
            total += s - capacity
        cum.append(total)
    return cum


def lost_between(cum: list[float], t0: float, t1: float) -> float:
    """Traffic lost between clock hours ``t0`` and ``t1`` (mean-traffic hours) for a day profile."""
    if not t1 > t0:
        return 0.0
    days, hour = divmod(t1, 24.0)
    h = int(hour)
    end = days * cum[24] + cum[h] + (hour - h) * (cum[h + 1] - cum[h])
    days, hour = divmod(t0, 24.0)
    h = int(hour)
    return end - (days * cum[24] + cum[h] + (hour - h) * (cum[h + 1] - cum[h]))


def lost_between_vec(shape: np.ndarray, capacity: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """lost_between for arrays of events: ``shape`` (k, 24) or (24,), ``capacity`` (k,)."""
    shape = np.broadcast_to(np.asarray(shape, float), (capacity.size, 24))
    lost = np.maximum(shape - capacity[:, None], 0.0)
    cum = np.concatenate([np.zeros((capacity.size, 1)), np.cumsum(lost, axis=1)], axis=1)
    rows = np.arange(capacity.size)

    def at(t: np.ndarray) -> np.ndarray:
        days, hour = np.divmod(t, 24.0)
        h = np.minimum(hour.astype(int), 23)
        return np.asarray(days * cum[:, 24] + cum[rows, h] + (hour - h) * (cum[rows, h + 1] - cum[rows, h]), float)

    return np.asarray(np.where(t1 > t0, at(t1) - at(t0), 0.0), float)


__all__ = ["HOURS_PER_WEEK", "PEAK_HOUR", "Coverage", "day_shape", "lost_between", "lost_between_vec",
           "lost_profile"]
