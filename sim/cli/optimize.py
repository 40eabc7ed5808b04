"""tcosim optimize: search decisions over the simulation, write optimize.csv/.md/.png."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from sim.cli.commands import shown
from sim.cli.sweep import many_runs, run_workers
from sim.errors import UsageError, printable
from sim.progress import Progress


def _mapper(workers_arg: int | str, client, exp, paths: int):
    """Evaluate tasks locally (one after another, or over forked workers) or on Dask: each task
    is a whole run at its own seed, so the figures do not depend on where it ran."""
    from sim.optimize import evaluate
    from sim.parallel import worker_pool

    def mapper(tasks: list[tuple]) -> list[dict[str, np.ndarray]]:
        if client is not None:
            return client.gather(client.map(evaluate, tasks, pure=False))
        workers = run_workers(workers_arg, exp, paths, len(tasks))
        if workers <= 1 or len(tasks) == 1:
            return [evaluate(t) for t in tasks]
        with worker_pool(min(workers, len(tasks))) as pool:
            return list(pool.imap(evaluate, tasks))

    return mapper


def cmd_optimize(args: argparse.Namespace) -> int:
    from sim.loader import load_experiment
    from sim.optimize import parse_constraint, parse_decisions, search, target_option
    from sim.report.folder import output_folder
    from sim.report.optimize import optimize_chart, optimize_markdown, result_line

    exp = load_experiment(args.experiment)
    try:
        decisions = parse_decisions(args.decide)
        constraints = [parse_constraint(c) for c in args.subject_to]
        index = target_option(exp, decisions, args.option)
    except ValueError as exc:
        raise UsageError(f"tcosim optimize: {exc}") from None
    out, paths, seed, client = many_runs(args, exp, "optimize")
    progress = Progress(enabled=not args.quiet and sys.stderr.isatty(), stages={"searching": 0.95, "writing": 0.05})
    progress.stage("searching", "stages")
    try:
        mapper = _mapper(args.workers, client, exp, paths)
        found = search(exp, decisions, args.objective, constraints, index, paths, seed, mapper, ops=args.ops,
                       progress=progress)
        manifest = {"kind": "optimize", "experiment": exp.experiment.name, "experiment_file": exp.source,
                    "experiment_sha256": exp.sha256, "decide": args.decide, "objective": args.objective,
                    "subject_to": args.subject_to, "option": found.option, "paths": paths, "seed": seed}
        progress.stage("writing")
        with output_folder(out, manifest) as tmp:
            found.table.to_csv(tmp / "optimize.csv", index=False, float_format="%.10g")
            optimize_chart(found, exp.experiment.name, tmp / "optimize.png")
            (tmp / "optimize.md").write_text(optimize_markdown(exp, found), encoding="utf-8")
    finally:
        progress.close()
        if client is not None:
            client.close()
    if not args.quiet:
        print(printable(result_line(found)))
        print(f"written to {shown(out)}/ (optimize.csv, optimize.md, optimize.png)")
    return 0


__all__ = ["cmd_optimize"]
