"""PNG charts: monthly fan per option, cumulative bands, horizon-total distribution, cost lines."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from sim.analysis.bands import level_label  # noqa: E402
from sim.analysis.quantiles import band, ordered_percentiles  # noqa: E402
from sim.fmt import tick_money  # noqa: E402
from sim.report.axes import (  # noqa: E402
    CATEGORY_COLORS,
    COLORS,
    band_levels,
    band_months,
    inch_layout,
    log_note,
    money_axis,
    months_axis,
    save,
    series,
    suptitle,
    title,
)
from sim.result import Result  # noqa: E402


def _draw_band(ax, bands, option, metric, levels, color, label=None) -> None:
    months = np.arange(1, band_months(bands, option, metric) + 1)
    outer, inner, center = band_levels(levels)
    lo, hi = series(bands, option, metric, outer[0]), series(bands, option, metric, outer[1])
    ax.fill_between(months, lo, hi, color=color, alpha=0.18, lw=0,
                    label=f"P{level_label(outer[0])}–P{level_label(outer[1])}" if label is None else None)
    if inner is not None:
        ax.fill_between(months, series(bands, option, metric, inner[0]),
                        series(bands, option, metric, inner[1]), color=color, alpha=0.35, lw=0,
                        label=f"P{level_label(inner[0])}–P{level_label(inner[1])}" if label is None else None)
    if center is not None:
        ax.plot(months, series(bands, option, metric, center), color=color, lw=1.8,
                label=label or "median")


def _budget(result: Result, which: str) -> float | None:
    """The experiment's monthly or total budget, if it sets one."""
    budget = result.experiment.budget
    return None if budget is None else getattr(budget, which)


def _budget_label(result: Result, which: str) -> str:
    return f"{which} budget {tick_money(_budget(result, which) or 0.0)}"


def _budget_line(ax, result: Result, which: str, axis: str = "y") -> bool:
    """The monthly or total budget as a dashed black line, labelled for the legend; False if the
    experiment sets none."""
    value = _budget(result, which)
    if value is None:
        return False
    line = ax.axhline if axis == "y" else ax.axvline
    line(value, color="black", ls="--", lw=1.1, label=_budget_label(result, which))
    return True


@dataclass
class _Panel:
    """One option's panel of the fan chart: its axes, the top of its bands, and the monthly budget
    drawn both ways (a line, or a note when the budget is far above the scale); one is shown."""

    ax: Any
    top: float
    note: Any = None
    line: Any = None


