"""tcosim sweep: run at each value of one input, find the break-even, write the folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.commands import shown
from sim.errors import UsageError, printable
from sim.progress import Progress


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.loader import load_experiment
    from sim.report.folder import output_folder
    from sim.report.sweep import pair_text, sweep_chart, sweep_markdown, value_text
    from sim.sweep import break_even, infeasible_from, parse_vary, shortfall_priced, sweep

    exp = load_experiment(args.experiment)
    try:
        path, values = parse_vary(args.vary)
    except ValueError as exc:
        raise UsageError(f"tcosim sweep: {exc}") from None
    out, paths, seed, client = many_runs(args, exp, "sweep")
    progress = Progress(enabled=not args.quiet and sys.stderr.isatty(), stages={"sweeping": 0.9, "writing": 0.1})
    progress.stage("sweeping", "points")
    try:
        workers = run_workers(args.workers, exp, paths, len(values)) if client is None else 1
        table = sweep(exp, path, values, paths, seed, client, workers=workers, ops=args.ops, progress=progress)
        crossings = break_even(table)
        priced = shortfall_priced(exp)[1]
        manifest = {"kind": "sweep", "experiment": exp.experiment.name, "experiment_file": exp.source,
                    "experiment_sha256": exp.sha256, "vary": args.vary, "paths": paths, "seed": seed}
        progress.stage("writing")
        with output_folder(out, manifest) as tmp:
            table.to_csv(tmp / "sweep.csv", index=False, float_format="%.10g")
            crossings.to_csv(tmp / "break_even.csv", index=False, float_format="%.10g")
            sweep_chart(table, exp.experiment.name, path, paths, tmp / "sweep.png")
            (tmp / "sweep.md").write_text(sweep_markdown(exp, path, values, paths, seed, crossings, table, priced),
                                          encoding="utf-8")
    finally:
        progress.close()
        if client is not None:
            client.close()
    if args.quiet:
        return 0
    print(printable(f"{exp.experiment.name}: {len(values)} points of {path} from {value_text(path, values[0])} to "
                    f"{value_text(path, values[-1])}, {paths:,} paths each, seed {seed}"))
    for _, rows in crossings.groupby(["option", "versus"], sort=False):
        print(printable(f"  {pair_text(rows, table, path, paths)}"))
    for option, start in infeasible_from(table).items():
        print(printable(f"note: “{option}”: its GPUs cannot carry the load from {path} = {value_text(path, start)} "
                        "on (unserved_share_p50 in sweep.csv)"))
    if priced:
        print(printable(f"note: shortfall of {', '.join(priced)} priced at the cheapest API (no overflow named)"))
    print(f"written to {shown(out)}/ (sweep.csv, break_even.csv, sweep.png, sweep.md)")
    return 0


def many_runs(args: argparse.Namespace, exp, command: str) -> tuple[Path, int, int, Any]:
    """What a command that runs the experiment many times (sweep, optimize) takes from its flags:
    the report folder (reports/<name>-<command> unless --out), paths, seed and a Dask client."""
    from sim.report.folder import check_out

    out = check_out(args.out if args.out is not None else Path("reports") / f"{exp.experiment.name}-{command}")
    paths = args.paths or exp.experiment.paths
    seed = exp.experiment.seed if args.seed is None else args.seed
    return out, paths, seed, dask_client(args.dask) if args.dask else None


def run_workers(workers: int | str, exp, paths: int, runs: int) -> int:
    """--workers as a count; "auto": one per CPU, no more than ``runs`` runs of ``paths`` paths of
    ``exp``, nor more than fit in memory together (sim.memory's estimate of one run)."""
    if workers != "auto":
        return int(workers)
    from sim.engine import DEFAULT_CHUNK_PATHS
    from sim.memory import USABLE_SHARE, available_bytes, estimate
    from sim.parallel import auto_workers

    one = estimate(exp, False, False, 1, min(DEFAULT_CHUNK_PATHS, paths)).bytes(paths)
    return auto_workers(runs, one, USABLE_SHARE * available_bytes())


def dask_client(address: str):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--dask needs Dask: pip install 'tcosim[dask]'") from None
    if address == "local":
        return Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
    return Client(address)


__all__ = ["cmd_sweep", "dask_client", "many_runs", "run_workers"]
