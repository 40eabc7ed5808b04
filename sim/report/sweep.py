"""What ``tcosim sweep`` writes beside its CSVs: the chart (P(cheapest), cost ratio to the API nearest
to break-even, TCO multiplier and GPUs against volume, infeasible fleets marked) and sweep.md."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from sim.analysis.capacity import INFEASIBLE_SHARE
from sim.report.axes import COLORS, DPI
from sim.sweep import infeasible_from

#: how an infeasible point is drawn (and named in the legend)
INFEASIBLE_MARKER, INFEASIBLE_COLOR = "x", "#d62728"
INFEASIBLE_MARK = dict(marker=INFEASIBLE_MARKER, color=INFEASIBLE_COLOR, s=46, zorder=5, linewidths=1.6)
INFEASIBLE_LABEL = f"fleet cannot carry the load (> {100 * INFEASIBLE_SHARE:g}% of tokens unserved, median path)"


def short(x: float) -> str:
    """1e6 -> 1M, 2.5e9 -> 2.5B, 1500 -> 1.5k."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:g}{suffix}"
    return f"{x:g}"


def _bad(g: pd.DataFrame) -> pd.DataFrame:
    return g[g.feasible == False] if "feasible" in g else g.iloc[0:0]  # noqa: E712 (a column of objects)


def nearest_api(pairs: pd.DataFrame) -> str:
    """The API whose total the self-hosted options come closest to (median |log ratio| over the
    points and options): the comparison where a break-even is, or nearly is."""
    closeness = pairs.assign(gap=np.abs(np.log(pairs.ratio_p50.clip(lower=1e-12)))).groupby("versus").gap.median()
    return str(closeness.idxmin())


def sweep_chart(table: pd.DataFrame, name: str, path_label: str, paths: int, out: Path) -> None:
    """P(cheapest of all) per option; each self-hosted total over the API nearest to break-even
    (median, P5-P95); each self-hosted option's TCO multiplier and its GPUs. Points where a fleet
    cannot carry the load are crossed out in red."""
    opts = table[table.kind != "pair"]
    own = opts[opts.kind == "self_hosted"]
    with_tco = "tco_multiplier_p50" in own and own.tco_multiplier_p50.notna().any()
    with_gpus = "gpus" in own and own.gpus.notna().any()
    panels = 2 + with_tco + with_gpus
    fig, axes = plt.subplots(panels, 1, figsize=(9.5, 3.3 * panels + 1.2), sharex=True)
    top, middle = axes[0], axes[1]
    color = {option: COLORS[i % 10] for i, option in enumerate(dict.fromkeys(opts.option))}  # same in every panel
    for option, g in opts.groupby("option", sort=False):
        top.plot(g.value, 100 * g.p, marker="o", ms=3, color=color[option], label=option)
        bad = _bad(g)
        top.scatter(bad.value, 100 * bad.p, **INFEASIBLE_MARK)
    top.set_ylabel("P(cheapest of all options)")
    top.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}%"))
    top.set_ylim(-2, 102)
    handles, _ = top.get_legend_handles_labels()
    if "feasible" in table and (table.feasible == False).any():  # noqa: E712
        handles.append(Line2D([], [], ls="", marker=INFEASIBLE_MARKER, color=INFEASIBLE_COLOR, label=INFEASIBLE_LABEL))
    top.legend(handles=handles, fontsize=8, loc="center left")
    top.grid(alpha=0.3)
    pairs = table[table.kind == "pair"]
    if len(pairs):
        api = nearest_api(pairs)
        for option, g in pairs[pairs.versus == api].groupby("option", sort=False):
            middle.fill_between(g.value, g.ratio_p5, g.ratio_p95, color=color[option], alpha=0.15, lw=0)
            middle.plot(g.value, g.ratio_p50, color=color[option], marker="o", ms=3, label=option)
            bad = _bad(g)
            middle.scatter(bad.value, bad.ratio_p50, **INFEASIBLE_MARK)
        middle.axhline(1.0, color="black", ls="--", lw=1)
        middle.set_yscale("log")
        middle.set_ylabel(f"Total ÷ {api}\n(median, shaded P5–P95)")
        middle.set_title(f"Self-hosted total over {api}'s, the API nearest to break-even (below 1: cheaper)",
                         fontsize=9)
        middle.legend(fontsize=8, loc="upper right")
    middle.grid(alpha=0.3, which="both")
    if with_tco:
        _tco_panel(axes[2], own, color)
    if with_gpus:
        _gpu_panel(axes[-1], own, color)
    bottom = axes[-1]
    if (table.value > 0).all() and table.value.max() / table.value.min() > 20:
        bottom.set_xscale("log")
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda x, _: short(x)))
    bottom.set_xlabel(path_label)
    fig.suptitle(f"{name}: sweep of {path_label} ({paths:,} paths per point)", fontsize=12)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def _tco_panel(ax, own: pd.DataFrame, color: dict) -> None:
    """TCO multiplier (total ÷ GPU lines) per self-hosted option against the swept value."""
    for option, g in own.groupby("option", sort=False):
        g = g[g.tco_multiplier_p50.notna()]
        if not len(g):
            continue
        ax.fill_between(g.value, g.tco_multiplier_p5, g.tco_multiplier_p95, color=color[option], alpha=0.15, lw=0)
        ax.plot(g.value, g.tco_multiplier_p50, color=color[option], marker="o", ms=3, label=option)
        bad = _bad(g)
        ax.scatter(bad.value, bad.tco_multiplier_p50, **INFEASIBLE_MARK)
    ax.set_ylabel("TCO multiplier: total ÷ GPU lines\n(median, shaded P5–P95)")
    ax.set_title("The multiplier is a property of scale: read it beside the GPUs below", fontsize=9)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
    ax.set_ylim(bottom=1.0)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, which="both")


