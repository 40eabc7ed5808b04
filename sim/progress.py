"""One progress bar for a whole command: simulation, stress scenarios, analysis, charts and writing,
each a stage with a share of the bar, so the bar fills once from start to finish."""

from __future__ import annotations

import sys
import time
from typing import TextIO

#: a run's stages and their rough shares of its wall time (measured on the shipped experiments:
#: simulation dominates large runs; charts dominate small ones)
RUN_STAGES = {"simulating": 0.55, "scenarios": 0.15, "analysis": 0.1, "charts": 0.17, "writing": 0.03}


class Progress:
    """A one-line bar on stderr, shown only when ``enabled`` (a terminal, not --quiet) and the
    command has run for ``delay`` seconds. Call ``stage(name)`` as each stage starts and the object
    itself as ``progress(done, total)`` within a stage (the engine's callback signature)."""

    def __init__(self, enabled: bool, stages: dict[str, float] | None = None, delay: float = 1.0,
                 stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stages = dict(stages or {"simulating": 1.0})
        self.delay = delay
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()
        self.shown = False
        self.current = next(iter(self.stages))
        self.unit = "paths"
        self.done = 0.0  # share of the bar before the current stage

    def stage(self, name: str, unit: str = "") -> None:
        """Start stage ``name`` (a key of ``stages``): the stages before it count as finished."""
        self.stages.setdefault(name, 0.0)  # a stage the command did not plan for takes no share
        names = list(self.stages)
        self.done = sum(self.stages[n] for n in names[:names.index(name)]) / sum(self.stages.values())
        self.current, self.unit = name, unit
        self(0, 1)

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.perf_counter() - self.t0 < self.delay:
            return
        weight = self.stages[self.current] / sum(self.stages.values())
        filled_share = self.done + weight * (done / total if total else 1.0)
        width = 30
        filled = min(width, int(width * filled_share))
        step = f" {done:,}/{total:,} {self.unit}" if self.unit else ""
        line = f"\r  [{'#' * filled}{'.' * (width - filled)}] {100 * filled_share:3.0f}%  {self.current}{step}"
        self.stream.write(f"{line:<78}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Finish the bar's line (if one was shown), so that what follows starts on its own line."""
        if self.shown:
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()
            self.shown = False


def quiet() -> Progress:
    """A progress object that shows nothing (for library calls)."""
    return Progress(enabled=False)


__all__ = ["RUN_STAGES", "Progress", "quiet"]
