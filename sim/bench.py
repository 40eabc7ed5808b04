"""`tcosim bench`: time the engine on the fixed benchmark experiment (a measurement, not a test).

Each size runs in a fresh subprocess so that its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path


def bench_file(variant: str = "") -> Path:
    """bench.toml, or its "capacity" / "ops" variant."""
    name = f"bench_{variant}.toml" if variant else "bench.toml"
    return Path(str(resources.files("sim").joinpath(f"data/{name}")))


def measure(paths: int, workers: int | str, variant: str = "") -> dict:
    """Run once in this process: simulation, then percentiles and summary; peak memory.
    ``workers``: a count or "auto" (as ``tcosim run``'s default)."""
    t_imports = time.perf_counter()
    import sim
    from sim.study import run  # the run's modules (pandas with them): imports, not simulation

    t_imports = time.perf_counter() - t_imports
    exp = sim.load_experiment(bench_file(variant))
    t0 = time.perf_counter()
    res = run(exp, paths=paths, workers=workers)
    t_sim = time.perf_counter() - t0
    res.percentiles()
    res.summary()
    t_core = time.perf_counter() - t0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    events, used = res.result.ops_events, res.result.workers
    return {"paths": paths, "months": exp.horizon, "options": len(exp.options), "workers": used, "imports_s": t_imports,
            "line_bands": res.result.line_bands, "simulate_s": t_sim, "sim_and_percentiles_s": t_core,
            "des_events": float(events), "des_events_per_s_per_core": events / t_sim / used,
            "path_months_per_s": paths * exp.horizon / t_core, "peak_rss_mib": max(own, kids)}


def whole_run(paths: int, workers: int | str, variant: str = "") -> float:
    """Wall time of ``python -m sim run`` on the benchmark, interpreter start and report included."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim", "run", str(bench_file(variant)), "--paths", str(paths),
                        "--workers", str(workers), "--out", str(Path(tmp) / "bench"), "--quiet"], check=True)
        return time.perf_counter() - t0


def startup(repeat: int) -> float:
    """Median wall time of ``python -m sim validate`` on the benchmark file (the interpreter and
    the imports a command needs), after one run that is not timed (it writes cached bytecode
    where Python may)."""
    cmd = [sys.executable, "-m", "sim", "validate", str(bench_file())]
    subprocess.run(cmd, check=True, capture_output=True)
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        runs.append(time.perf_counter() - t0)
    return sorted(runs)[(repeat - 1) // 2]


def bytecode_note() -> str | None:
    """A warning when every process compiles tcosim's modules anew (PYTHONDONTWRITEBYTECODE set
    and no cached bytecode): start-up figures then include compiling (~0.1 s on our VM)."""
    import importlib.util

    source = Path(str(resources.files("sim").joinpath("engine.py")))
    if sys.flags.dont_write_bytecode and not Path(importlib.util.cache_from_source(str(source))).exists():
        return ("note: PYTHONDONTWRITEBYTECODE is set and tcosim has no cached bytecode: every process compiles "
                "its modules, and the start-up and whole-run figures include that")
    return None


def _median_run(n: int, workers: int | str, variant: str, repeat: int) -> dict | None:
    """Median of each figure over ``repeat`` fresh processes (timings on a shared VM are noisy)."""
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-m", "sim.bench", str(n), str(workers), variant],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return None
        run = json.loads(proc.stdout.strip().splitlines()[-1])
        run["whole_run_s"] = whole_run(n, workers, variant)
        if not variant:
            tuned = subprocess.run([sys.executable, "-m", "sim.bench_tuned", str(n)], capture_output=True, text=True,
                                   check=True)
            run.update(json.loads(tuned.stdout.strip().splitlines()[-1]))
        runs.append(run)
    return {k: (sorted(r[k] for r in runs)[(repeat - 1) // 2] if isinstance(runs[0][k], float) else runs[0][k])
            for k in runs[0]}


def main(sizes: list[int], workers: int | str, variant: str = "", repeat: int = 3) -> int:
    if variant == "sweep":
        return sweep_main(sizes[0], repeat)
    print(f"tcosim bench: {bench_file(variant).name}, 7 options x 36 months, workers={workers}, "
          f"median of {repeat} fresh processes")
    print(f"{'paths':>10} {'imports':>8} {'simulate':>9} {'+pctiles':>9} {'whole run':>10} {'path-months/s':>14} "
          f"{'peak RSS':>9} {'line bands':>10} {'tuned numpy':>16}")
    for n in sizes:
        r = _median_run(n, workers, variant, repeat)
        if r is None:
            return 1
        wall = r["whole_run_s"]
        tuned = (f"{r['tuned_simulate_s']:.2f}s / {r['tuned_total_s']:.2f}s" if "tuned_total_s" in r else "–")
        print(f"{n:>10,} {r['imports_s']:>7.2f}s {r['simulate_s']:>8.2f}s {r['sim_and_percentiles_s']:>8.2f}s "
              f"{wall:>9.2f}s "
              f"{r['path_months_per_s']:>14,.0f} {r['peak_rss_mib']:>6,.0f}MiB {str(r['line_bands']):>10} {tuned:>16}")
        if workers == "auto":
            print(f"{'':>10} auto: {r['workers']} worker{'s' if r['workers'] > 1 else ''}")
        if r["des_events"]:
            print(f"{'':>10} DES: {r['des_events']:,.0f} events, "
                  f"{r['des_events_per_s_per_core']:,.0f} events/s per core")
    print(f"start-up: `tcosim validate {bench_file().name}` {startup(repeat):.2f}s, whole process "
          f"(median of {repeat}, after one untimed run)")
    note = bytecode_note()
    if note:
        print(note)
    print("imports: the run's modules (numpy, pandas, the engine) in the measuring process, before the clock;")
    print("simulate: sampling and pricing; +pctiles: adds every percentile band and the summary;")
    print("whole run: `python -m sim run` end to end (interpreter start, imports, report, charts);")
    print("peak RSS: of the measuring process (or its largest worker), in MiB (1 MiB = 1.048576 MB).")
    if not variant:
        print("tuned numpy: the same experiment written by hand (sim/bench_tuned.py: option x month x path")
        print("float32, in place, percentiles by np.sort per row): simulate / + the same bands and summary.")
    return 0


#: the sweep of ``tcosim bench --sweep``: the issue's 13 points of daily volume
SWEEP_VARY = "workload.tokens_per_day=1M:1B:log:13"


def sweep_variants() -> dict[str, object]:
    """bench_capacity.toml as written (one GPU, one width) and with four candidate GPUs and
    ``tensor_parallel = "auto"`` (16 setups sized and compared at every point)."""
    import copy

    from sim.loader import load_experiment, parse_experiment

    fixed = load_experiment(bench_file("capacity"))
    doc = copy.deepcopy(fixed.raw)
    own = next(o for o in doc["options"] if "capacity" in o)
    own["capacity"].update(gpu=["h100-sxm", "h200", "a100-80gb", "l40s"], tensor_parallel="auto")
    own["provisioning"].pop("hourly_price")  # several GPUs: each at its catalog price
    return {"fixed GPU (h100-sxm, TP2)": fixed, "4 candidate GPUs, TP auto": parse_experiment(doc, fixed.source)}


def sweep_main(paths: int, repeat: int) -> int:
    """Time a 13-point sweep of daily volume with the sized option fixed and with a candidate list."""
    from sim.sweep import parse_vary, sweep

    path, values = parse_vary(SWEEP_VARY)
    print(f"tcosim bench --sweep: bench_capacity.toml, {len(values)} points of {path} (1M to 1B), "
          f"{paths:,} paths each, 1 worker, median of {repeat}")
    times = {}
    for label, exp in sweep_variants().items():
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            sweep(exp, path, values, paths, 1)
            runs.append(time.perf_counter() - t0)
        times[label] = sorted(runs)[(repeat - 1) // 2]
        print(f"{label:<28} {times[label]:>7.2f} s")
    first, second = times.values()
    print(f"ratio: {second / first:.2f}x (candidates over fixed)")
    article = Path(str(resources.files("sim"))).parent / "experiments" / "article_uncertain.toml"
    if article.exists():
        for workers in ("auto", "1"):
            wall = sorted(whole_sweep(article, paths, workers) for _ in range(repeat))[(repeat - 1) // 2]
            print(f"whole `tcosim sweep {article.name} --vary {SWEEP_VARY} --paths {paths}"
                  f"{'' if workers == 'auto' else ' --workers ' + workers}`: {wall:.2f} s")
    return 0


def whole_sweep(path: Path, paths: int, workers: str) -> float:
    """Wall time of ``python -m sim sweep`` over the issue's 13 points, interpreter start and chart included."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim", "sweep", str(path), "--vary", SWEEP_VARY, "--paths", str(paths),
                        "--workers", workers, "--out", str(Path(tmp) / "sweep"), "--quiet"], check=True)
        return time.perf_counter() - t0


if __name__ == "__main__":
    import gc

    from sim.cli import GC_THRESHOLDS

    gc.set_threshold(*GC_THRESHOLDS)  # as the command line runs: the figures are what a `tcosim run` sees
    count = sys.argv[2] if sys.argv[2] == "auto" else int(sys.argv[2])
    print(json.dumps(measure(int(sys.argv[1]), count, sys.argv[3] if len(sys.argv) > 3 else "")))