def _gpu_panel(ax, own: pd.DataFrame, color: dict) -> None:
    """GPUs each self-hosted option's multiplier divides by (median path, mean over months)."""
    for option, g in own.groupby("option", sort=False):
        g = g[g.gpus.notna()]
        ax.plot(g.value, g.gpus, color=color[option], marker="o", ms=3, label=option)
        bad = _bad(g)
        ax.scatter(bad.value, bad.gpus, **INFEASIBLE_MARK)
    ax.set_ylabel("GPUs (median path,\nmean over months)")
    if own.gpus.max() / max(own.gpus.min(), 1e-9) > 20:
        ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda x, _: f"{x:g}" if f"{x:g}"[0] in "25" else ""))
    ax.set_ylim(bottom=0.8 if ax.get_yscale() == "log" else 0)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, which="both")


def _fmt(v: float) -> str:
    return "beyond the sweep" if v != v else f"{v:,.4g}"


def sweep_markdown(exp, path: str, values: list[float], paths: int, seed: int, crossings: pd.DataFrame,
                   table: pd.DataFrame, priced: list[str]) -> str:
    """sweep.md: the break-even table (with whether each fleet can carry the load there), where
    fleets become infeasible, and how their shortfall was priced."""
    lines = [f"# Sweep of {path}: {exp.experiment.name}", "",
             f"{len(values)} points from {values[0]:,.4g} to {values[-1]:,.4g}, {paths:,} paths each, seed {seed} "
             "(the same paths at every point). P is the probability that the self-hosted option's horizon total "
             "is below the API's, on paired paths; the band comes from ±2 standard errors at the points. "
             "A sized option is re-sized at every point; a declared fleet keeps its GPUs.", "",
             "| self-hosted option | API | P reaches 50% at | band | fleet there | P reaches 90% at | band "
             "| fleet there |",
             "|:---|:---|---:|---:|:---|---:|---:|:---|"]

    def there(row) -> str:
        if row.feasible is None or row.feasible != row.feasible:
            return "–"
        verdict = "serves it" if row.feasible else "**cannot carry the load**"
        return f"{verdict} ({100 * row.unserved_share_p50:.2g}% unserved)"

    for (option, versus), g in crossings.groupby(["option", "versus"], sort=False):
        half, most = g[g.level == 0.5].iloc[0], g[g.level == 0.9].iloc[0]
        lines.append(f"| {option} | {versus} | {_fmt(half.value)} | {_fmt(half.band_low)} – {_fmt(half.band_high)} | "
                     f"{there(half)} | {_fmt(most.value)} | {_fmt(most.band_low)} – {_fmt(most.band_high)} | "
                     f"{there(most)} |")
    lines.append("")
    for option, start in infeasible_from(table).items():
        lines.append(f"**{option}** cannot carry the load from {start:,.4g} on: its GPUs leave more than "
                     f"{100 * INFEASIBLE_SHARE:g}% of the tokens unserved on the median path (column "
                     "`unserved_share_p50` of sweep.csv). A break-even past that point compares a fleet that does "
                     "not do the job.")
        lines.append("")
    if priced:
        names = ", ".join(f"“{n}”" for n in priced)
        lines += [f"{names} name{'s' if len(priced) == 1 else ''} no overflow: in this sweep the tokens "
                  f"{'its' if len(priced) == 1 else 'their'} GPUs cannot serve are priced at the cheapest API in the "
                  "file, at its prices on the same path (a cost line “Overflow to …”), so a fleet too small for a "
                  "point pays for its shortfall.", ""]
    lines += ["![sweep](sweep.png)", ""]
    return "\n".join(lines)


__all__ = ["nearest_api", "short", "sweep_chart", "sweep_markdown"]
