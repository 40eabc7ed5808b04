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


def bench_file() -> Path:
    return Path(str(resources.files("sim").joinpath("data/bench.toml")))


def measure(paths: int, workers: int) -> dict:
    """Run once in this process and report timings and peak memory."""
    import sim
    from sim.analysis.bands import percentile_table
    from sim.analysis.summary import summary_table

    exp = sim.load_experiment(bench_file())
    t0 = time.perf_counter()
    res = sim.run(exp, paths=paths, workers=workers)
    t_sim = time.perf_counter() - t0
    percentile_table(res)
    summary_table(res)
    t_core = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        res.write_report(Path(tmp) / "bench", wall_time=None)
    t_all = time.perf_counter() - t0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"paths": paths, "months": exp.horizon, "options": len(exp.options), "workers": workers,
            "line_bands": res.line_bands, "simulate_s": t_sim, "sim_and_percentiles_s": t_core,
            "whole_run_s": t_all, "path_months_per_s": paths * exp.horizon / t_core,
            "peak_rss_mb": own, "peak_worker_rss_mb": kids}


def main(sizes: list[int], workers: int) -> int:
    print(f"tcosim bench: {bench_file().name}, 7 options x 36 months, workers={workers}")
    print(f"{'paths':>10} {'simulate':>9} {'+pctiles':>9} {'whole run':>10} {'path-months/s':>14} "
          f"{'peak RSS':>9} {'line bands':>10}")
    for n in sizes:
        proc = subprocess.run([sys.executable, "-m", "sim.bench", str(n), str(workers)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        rss = max(r["peak_rss_mb"], r["peak_worker_rss_mb"])
        print(f"{n:>10,} {r['simulate_s']:>8.2f}s {r['sim_and_percentiles_s']:>8.2f}s {r['whole_run_s']:>9.2f}s "
              f"{r['path_months_per_s']:>14,.0f} {rss:>7,.0f}MB {str(r['line_bands']):>10}")
    return 0


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]), int(sys.argv[2]))))
