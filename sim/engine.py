"""The Monte Carlo engine: chunks of seed blocks -> Scenario -> every option priced -> Result.

Memory stays bounded: a chunk's (paths, months, lines) arrays live only inside the worker; what
comes back is float32 monthly cost (month-major) and float64 per-path totals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.config import Experiment
from sim.errors import ExperimentError
from sim.memory import check_fits, estimate
from sim.options import PricingContext, price_option
from sim.parallel import worker_pool
from sim.result import LineResult, OptionResult, Result
from sim.scenario import BLOCK_PATHS, Scenario, block_sizes
from sim.workload import sample_tokens

#: what a capacity model reports per month and path (percentiles.csv metrics)
CAPACITY_METRICS = ("gpus", "gpus_needed", "utilization", "unserved_tokens", "overflow_cost")
#: Default paths per chunk (16 seed blocks); peak chunk memory ~ chunk x months x lines x 8 bytes.
DEFAULT_CHUNK_PATHS = 16 * BLOCK_PATHS
#: The reservation forecast (size_for) looks at this many first paths.
PILOT_PATHS = 8192
#: With line_bands = "auto", per-line monthly bands are kept up to this many paths: above it
#: they would double the memory and the percentile time (measured: tcosim bench, see the notes).
AUTO_LINE_BAND_PATHS = 20_000


@dataclass
class _OptionChunk:
    by_month: np.ndarray | None  # (months, n) float32, month-major (None when totals_only)
    totals: np.ndarray
    worst_month: np.ndarray  # (n,) the dearest month of each path
    line_totals: list[np.ndarray]
    line_sums: list[np.ndarray]  # per line: (blocks, months) sums
    line_by_month: list[np.ndarray] | None
    gpu_totals: np.ndarray | None
    months_over: np.ndarray | None
    metrics: dict[str, np.ndarray]  # capacity metrics, (months, n) float32


@dataclass
class _Chunk:
    options: list[_OptionChunk]
    inputs: dict[str, np.ndarray]
    tokens: np.ndarray | None  # (months, n) float32 input + output tokens per month
    ops_events: int = 0  # DES events processed


def simulate_chunk(exp: Experiment, seed: int, blocks: range, paths: int, keep_lines: bool,
                   reserved_gpus: dict[int, float] | None = None, ops_engine: str = "vectorized",
                   totals_only: bool = False) -> _Chunk:
    """Sample the scenario for ``blocks`` and price every option on it (common random numbers).
    ``totals_only`` returns per-path totals, worst month and months over budget alone."""
    from sim.stress import shock_windows

    sc = Scenario(seed, blocks, paths, exp.horizon, exp.market, correlation_groups(exp),
                  shock_windows(exp.active_scenario, exp.horizon))
    tokens = sample_tokens(exp.workload, sc, exp.experiment.days_per_month)
    ctx = PricingContext(sc, tokens, exp.experiment.hours_per_month, exp, reserved_gpus or {}, ops_engine)
    budget = exp.budget.monthly if exp.budget is not None else None
    slices = sc.block_slices()
    categories = line_names(exp)
    out = []
    with np.errstate(over="ignore", invalid="ignore"):  # run() refuses non-finite totals by name
        for i, opt in enumerate(exp.options):
            lines, metrics = price_option(opt, i, ctx)
            total = np.zeros(ctx.shape)
            for cost in lines.values():
                total += cost
            line_totals = {item: _path_totals(cost, ctx.shape) for item, cost in lines.items()}
            gpu = [line_totals[item] for item, cat in categories[i] if cat == "gpu"]
            months_over = (total > budget).sum(axis=0).astype(np.int16) if budget else None
            if totals_only:
                out.append(_OptionChunk(None, total.sum(axis=0), total.max(axis=0), [], [], None, None,
                                        months_over, {}))
                continue
            out.append(_OptionChunk(
                by_month=total.astype(np.float32),
                totals=total.sum(axis=0),
                worst_month=total.max(axis=0),
                line_totals=list(line_totals.values()),
                line_sums=[_block_month_sums(cost, ctx.shape, slices) for cost in lines.values()],
                line_by_month=[np.broadcast_to(c, ctx.shape).astype(np.float32) for c in lines.values()]
                if keep_lines else None,
                gpu_totals=sum(gpu[1:], gpu[0].copy()) if gpu else None,
                months_over=months_over,
                metrics={k: np.broadcast_to(v, ctx.shape).astype(np.float32) for k, v in metrics.items()},
            ))
    if totals_only:
        return _Chunk(out, {}, None, ctx.ops_events)
    return _Chunk(out, sc.inputs, (tokens.input + tokens.output).astype(np.float32), ctx.ops_events)


def _path_totals(cost: np.ndarray | float, shape: tuple[int, int]) -> np.ndarray:
    """Horizon total per path of a cost broadcastable to (months, n), without materialising it."""
    months, n = shape
    v = np.asarray(cost, dtype=np.float64)
    if v.ndim == 0:
        return np.full(n, float(v) * months)
    if v.shape[0] == 1:
        return np.broadcast_to(v[0] * months, (n,)).copy()
    if v.shape[1] == 1:
        return np.full(n, v[:, 0].sum())
    return v.sum(axis=0)


def _block_month_sums(cost: np.ndarray | float, shape: tuple[int, int], slices: list[slice]) -> np.ndarray:
    """(blocks, months) sums over each seed block's paths: the means stay chunking-independent."""
    months, _ = shape
    v = np.asarray(cost, dtype=np.float64)
    if v.ndim == 0:
        v = v.reshape(1, 1)
    out = np.empty((len(slices), months))
    for k, sl in enumerate(slices):
        size = sl.stop - sl.start
        part = v if v.shape[1] == 1 else v[:, sl]
        sums = part[:, 0] * size if v.shape[1] == 1 else part.sum(axis=1)
        out[k] = np.broadcast_to(sums, (months,))
    return out


