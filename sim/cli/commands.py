"""tcosim run | validate | prices | compare | bench: load, run, write, print."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import ExperimentError, UsageError, printable
from sim.progress import RUN_STAGES, Progress

if TYPE_CHECKING:
    from sim.study import Study


def cmd_run(args: argparse.Namespace) -> int:
    from sim.engine import DEFAULT_CHUNK_PATHS, run
    from sim.loader import load_experiment
    from sim.report.folder import check_out
    from sim.study import Study

    t0 = time.perf_counter()
    exp = load_experiment(args.experiment)
    out = check_out(args.out if args.out is not None else Path("reports") / exp.experiment.name)
    from sim.report.writer import write_report  # matplotlib: loaded once the file is known to be good

    started = time.perf_counter()  # the report states the time from here to its last table
    progress = Progress(enabled=not args.quiet and sys.stderr.isatty(), stages=RUN_STAGES)
    progress.stage("simulating", "paths")
    kwargs = dict(seed=args.seed, workers=args.workers, chunk_paths=args.chunk_paths or DEFAULT_CHUNK_PATHS,
                  ops=args.ops)
    if args.precision is not None:
        from sim.convergence import run_to_precision

        result = run_to_precision(exp, args.precision, args.paths or exp.experiment.paths, args.max_paths,
                                  kwargs, progress)
    else:
        result = run(exp, paths=args.paths, progress=progress, **kwargs)
    study = Study(result)
    if exp.scenarios:
        progress.stage("scenarios", "scenarios")
        study.run_scenarios(progress)  # [[scenarios]]: the same paths and seed, shocked
    progress.stage("analysis")
    study.percentiles()  # the charts need the bands and the summary; the sensitivity and the value of
    study.summary()  # information are computed with the tables, while forked workers draw the charts
    try:
        write_report(study, out, progress=progress, started=started)
    finally:
        progress.close()
    if not args.quiet:
        print_summary(study)
        print(f"report: {shown(out)}/report.md ({time.perf_counter() - t0:.1f} s)")
    return 0


def print_summary(study: Study) -> None:
    """The terminal summary: horizon bands and P(cheapest) per option, then the budget table of
    the base case and of every stress scenario."""
    from sim.analysis.quantiles import band
    from sim.fmt import money, money_delta, prob

    result, cheapest = study.result, study.prob_cheapest()
    exact = result.fixed
    print(f"{result.experiment.experiment.name}: {result.paths:,} paths, {result.months} months, seed {result.seed}")
    width = max(6, *(len(o.name) for o in result.options))
    print(f"{'option':<{width}}  {'P5 total':>12}  {'P50 total':>12}  {'P95 total':>12}  {'P(cheapest)':>14}")
    for opt in result.options:
        p5, p50, p95 = band(opt.totals)
        p, se = cheapest[opt.name]
        print(f"{opt.name:<{width}}  {money(p5):>12}  {money(p50):>12}  {money(p95):>12}  "
              f"{prob(p, se, n=result.paths, exact=exact):>14}")
    if result.experiment.budget is not None or study.scenarios:
        print_budgets(study)
    for note in study.notes():
        print(printable(f"note: {note}"))
    for r in study.switches().itertuples():
        on = prob(r.p_switch, r.p_switch_se, n=result.paths, exact=exact)
        line = (f"staged: “{r.option}” switches on {on} of paths (go-live month P50 {r.live_month_p50:.0f}); "
                f"against self-hosting from month 1 {money_delta(r.vs_switch_to_mean)} on average, against staying "
                f"on the API {money_delta(r.vs_start_mean)}") if r.p_switch > 0 else \
            f"staged: “{r.option}” never switches on these paths"
        print(printable(line))
    print_voi(study)


def print_voi(study: Study) -> None:
    """One line: what perfect information would save, and the single input worth most to learn."""
    from sim.fmt import money

    if len(study.options) < 2:
        return
    table = study.value_of_information()
    total = table.iloc[0]
    if total.value <= 0:
        print("value of information: none (the same option is cheapest on every path)")
        return
    line = (f"value of information: knowing every outcome before choosing would save {money(total.value)} "
            f"± {money(total.se)} (EVPI)")
    best = table.iloc[1:][table.iloc[1:].value > 0]
    line += (f"; worth most to learn: {best.iloc[0].label} ({money(best.iloc[0].value)})" if len(best)
             else "; no single input changes the choice alone")
    print(printable(line))


def print_budgets(study: Study) -> None:
    """Budget risk per scenario and option, the columns of the report's budget tables."""
    from sim.report.budget import budget_cells, budget_headers

    result = study.result
    table = study.scenario_table() if study.scenarios else study.summary().assign(scenario="base")
    exact = study.fixed
    headers = ["scenario", "option", *budget_headers(result)]
    rows = [[str(r.scenario), str(r.option), *budget_cells(result, r, result.paths, exact)]
            for _, r in table.iterrows()]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    print("\nbudget" + (" under each scenario" if study.scenarios else "") + ":")
    for i, row in enumerate([headers, *rows]):
        print("  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True))))
        if i == 0:
            print("  ".join("-" * w for w in widths))


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
    from sim.price_list import PriceFileError, builtin_catalog, litellm_catalog

    if args.file is not None:
        try:
            prices = litellm_catalog(Path(args.file), args.date)
        except OSError as exc:
            raise UsageError(f"{args.file}: cannot read price file: {exc.strerror}") from None
        except PriceFileError as exc:
            raise UsageError(f"{args.file}: {exc}") from None
        entries = prices.entries
    else:
        entries = builtin_catalog()
    width = max(14, *(len(k) for k in entries)) if entries else 14
    print(f"{'catalog name':<{width}} {'in $/M':>8} {'out $/M':>8} {'cached':>7} {'write':>7} {'batch':>6} "
          f"{'long context (above: in / out)':>31} {'date':>10}")
    for key, e in sorted(entries.items()):
        cells = [_opt(e.cached_input_per_million), _opt(e.cache_write_per_million),
                 "" if e.batch_discount is None else f"-{100 * e.batch_discount:.0f}%"]
        tier = "" if e.long_context_tokens is None else (
            f"{e.long_context_tokens / 1000:g}k: {_opt(e.long_input_per_million)} / {_opt(e.long_output_per_million)}")
        print(printable(f"{key:<{width}} {e.input_per_million:>8g} {e.output_per_million:>8g} {cells[0]:>7} "
                        f"{cells[1]:>7} {cells[2]:>6} {tier:>31} {e.date or 'n/a':>10}"))
    if args.file is None:
        print("\nsources:")
        for key, e in sorted(entries.items()):
            print(printable(f"  {key}: {e.source}"))
        return 0
    for name, why in prices.refused.items():
        print(printable(f"refused {name}: {why.removeprefix(chr(34) + name + chr(34)).lstrip('.')}"))
    print()
    print(printable(f"{len(entries):,} chat and completion entries priced per token, dated {prices.date}"
                    + ("" if args.date else " (the file's own stamp or modification day; --date to state it)")
                    + (f"; {len(prices.refused):,} refused (above)" if prices.refused else "")))
    if prices.skipped:
        print(f"skipped {sum(prices.skipped.values()):,} entries:")
        for reason, n in sorted(prices.skipped.items(), key=lambda kv: -kv[1]):
            print(printable(f"  {n:>6,} {reason}"))
    return 0


def _opt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


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
    shown_rows = [(r, *figure_texts(r.figure, r.before, r.after)) for r in table.itertuples()]
    changed = [row for row in shown_rows if row[1] != row[2]]
    if not changed:
        print(f"no differences in {len(table)} headline figures ({shown(out)}/compare.csv)")
        return 0
    width = max(len(r.option) for r, *_ in changed)
    print(f"{'option':<{width}}  {'figure':<26} {'before':>14} {'after':>14} {'change':>10}")
    for r, before_text, after_text, change_text in changed:
        print(printable(f"{r.option:<{width}}  {r.figure:<26} {before_text:>14} {after_text:>14} {change_text:>10}"))
    print(f"{len(changed)} of {len(table)} figures differ as shown; every figure is in {shown(out)}/compare.csv")
    return 0


def figure_texts(figure: str, before: float, after: float) -> tuple[str, str, str]:
    """A headline figure before and after, and its change, as the report shows them: money with a
    relative change, probabilities with a change in percentage points, multipliers as ratios."""
    from sim.fmt import change, money, ratio, share

    if figure.startswith("p_"):
        if before != before or after != after:
            return share(before), share(after), "n/a"
        points = 100 * (after - before)
        return share(before), share(after), f"{'+' if points > 0 else '−'}{abs(points):.1f} pts"
    text = ratio if figure.startswith("tco_") else money
    return text(before), text(after), change(before, after)


def cmd_bench(args: argparse.Namespace) -> int:
    from sim.bench import main as bench_main

    default = [10_000] if args.variant in ("ops", "sweep") else [100_000, 1_000_000]  # a DES path costs ms
    sizes = args.paths if args.paths is not None else default
    return bench_main(sizes, args.workers, args.variant, args.repeat)


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return printable(str(Path(path).relative_to(Path.cwd())))
    except ValueError:
        return printable(str(path))


__all__ = ["cmd_bench", "cmd_compare", "cmd_prices", "cmd_run", "cmd_validate", "print_summary", "shown"]
