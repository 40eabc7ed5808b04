"""Charts of the operations models: availability by month against the SLA, engineer hours by
cause, and the frontier (availability against total cost, one point per option)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from sim.analysis.bands import level_label
from sim.analysis.quantiles import band
from sim.config import option_index
from sim.report.axes import COLORS, band_levels, grid, money_axis, months_axis, save, series, suptitle, title
from sim.result import OptionResult, Result


def ops_options(result: Result) -> list[OptionResult]:
    return [o for o in result.options if "availability" in o.metrics]


def availability_chart(result: Result, bands: pd.DataFrame, path: Path) -> None:
    """Monthly availability per option (median and bands) against its SLA target, one panel each.
    A band is drawn and named only where it has width: on most paths nothing goes down, and a band
    from 100% to 100% would promise something the reader cannot see."""
    opts = ops_options(result)
    fig, axes = grid(len(opts))
    outer, inner, center = band_levels(result.percentile_levels)
    months = np.arange(1, result.months + 1)
    for i, (ax, opt) in enumerate(zip(axes, opts, strict=True)):
        color = COLORS[i % 10]
        spec = result.experiment.options[option_index(result.experiment, opt.name)].ops
        assert spec is not None
        target = spec.sla_target
        lo = series(bands, opt.name, "availability", outer[0])
        bottom = min(float(lo.min()), target)
        span = 100 - 100 * bottom
        flat = []
        for pair, alpha in ((outer, 0.2), (inner, 0.45)):
            if pair is None:
                continue
            a, b = (100 * series(bands, opt.name, "availability", q) for q in pair)
            name = f"P{level_label(pair[0])}–P{level_label(pair[1])}"
            if float(np.max(b - a)) > 0.01 * span:
                ax.fill_between(months, a, b, color=color, alpha=alpha, lw=0, label=name)
            else:
                flat.append(name)
        if center is not None:
            ax.plot(months, 100 * series(bands, opt.name, "availability", center), color=color, lw=1.8,
                    label="median")
        ax.axhline(100 * target, color="black", ls="--", lw=1, label=f"SLA {100 * target:g}%")
        ax.set_ylim(100 * bottom - 0.15 * span - 0.01, 100.0 + 0.1 * span + 0.002)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.2f}%"))
        ax.set_title(opt.name, fontsize=10)
        months_axis(ax, result.months)
        ax.grid(alpha=0.3)
        if flat:
            ax.text(0.99, 0.03, f"{' and '.join(flat)}: no visible spread", transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=7, color="#555555")
        ax.set_ylabel("Requests served")
        ax.legend(fontsize=7, loc="lower left")
    engine = "discrete-event" if result.ops_engine == "des" else "vectorised"
    suptitle(fig, result, f"Does each option meet its SLA month by month? ({engine} operations model)")
    fig.tight_layout()
    save(fig, path)


def engineer_chart(result: Result, path: Path) -> None:
    """Mean engineer hours per month by cause, per self-hosted option with an operations model."""
    opts = [o for o in ops_options(result) if "engineer_hours_upgrades" in o.metrics]
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(opts) + 2.0))
    causes = (("engineer_hours_incidents", "incidents", "#d62728"),
              ("engineer_hours_changes", "changes", "#9467bd"),
              ("engineer_hours_followup", "follow-up", "#e377c2"),
              ("engineer_hours_patching", "patching", "#ff7f0e"),
              ("engineer_hours_upgrades", "model upgrades", "#1f77b4"))
    for i, opt in enumerate(opts):
        left = 0.0
        for metric, label, color in causes:
            value = float(opt.metrics[metric].mean(dtype=np.float64))
            ax.barh(i, value, left=left, color=color, label=label if i == 0 else None, height=0.6)
            left += value
        ax.text(left, i, f" {left:,.0f} h", va="center", fontsize=8)
    ax.set_yticks(range(len(opts)), [o.name for o in opts])
    ax.invert_yaxis()
    ax.set_xlabel("Mean engineer hours per month")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.set_xlim(0, ax.get_xlim()[1] * 1.12)  # room for the totals
    fig.legend(fontsize=8, ncol=5, loc="lower center", frameon=False)
    ax.grid(alpha=0.3, axis="x")
    ax.set_title(title(result, "Where does the engineers' time go?"), fontsize=11)
    fig.tight_layout(rect=(0, 0.5 / fig.get_figheight(), 1, 1))
    save(fig, path)


def frontier_chart(result: Result, path: Path) -> None:
    """Availability (share of requests served over the horizon) against the horizon total, one
    point per option with P5-P95 whiskers both ways: the cheapest option that meets an availability
    target is the leftmost point above its line."""
    opts = ops_options(result)
    fig, ax = plt.subplots(figsize=(9.5, 5.8))
    targets = set()
    for i, opt in enumerate(opts):
        served = 1.0 - opt.metrics["downtime_hours"].sum(axis=0, dtype=np.float64) / (
            result.months * result.experiment.experiment.hours_per_month)
        a5, a50, a95 = band(100 * served)
        c5, c50, c95 = band(opt.totals)
        ax.errorbar(c50, a50, xerr=[[c50 - c5], [c95 - c50]], yerr=[[a50 - a5], [a95 - a50]], fmt="o",
                    color=COLORS[i % 10], ms=6, capsize=3, label=opt.name)
        spec = result.experiment.options[option_index(result.experiment, opt.name)].ops
        assert spec is not None
        targets.add(spec.sla_target)
    for target in sorted(targets):
        ax.axhline(100 * target, color="black", ls="--", lw=0.8)
        ax.text(0.01, 100 * target, f" SLA target {100 * target:g}%", transform=ax.get_yaxis_transform(),
                va="bottom", fontsize=8)
    if len(opts) > 1 and max(np.median(o.totals) for o in opts) / max(min(np.median(o.totals) for o in opts), 1) > 20:
        ax.set_xscale("log")
    money_axis(ax, "x")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.3g}%"))
    ax.set_xlabel(f"Total cost over {result.months} months (median, whiskers P5–P95)")
    ax.set_ylabel("Requests served over the horizon")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title(result, "What does each extra nine of availability cost?"), fontsize=11)
    fig.tight_layout()
    save(fig, path)


__all__ = ["availability_chart", "engineer_chart", "frontier_chart", "ops_options"]
