"""How much memory a run needs, estimated before anything is allocated, so that a path count that
cannot fit is refused with the largest count that does (instead of a MemoryError minutes in).

Resident per path: each option's month-major float32 costs and worst month, float64 totals, its
lines' totals (and per-line monthly costs when line bands are kept), its per-month metrics; the
sampled inputs (float64) and, with a checked fleet, the monthly tokens (float32). Transient: the largest of one chunk's
working arrays (float64, per worker) and the percentile pass (a float64 cumulative copy plus a
float32 selection buffer of one series). Calibrated against peak RSS (tests/test_hardening.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from distributions import Process
from sim.capacity.sizing import CAPACITY_METRICS
from sim.config import Experiment
from sim.errors import UsageError
from sim.ops.price import CAUSE_METRICS, OPS_METRICS
from sim.specs import iter_specs
from sim.switch_config import StagedOption
from sim.validate import generated_lines

#: share of the available memory a run may plan to use (the rest: the interpreter, libraries, slack)
USABLE_SHARE = 0.85
#: the interpreter with numpy, scipy, pandas, matplotlib and pydantic loaded
BASELINE_BYTES = 250 * 2**20
#: process parameters drawn per path (start, drift or long run, half-life, volatility, jump rate)
PROCESS_PARAMS = 5
#: float64 arrays alive per cost line while a chunk is priced (the line, its products, the sums)
CHUNK_ARRAYS_PER_LINE = 2


class MemoryLimit(UsageError):
    """A run that would not fit in memory (exit 2): says how many paths would."""


@dataclass(frozen=True)
class Estimate:
    per_path: float  # bytes that grow with the paths
    fixed: float  # bytes that do not (baseline, chunk working arrays)

    def bytes(self, paths: int) -> float:
        return self.fixed + self.per_path * paths

    def max_paths(self, budget: float) -> int:
        return max(0, int((budget - self.fixed) / self.per_path))


def available_bytes() -> float:
    """Memory this process may still use: MemAvailable, or the cgroup's limit if lower."""
    avail = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = float(line.split()[1]) * 1024
    except OSError:
        pass
    if avail is None:
        try:
            avail = float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            avail = float("inf")
    for limit_file, usage_file in (("memory.max", "memory.current"),
                                   ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        try:
            limit = Path("/sys/fs/cgroup", limit_file).read_text().strip()
            used = float(Path("/sys/fs/cgroup", usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit():
            avail = min(avail, float(limit) - used)
    return avail


def _counts(exp: Experiment) -> tuple[list[int], list[int]]:
    """Cost lines and per-month metrics per option (an upper estimate: every line a pricer may add)."""
    lines, metrics = [], []
    for opt in exp.options:
        lines.append(len(opt.costs) + len(generated_lines(opt, exp.horizon)))
        count = len(CAPACITY_METRICS) if getattr(opt, "checked", False) else 0
        if opt.ops is not None:
            count += len(OPS_METRICS) + (len(CAUSE_METRICS) if opt.kind == "self_hosted" else 0)
        metrics.append(count)
    names = [o.name for o in exp.options]
    for i, opt in enumerate(exp.options):
        if isinstance(opt, StagedOption):  # both options' lines, the migration; whether it is self-hosted
            lines[i] = lines[names.index(opt.start)] + lines[names.index(opt.switch_to)] + 1
            metrics[i] = 1
    return lines, metrics


def estimate(exp: Experiment, keep_lines: bool, totals_only: bool, workers: int, chunk_paths: int) -> Estimate:
    """Bytes a run needs."""
    months = exp.horizon
    lines, metrics = _counts(exp)
    if totals_only:
        per_path = len(lines) * (8 + 4 + 2)  # totals, worst month (float32), months over budget
    else:
        inputs = sum(PROCESS_PARAMS if isinstance(v, Process) else 1
                     for _, v, _ in iter_specs(exp) if not getattr(v, "is_fixed", False))
        checked = any(getattr(o, "checked", False) for o in exp.options)
        per_path = (4 * months if checked else 0) + 8 * inputs  # monthly tokens, kept for checked fleets
        for n_lines, n_metrics in zip(lines, metrics, strict=True):
            per_path += 4 * months + 8 + 4 + 8 + 2 + 8 * n_lines + 4 * months * n_metrics  # worst month: float32
            if keep_lines:
                per_path += 4 * months * n_lines
        per_path += 12 * months  # the percentile pass over one series (blocked: an upper bound)
    chunk = CHUNK_ARRAYS_PER_LINE * 8 * months * max(lines, default=1) + 4 * months * (sum(lines) + sum(metrics))
    return Estimate(per_path, BASELINE_BYTES + chunk * chunk_paths * max(1, workers))


def _gib(x: float) -> str:
    return f"{x / 2**30:,.1f} GiB"


def check_fits(est: Estimate, paths: int, available: float | None = None) -> None:
    """Raise MemoryLimit when ``paths`` paths would not fit in the usable share of ``available``."""
    budget = USABLE_SHARE * (available_bytes() if available is None else available)
    need = est.bytes(paths)
    if need <= budget:
        return
    fit = est.max_paths(budget)
    advice = f"at most {fit:,} paths fit" if fit > 0 else "not even one path fits"
    raise MemoryLimit(f"{paths:,} paths need about {_gib(need)} of memory; {_gib(budget)} is usable here: "
                      f"{advice} (lower --paths or experiment.paths, or run fewer options)")