def line_names(exp: Experiment) -> list[list[tuple[str, str]]]:
    """(item, category) of every line each option reports, in the order options price them."""
    from sim.config import ApiOption

    out = []
    for opt in exp.options:
        names: list[tuple[str, str]] = []
        if isinstance(opt, ApiOption):
            share = opt.cached_input_share
            names.append(("input tokens", "usage"))
            if not (share.is_fixed and share.mean == 0.0):
                names.append(("cached input tokens", "usage"))
            names.append(("output tokens", "usage"))
        elif opt.capacity is not None:
            from sim.capacity.provisioning import line_names as capacity_lines

            names += [(name, "usage" if name.startswith("Overflow") else "gpu")
                      for name in capacity_lines(opt.provisioning, exp.horizon)]
        names += [(c.item, c.resolved_category) for c in opt.costs]
        if opt.ops is not None:
            from sim.ops.price import line_names as ops_lines

            names += [(name, "people" if name.startswith("Engineer") else "usage" if name.startswith("Fallback")
                       else "other") for name in ops_lines(opt.ops)]
        out.append(names)
    return out


_WORKER_EXP: Experiment | None = None


def _init_worker(exp: Experiment) -> None:
    global _WORKER_EXP
    _WORKER_EXP = exp


def _worker(args: tuple) -> _Chunk:
    assert _WORKER_EXP is not None
    return simulate_chunk(_WORKER_EXP, *args)


