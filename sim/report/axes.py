"""Chart building blocks shared by every chart module: size, palette, titles, axes, band series."""

from __future__ import annotations

import math
import weakref

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import (  # noqa: E402
    Formatter,
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    NullLocator,
    ScalarFormatter,
)
from PIL import Image  # noqa: E402

from sim.analysis.bands import level_label  # noqa: E402
from sim.fmt import tick_money, tick_money_compact  # noqa: E402
from sim.result import Result  # noqa: E402

DPI = 110
COLORS = tuple(plt.get_cmap("tab10")(range(10)))
CATEGORY_COLORS = {"gpu": "#1f77b4", "redundancy": "#aec7e8", "infra": "#ff7f0e", "people": "#d62728",
                   "software": "#9467bd", "usage": "#2ca02c", "network": "#8c564b", "other": "#7f7f7f"}


#: when True, :func:`save` refuses a figure with text outside it or a NaN axis (the tests set it)
STRICT = False


def title(result: Result, question: str) -> str:
    """A chart title: the question it answers, then the experiment and the path count."""
    return f"{question}\n{result.experiment.experiment.name} · {result.paths:,} paths"


def suptitle(fig, result: Result, question: str) -> None:
    fig.suptitle(title(result, question), fontsize=11)


class MoneyTicks(Formatter):
    """Dollar tick labels in one unit along an axis: once a tick reaches $10k every tick is compact
    ($0, $5k, $10k, $15k), so that "$8,000" never sits under "$10k" as if on another scale."""

    def __call__(self, x: float, pos: object = None) -> str:
        return tick_money(x)

    def format_ticks(self, values) -> list[str]:
        if len(values) and max(abs(float(v)) for v in values) >= 10_000:
            return [tick_money_compact(float(v)) for v in values]
        return [tick_money(float(v)) for v in values]


def money_axis(ax, axis: str = "y") -> None:
    """Dollar ticks ($12k, $1.2M) in one unit per axis; on a log axis at 1-2-5 steps so that even a
    short range shows several labelled ticks."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if (ax.get_yscale() if axis == "y" else ax.get_xscale()) == "log":
        target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        target.set_minor_formatter(NullFormatter())
    target.set_major_formatter(MoneyTicks())


def _outside(ext, box) -> str:
    sides = [name for name, out in (("left", ext.x0 < box.x0 - 1), ("bottom", ext.y0 < box.y0 - 1),
                                    ("right", ext.x1 > box.x1 + 1), ("top", ext.y1 > box.y1 + 1)) if out]
    return ", ".join(sides)


def log_note(ax, axis: str) -> str:
    """", log scale" when the axis is logarithmic, for its label."""
    return ", log scale" if (ax.get_yscale() if axis == "y" else ax.get_xscale()) == "log" else ""


def layout_problems(fig) -> list[str]:
    """What a reader would not see: drawn text (tick labels, axis labels, titles, legends, notes)
    reaching outside the figure, so clipped in the PNG, and axes whose limits are not finite."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    problems = []
    for ax in fig.get_axes():
        if not ax.get_visible() or not ax.axison:
            continue
        limits = [*ax.get_xlim(), *ax.get_ylim()]
        if not all(math.isfinite(v) for v in limits):
            problems.append(f"axes {ax.get_title()!r} has limits {limits}")
            continue
        side = _outside(ax.get_tightbbox(renderer), box)
        if side:
            problems.append(f"axes {ax.get_title()!r}: its labels are outside the figure ({side})")
    for artist in [*fig.texts, *fig.legends, *(t for ax in fig.get_axes() for t in ax.texts)]:
        if artist.get_visible() and (not isinstance(artist, Text) or artist.get_text().strip()):
            side = _outside(artist.get_window_extent(renderer), box)
            if side:
                what = artist.get_text() if isinstance(artist, Text) else "the legend"
                problems.append(f"{what!r} is outside the figure ({side})")
    return problems


def save(fig, path, close: bool = True) -> None:
    """Lay out, check (under STRICT), write the PNG and free the figure (unless ``close`` is False:
    the caller draws it again; it is freed all the same when the writing fails)."""
    try:
        fig.set_dpi(DPI)
        if STRICT:
            problems = layout_problems(fig)
            if problems:
                raise AssertionError(f"{path}: " + "; ".join(problems))
        write_png(fig, path)
    except BaseException:
        plt.close(fig)
        raise
    if close:
        plt.close(fig)


