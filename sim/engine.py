"""The Monte Carlo engine: chunks of seed blocks -> Scenario -> every option priced -> Result.

Memory stays bounded: a chunk's (paths, months, lines) arrays live only while it is priced; what
is kept is float32 monthly cost (month-major) and float64 per-path totals. With several workers
those arrays are in shared memory and each worker writes its chunk's columns itself (a chunk is
megabytes; piped back and unpickled it cost as much as simulating). Line names and categories are
whatever the pricers named them (the first chunk's; every chunk must agree).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

from sim.capacity.choose import Choice, choose
from sim.capacity.config import spares
from sim.capacity.sizing import Setup, size
from sim.collect import Chunk, Collector, OptionChunk
from sim.config import Experiment, SelfHostedOption, option_index
from sim.correlations import CorrelationGroup, build_groups
from sim.errors import ExperimentError
from sim.memory import BASELINE_BYTES, USABLE_SHARE, available_bytes, check_fits, estimate
from sim.options import PricingContext, price_option
from sim.options.staged import price_staged, staged_parts
from sim.parallel import auto_workers, cpus, nested_processes, worker_pool
from sim.pricing import Cost, LineSet
from sim.result import Result
from sim.scenario import BLOCK_PATHS, Scenario, block_sizes
from sim.shocks import shock_windows
from sim.switch_config import StagedOption
from sim.workload import Tokens, sample_tokens

Array = npt.NDArray[np.float64]
#: Default paths per chunk (4 seed blocks); peak chunk memory ~ chunk x months x lines x 8 bytes.
#: Measured (1,000,000 paths of the bench experiment, this 2-core VM; simulate, bands and summary in
#: one process): 8 blocks 7.4 s and 1,464 MiB peak, 4 blocks 5.8 s and 1,424 MiB, 2 blocks 5.9 s and
#: 1,417 MiB (the chunk's working arrays stay nearer the cache; below 4 the gain is small).
DEFAULT_CHUNK_PATHS = 4 * BLOCK_PATHS
#: The reservation forecast (size_for) looks at this many first paths.
PILOT_PATHS = 8192
#: Candidate setups are compared on this many first paths (one seed block).
CHOICE_PATHS = 2048
#: With line_bands = "auto", per-line monthly bands are kept up to this many paths: above it
#: they would double the memory and the percentile time (measured: tcosim bench, see the notes).
AUTO_LINE_BAND_PATHS = 20_000


def correlation_groups(exp: Experiment) -> list[CorrelationGroup]:
    """The experiment's correlation matrices (validated when the file was loaded)."""
    return build_groups(exp)


def _option_chunk(lines: LineSet, metrics: dict[str, Array], shape: tuple[int, int], slices: list[slice],
                  budget: float | None, keep_lines: bool, totals_only: bool) -> OptionChunk:
    total = lines.total(shape)
    monthly = total.astype(np.float32)  # the monthly cost as kept: worst month and budget read it
    # months over budget per path: booleans counted as bytes into int16 (a month count fits)
    months_over = (monthly > np.float32(budget)).view(np.uint8).sum(axis=0, dtype=np.int16) if budget else None
    out = OptionChunk(lines.names(), total.sum(axis=0), monthly.max(axis=0), months_over)
    if totals_only:
        return out
    out.by_month = monthly
    out.line_totals = [_path_totals(line.cost, shape) for line in lines]
    out.line_sums = [_block_month_sums(line.cost, shape, slices) for line in lines]
    if keep_lines:
        out.line_by_month = [np.broadcast_to(line.cost, shape).astype(np.float32) for line in lines]
    gpu = [t for t, line in zip(out.line_totals, lines, strict=True) if line.category == "gpu"]
    out.gpu_totals = sum(gpu[1:], gpu[0].copy()) if gpu else None
    out.metrics = {k: np.broadcast_to(v, shape).astype(np.float32) for k, v in metrics.items()}
    return out