def chunk_plan(paths: int, chunk_paths: int) -> list[range]:
    """Contiguous ranges of seed blocks; each chunk holds about ``chunk_paths`` paths."""
    per = max(1, chunk_paths // BLOCK_PATHS)
    n_blocks = len(block_sizes(paths))
    return [range(b, min(b + per, n_blocks)) for b in range(0, n_blocks, per)]


def run(
    exp: Experiment,
    paths: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
    progress: Callable[[int, int], None] | None = None,
    ops: str | None = None,
    totals_only: bool = False,
) -> Result:
    """Simulate ``paths`` paths (default: the file's) and return the Result. ``ops`` overrides
    the experiment's operations engine ("vectorized" or "des"). ``totals_only`` keeps per-path
    totals, worst months and months over budget alone (a stress scenario's re-run needs no more).
    Raises MemoryLimit, before allocating, when the result would not fit in memory."""
    t0 = time.perf_counter()
    paths = exp.experiment.paths if paths is None else int(paths)
    seed = exp.experiment.seed if seed is None else int(seed)
    if paths < 1:
        raise ValueError("paths must be >= 1")
    if workers < 1:
        raise ValueError("workers must be >= 1")
    band_setting = exp.experiment.line_bands
    keep = not totals_only and (band_setting is True or (band_setting == "auto" and paths <= AUTO_LINE_BAND_PATHS))
    months = exp.horizon
    names = line_names(exp)
    need = estimate(exp, [len(n) for n in names], [len(metric_names(o)) for o in exp.options], keep, totals_only,
                    workers, min(chunk_paths, paths))
    check_fits(need, paths)
    results = [_empty_option(opt.name, opt.kind, names[i], months, paths, keep, exp, totals_only)
               for i, opt in enumerate(exp.options)]
    inputs: dict[str, np.ndarray] = {}
    if not totals_only:
        inputs["__tokens__"] = np.empty((months, paths), dtype=np.float32)
    plan = chunk_plan(paths, chunk_paths)
    sizes = block_sizes(paths)
    reserved = sized_reservations(exp, seed, paths)
    ops_engine = ops or exp.experiment.ops
    if ops_engine not in ("vectorized", "des"):
        raise ValueError(f'ops must be "vectorized" or "des", got {ops_engine!r}')
    if ops_engine == "des" and any(o.kind == "self_hosted" and o.ops is not None for o in exp.options):
        chunk_paths = BLOCK_PATHS  # SimPy is slow per path: spread it over the workers finely
        plan = chunk_plan(paths, chunk_paths)
    tasks = [(seed, blocks, paths, keep, reserved, ops_engine, totals_only) for blocks in plan]
    events: list[int] = []
    if workers == 1:
        chunks = (simulate_chunk(exp, *task) for task in tasks)
        _collect(chunks, plan, sizes, results, inputs, paths, progress, events)
    else:
        with worker_pool(min(workers, len(tasks)), _init_worker, (exp,)) as pool:
            _collect(pool.imap(_worker, tasks), plan, sizes, results, inputs, paths, progress, events)
    for res in results:
        for line in res.lines:
            line.mean_by_month /= paths
    tokens = inputs.pop("__tokens__", None)
    for i, res in enumerate(results):
        if not np.isfinite(res.totals).all():
            raise ExperimentError(exp.source, [(f"options[{i}]", f'"{res.name}" costs overflow (reach infinity) '
                                                                "on some paths: its inputs are too extreme to add up")])
    result = Result(exp, paths, seed, results, inputs, workers, chunk_paths, keep, reserved_gpus=reserved,
                    tokens=tokens, ops_engine=ops_engine, ops_events=sum(events))
    result.timings["simulate"] = time.perf_counter() - t0
    return result


def correlation_groups(exp: Experiment) -> list:
    """The experiment's correlation matrices (validated when the file was loaded)."""
    from sim.correlations import build_groups

    return build_groups(exp)


def metric_names(opt) -> list[str]:
    """Per-month metrics an option reports beyond cost: capacity, then operations."""
    from sim.ops.price import CAUSE_METRICS, OPS_METRICS

    names = list(CAPACITY_METRICS) if getattr(opt, "capacity", None) is not None else []
    if opt.ops is not None:
        names += [m for m in OPS_METRICS if m not in names]
        if opt.kind == "self_hosted":
            names += list(CAUSE_METRICS)
    return names


def sized_reservations(exp: Experiment, seed: int, paths: int) -> dict[int, float]:
    """GPUs each ``size_for`` reservation signs for: the asked quantile of the GPUs needed in the
    asked month over the run's first PILOT_PATHS paths (a forecast made once, before the paths
    unfold; it depends on the seed only)."""
    from sim.capacity.sizing import size

    out: dict[int, float] = {}
    wanted = [(i, o) for i, o in enumerate(exp.options)
              if getattr(o, "provisioning", None) is not None and o.provisioning.size_for is not None]
    if not wanted:
        return out
    pilot_blocks = len(block_sizes(min(paths, PILOT_PATHS)))
    sc = Scenario(seed, range(0, pilot_blocks), paths, exp.horizon, exp.market, correlation_groups(exp))
    tokens = sample_tokens(exp.workload, sc, exp.experiment.days_per_month)
    for i, opt in wanted:
        need = size(opt.capacity, f"options[{i}].capacity", sc, tokens, exp.experiment.days_per_month).gpus
        month = opt.provisioning.size_for.month
        out[i] = float(np.quantile(np.broadcast_to(need, (exp.horizon, sc.n))[month - 1],
                                   opt.provisioning.size_for.quantile, method="inverted_cdf"))
    return out


def _empty_option(name, kind, lines, months, paths, keep, exp, totals_only=False) -> OptionResult:
    opt = next(o for o in exp.options if o.name == name)
    months_over = (np.empty(paths, dtype=np.int16) if exp.budget is not None and exp.budget.monthly else None)
    if totals_only:
        return OptionResult(name=name, kind=kind, by_month=None, totals=np.empty(paths), lines=[],
                            worst_month=np.empty(paths), months_over_budget=months_over)
    has_gpu = any(cat == "gpu" for _, cat in lines)
    return OptionResult(
        name=name, kind=kind,
        by_month=np.empty((months, paths), dtype=np.float32),
        totals=np.empty(paths),
        worst_month=np.empty(paths),
        lines=[LineResult(item, cat, np.empty(paths), np.zeros(months),
                          np.empty((months, paths), dtype=np.float32) if keep else None)
               for item, cat in lines],
        gpu_totals=np.empty(paths) if has_gpu else None,
        months_over_budget=months_over,
        metrics={k: np.empty((months, paths), dtype=np.float32) for k in metric_names(opt)},
    )


def _collect(chunks, plan, sizes, results, inputs, paths, progress, events) -> None:
    done = 0
    for blocks, chunk in zip(plan, chunks, strict=True):
        start = sum(sizes[: blocks.start])
        stop = start + sum(sizes[b] for b in blocks)
        cols = slice(start, stop)
        for res, oc in zip(results, chunk.options, strict=True):
            if res.by_month is not None:
                res.by_month[:, cols] = oc.by_month
            res.totals[cols] = oc.totals
            res.worst_month[cols] = oc.worst_month
            for j, line in enumerate(res.lines):
                line.totals[cols] = oc.line_totals[j]
                for block_sum in oc.line_sums[j]:  # in block order, whatever the chunking
                    line.mean_by_month += block_sum
                if line.by_month is not None and oc.line_by_month is not None:
                    line.by_month[:, cols] = oc.line_by_month[j]
            if res.gpu_totals is not None and oc.gpu_totals is not None:
                res.gpu_totals[cols] = oc.gpu_totals
            if res.months_over_budget is not None and oc.months_over is not None:
                res.months_over_budget[cols] = oc.months_over
            for key, values in oc.metrics.items():
                res.metrics[key][:, cols] = values
        if chunk.tokens is not None:
            inputs["__tokens__"][:, cols] = chunk.tokens
        events.append(chunk.ops_events)
        for key, values in chunk.inputs.items():
            if key not in inputs:
                inputs[key] = np.empty(paths)
            inputs[key][cols] = values
        done = stop
        if progress is not None:
            progress(done, paths)