def title_stays(ax) -> bool:
    """Whether matplotlib's automatic title placement can only leave the title where it is (just
    above the axes): nothing of the x axis above the axes, no twin or inset, and a y-axis
    formatter that never writes an offset ("1e6") by the top tick. Placing it measures tick labels."""
    xaxis = ax.xaxis
    ticks = [tick[0] for tick, locator in ((xaxis.majorTicks, xaxis.get_major_locator()),
                                          (xaxis.minorTicks, xaxis.get_minor_locator()))
             if not isinstance(locator, NullLocator)]
    return (xaxis.get_label_position() == "bottom" and not ax.child_axes
            and all(not t.tick2line.get_visible() and not t.label2.get_visible() for t in ticks)
            and not isinstance(ax.yaxis.get_major_formatter(), ScalarFormatter)
            and all(twin is ax for twin in _twins(ax)))


def _twins(ax) -> list:
    twinned = getattr(ax, "_twinned_axes", None)
    return list(twinned.get_siblings(ax)) if twinned is not None else [ax]


def write_png(fig, path) -> None:
    """The figure as drawn at its dpi, in an RGB PNG when every pixel is opaque (a chart on its white
    figure), else RGBA: the pixels savefig writes, with no alpha channel to compress. Measured on the
    bench's monthly fan (1518 x 1232): 105 -> 85 ms to encode, 188 -> 170 kB. Titles that cannot
    move are not placed again (see title_stays): the same pixels, ~20 ms less per axes."""
    for ax in fig.get_axes():
        if getattr(ax, "_autotitlepos", False) is not False and title_stays(ax):
            ax._autotitlepos = False
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    pixels = rgba[..., :3] if bool((rgba[..., 3] == 255).all()) else rgba
    dpi = float(fig.get_dpi())
    Image.fromarray(np.ascontiguousarray(pixels)).save(path, format="png", dpi=(dpi, dpi))


def inch_layout(fig, rows: int, cols: int, left: float, right: float, top: float, bottom: float,
                wspace: float, hspace: float) -> None:
    """Place a grid of axes with margins and gaps in inches: what tight_layout would find for a
    grid whose labels are known in advance, without drawing the figure twice (tight_layout
    measures every label by rendering it; a fan chart spent ~40% of its time there)."""
    width, height = fig.get_size_inches()
    ax_w = (width - left - right - (cols - 1) * wspace) / cols
    ax_h = (height - top - bottom - (rows - 1) * hspace) / rows
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
                        wspace=wspace / ax_w, hspace=hspace / ax_h)


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
    """One band's values in month order (empty when the table has none); a copy, the caller's own."""
    return _band_index(bands).get((option, metric, level_label(p)), (np.empty(0), np.empty(0)))[1].copy()


def band_months(bands: pd.DataFrame, option: str, metric: str) -> int:
    """The last month the table holds for an option's metric (0 when none)."""
    found = [months for (o, m, _), (months, _) in _band_index(bands).items() if o == option and m == metric]
    return int(max(months.max() for months in found)) if found else 0


#: the last table indexed: (a weak reference to it, its row count, its bands by key)
_INDEXED: list[tuple[weakref.ref, int, dict[tuple, tuple[np.ndarray, np.ndarray]]]] = []


def _band_index(bands: pd.DataFrame) -> dict[tuple, tuple[np.ndarray, np.ndarray]]:
    """(option, metric, percentile) -> (months, values) in month order, built once per table: a
    chart reads ~40 bands, and filtering the table for each took ~1.5 ms (a fan chart: 56 ms)."""
    rows = len(bands)
    if _INDEXED and _INDEXED[0][1] == rows and _INDEXED[0][0]() is bands:
        return _INDEXED[0][2]
    ordered = bands.sort_values("month", kind="stable")
    index = {key: (group["month"].to_numpy(), group["value"].to_numpy(dtype=float))
             for key, group in ordered.groupby(["option", "metric", "percentile"], sort=False)}
    _INDEXED[:] = [(weakref.ref(bands), rows, index)]
    return index


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
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}%"))
        return
    top = 100.0
    if high < 0.05:
        top = next(t for t in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0) if 100 * high * 1.15 <= t)
    ax.set_ylim(0, top)
    digits = 0 if top >= 10 else (1 if top >= 1 else 2)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.{digits}f}%"))


__all__ = ["CATEGORY_COLORS", "COLORS", "DPI", "STRICT", "MoneyTicks", "band_levels", "band_months", "grid",
           "inch_layout", "layout_problems", "log_note", "money_axis", "months_axis", "save", "series", "share_axis",
           "suptitle", "title", "write_png"]
