"""Command line: tcosim run | validate | prices | bench. Exit 0 ok, 2 bad input, 1 internal error."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import ExperimentError, UsageError, printable

if TYPE_CHECKING:
    from sim.study import Study


class _Progress:
    """A one-line progress bar on stderr, only for terminals and runs that take a while."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.perf_counter() - self.t0 < 1.0 and done < total:
            return
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\r  simulating [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} paths")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def _whole(name: str, minimum: int):
    """argparse type: a whole number >= minimum, with a message naming the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be >= {minimum}, got {value}")
        return value

    return parse


def _positive(name: str):
    return _whole(name, 1)


#: the finest --precision asked for: 0.01% of a P95 needs ~10^9 paths already
MIN_PRECISION = 1e-4


def _share(text: str) -> float:
    from distributions import parse_number

    try:
        value = parse_number(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--precision must be a share such as 1% or 0.01, got {text!r}") from None
    if not MIN_PRECISION <= value < 1:
        raise argparse.ArgumentTypeError(f"--precision must lie between {100 * MIN_PRECISION:g}% and 100%, got "
                                         f"{text!r} (finer precision needs more paths than any machine holds)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tcosim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate an experiment and write its report")
    run.add_argument("experiment", help="experiment file (TOML)")
    run.add_argument("--paths", type=_positive("--paths"), help="Monte Carlo paths (default: the file's)")
    run.add_argument("--seed", type=_whole("--seed", 0), help="root seed (default: the file's)")
    run.add_argument("--out", help="report folder (default: reports/<experiment name>)")
    run.add_argument("--workers", type=_positive("--workers"), default=1, help="processes (default 1)")
    run.add_argument("--chunk-paths", type=_positive("--chunk-paths"), default=None,
                     help="paths per chunk (memory bound; results do not depend on it)")
    run.add_argument("--precision", type=_share, default=None,
                     help='add paths until every P95 total is known to this relative precision, e.g. "1%%"')
    run.add_argument("--max-paths", type=_positive("--max-paths"), default=1_000_000,
                     help="the cap for --precision (default 1,000,000)")
    run.add_argument("--ops", choices=["vectorized", "des"], default=None,
                     help="operations engine for [options.ops] (default: the file's experiment.ops)")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    val = sub.add_parser("validate", help="check experiment files without simulating")
    val.add_argument("experiments", nargs="+")
    cap = sub.add_parser("capacity", help="the median path's month-by-month GPU plan (no report)")
    cap.add_argument("experiment")
    cap.add_argument("--paths", type=_positive("--paths"), default=None,
                     help="paths to pick the median from (default 2000)")
    sw = sub.add_parser("sweep", help="run at each value of one input; find the break-even")
    sw.add_argument("experiment")
    sw.add_argument("--vary", required=True, help='PATH=START:STOP:log|lin:N or PATH=V1,V2,... '
                    '(PATH workload.tokens_per_day scales input and output together)')
    sw.add_argument("--paths", type=_positive("--paths"), default=None, help="paths per point (default: the file's)")
    sw.add_argument("--seed", type=_whole("--seed", 0), default=None)
    sw.add_argument("--out", help="folder (default: reports/<experiment name>-sweep)")
    sw.add_argument("--dask", default=None, help='run the points on Dask: "local" or a scheduler tcp://host:port')
    cmp_ = sub.add_parser("compare", help="differences of headline numbers between two reports")
    cmp_.add_argument("before")
    cmp_.add_argument("after")
    cmp_.add_argument("--out", help="folder for compare.csv (default: reports/compare/BEFORE-vs-AFTER)")
    prices = sub.add_parser("prices", help="list the API price catalog")
    prices.add_argument("--file", help="a LiteLLM model_prices_and_context_window JSON to list instead")
    bench = sub.add_parser("bench", help="time the engine on the fixed benchmark experiment")
    bench.add_argument("--paths", type=_positive("--paths"), nargs="+", default=[100_000, 1_000_000])
    bench.add_argument("--workers", type=_positive("--workers"), default=1)
    bench.add_argument("--repeat", type=_positive("--repeat"), default=3,
                       help="fresh processes per size; the median is shown (default 3)")
    variant = bench.add_mutually_exclusive_group()
    variant.add_argument("--capacity", action="store_const", const="capacity", dest="variant", default="",
                         help="the same experiment with the self-hosted GPUs sized by the capacity model")
    variant.add_argument("--ops", action="store_const", const="ops", dest="variant",
                         help="... and the SimPy operations model on that fleet")
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from sim.engine import DEFAULT_CHUNK_PATHS, run
    from sim.loader import load_experiment
    from sim.report.folder import check_out
    from sim.study import Study

    t0 = time.perf_counter()
    exp = load_experiment(args.experiment)
    out = check_out(args.out if args.out is not None else Path("reports") / exp.experiment.name)
    progress = _Progress(enabled=not args.quiet and sys.stderr.isatty())
    kwargs = dict(seed=args.seed, workers=args.workers, chunk_paths=args.chunk_paths or DEFAULT_CHUNK_PATHS,
                  ops=args.ops)
    if args.precision is not None:
        from sim.convergence import run_to_precision

        result = run_to_precision(exp, args.precision, args.paths or exp.experiment.paths, args.max_paths,
                                  kwargs, progress)
    else:
        result = run(exp, paths=args.paths, progress=progress, **kwargs)
    progress.close()
    study = Study(result)
    study.run_scenarios()  # [[scenarios]]: the same paths and seed, shocked
    study.percentiles()  # computed (and cached) here so the wall time covers the analysis
    study.summary()
    study.write_report(out, wall_time=time.perf_counter() - t0)
    if not args.quiet:
        _print_summary(study)
        print(f"report: {_shown(out)}/report.md ({time.perf_counter() - t0:.1f} s)")
    return 0


def _print_summary(study: Study) -> None:
    from sim.analysis.quantiles import band
    from sim.fmt import money, pct

    result, cheapest = study.result, study.prob_cheapest()

    print(f"{result.experiment.experiment.name}: {result.paths:,} paths, {result.months} months, seed {result.seed}")
    width = max(6, *(len(o.name) for o in result.options))
    print(f"{'option':<{width}}  {'P5 total':>12}  {'P50 total':>12}  {'P95 total':>12}  {'P(cheapest)':>14}")
    for opt in result.options:
        p5, p50, p95 = band(opt.totals)
        p, se = cheapest[opt.name]
        print(f"{opt.name:<{width}}  {money(p5):>12}  {money(p50):>12}  {money(p95):>12}  {pct(p, se):>14}")


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.loader import load_experiment

    status = 0
    for path in args.experiments:
        try:
            exp = load_experiment(path)
        except ExperimentError as exc:
            for line in exc.lines():
                print(line, file=sys.stderr)
            status = 2
            continue
        print(printable(f"{path}: ok ({len(exp.options)} options, {exp.horizon} months, "
                        f"{exp.experiment.paths:,} paths)"))
    return status


def cmd_prices(args: argparse.Namespace) -> int:
    from sim.catalog import PriceFileError, builtin_catalog, litellm_catalog

    if args.file is not None:
        try:
            entries = litellm_catalog(Path(args.file))
        except OSError as exc:
            raise UsageError(f"{args.file}: cannot read price file: {exc.strerror}") from None
        except PriceFileError as exc:
            raise UsageError(f"{args.file}: {exc}") from None
    else:
        entries = builtin_catalog()
    print(f"{'catalog name':<34} {'in $/M':>8} {'out $/M':>8} {'cached':>8} {'batch':>6}  source (date)")
    for key, e in sorted(entries.items()):
        cached = "" if e.cached_input_per_million is None else f"{e.cached_input_per_million:g}"
        batch = "" if e.batch_discount is None else f"-{100 * e.batch_discount:.0f}%"
        print(f"{key:<34} {e.input_per_million:>8g} {e.output_per_million:>8g} {cached:>8} {batch:>6}  "
              f"{e.source} ({e.date or 'n/a'})")
    return 0


def cmd_capacity(args: argparse.Namespace) -> int:
    from sim.capacity.plan import PLAN_PATHS, plan_lines
    from sim.engine import run
    from sim.loader import load_experiment

    exp = load_experiment(args.experiment)
    result = run(exp, paths=args.paths or PLAN_PATHS)
    print("\n".join(plan_lines(result)))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.loader import load_experiment
    from sim.report.folder import check_out, output_folder
    from sim.sweep import break_even, parse_vary, sweep, sweep_chart

    exp = load_experiment(args.experiment)
    try:
        path, values = parse_vary(args.vary)
    except ValueError as exc:
        raise UsageError(f"tcosim sweep: {exc}") from None
    out = check_out(args.out if args.out is not None else Path("reports") / f"{exp.experiment.name}-sweep")
    paths = args.paths or exp.experiment.paths
    seed = exp.experiment.seed if args.seed is None else args.seed
    client = _dask_client(args.dask) if args.dask else None
    try:
        table = sweep(exp, path, values, paths, seed, client)
    finally:
        if client is not None:
            client.close()
    crossings = break_even(table)
    manifest = {"kind": "sweep", "experiment": exp.experiment.name, "experiment_file": exp.source,
                "experiment_sha256": exp.sha256, "vary": args.vary, "paths": paths, "seed": seed}
    with output_folder(out, manifest) as tmp:
        table.to_csv(tmp / "sweep.csv", index=False, float_format="%.10g")
        crossings.to_csv(tmp / "break_even.csv", index=False, float_format="%.10g")
        sweep_chart(table, exp.experiment.name, path, paths, tmp / "sweep.png")
        (tmp / "sweep.md").write_text(_sweep_markdown(exp, path, values, paths, seed, crossings), encoding="utf-8")
    print(f"{exp.experiment.name}: {len(values)} points of {path}, {paths:,} paths each, seed {seed}")
    for r in crossings.itertuples():
        where = "never within the sweep" if r.value != r.value else (
            f"{r.value:,.4g} (band {r.band_low:,.4g} – {r.band_high:,.4g})")
        print(f"  P({r.option} < {r.versus}) reaches {100 * r.level:.0f}% at {where}")
    print(f"written to {_shown(out)}/ (sweep.csv, break_even.csv, sweep.png)")
    return 0


def _sweep_markdown(exp, path, values, paths, seed, crossings) -> str:
    lines = [f"# Sweep of {path}: {exp.experiment.name}", "",
             f"{len(values)} points from {values[0]:,.4g} to {values[-1]:,.4g}, {paths:,} paths each, seed {seed} "
             "(the same paths at every point). P is the probability that the self-hosted option's horizon total "
             "is below the API's, on paired paths; the band comes from ±2 standard errors at the points.", "",
             "| self-hosted option | API | P reaches 50% at | band | P reaches 90% at | band |",
             "|:---|:---|---:|---:|---:|---:|"]
    fmt = lambda v: "beyond the sweep" if v != v else f"{v:,.4g}"  # noqa: E731
    for (option, versus), g in crossings.groupby(["option", "versus"], sort=False):
        half, most = g[g.level == 0.5].iloc[0], g[g.level == 0.9].iloc[0]
        lines.append(f"| {option} | {versus} | {fmt(half.value)} | {fmt(half.band_low)} – {fmt(half.band_high)} | "
                     f"{fmt(most.value)} | {fmt(most.band_low)} – {fmt(most.band_high)} |")
    lines += ["", "![sweep](sweep.png)", ""]
    return "\n".join(lines)


def _dask_client(address: str):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise SystemExit("tcosim sweep --dask needs Dask: pip install 'tcosim[dask]'") from None
    if address == "local":
        return Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
    return Client(address)


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.analysis.compare import compare
    from sim.report.folder import check_out, output_folder

    before, after = Path(args.before), Path(args.after)
    default = Path("reports") / "compare" / f"{before.resolve().name}-vs-{after.resolve().name}"
    out = check_out(args.out if args.out is not None else default)
    result = compare(before, after)
    table = result.table
    manifest = {"kind": "compare", "before": str(before), "after": str(after)}
    with output_folder(out, manifest) as tmp:
        table.to_csv(tmp / "compare.csv", index=False, float_format="%.10g")
    for side, names in (("before", result.only_before), ("after", result.only_after)):
        if names:
            print(f"only in {side}: {', '.join(names)}")
    changed = table[table.difference.abs() > 0]
    if changed.empty:
        print(f"no differences in {len(table)} headline figures ({_shown(out)}/compare.csv)")
        return 0
    width = max(len(o) for o in changed.option)
    print(f"{'option':<{width}}  {'figure':<26} {'before':>14} {'after':>14} {'change':>9}")
    for r in changed.itertuples():
        rel = "" if r.relative != r.relative else f"{100 * r.relative:+.1f}%"
        print(f"{r.option:<{width}}  {r.figure:<26} {r.before:>14,.4g} {r.after:>14,.4g} {rel:>9}")
    print(f"{len(changed)} of {len(table)} figures differ; written to {_shown(out)}/compare.csv")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from sim.bench import main as bench_main

    return bench_main(args.paths, args.workers, args.variant, args.repeat)


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return printable(str(Path(path).relative_to(Path.cwd())))
    except ValueError:
        return printable(str(path))


class Interrupted(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that the same clean-up runs as for Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"run": cmd_run, "validate": cmd_validate, "capacity": cmd_capacity, "prices": cmd_prices,
                "compare": cmd_compare, "sweep": cmd_sweep, "bench": cmd_bench}
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status = handlers[args.command](args)
        _debug_warnings(caught)
        return status
    except ExperimentError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 2
    except UsageError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Interrupted) else "interrupted"
        print(f"\ntcosim: {what}; workers stopped, no partial report was left", file=sys.stderr)
        return 143 if isinstance(exc, Interrupted) else 130
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        if os.environ.get("TCOSIM_DEBUG"):
            traceback.print_exc()
        print(printable(f"tcosim: internal error: {type(exc).__name__}: {exc} (set TCOSIM_DEBUG=1 for a traceback)"),
              file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


def _debug_warnings(caught: list) -> None:
    """Python warnings never reach the user; with TCOSIM_DEBUG=1 they are listed for developers."""
    if caught and os.environ.get("TCOSIM_DEBUG"):
        for w in caught:
            print(f"tcosim debug: {w.category.__name__}: {w.message} ({w.filename}:{w.lineno})", file=sys.stderr)


#: exit statuses of an interrupted run (128 + the signal)
INTERRUPTED = (130, 143)


def entry() -> None:
    """The console command: run main(); after an interrupt leave at once (the workers are already
    killed; waiting on the pool's threads at interpreter exit could block)."""
    status = main()
    if status in INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    entry()