def simulate_chunk(exp: Experiment, seed: int, blocks: range, paths: int, keep_lines: bool,
                   reserved_gpus: dict[int, float] | None = None, ops_engine: str = "vectorized",
                   totals_only: bool = False) -> Chunk:
    """Sample the scenario for ``blocks`` and price every option on it (common random numbers).
    ``totals_only`` returns per-path totals, worst month and months over budget alone."""
    sc = Scenario(seed, blocks, paths, exp.horizon, exp.market, correlation_groups(exp),
                  shock_windows(exp.active_scenario, exp.horizon))
    tokens = sample_tokens(exp.workload, sc, exp.experiment.days_per_month)
    ctx = PricingContext(sc, tokens, exp.experiment.hours_per_month, exp, reserved_gpus or {}, ops_engine)
    budget = exp.budget.monthly if exp.budget is not None else None
    slices = sc.block_slices()
    out: list[OptionChunk | None] = [None] * len(exp.options)
    held = staged_parts(exp)  # options a staged plan is made of: their lines wait for it
    priced = {}
    with np.errstate(over="ignore", invalid="ignore"):  # run() refuses non-finite totals by name
        for i, opt in enumerate(exp.options):
            if isinstance(opt, StagedOption):
                continue
            lines, metrics = price_option(opt, i, ctx)
            if i in held:
                priced[i] = (lines, metrics)
            out[i] = _option_chunk(lines, metrics, ctx.shape, slices, budget, keep_lines, totals_only)
        for i, opt in enumerate(exp.options):
            if isinstance(opt, StagedOption):
                parts = priced[option_index(exp, opt.start)], priced[option_index(exp, opt.switch_to)]
                lines, metrics = price_staged(opt, f"options[{i}]", ctx, *parts)
                out[i] = _option_chunk(lines, metrics, ctx.shape, slices, budget, keep_lines, totals_only)
    done = [o for o in out if o is not None]
    if totals_only:
        return Chunk(done, {}, None, ctx.ops_events)
    return Chunk(done, sc.inputs, (tokens.input + tokens.output).astype(np.float32), ctx.ops_events)


def _path_totals(cost: Cost, shape: tuple[int, int]) -> Array:
    """Horizon total per path of a cost broadcastable to (months, n), without materialising it."""
    months, n = shape
    v = np.asarray(cost, dtype=np.float64)
    if v.ndim == 0:
        return np.full(n, float(v) * months)
    if v.shape[0] == 1:
        return np.broadcast_to(v[0] * months, (n,)).copy()
    if v.shape[1] == 1:
        return np.full(n, v[:, 0].sum())
    return np.asarray(v.sum(axis=0), dtype=np.float64)


def _block_month_sums(cost: Cost, shape: tuple[int, int], slices: list[slice]) -> Array:
    """(blocks, months) sums over each seed block's paths: the means stay chunking-independent."""
    months, _ = shape
    v = np.asarray(cost, dtype=np.float64)
    if v.ndim == 0:
        v = v.reshape(1, 1)
    out = np.empty((len(slices), months))
    for k, sl in enumerate(slices):
        size_ = sl.stop - sl.start
        part = v if v.shape[1] == 1 else v[:, sl]
        sums = part[:, 0] * size_ if v.shape[1] == 1 else part.sum(axis=1)
        out[k] = np.broadcast_to(sums, (months,))
    return out


_WORKER_EXP: Experiment | None = None
_WORKER_COLLECTOR: Collector | None = None


def _init_worker(exp: Experiment, collector: Collector) -> None:
    global _WORKER_EXP, _WORKER_COLLECTOR
    _WORKER_EXP, _WORKER_COLLECTOR = exp, collector


def _worker(args: tuple[int, range, int, bool, dict[int, float], str, bool]) -> Chunk:
    """Simulate a chunk and store it in the parent's shared arrays; return the small rest."""
    assert _WORKER_EXP is not None and _WORKER_COLLECTOR is not None
    return _WORKER_COLLECTOR.store_in_worker(args[1], simulate_chunk(_WORKER_EXP, *args))


