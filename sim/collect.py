"""Chunks of priced paths and the Result arrays they are gathered into: in the parent, or, with
several workers, by each worker into arrays in shared memory (only line names, block sums and
event counts go back through the pipe)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.config import Experiment
from sim.parallel import shared_empty
from sim.result import LineResult, OptionResult
from sim.scenario import block_sizes

Array = npt.NDArray[np.float64]


@dataclass
class OptionChunk:
    lines: list[tuple[str, str]]  # (item, category), as the pricer named them
    totals: Array
    worst_month: npt.NDArray[np.float32]  # (n,) the dearest month of each path, as by_month holds it
    months_over: npt.NDArray[np.int16] | None
    by_month: npt.NDArray[np.float32] | None = None  # (months, n), month-major (None when totals_only)
    line_totals: list[Array] = field(default_factory=list)
    line_sums: list[Array] = field(default_factory=list)  # per line: (blocks, months) sums
    line_by_month: list[npt.NDArray[np.float32]] | None = None
    gpu_totals: Array | None = None
    metrics: dict[str, npt.NDArray[np.float32]] = field(default_factory=dict)  # (months, n) each


@dataclass
class Chunk:
    options: list[OptionChunk]
    inputs: dict[str, Array]
    tokens: npt.NDArray[np.float32] | None  # (months, n) input + output tokens per month
    ops_events: int = 0  # DES events processed


class Collector:
    """Gathers chunks into per-option arrays, allocated when the first chunk shows what the pricers
    produced (line names and categories, metric names)."""

    def __init__(self, exp: Experiment, paths: int, keep: bool, totals_only: bool, shared: bool = False) -> None:
        self.exp, self.paths, self.keep, self.totals_only = exp, paths, keep, totals_only
        # shared: the per-path arrays live in shared memory, and forked workers store their chunks there
        self.empty: Callable[..., Any] = shared_empty if shared else np.empty
        self.sizes = block_sizes(paths)
        self.options: list[OptionResult] = []
        self.inputs: dict[str, Array] = {}
        # demand per path and month: what a checked fleet's unserved share and GPU plan divide by
        checked = any(getattr(o, "checked", False) for o in exp.options)
        self.tokens = self.empty((exp.horizon, paths), np.float32) if checked and not totals_only else None
        self.events = 0

    def _allocate(self, opt_index: int, oc: OptionChunk) -> OptionResult:
        opt, months, paths, empty = self.exp.options[opt_index], self.exp.horizon, self.paths, self.empty
        months_over = empty(paths, np.int16) if oc.months_over is not None else None
        if self.totals_only:
            return OptionResult(opt.name, opt.kind, None, empty(paths), [],
                                worst_month=empty(paths, np.float32),
                                months_over_budget=months_over)
        return OptionResult(
            name=opt.name, kind=opt.kind,
            by_month=empty((months, paths), np.float32),
            totals=empty(paths),
            lines=[LineResult(item, cat, empty(paths), np.zeros(months),
                              empty((months, paths), np.float32) if self.keep else None)
                   for item, cat in oc.lines],
            worst_month=empty(paths, np.float32),
            gpu_totals=empty(paths) if oc.gpu_totals is not None else None,
            months_over_budget=months_over,
            metrics={k: empty((months, paths), np.float32) for k in oc.metrics},
        )

    def columns(self, blocks: range) -> slice:
        start = sum(self.sizes[: blocks.start])
        return slice(start, start + sum(self.sizes[b] for b in blocks))

    def add(self, blocks: range, chunk: Chunk, stored: bool = False) -> int:
        """Take in a chunk, its per-path arrays too unless a worker ``stored`` them already;
        returns the number of paths stored so far."""
        if not self.options:
            self.options = [self._allocate(i, oc) for i, oc in enumerate(chunk.options)]
        for res, oc in zip(self.options, chunk.options, strict=True):
            if not self.totals_only and [(ln.item, ln.category) for ln in res.lines] != oc.lines:
                raise RuntimeError(f"option {res.name!r} priced different lines in two chunks")
            for line, sums in zip(res.lines, oc.line_sums, strict=True):
                for block_sum in sums:  # in block order, whatever the chunking
                    line.mean_by_month += block_sum
        self.events += chunk.ops_events
        cols = self.columns(blocks)
        for key, values in self.store(blocks, chunk, stored).items():
            self.inputs[key] = self.empty(self.paths)
            self.inputs[key][cols] = values
        return int(cols.stop)

    def store(self, blocks: range, chunk: Chunk, inputs_only: bool = False) -> dict[str, Array]:
        """Write a chunk's per-path arrays into their columns (in a worker: into shared memory);
        returns the sampled inputs that have no array yet (only the parent may allocate one)."""
        cols = self.columns(blocks)
        if not inputs_only:
            for res, oc in zip(self.options, chunk.options, strict=True):
                _store(res, oc, cols)
            if self.tokens is not None and chunk.tokens is not None:
                self.tokens[:, cols] = chunk.tokens
        new = {}
        for key, values in chunk.inputs.items():
            if key in self.inputs:
                self.inputs[key][cols] = values
            else:
                new[key] = values
        return new

    def store_in_worker(self, blocks: range, chunk: Chunk) -> Chunk:
        """Store a chunk from a worker; what goes back to the parent: line names, block sums,
        events and any input without an array yet (kilobytes, where the chunk is megabytes)."""
        new = self.store(blocks, chunk)
        empty = np.empty(0)
        return Chunk([OptionChunk(oc.lines, empty, np.empty(0, np.float32), None, line_sums=oc.line_sums)
                       for oc in chunk.options], new, None, chunk.ops_events)


def _store(res: OptionResult, oc: OptionChunk, cols: slice) -> None:
    res.totals[cols] = oc.totals
    assert res.worst_month is not None
    res.worst_month[cols] = oc.worst_month
    if res.months_over_budget is not None and oc.months_over is not None:
        res.months_over_budget[cols] = oc.months_over
    if res.by_month is not None and oc.by_month is not None:
        res.by_month[:, cols] = oc.by_month
    for j, line in enumerate(res.lines):
        line.totals[cols] = oc.line_totals[j]
        if line.by_month is not None and oc.line_by_month is not None:
            line.by_month[:, cols] = oc.line_by_month[j]
    if res.gpu_totals is not None and oc.gpu_totals is not None:
        res.gpu_totals[cols] = oc.gpu_totals
    for key, values in oc.metrics.items():
        res.metrics[key][:, cols] = values


__all__ = ["Chunk", "Collector", "OptionChunk"]
