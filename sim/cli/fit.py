"""tcosim fit FILE.csv --as process|distribution [--column C]: read a column, fit every candidate,
print the table and the winner's TOML snippet, draw the data against the fitted bands."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sim.cli.commands import shown
from sim.errors import UsageError, printable
from sim.fit import MIN_ROWS, Fit, FitError, fit_distribution, fit_process

#: the most rows a fit reads (a monthly series of 80 years; a sample of a million values)
MAX_ROWS = 1_000_000


def read_column(path: Path, column: str | None, rows_needed: int) -> tuple[str, np.ndarray]:
    """The numeric column asked for (or the file's only / last numeric one), every value finite."""
    import pandas as pd

    try:
        if path.stat().st_size > 256 * 2**20:
            raise UsageError(f"{path}: larger than 256 MiB; not a series to fit")
        table = pd.read_csv(path, nrows=MAX_ROWS + 1)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(printable(f"{path}: not a CSV table: {exc}")) from None
    if len(table) > MAX_ROWS:
        raise UsageError(f"{path}: more than {MAX_ROWS:,} rows")
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    if column is None:
        if not numeric:
            raise UsageError(printable(f"{path}: no numeric column (columns: {', '.join(map(str, table.columns))})"))
        column = str(numeric[-1])
    elif column not in table.columns:
        raise UsageError(printable(f"{path}: --column: no column \"{column}\" "
                                   f"(columns: {', '.join(map(str, table.columns))})"))
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise UsageError(printable(f"{path}: {column}: row {bad[0] + 2} is not a finite number "
                                   f"({table[column].iloc[bad[0]]!r})"))
    if values.size < rows_needed:
        raise UsageError(f"{path}: {column}: {values.size} rows; a fit needs at least {rows_needed}")
    return column, values


def cmd_fit(args: argparse.Namespace) -> int:
    from sim.report.folder import check_out, output_folder

    path = Path(args.file)
    column, values = read_column(path, args.column, MIN_ROWS[args.kind])
    try:
        fits = fit_process(values) if args.kind == "process" else fit_distribution(values)
    except FitError as exc:
        raise UsageError(f"{path}: {column}: {exc}") from None
    out = check_out(args.out if args.out is not None else Path("reports") / "fit" / path.stem)
    best = fits[0]
    what = "monthly series" if args.kind == "process" else "sample"
    print(printable(f"{path.name}: {column}, a {what} of {values.size:,} values"))
    print(f"{'candidate':<38} {'AIC':>10} {'log-lik':>10} {'KS':>7} {'KS p':>7}")
    for f in fits:
        print(printable(f"{f.family:<38} {f.aic:>10.2f} {f.loglik:>10.2f} {f.ks:>7.3f} {f.ks_p:>7.3f}"))
    print("\nbest by AIC, as TOML (ranges are 90% intervals of the fitted parameters):")
    print(printable(f"  {best.snippet}", limit=2000))
    if best.ks_p < 0.05:
        print(f"note: even the best candidate fails the KS test (p = {best.ks_p:.3f}); read the chart before using it")
    manifest = {"kind": "fit", "file": str(path), "column": column, "as": args.kind}
    with output_folder(out, manifest) as tmp:
        (tmp / "fit.txt").write_text("\n".join(f"{f.family}\tAIC {f.aic:.3f}\tKS {f.ks:.4f}\t{f.snippet}"
                                               for f in fits) + "\n", encoding="utf-8")
        _chart(values, best, column, args.kind, tmp / "fit.png")
    print(f"written to {shown(out)}/ (fit.txt, fit.png)")
    return 0


def _chart(values: np.ndarray, best: Fit, column: str, kind: str, out: Path) -> None:
    import matplotlib.pyplot as plt

    from distributions import Process, parse_distribution, parse_spec
    from sim.report.axes import DPI

    fig, ax = plt.subplots(figsize=(9, 5))
    rng = np.random.default_rng(0)
    if kind == "process":
        spec = dict(best.spec)
        spec["start"] = float(values[0])  # re-run the fitted process from the series' first month
        process = parse_spec(spec)
        assert isinstance(process, Process)
        draw = process.sample(rng, 2000, values.size).values
        months = np.arange(1, values.size + 1)
        lo, mid, hi = np.quantile(draw, [0.05, 0.5, 0.95], axis=0)
        ax.fill_between(months, lo, hi, color="#1f77b4", alpha=0.2, lw=0, label="fitted P5–P95 from month 1")
        ax.plot(months, mid, color="#1f77b4", lw=1.5, label="fitted median")
        ax.plot(months, values, color="black", lw=1.5, marker="o", ms=2.5, label="data")
        ax.set_xlabel("Month")
        ax.set_ylabel(column)
    else:
        sample = np.asarray(parse_distribution(best.spec).sample(rng, 20_000), float)
        bins = list(np.histogram_bin_edges(np.concatenate([values, sample]), bins=40))
        ax.hist(values, bins=bins, density=True, color="black", alpha=0.35, label="data")
        ax.hist(sample, bins=bins, density=True, histtype="step", color="#1f77b4", lw=1.8,
                label=f"fitted {best.family}")
        ax.set_xlabel(column)
        ax.set_ylabel("Density")
    ax.set_title(f"{column}: data against the best fit ({best.family}, AIC {best.aic:.1f})", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


__all__ = ["cmd_fit", "read_column"]
