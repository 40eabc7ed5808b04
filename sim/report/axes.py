"""Chart building blocks shared by every chart module: size, palette, titles, axes, band series."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from sim.analysis.bands import level_label  # noqa: E402
from sim.fmt import tick_money  # noqa: E402
from sim.result import Result  # noqa: E402

DPI = 110
COLORS = tuple(plt.get_cmap("tab10")(range(10)))
CATEGORY_COLORS = {"gpu": "#1f77b4", "redundancy": "#aec7e8", "infra": "#ff7f0e", "people": "#d62728",
                   "software": "#9467bd", "usage": "#2ca02c", "network": "#8c564b", "other": "#7f7f7f"}


def title(result: Result, what: str) -> str:
    return f"{result.experiment.experiment.name}: {what} ({result.paths:,} paths)"


def money_axis(ax, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(tick_money))


def months_axis(ax, months: int) -> None:
    ax.set_xlim(1, max(months, 2))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=12))
    ax.set_xlabel("Month")


def band_levels(levels: list[float]) -> tuple[tuple, tuple | None, float | None]:
    outer = (levels[0], levels[-1])
    inner = (levels[1], levels[-2]) if len(levels) >= 4 else None
    center = 50.0 if 50.0 in levels else None
    return outer, inner, center


def series(bands: pd.DataFrame, option: str, metric: str, p: float) -> np.ndarray:
    sel = bands[(bands.option == option) & (bands.metric == metric) & (bands.percentile == level_label(p))]
    return sel.sort_values("month")["value"].to_numpy(dtype=float)


def grid(n: int):
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 3.4 * rows + 0.6), squeeze=False)
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    return fig, [axes[i // cols][i % cols] for i in range(n)]


def share_axis(ax, low: float, high: float) -> None:
    """An axis for shares (0-1 values drawn as %): 0-100% when every value is large; zoomed to just
    above the largest when all are below 5%; logarithmic when small and large shares meet (0.4%
    utilisation beside 12% busy), so that no series lies flat on the floor."""
    if high >= 0.05 and 0 < low < 0.05:
        ax.set_yscale("log")
        floor = 10.0 ** math.floor(math.log10(max(100 * low, 1e-3)))
        ax.set_ylim(floor, 100)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}%"))
        return
    top = 100.0
    if high < 0.05:
        top = next(t for t in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0) if 100 * high * 1.15 <= t)
    ax.set_ylim(0, top)
    digits = 0 if top >= 10 else (1 if top >= 1 else 2)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.{digits}f}%"))


__all__ = ["CATEGORY_COLORS", "COLORS", "DPI", "band_levels", "grid", "money_axis", "months_axis", "series",
           "share_axis", "title"]
