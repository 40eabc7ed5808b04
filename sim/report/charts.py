"""PNG charts: monthly fan per option, cumulative bands, horizon-total distribution, cost lines."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from sim.analysis.bands import level_label  # noqa: E402
from sim.analysis.quantiles import band  # noqa: E402
from sim.fmt import tick_money  # noqa: E402
from sim.report.axes import CATEGORY_COLORS, COLORS, DPI, band_levels, money_axis, months_axis, series, title  # noqa: E402
from sim.report.capacity_charts import capacity_chart, capacity_options, utilization_chart  # noqa: E402
from sim.report.ops_charts import availability_chart, engineer_chart, frontier_chart, ops_options  # noqa: E402
from sim.result import Result  # noqa: E402

if TYPE_CHECKING:
    from sim.study import Study

def _draw_band(ax, bands, option, metric, levels, color, label=None) -> None:
    months = np.arange(1, bands[(bands.option == option) & (bands.metric == metric)].month.max() + 1)
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


def fan_chart(result: Result, bands: pd.DataFrame, path: Path) -> None:
    """One panel per option: monthly cost bands over the horizon."""
    n = len(result.options)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.3 * rows + 0.6), squeeze=False)
    for i, opt in enumerate(result.options):
        ax = axes[i // cols][i % cols]
        _draw_band(ax, bands, opt.name, "monthly_cost", result.percentile_levels, COLORS[i % 10])
        ax.set_title(opt.name, fontsize=10)
        money_axis(ax)
        months_axis(ax, result.months)
        top = series(bands, opt.name, "monthly_cost", result.percentile_levels[-1]).max()
        ax.set_ylim(0, top * 1.3 if top > 0 else 1)  # head-room for the legend
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=8, loc="upper left")
        if i % cols == 0:
            ax.set_ylabel("Monthly cost (USD)")
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.suptitle(title(result, "monthly cost per option"), fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _log_scale_wanted(values: np.ndarray) -> bool:
    pos = values[values > 0]
    return pos.size > 0 and pos.max() / pos.min() > 30


def cumulative_chart(result: Result, bands: pd.DataFrame, path: Path) -> None:
    """All options on one axis: median cumulative cost with the outer band."""
    fig, ax = plt.subplots(figsize=(9, 5.2))
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
    if _log_scale_wanted(np.array(finals)):
        ax.set_yscale("log")
    money_axis(ax)
    months_axis(ax, result.months)
    ax.set_ylabel("Cumulative cost (USD)")
    ax.grid(alpha=0.3, which="both")
    band = f"P{level_label(outer[0])}–P{level_label(outer[1])}"
    ax.legend(fontsize=8, loc="upper left", title=f"median, shaded {band}", title_fontsize=8)
    ax.set_title(title(result, "cumulative cost"))
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def total_chart(result: Result, path: Path) -> None:
    """Distribution of the horizon total per option: box P25–P75, whiskers P5–P95."""
    names = [o.name for o in result.options]
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(names) + 1.8))
    data = [o.totals for o in result.options]
    ax.boxplot(data, orientation="horizontal", whis=(5, 95), showfliers=False, widths=0.6,
               medianprops={"color": "black"}, patch_artist=True,
               boxprops={"facecolor": "#cfe2f3"})
    ax.set_yticks(range(1, len(names) + 1), names)
    ax.invert_yaxis()
    if _log_scale_wanted(np.array([np.median(d) for d in data])):
        ax.set_xscale("log")
    money_axis(ax, "x")
    ax.set_xlabel(f"Total cost over {result.months} months (USD); box P25–P75, whiskers P5–P95")
    ax.grid(alpha=0.3, axis="x", which="both")
    ax.set_title(title(result, "horizon total"))
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def lines_chart(result: Result, path: Path) -> None:
    """Share of each option's expected total by cost category (100% bars), total at the right."""
    names = [o.name for o in result.options]
    fig, ax = plt.subplots(figsize=(9.5, 0.55 * len(names) + 2.0))
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
    ax.set_xlabel("Share of expected horizon total (mean total in USD at right)")
    fig.legend(fontsize=8, ncol=min(8, len(seen)), loc="lower center", title="cost category",
               title_fontsize=8, frameon=False)
    ax.set_title(title(result, "cost breakdown by category"))
    fig.tight_layout(rect=(0, 0.1, 0.95, 1))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def tornado_chart(result: Result, table: pd.DataFrame, path: Path, top: int = 10) -> None:
    """Spearman rank correlation of the top inputs with each self-hosted total (one panel each);
    the grey band is sampling noise (±2/√n)."""
    groups = [(k, g.head(top)) for k, g in table.groupby(["option", "versus"], sort=False)]
    with_api = {option for (option, versus), _ in groups if versus}
    groups = [(k, g) for k, g in groups if k[1] or k[0] not in with_api]  # the difference, where there is one
    fig, axes = plt.subplots(len(groups), 1, figsize=(9.5, 0.42 * top * len(groups) + 1.2), squeeze=False)
    noise = 2 / np.sqrt(min(result.paths, 100_000))
    for ax, ((option, versus), g) in zip(axes[:, 0], groups, strict=True):
        colors = ["#d62728" if v > 0 else "#1f77b4" for v in g.spearman]
        ax.barh(range(len(g)), g.spearman, color=colors)
        ax.axvspan(-noise, noise, color="#bbbbbb", alpha=0.5, lw=0)
        ax.set_yticks(range(len(g)), [lbl if len(lbl) < 70 else "…" + lbl[-68:] for lbl in g.label], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(-1, 1)
        ax.axvline(0, color="black", lw=0.8)
        what = f"{option} − {versus}" if versus else f"{option} total"
        ax.set_title(what, fontsize=10)
        ax.grid(alpha=0.3, axis="x")
    axes[-1, 0].set_xlabel("Spearman rank correlation (red: the input raises the self-hosted side)")
    fig.suptitle(title(result, "what drives the answer"), fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def risk_chart(result: Result, summary: pd.DataFrame, path: Path) -> None:
    """VaR95 and CVaR95 of the horizon total per option, with the total budget if any."""
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(summary) + 2.2))
    y = np.arange(len(summary))
    ax.barh(y - 0.18, summary["total_p50"] if "total_p50" in summary else summary["mean"], height=0.34,
            color="#9ecae1", label="median total")
    ax.barh(y + 0.18, summary["cvar95"], height=0.34, color="#d62728", alpha=0.8, label="CVaR95 (mean of worst 5%)")
    ax.plot(summary["var95"], y + 0.18, "k|", markersize=14, label="VaR95 (P95)")
    budget = result.experiment.budget
    if budget is not None and budget.total is not None:
        ax.axvline(budget.total, color="black", ls="--", lw=1, label=f"total budget {tick_money(budget.total)}")
    ax.set_yticks(y, summary.option)
    ax.invert_yaxis()
    if _log_scale_wanted(summary["cvar95"].to_numpy(dtype=float)):
        ax.set_xscale("log")
    money_axis(ax, "x")
    ax.set_xlabel(f"Total cost over {result.months} months (USD)")
    ax.grid(alpha=0.3, axis="x", which="both")
    fig.legend(fontsize=8, ncol=4, loc="lower center", frameon=False)
    ax.set_title(title(result, "tail risk of the horizon total"))
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def scenario_chart(result: Result, scenarios: list[tuple[str, Result]], path: Path) -> None:
    """Median and P5-P95 of each option's horizon total, base case and every stress scenario."""
    runs = [("base", result), *scenarios]
    names = [o.name for o in result.options]
    fig, ax = plt.subplots(figsize=(9.5, 0.5 * len(names) * len(runs) ** 0.5 + 2.2))
    width = 0.8 / len(runs)
    for k, (label, res) in enumerate(runs):
        y = np.arange(len(names)) - 0.4 + width * (k + 0.5)
        p5, p50, p95 = np.array([band(res.option(n).totals) for n in names]).T
        ax.errorbar(p50, y, xerr=[p50 - p5, p95 - p50], fmt="o", color=COLORS[k % 10], ms=4, capsize=2,
                    label=label)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    if _log_scale_wanted(np.array([np.median(o.totals) for o in result.options])):
        ax.set_xscale("log")
    money_axis(ax, "x")
    ax.set_xlabel(f"Total over {result.months} months (USD): median, bars P5–P95")
    ax.grid(alpha=0.3, axis="x", which="both")
    fig.legend(fontsize=8, ncol=min(4, len(runs)), loc="lower center", frameon=False)
    ax.set_title(title(result, "stress scenarios"))
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


