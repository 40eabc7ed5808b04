"""What ``tcosim sweep`` writes beside its CSVs: the chart (P(cheapest), cost ratio to the API nearest
to break-even, TCO multiplier and GPUs against volume, infeasible fleets marked) and sweep.md."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from sim.analysis.capacity import INFEASIBLE_SHARE
from sim.fmt import amount, money_short, prob, share
from sim.report.axes import COLORS, inch_layout, save
from sim.sweep import infeasible_from

#: how an infeasible point is drawn (and named in the legend)
INFEASIBLE_MARKER, INFEASIBLE_COLOR = "x", "#d62728"
INFEASIBLE_MARK = dict(marker=INFEASIBLE_MARKER, color=INFEASIBLE_COLOR, s=46, zorder=5, linewidths=1.6)
INFEASIBLE_LABEL = f"fleet cannot carry the load (> {100 * INFEASIBLE_SHARE:g}% of tokens unserved, median path)"


#: the last segments of dotted paths that hold dollars (a swept price reads "$2.50", not "2.5")
MONEY_FIELDS = ("monthly", "annual_cost", "cost_per_event", "migration_cost", "per_million_tokens", "per_gb",
                "input_per_million", "output_per_million", "cached_input_per_million", "cache_write_per_million",
                "on_call_stipend", "vendor_fee", "hourly_price", "total")


def value_text(path: str, v: float) -> str:
    """A swept value as people read it: dollars for a price or cost, else 183M, 2.32B, 0.35."""
    last = path.rsplit(".", 1)[-1]
    if last in MONEY_FIELDS or last.endswith(("_price", "_cost")):
        return money_short(v)
    return amount(v)


def pair_text(rows: pd.DataFrame, table: pd.DataFrame, path: str, paths: int) -> str:
    """One line per self-hosted option and API (``rows``: their break_even rows): from where
    P(self-hosted cheaper) reaches 50% and 90%, with bands and whether the fleet serves the load
    there; that it already does at the first point; or the highest P the sweep reaches, and where."""
    first = rows.iloc[0]
    pair = table[(table.kind == "pair") & (table.option == first.option) & (table.versus == first.versus)]
    pair = pair.sort_values("value")
    head = f"{first.option} vs {first.versus}: "
    if rows.value.isna().all() and pair.p.max() == 0:
        return head + f"never cheaper within the sweep (P {prob(0.0, n=paths)} at every point)"
    parts = []
    for row in rows.itertuples():
        level = f"P ≥ {100 * row.level:.0f}%"
        if row.value != row.value:
            best = pair.iloc[int(pair.p.to_numpy().argmax())]
            parts.append(f"P never reaches {100 * row.level:.0f}% (highest {prob(best.p, best.p_se, paths)}, at "
                         f"{value_text(path, best.value)})")
            break
        if row.value == pair.value.iloc[0] and pair.p.iloc[0] >= row.level:
            text = f"{level} from the first point ({value_text(path, row.value)}) on"
        else:
            text = f"{level} from {value_text(path, row.value)} (band {_band(path, row.band_low, row.band_high)})"
        if row.feasible is not None and row.feasible == row.feasible and not row.feasible:
            text += f", where its fleet cannot carry the load ({share(row.unserved_share_p50)} of tokens unserved)"
        parts.append(text)
    return head + "self-hosting cheaper with " + "; ".join(parts) if not parts[0].startswith("P never") \
        else head + "; ".join(parts)


def _where(path: str, v: float) -> str:
    return "beyond the sweep" if v != v else value_text(path, v)


def _band(path: str, low: float, high: float) -> str:
    """A crossing's band; "–" when neither end is within the sweep (nothing to bracket)."""
    if low != low and high != high:
        return "–"
    return f"{_where(path, low)} to {_where(path, high)}"


#: markers cycled over options, so that lines which coincide are told apart
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")


def _never_label(names: list[str]) -> str:
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"never cheapest: {shown}"


def ratio_axis(ax) -> None:
    """A logarithmic axis of ratios labelled plainly (0.5×, 1×, 2×, 5×), never 10⁰ or 10¹."""
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _bad(g: pd.DataFrame) -> pd.DataFrame:
    return g[g.feasible == False] if "feasible" in g else g.iloc[0:0]  # noqa: E712 (a column of objects)


def nearest_api(pairs: pd.DataFrame) -> str:
    """The API whose total the self-hosted options come closest to (median |log ratio| over the
    points and options): the comparison where a break-even is, or nearly is."""
    closeness = pairs.assign(gap=np.abs(np.log(pairs.ratio_p50.clip(lower=1e-12)))).groupby("versus").gap.median()
    return str(closeness.idxmin())