def chunk_plan(paths: int, chunk_paths: int, workers: int = 1) -> list[range]:
    """Contiguous ranges of seed blocks; each chunk holds about ``chunk_paths`` paths. With several
    workers the first chunk is one block (the parent prices it alone: its arrays show what to
    allocate in shared memory) and the rest are cut so that every worker gets a chunk. Results do
    not depend on the chunking."""
    per = max(1, chunk_paths // BLOCK_PATHS)
    n_blocks = len(block_sizes(paths))
    if workers <= 1 or n_blocks < 2:
        return [range(b, min(b + per, n_blocks)) for b in range(0, n_blocks, per)]
    per = min(per, -(-(n_blocks - 1) // workers))
    return [range(0, 1)] + [range(b, min(b + per, n_blocks)) for b in range(1, n_blocks, per)]


def auto_workers_for(exp: Experiment, paths: int, keep: bool, totals_only: bool, chunk_paths: int) -> int:
    """``workers = "auto"``: one process per CPU, no more than there are seed blocks after the
    first, nor more than fit in memory beside the result (each holds one chunk's working arrays)."""
    one = estimate(exp, keep, totals_only, 1, chunk_paths)
    per_worker = one.fixed - BASELINE_BYTES
    room = USABLE_SHARE * available_bytes() - one.bytes(paths) + per_worker
    return auto_workers(max(1, len(block_sizes(paths)) - 1), per_worker, room)


def run(
    exp: Experiment,
    paths: int | None = None,
    seed: int | None = None,
    workers: int | str = 1,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
    progress: Callable[[int, int], None] | None = None,
    ops: str | None = None,
    totals_only: bool = False,
    line_bands: bool | None = None,
) -> Result:
    """Simulate ``paths`` paths (default: the file's) and return the Result. ``ops`` overrides
    the experiment's operations engine ("vectorized" or "des"). ``totals_only`` keeps per-path
    totals, worst months and months over budget alone (a stress scenario's re-run needs no more).
    ``line_bands`` overrides the file's ``experiment.line_bands`` (a sweep point draws none).
    ``workers`` is a count or "auto" (auto_workers_for). Raises MemoryLimit, before allocating,
    when the result would not fit in memory."""
    t0 = time.perf_counter()
    paths = exp.experiment.paths if paths is None else int(paths)
    seed = exp.experiment.seed if seed is None else int(seed)
    if paths < 1:
        raise ValueError("paths must be >= 1")
    if workers != "auto" and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f'workers must be "auto" or a whole number >= 1, got {workers!r}')
    ops_engine = ops or exp.experiment.ops
    if ops_engine not in ("vectorized", "des"):
        raise ValueError(f'ops must be "vectorized" or "des", got {ops_engine!r}')
    band_setting = exp.experiment.line_bands if line_bands is None else line_bands
    keep = not totals_only and (band_setting is True or (band_setting == "auto" and paths <= AUTO_LINE_BAND_PATHS))
    nested = cpus() if workers == "auto" else int(workers)  # what the fleet DES of a chunk here may fork
    if workers == "auto":
        workers = auto_workers_for(exp, paths, keep, totals_only, min(chunk_paths, paths))
    assert isinstance(workers, int)
    check_fits(estimate(exp, keep, totals_only, workers, min(chunk_paths, paths)), paths)
    if ops_engine == "des" and any(o.kind == "self_hosted" and o.ops is not None for o in exp.options):
        chunk_paths = BLOCK_PATHS  # SimPy is slow per path: spread it over the workers finely
    plan = chunk_plan(paths, chunk_paths, workers)
    choices = choose_setups(exp, seed, paths)
    exp = with_setups(exp, choices)
    reserved = sized_reservations(exp, seed, paths)
    tasks = [(seed, blocks, paths, keep, reserved, ops_engine, totals_only) for blocks in plan]
    parallel = workers > 1 and len(tasks) > 1
    collector = Collector(exp, paths, keep, totals_only, shared=parallel)
    if not parallel:
        with nested_processes(nested) as grant:
            _collect((simulate_chunk(exp, *task) for task in tasks), plan, collector, progress)
    else:  # the first block here shows the arrays to allocate (shared); workers store the rest
        with nested_processes(nested) as grant:
            _collect([simulate_chunk(exp, *tasks[0])], plan[:1], collector, progress)
        with worker_pool(min(workers, len(tasks) - 1), _init_worker, (exp, collector)) as pool:
            _collect(pool.imap(_worker, tasks[1:]), plan[1:], collector, progress, stored=True)
    for res in collector.options:
        for line in res.lines:
            line.mean_by_month /= paths
    for i, res in enumerate(collector.options):
        if not np.isfinite(res.totals).all():
            raise ExperimentError(exp.source, [(f"options[{i}]", f'"{res.name}" costs overflow (reach infinity) '
                                                                "on some paths: its inputs are too extreme to add up")])
    workers = max(workers, grant.used)  # processes the run used (the bands and charts may use as many)
    result = Result(exp, paths, seed, collector.options, collector.inputs, workers, chunk_paths, keep,
                    reserved_gpus=reserved, tokens=collector.tokens, ops_engine=ops_engine,
                    ops_events=collector.events, setups=choices)
    result.timings["simulate"] = time.perf_counter() - t0
    return result


def _collect(chunks: Iterable[Chunk], plan: list[range], collector: Collector,
             progress: Callable[[int, int], None] | None, stored: bool = False) -> None:
    for blocks, chunk in zip(plan, chunks, strict=True):
        done = collector.add(blocks, chunk, stored)
        if progress is not None:
            progress(done, collector.paths)


def _pilot(exp: Experiment, seed: int, paths: int, limit: int) -> tuple[Scenario, Tokens]:
    """The run's first ``limit`` paths: a forecast made before the paths unfold (seed only)."""
    blocks = len(block_sizes(min(paths, limit)))
    sc = Scenario(seed, range(0, blocks), paths, exp.horizon, exp.market, correlation_groups(exp))
    return sc, sample_tokens(exp.workload, sc, exp.experiment.days_per_month)


def choose_setups(exp: Experiment, seed: int, paths: int) -> dict[int, Choice]:
    """For each capacity model with candidate GPUs or widths, the cheapest feasible setup on the
    run's first CHOICE_PATHS paths."""
    wanted = [(i, o.capacity, o.provisioning) for i, o in enumerate(exp.options)
              if isinstance(o, SelfHostedOption) and o.capacity is not None and o.provisioning is not None
              and o.capacity.chosen]
    if not wanted:
        return {}
    sc, tokens = _pilot(exp, seed, paths, CHOICE_PATHS)
    return {i: choose(exp, cap, prov, f"options[{i}].capacity", sc, tokens) for i, cap, prov in wanted}


def with_setups(exp: Experiment, choices: dict[int, Choice]) -> Experiment:
    """The experiment with each chosen setup written into its capacity model."""
    if not choices:
        return exp
    options = list(exp.options)
    for i, choice in choices.items():
        opt = options[i]
        assert isinstance(opt, SelfHostedOption) and opt.capacity is not None
        capacity = opt.capacity.model_copy(update={"gpu": choice.setup.gpu, "tensor_parallel": choice.setup.tp})
        options[i] = opt.model_copy(update={"capacity": capacity})
    return exp.model_copy(update={"options": options})


def sized_reservations(exp: Experiment, seed: int, paths: int) -> dict[int, float]:
    """GPUs each ``size_for`` reservation signs for: the asked quantile of the GPUs needed in the
    asked month over the run's first PILOT_PATHS paths (a forecast made once, before the paths
    unfold; it depends on the seed only)."""
    out: dict[int, float] = {}
    wanted = [(i, o.capacity, o.provisioning.size_for) for i, o in enumerate(exp.options)
              if isinstance(o, SelfHostedOption) and o.capacity is not None and o.provisioning is not None
              and o.provisioning.size_for is not None]
    if not wanted:
        return out
    sc, tokens = _pilot(exp, seed, paths, PILOT_PATHS)
    for i, cap, size_for in wanted:
        assert isinstance(cap.gpu, str) and isinstance(cap.tensor_parallel, int), "the setup is chosen first"
        need = size(cap, Setup(cap.gpu, cap.tensor_parallel), f"options[{i}].capacity", sc, tokens,
                    exp.experiment.days_per_month, spares(cap.spare_replicas), cap.standby_fraction).gpus
        out[i] = float(np.quantile(np.broadcast_to(need, (exp.horizon, sc.n))[size_for.month - 1],
                                   size_for.quantile, method="inverted_cdf"))
    return out