#: the charts a forked worker draws (set in the parent before the fork; lambdas need no pickling)
_PENDING: dict[str, tuple[str, Callable[[Path], None]]] = {}


def _draw_one(task: tuple[str, str]) -> str:
    key, folder = task
    name, draw = _PENDING[key]
    draw(Path(folder) / name)
    return key


def _draw_all(charts: dict[str, tuple[str, Callable[[Path], None]]], folder: Path, workers: int) -> None:
    """Draw every chart: in forked workers when the run had several (the charts are independent
    and matplotlib is single-threaded), else one after the other."""
    if workers <= 1 or len(charts) < 3:
        for name, draw in charts.values():
            draw(folder / name)
        return
    from sim.parallel import worker_pool

    _PENDING.clear()
    _PENDING.update(charts)
    try:
        with worker_pool(min(workers, len(charts))) as pool:
            for _ in pool.imap_unordered(_draw_one, [(key, str(folder)) for key in charts]):
                pass
    finally:
        _PENDING.clear()


def write_charts(study: Study, bands: pd.DataFrame, folder: Path) -> dict[str, str]:
    """Write every chart; returns name -> path relative to the report folder."""
    result = study.result
    folder.mkdir(parents=True, exist_ok=True)
    charts = {
        "monthly_fan": ("monthly_fan.png", lambda p: fan_chart(result, bands, p)),
        "cumulative": ("cumulative.png", lambda p: cumulative_chart(result, bands, p)),
        "total": ("total_distribution.png", lambda p: total_chart(result, p)),
        "lines": ("cost_lines.png", lambda p: lines_chart(result, p)),
    }
    if capacity_options(result):
        charts["capacity"] = ("capacity.png", lambda p: capacity_chart(result, bands, p))
        charts["utilization"] = ("utilization.png", lambda p: utilization_chart(result, bands, p))
    if study.scenarios:
        charts["scenarios"] = ("scenarios.png", lambda p: scenario_chart(result, study.scenarios, p))
    summary = study.summary()
    charts["risk"] = ("tail_risk.png", lambda p: risk_chart(result, summary, p))
    sens = study.sensitivity()
    if len(sens):
        charts["tornado"] = ("tornado.png", lambda p: tornado_chart(result, sens, p))
    if ops_options(result):
        charts["availability"] = ("availability.png", lambda p: availability_chart(result, bands, p))
        charts["frontier"] = ("frontier.png", lambda p: frontier_chart(result, p))
        if any("engineer_hours_upgrades" in o.metrics for o in result.options):
            charts["engineers"] = ("engineer_hours.png", lambda p: engineer_chart(result, p))
    _draw_all(charts, folder, result.workers)
    out = {key: f"charts/{name}" for key, (name, _) in charts.items()}
    return out