#: inches above a panel for its one-line title at 10 pt (text and matplotlib's 6 pt pad)
PANEL_TITLE_IN = 0.3


def sweep_chart(table: pd.DataFrame, name: str, path_label: str, paths: int, out: Path) -> None:
    """P(cheapest of all) per option; each self-hosted total over the API nearest to break-even
    (median, P5-P95); each self-hosted option's TCO multiplier and its GPUs. Points where a fleet
    cannot carry the load are crossed out in red. One legend for every panel (an option keeps its
    colour and marker throughout), so that lines which coincide are still told apart."""
    opts = table[table.kind != "pair"]
    own = opts[opts.kind == "self_hosted"]
    with_tco = "tco_multiplier_p50" in own and own.tco_multiplier_p50.notna().any()
    with_gpus = "gpus" in own and own.gpus.notna().any()
    panels = 2 + with_tco + with_gpus
    names = list(dict.fromkeys(opts.option))
    style = {o: {"color": COLORS[i % 10], "marker": MARKERS[i % len(MARKERS)]} for i, o in enumerate(names)}
    infeasible = "feasible" in table and bool((table.feasible == False).any())  # noqa: E712
    legend_rows = math.ceil((len(names) + infeasible) / 2)
    fig, axes = plt.subplots(panels, 1, figsize=(10, 3.1 * panels + 1.0 + 0.22 * legend_rows), sharex=True)
    top, middle = axes[0], axes[1]
    never = [str(o) for o, g in opts.groupby("option", sort=False) if g.p.max() < 0.005]
    for i, (option, g) in enumerate(opts.groupby("option", sort=False)):
        if option in never:
            continue
        # lines that coincide stay visible: each drawn thinner than the one before
        top.plot(g.value, 100 * g.p, ms=4, lw=max(3.2 - 0.5 * i, 1.0), **style[option])
        bad = _bad(g)
        top.scatter(bad.value, 100 * bad.p, **INFEASIBLE_MARK)
    if never:
        top.plot(opts.value.drop_duplicates().sort_values(), np.zeros(opts.value.nunique()), color="#999999",
                 lw=1, ls=":")
        top.text(0.01, 0.04, _never_label(never), transform=top.transAxes, fontsize=8, color="#555555")
    top.set_ylabel("P(cheapest of all)")
    top.set_title("Which option is cheapest over the horizon, and how sure", fontsize=10)
    top.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}%"))
    top.set_ylim(-2, 102)
    top.grid(alpha=0.3)
    pairs = table[table.kind == "pair"]
    if len(pairs):
        api = nearest_api(pairs)
        for option, g in pairs[pairs.versus == api].groupby("option", sort=False):
            middle.fill_between(g.value, g.ratio_p5, g.ratio_p95, color=style[option]["color"], alpha=0.15, lw=0)
            middle.plot(g.value, g.ratio_p50, ms=4, **style[option])
            bad = _bad(g)
            middle.scatter(bad.value, bad.ratio_p50, **INFEASIBLE_MARK)
        middle.axhline(1.0, color="black", ls="--", lw=1)
        middle.set_yscale("log")
        ratio_axis(middle)
        middle.set_ylabel(f"total ÷ {api}\n(median, shaded P5–P95)")
        middle.set_title(f"How much dearer than {api} (the API nearest to break-even) is self-hosting? "
                         "Below 1×: cheaper", fontsize=10)
    middle.grid(alpha=0.3, which="both")
    if with_tco:
        _tco_panel(axes[2], own, style)
    if with_gpus:
        _gpu_panel(axes[-1], own, style)
    bottom = axes[-1]
    if (table.value > 0).all() and table.value.max() / table.value.min() > 20:
        bottom.set_xscale("log")
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda x, _: value_text(path_label, x)))
    bottom.xaxis.set_minor_formatter(NullFormatter())
    bottom.set_xlabel(path_label)
    handles = [Line2D([], [], label=o, ms=5, **style[o]) for o in names]
    if infeasible:
        handles.append(Line2D([], [], ls="", marker=INFEASIBLE_MARKER, color=INFEASIBLE_COLOR, label=INFEASIBLE_LABEL))
    legend = fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1 - 0.62 / fig.get_figheight()),
                        ncol=2, fontsize=8, frameon=False)
    fig.suptitle(f"Which option is cheapest as {path_label} changes, and where does self-hosting break "
                 f"even?\n{name} · {paths:,} paths per point", fontsize=11)
    # the panels' titles start just below the legend as drawn (its rows' height depends on the font);
    # margins in inches fit tick labels of up to six characters ("1,000", "0.05×") and two-line axis
    # labels: what tight_layout found (1.04 in on the left) without measuring every label twice
    below = fig.get_figheight() - legend.get_window_extent().y0 / fig.dpi
    inch_layout(fig, panels, 1, left=1.2, right=0.15, top=below + 0.05 + PANEL_TITLE_IN, bottom=0.6, wspace=0.0,
                hspace=PANEL_TITLE_IN + 0.1)
    save(fig, out)


