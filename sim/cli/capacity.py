"""tcosim capacity: a file's candidate setups and median-path plan, or the point calculator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.commands import shown
from sim.errors import UsageError, printable
from sim.progress import Progress

POINT_FLAGS = ("model", "gpu")


def cmd_capacity(args: argparse.Namespace) -> int:
    if args.experiment is None:
        return capacity_point(args)
    given = [f"--{f}" for f in POINT_FLAGS if getattr(args, f) is not None]
    if given:
        raise UsageError(f"tcosim capacity: {', '.join(given)} belong{'s' if len(given) == 1 else ''} to the point "
                         "calculator, which takes no experiment file: give the file or --model and --gpu")
    from sim.capacity.plan import PLAN_PATHS, plan_lines, plan_table
    from sim.engine import run
    from sim.loader import load_experiment
    from sim.report.folder import check_out, output_folder

    exp = load_experiment(args.experiment)
    out = check_out(args.out if args.out is not None else Path("reports") / f"{exp.experiment.name}-capacity")
    progress = Progress(enabled=not args.quiet and sys.stderr.isatty())
    progress.stage("simulating", "paths")
    try:
        result = run(exp, paths=args.paths or PLAN_PATHS, seed=args.seed, workers=args.workers, ops=args.ops,
                     progress=progress)
    finally:
        progress.close()
    lines = plan_lines(result)
    manifest = {"kind": "capacity", "experiment": exp.experiment.name, "experiment_file": exp.source,
                "experiment_sha256": exp.sha256, "paths": result.paths, "seed": result.seed}
    with output_folder(out, manifest) as tmp:
        plan_table(result).to_csv(tmp / "capacity.csv", index=False, float_format="%.10g")
        (tmp / "capacity.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not args.quiet:
        print("\n".join(printable(line) for line in lines))
        print(f"written to {shown(out)}/ (capacity.csv, capacity.txt)")
    return 0


def capacity_point(args: argparse.Namespace) -> int:
    from sim.capacity.calculator import CONCURRENCY, Point, PointError, point_lines

    missing = [f"--{f}" for f in POINT_FLAGS if getattr(args, f) is None]
    if missing:
        raise UsageError(f"tcosim capacity: give an experiment file, or {' and '.join(missing)} for the point "
                         "calculator (e.g. --model llama-3.3-70b --gpu h100-sxm --tp 2 --precision fp8)")
    kv = args.kv_precision or ("fp8" if args.precision == "fp8" else "bf16")
    point = Point(args.model, args.gpu, args.tp, args.precision, kv, float(args.prompt), float(args.output),
                  args.tpot_slo, args.ttft_slo, args.max_batch, args.server_speedup)
    try:
        lines = point_lines(point, args.concurrency or list(CONCURRENCY))
    except PointError as exc:
        raise UsageError(f"tcosim capacity: {exc}") from None
    print("\n".join(printable(line) for line in lines))
    return 0


__all__ = ["POINT_FLAGS", "capacity_point", "cmd_capacity"]
