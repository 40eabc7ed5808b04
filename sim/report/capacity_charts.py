"""Charts of checked fleets: GPUs provisioned against GPUs needed, and the two utilisation figures
(tokens served over capacity at the SLO; share of time a replica runs a step)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from sim.analysis.bands import level_label
from sim.report.axes import DPI, band_levels, grid, months_axis, series, share_axis, title
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
    """GPUs provisioned against GPUs needed (median and outer band) for each checked option."""
    opts = capacity_options(result)
    fig, axes = grid(len(opts))
    months = np.arange(1, result.months + 1)
    for ax, opt in zip(axes, opts, strict=True):
        for metric, color, label in (("gpus_needed", "#d62728", "needed"), ("gpus", "#1f77b4", "provisioned")):
            lo, mid, hi, shaded = _median_and_band(bands, opt.name, metric, result.percentile_levels)
            ax.fill_between(months, lo, hi, color=color, alpha=0.18, lw=0, step="mid")
            ax.step(months, mid, where="mid", color=color, lw=1.8, label=f"GPUs {label} (median)")
        ax.set_title(opt.name, fontsize=10)
        ax.set_ylabel("GPUs")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        months_axis(ax, result.months)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", title=shaded, title_fontsize=8)
    fig.suptitle(title(result, "GPUs provisioned vs needed"), fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def utilization_chart(result: Result, bands: pd.DataFrame, path: Path) -> None:
    """Per checked option: utilisation and busy fraction by month (median and outer band), on an
    axis that shows small shares (a 70B replica at a few million tokens a day is busy a few % of
    the time and uses well under 1% of its capacity)."""
    opts = capacity_options(result)
    fig, axes = grid(len(opts))
    months = np.arange(1, result.months + 1)
    for ax, opt in zip(axes, opts, strict=True):
        low, high = 1.0, 0.0
        for metric, color, label in UTILISATION:
            lo, mid, hi, shaded = _median_and_band(bands, opt.name, metric, result.percentile_levels)
            ax.fill_between(months, 100 * lo, 100 * hi, color=color, alpha=0.18, lw=0)
            ax.plot(months, 100 * mid, color=color, lw=1.8, label=f"{label} (median, {shaded})")
            positive = lo[lo > 0]
            low = min(low, float(positive.min()) if positive.size else float(np.max(mid)))
            high = max(high, float(np.max(hi)))
        share_axis(ax, low, high)
        ax.set_title(opt.name, fontsize=10)
        ax.set_ylabel("Share, log scale" if ax.get_yscale() == "log" else "Share")
        months_axis(ax, result.months)
        ax.grid(alpha=0.3, which="both")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=1, frameon=False)
    fig.suptitle(title(result, "GPU utilisation and busy fraction"), fontsize=12)
    fig.tight_layout(rect=(0, 0.12 / max(1, (len(opts) + 2) // 3), 1, 1))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


__all__ = ["capacity_chart", "capacity_options", "utilization_chart"]