def _tco_panel(ax, own: pd.DataFrame, style: dict) -> None:
    """TCO multiplier (total ÷ GPU lines) per self-hosted option against the swept value."""
    for option, g in own.groupby("option", sort=False):
        g = g[g.tco_multiplier_p50.notna()]
        if not len(g):
            continue
        ax.fill_between(g.value, g.tco_multiplier_p5, g.tco_multiplier_p95, color=style[option]["color"], alpha=0.15,
                        lw=0)
        ax.plot(g.value, g.tco_multiplier_p50, ms=4, **style[option])
        bad = _bad(g)
        ax.scatter(bad.value, bad.tco_multiplier_p50, **INFEASIBLE_MARK)
    ax.set_ylabel("TCO multiplier\n(median, shaded P5–P95)")
    ax.set_title("How far is the bill from the GPU-hours figure? Total ÷ GPU lines, a property of scale "
                 "(read it beside the GPUs below)", fontsize=10)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
    ax.set_ylim(bottom=1.0)
    ax.grid(alpha=0.3, which="both")


def _gpu_panel(ax, own: pd.DataFrame, style: dict) -> None:
    """GPUs each self-hosted option's multiplier divides by (median path, mean over months)."""
    for option, g in own.groupby("option", sort=False):
        g = g[g.gpus.notna()]
        ax.plot(g.value, g.gpus, ms=4, **style[option])
        bad = _bad(g)
        ax.scatter(bad.value, bad.gpus, **INFEASIBLE_MARK)
    ax.set_ylabel("GPUs (median path,\nmean over months)")
    ax.set_title("How many GPUs each self-hosted option runs", fontsize=10)
    if own.gpus.max() / max(own.gpus.min(), 1e-9) > 20:
        ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda x, _: f"{x:g}" if f"{x:g}"[0] in "25" else ""))
    ax.set_ylim(bottom=0.8 if ax.get_yscale() == "log" else 0)
    ax.grid(alpha=0.3, which="both")


def sweep_markdown(exp, path: str, values: list[float], paths: int, seed: int, crossings: pd.DataFrame,
                   table: pd.DataFrame, priced: list[str]) -> str:
    """sweep.md: the break-even table (with whether each fleet can carry the load there), where
    fleets become infeasible, and how their shortfall was priced."""
    staged = any(o.kind == "staged" for o in exp.options)
    lines = [f"# Sweep of {path}: {exp.experiment.name}", "",
             f"From what value of `{path}` is self-hosting cheaper than each API, and how sure is that? "
             f"{len(values)} points from {value_text(path, values[0])} to {value_text(path, values[-1])}, "
             f"{paths:,} paths each, seed {seed} "
             "(the same paths at every point). P is the probability that the self-hosted option's horizon total "
             "is below the API's, on paired paths; the band comes from ±2 standard errors at the points. "
             "A sized option is re-sized at every point; a declared fleet keeps its GPUs."
             + (" A staged plan (an API until its trigger, then its self-hosted option) is paired with each API "
                "the same way." if staged else ""), "",
             f"| self-hosted option{' or staged plan' if staged else ''} | API | P reaches 50% at | band "
             "| fleet there | P reaches 90% at | band "
             "| fleet there |",
             "|:---|:---|---:|---:|:---|---:|---:|:---|"]

    def there(row) -> str:
        if row.feasible is None or row.feasible != row.feasible:
            return "–"
        verdict = "serves it" if row.feasible else "**cannot carry the load**"
        return f"{verdict} ({share(row.unserved_share_p50)} unserved)"

    def at(row) -> str:
        if row.value != row.value:
            return "beyond the sweep"
        return value_text(path, row.value)

    for (option, versus), g in crossings.groupby(["option", "versus"], sort=False):
        half, most = g[g.level == 0.5].iloc[0], g[g.level == 0.9].iloc[0]
        lines.append(f"| {option} | {versus} | {at(half)} | {_band(path, half.band_low, half.band_high)} | "
                     f"{there(half)} | {at(most)} | {_band(path, most.band_low, most.band_high)} | {there(most)} |")
    lines.append("")
    for option, start in infeasible_from(table).items():
        lines.append(f"**{option}** cannot carry the load from {value_text(path, start)} on: its GPUs leave more "
                     f"than {100 * INFEASIBLE_SHARE:g}% of the tokens unserved on the median path (column "
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


__all__ = ["MONEY_FIELDS", "pair_text", "nearest_api", "sweep_chart", "sweep_markdown", "value_text"]
