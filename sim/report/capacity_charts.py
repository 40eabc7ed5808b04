"""Charts of checked fleets: GPUs provisioned against GPUs needed, and the two utilisation figures
(tokens served over capacity at the SLO; share of time a replica runs a step)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.analysis.bands import level_label
from sim.report.axes import band_levels, grid, log_note, months_axis, save, series, share_axis, suptitle
from sim.result import OptionResult, Result

#: the utilisation chart's two figures: metric, colour, legend label
UTILISATION = (("utilization", "#1f77b4", "utilisation: tokens served ÷ capacity at the SLO"),
               ("busy_fraction", "#ff7f0e", "busy fraction: share of time a replica runs a step"))


def capacity_options(result: Result) -> list[OptionResult]:
    """Options whose GPUs are checked against the workload (sized or declared fleets)."""
    return [o for o in result.options if "gpus" in o.metrics]


def _median_and_band(bands: pd.DataFrame, option: str, metric: str, levels: list[float]):
    outer, _, center = band_levels(levels)
    lo, hi = series(bands, option, metric, outer[0]), series(bands, option, metric, outer[1])
    mid = series(bands, option, metric, center) if center else (lo + hi) / 2
    return lo, mid, hi, f"shaded P{level_label(outer[0])}–P{level_label(outer[1])}"


def capacity_chart(result: Result, bands: pd.DataFrame, path: Path) -> None:
    """GPUs provisioned (filled steps) against GPUs needed (a dashed line drawn on top, so it shows
    where the two meet), medians with the outer band of each, for every checked option."""
    opts = capacity_options(result)
    fig, axes = grid(len(opts))
    months = np.arange(1, result.months + 1)
    shaded = ""
    spread = False
    for ax, opt in zip(axes, opts, strict=True):
        lo, mid, hi, shaded = _median_and_band(bands, opt.name, "gpus", result.percentile_levels)
        ax.fill_between(months, lo, hi, color="#1f77b4", alpha=0.25, lw=0, step="mid")
        ax.fill_between(months, 0, mid, color="#1f77b4", alpha=0.12, lw=0, step="mid")
        ax.step(months, mid, where="mid", color="#1f77b4", lw=2.2, label="GPUs provisioned (median)")
        spread |= bool(np.any(hi > lo))
        lo, mid, hi, _ = _median_and_band(bands, opt.name, "gpus_needed", result.percentile_levels)
        ax.fill_between(months, lo, hi, color="#d62728", alpha=0.25, lw=0, step="mid")
        ax.step(months, mid, where="mid", color="#d62728", lw=1.6, ls=(0, (4, 2)), zorder=5,
                label="GPUs needed (median)")
        spread |= bool(np.any(hi > lo))
        ax.set_title(opt.name, fontsize=10)
        ax.set_ylabel("GPUs")
        ax.set_ylim(0, max(1.0, float(ax.get_ylim()[1])) * 1.08)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        months_axis(ax, result.months)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    if spread:
        handles.append(Patch(color="#888888", alpha=0.35, lw=0))
        labels.append(shaded.replace("shaded ", "shaded: "))
    ncol = len(labels) if fig.get_figwidth() >= 9 else 1  # one panel: a column, not a row that overflows
    rows = math.ceil(len(labels) / ncol)
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=ncol, frameon=False)
    suptitle(fig, result, "Does each fleet have the GPUs its load needs?")
    fig.tight_layout(rect=(0, (0.2 + 0.2 * rows) / fig.get_figheight(), 1, 1))
    save(fig, path)


def utilization_chart(result: Result, bands: pd.DataFrame, path: Path) -> None:
    """Per checked option: utilisation and busy fraction by month (median and outer band), on an
    axis that shows small shares (a 70B replica at a few million tokens a day is busy a few % of
    the time and uses well under 1% of its capacity); two line styles so neither hides the other."""
    opts = capacity_options(result)
    fig, axes = grid(len(opts))
    months = np.arange(1, result.months + 1)
    shaded = ""
    for ax, opt in zip(axes, opts, strict=True):
        low, high = 1.0, 0.0
        for (metric, color, label), style in zip(UTILISATION, ("-", "--"), strict=True):
            lo, mid, hi, shaded = _median_and_band(bands, opt.name, metric, result.percentile_levels)
            ax.fill_between(months, 100 * lo, 100 * hi, color=color, alpha=0.2, lw=0)
            ax.plot(months, 100 * mid, color=color, lw=1.8, ls=style, marker="o" if style == "--" else None,
                    ms=3, markevery=max(1, result.months // 12), label=f"{label} (median)")
            positive = lo[lo > 0]
            low = min(low, float(positive.min()) if positive.size else float(np.max(mid)))
            high = max(high, float(np.max(hi)))
        share_axis(ax, low, high)
        ax.set_title(opt.name, fontsize=10)
        ax.set_ylabel("Share of capacity / time" + log_note(ax, "y"))
        months_axis(ax, result.months)
        ax.grid(alpha=0.3, which="both")
    handles, labels = axes[0].get_legend_handles_labels()
    handles.append(Patch(color="#888888", alpha=0.3, lw=0))
    labels.append(shaded.replace("shaded ", "shaded: "))
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=1, frameon=False)
    suptitle(fig, result, "How hard are the GPUs worked?")
    fig.tight_layout(rect=(0, 0.75 / fig.get_figheight(), 1, 1))
    save(fig, path)


__all__ = ["capacity_chart", "capacity_options", "utilization_chart"]