def _fan_figure(result: Result, bands: pd.DataFrame) -> tuple[Any, list[_Panel]]:
    """The fan chart's figure, not yet scaled (see _fan_scale): one panel per option with its
    monthly cost bands, titles, axes and the legend; every text but the scale is final."""
    n = len(result.options)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.3 * rows + 1.3), squeeze=False)
    monthly = _budget(result, "monthly")
    panels = []
    for i, opt in enumerate(result.options):
        ax = axes[i // cols][i % cols]
        _draw_band(ax, bands, opt.name, "monthly_cost", result.percentile_levels, COLORS[i % 10])
        panel = _Panel(ax, float(series(bands, opt.name, "monthly_cost", result.percentile_levels[-1]).max()))
        if monthly is not None:
            panel.note = ax.text(0.98, 0.95, f"monthly budget {tick_money(monthly)}: above the scale",
                                 transform=ax.transAxes, ha="right", va="top", fontsize=7.5, color="#333333")
            panel.line = ax.axhline(monthly, color="black", ls="--", lw=1.1)
        ax.set_title(opt.name, fontsize=10)
        money_axis(ax)
        months_axis(ax, result.months)
        ax.grid(alpha=0.3)
        if i % cols == 0:
            ax.set_ylabel("Monthly cost (USD)")
        panels.append(panel)
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    legend: dict[str, Any] = {}
    for panel in panels:
        for handle, label in zip(*panel.ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    if monthly is not None:  # a stand-alone handle: a panel's line may be hidden
        legend[_budget_label(result, "monthly")] = Line2D([], [], color="black", ls="--", lw=1.1)
    fig.legend(list(legend.values()), list(legend), fontsize=8, loc="lower center", ncol=len(legend), frameon=False)
    # fixed margins (inches): y label and money ticks left; two-line title and panel titles on top;
    # month ticks, "Month" and the legend below; tick labels and a panel title between panels
    inch_layout(fig, rows, cols, left=1.0, right=0.2, top=0.95, bottom=1.0, wspace=0.72, hspace=0.85)
    return fig, panels


def _fan_scale(fig: Any, panels: list[_Panel], result: Result, shared: bool) -> None:
    """Each panel on its own scale (the shape of each option's risk), or with ``shared`` one
    scale for all (which option costs more; money ticks on the first column only, as
    plt.subplots(sharey=True) labels them). A monthly budget more than twice a panel's top is a
    note, not a line that would squash the bands."""
    monthly = _budget(result, "monthly")
    cols = min(3, len(panels))
    for i, panel in enumerate(panels):
        top = max(p.top for p in panels) if shared else panel.top
        far = monthly is not None and monthly > 2 * top
        if panel.note is not None:
            panel.note.set_visible(far)
            panel.line.set_visible(not far)
        if monthly is not None and not far:
            top = max(top, monthly)
        panel.ax.set_ylim(0, top * 1.1 if top > 0 else 1)
        panel.ax.yaxis.set_tick_params(which="both", labelleft=not shared or i % cols == 0)
    scale = "one scale for every panel" if shared else "each panel on its own scale"
    suptitle(fig, result, f"How much could each option cost per month? ({scale})")


def fan_chart(result: Result, bands: pd.DataFrame, path: Path, shared: bool = False) -> None:
    """One panel per option: monthly cost bands over the horizon, with the monthly budget. Each
    panel has its own scale, or with ``shared`` one scale for all."""
    fig, panels = _fan_figure(result, bands)
    _fan_scale(fig, panels, result, shared)
    save(fig, path)


def fan_charts(result: Result, bands: pd.DataFrame, path: Path, shared_path: Path) -> None:
    """Both fan charts from one figure: drawn with each panel on its own scale, then on one scale
    and drawn again (the bands, ticks and texts are made once)."""
    fig, panels = _fan_figure(result, bands)
    _fan_scale(fig, panels, result, shared=False)
    save(fig, path, close=False)
    _fan_scale(fig, panels, result, shared=True)
    save(fig, shared_path)


def _log_scale_wanted(values: np.ndarray) -> bool:
    pos = values[values > 0]
    return pos.size > 0 and pos.max() / pos.min() > 30


def cumulative_chart(result: Result, bands: pd.DataFrame, path: Path) -> None:
    """All options on one axis: median cumulative cost with the outer band, and the total budget."""
    fig, ax = plt.subplots(figsize=(9, 5.4))
    levels = result.percentile_levels
    outer, _, center = band_levels(levels)
    finals = []
    for i, opt in enumerate(result.options):
        color = COLORS[i % 10]
        months = np.arange(1, result.months + 1)
        lo = series(bands, opt.name, "cumulative_cost", outer[0])
        hi = series(bands, opt.name, "cumulative_cost", outer[1])
        mid = series(bands, opt.name, "cumulative_cost", center) if center else (lo + hi) / 2
        ax.fill_between(months, lo, hi, color=color, alpha=0.15, lw=0)
        ax.plot(months, mid, color=color, lw=1.8, label=opt.name)
        finals.append(mid[-1])
    _budget_line(ax, result, "total")
    if _log_scale_wanted(np.array(finals)):
        ax.set_yscale("log")
    money_axis(ax)
    months_axis(ax, result.months)
    ax.set_ylabel(f"Cumulative cost (USD{log_note(ax, 'y')})")
    ax.grid(alpha=0.3, which="both")
    band = f"P{level_label(outer[0])}–P{level_label(outer[1])}"
    ax.legend(fontsize=8, loc="upper left", title=f"median, shaded {band}", title_fontsize=8)
    ax.set_title(title(result, "What has each option cost by each month?"), fontsize=11)
    fig.tight_layout()
    save(fig, path)


def box_stats(values: np.ndarray) -> dict[str, float]:
    """What ax.boxplot(whis=(5, 95)) draws, from one sort: the box at P25-P75 with the median, the
    whiskers at the most extreme values inside P5-P95 (matplotlib's rule), as ax.bxp takes them
    (boxplot's own statistics also find the outliers and a notch interval: 0.45 s at 1M paths)."""
    ordered = np.sort(values)
    lo, q1, med, q3, hi = ordered_percentiles(ordered, [5, 25, 50, 75, 95])
    whislo = float(ordered[min(int(np.searchsorted(ordered, lo, side="left")), ordered.size - 1)])
    whishi = float(ordered[max(int(np.searchsorted(ordered, hi, side="right")) - 1, 0)])
    return {"q1": q1, "med": med, "q3": q3, "whislo": min(whislo, q1), "whishi": max(whishi, q3)}


def total_chart(result: Result, path: Path) -> None:
    """Distribution of the horizon total per option: box P25–P75, whiskers P5–P95."""
    names = [o.name for o in result.options]
    fig, ax = plt.subplots(figsize=(9.5, 0.55 * len(names) + 2.2))
    stats = [box_stats(o.totals) for o in result.options]
    ax.bxp(stats, orientation="horizontal", showfliers=False, widths=0.6,
           medianprops={"color": "black"}, patch_artist=True,
           boxprops={"facecolor": "#cfe2f3"})
    ax.set_yticks(range(1, len(names) + 1), names)
    ax.invert_yaxis()
    has_budget = _budget_line(ax, result, "total", axis="x")
    if _log_scale_wanted(np.array([st["med"] for st in stats])):
        ax.set_xscale("log")
    money_axis(ax, "x")
    scale = log_note(ax, "x")
    ax.set_xlabel(f"Total cost over {result.months} months (USD{scale}); box P25–P75, whiskers P5–P95")
    ax.grid(alpha=0.3, axis="x", which="both")
    if has_budget:
        ax.legend(fontsize=8, loc="best")
    ax.set_title(title(result, "How far apart are the options' totals?"), fontsize=11)
    fig.tight_layout()
    save(fig, path)


def lines_chart(result: Result, path: Path) -> None:
    """Share of each option's expected total by cost category (100% bars), total at the right."""
    names = [o.name for o in result.options]
    fig, ax = plt.subplots(figsize=(9.5, 0.55 * len(names) + 2.4))
    seen: set[str] = set()
    for i, opt in enumerate(result.options):
        total = float(opt.totals.mean())
        left = 0.0
        by_cat: dict[str, float] = {}
        for line in opt.lines:
            by_cat[line.category] = by_cat.get(line.category, 0.0) + float(line.totals.mean())
        for cat, value in by_cat.items():
            share = value / total if total > 0 else 0.0
            ax.barh(i, share, left=left, color=CATEGORY_COLORS.get(cat, "#999"),
                    label=cat if cat not in seen else None, edgecolor="white", height=0.6)
            seen.add(cat)
            left += share
        ax.text(1.01, i, tick_money(total), va="center", fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{100 * x:.0f}%"))
    ax.set_xlabel("Share of the expected horizon total (mean total in USD at right)")
    fig.legend(fontsize=8, ncol=min(8, len(seen)), loc="lower center", title="cost category",
               title_fontsize=8, frameon=False)
    ax.set_title(title(result, "Where does each option's money go?"), fontsize=11)
    fig.tight_layout(rect=(0, 0.75 / fig.get_figheight(), 0.95, 1))
    save(fig, path)


def _tornado_label(option: str, text: str, width: int = 48) -> str:
    """An input's label within its option's panel: the option's own inputs without its name
    (the panel title has it); wrapped rather than cut, so nothing is lost."""
    if text.startswith(option + " / "):
        text = text[len(option) + 3:]
    return "\n".join(textwrap.wrap(text, width)) or text


def tornado_chart(result: Result, table: pd.DataFrame, path: Path, top: int = 10) -> None:
    """Spearman rank correlation of the top inputs with each self-hosted total (one panel each);
    the grey band is sampling noise (±2/√n)."""
    groups = [(k, g.head(top)) for k, g in table.groupby(["option", "versus"], sort=False)]
    with_api = {option for (option, versus), _ in groups if versus}
    groups = [(k, g) for k, g in groups if k[1] or k[0] not in with_api]  # the difference, where there is one
    fig, axes = plt.subplots(len(groups), 1, figsize=(10, 0.5 * top * len(groups) + 1.6), squeeze=False)
    noise = 2 / np.sqrt(min(result.paths, 100_000))
    for ax, ((option, versus), g) in zip(axes[:, 0], groups, strict=True):
        colors = ["#d62728" if v > 0 else "#1f77b4" for v in g.spearman]
        ax.barh(range(len(g)), g.spearman, color=colors)
        ax.axvspan(-noise, noise, color="#bbbbbb", alpha=0.5, lw=0)
        ax.set_yticks(range(len(g)), [_tornado_label(option, lbl) for lbl in g.label], fontsize=7.5)
        ax.invert_yaxis()
        ax.set_xlim(-1, 1)
        ax.axvline(0, color="black", lw=0.8)
        what = f"{option} minus {versus}" if versus else f"{option}: total"
        ax.set_title(what, fontsize=10)
        ax.grid(alpha=0.3, axis="x")
    axes[-1, 0].set_xlabel("Spearman rank correlation with the horizon total\n"
                           "(red: the input raises the self-hosted side; grey band: sampling noise, ±2/√n)")
    suptitle(fig, result, "Which uncertain inputs move the answer most?")
    fig.tight_layout()
    save(fig, path)


def risk_chart(result: Result, summary: pd.DataFrame, path: Path) -> None:
    """Median, VaR95 and CVaR95 of the horizon total per option as points on one axis (a point
    keeps its meaning on a log axis, where a bar's length would not), with the total budget."""
    fig, ax = plt.subplots(figsize=(9.5, 0.55 * len(summary) + 2.4))
    y = np.arange(len(summary))
    median = summary["total_p50"] if "total_p50" in summary else summary["mean"]
    ax.hlines(y, median, summary["cvar95"], color="#999999", lw=1.2)
    ax.plot(median, y, "o", color="#1f77b4", ms=6, label="median total")
    ax.plot(summary["var95"], y, "|", color="black", ms=14, mew=2, label="VaR95 (P95 total)")
    ax.plot(summary["cvar95"], y, "D", color="#d62728", ms=6, label="CVaR95 (mean of the worst 5%)")
    _budget_line(ax, result, "total", axis="x")
    ax.set_yticks(y, summary.option)
    ax.set_ylim(len(summary) - 0.5, -0.5)
    if _log_scale_wanted(np.concatenate([median.to_numpy(dtype=float), summary["cvar95"].to_numpy(dtype=float)])):
        ax.set_xscale("log")
    money_axis(ax, "x")
    scale = log_note(ax, "x")
    ax.set_xlabel(f"Total cost over {result.months} months (USD{scale})")
    ax.grid(alpha=0.3, axis="x", which="both")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, ncol=len(labels), loc="lower center", frameon=False)
    ax.set_title(title(result, "How bad is each option's worst 5% of futures?"), fontsize=11)
    fig.tight_layout(rect=(0, 0.4 / fig.get_figheight(), 1, 1))
    save(fig, path)


def scenario_chart(result: Result, scenarios: list[tuple[str, Result]], path: Path) -> None:
    """Median and P5-P95 of each option's horizon total, base case and every stress scenario,
    with the total budget."""
    runs = [("base", result), *scenarios]
    names = [o.name for o in result.options]
    fig, ax = plt.subplots(figsize=(10, 0.2 * len(names) * max(2, len(runs)) + 2.6))
    width = 0.8 / len(runs)
    for k, (label, res) in enumerate(runs):
        y = np.arange(len(names)) - 0.4 + width * (k + 0.5)
        p5, p50, p95 = np.array([band(res.option(n).totals) for n in names]).T
        ax.errorbar(p50, y, xerr=[p50 - p5, p95 - p50], fmt="o", color=COLORS[k % 10], ms=4, capsize=2,
                    label=label)
    _budget_line(ax, result, "total", axis="x")
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    for k in range(1, len(names)):
        ax.axhline(k - 0.5, color="#dddddd", lw=0.8)
    if _log_scale_wanted(np.array([np.median(o.totals) for o in result.options])):
        ax.set_xscale("log")
    money_axis(ax, "x")
    scale = log_note(ax, "x")
    ax.set_xlabel(f"Total over {result.months} months (USD{scale}): median, bars P5–P95")
    ax.grid(alpha=0.3, axis="x", which="both")
    handles, labels = ax.get_legend_handles_labels()
    ncol = len(labels) if len(labels) <= 6 else 3
    fig.legend(handles, labels, fontsize=8, ncol=ncol, loc="lower center", frameon=False)
    ax.set_title(title(result, "What does each stress scenario do to the totals?"), fontsize=11)
    rows = math.ceil(len(labels) / ncol)
    fig.tight_layout(rect=(0, (0.2 + 0.2 * rows) / fig.get_figheight(), 1, 1))
    save(fig, path)
