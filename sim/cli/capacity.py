"""tcosim capacity: a file's candidate setups and median-path plan, or the point calculator."""

from __future__ import annotations

import argparse

from sim.errors import UsageError, printable

POINT_FLAGS = ("model", "gpu")


def cmd_capacity(args: argparse.Namespace) -> int:
    if args.experiment is None:
        return capacity_point(args)
    given = [f"--{f}" for f in POINT_FLAGS if getattr(args, f) is not None]
    if given:
        raise UsageError(f"tcosim capacity: {', '.join(given)} belong{'s' if len(given) == 1 else ''} to the point "
                         "calculator, which takes no experiment file: give the file or --model and --gpu")
    from sim.capacity.plan import PLAN_PATHS, plan_lines
    from sim.engine import run
    from sim.loader import load_experiment

    exp = load_experiment(args.experiment)
    result = run(exp, paths=args.paths or PLAN_PATHS, seed=args.seed)
    print("\n".join(printable(line) for line in plan_lines(result)))
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
