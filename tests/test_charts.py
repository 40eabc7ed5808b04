"""Every chart of every shipped experiment, drawn and checked as a reader would see it: no text
outside the figure (clipped in the PNG) and no axis with NaN or infinite limits."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import sim
from sim.report import axes
from sim.report.chart_set import write_charts
from tests.conftest import test_seed

EXPERIMENTS = sorted(Path("experiments").glob("*.toml"))


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(axes, "STRICT", True)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_every_chart_is_drawn_whole(path: Path, tmp_path: Path, strict: None) -> None:
    study = sim.run(sim.load_experiment(path), paths=300, seed=3)
    study.run_scenarios()
    charts = write_charts(study, study.percentiles(), tmp_path)
    assert charts, path
    for name in charts.values():
        png = tmp_path / Path(name).name
        assert png.stat().st_size > 5_000, png  # a drawn chart, not an empty canvas


def test_charts_drawn_by_workers_are_the_ones_one_process_draws(tmp_path: Path) -> None:
    """With several workers the first charts are drawn in forked processes while the parent works
    out the sensitivity and the value of information: the same files, byte for byte."""
    exp = sim.load_experiment("experiments/ops_on_call.toml")
    one, two = sim.run(exp, paths=600, seed=3), sim.run(exp, paths=600, seed=3, workers=2)
    a = write_charts(one, one.percentiles(), tmp_path / "one")
    b = write_charts(two, two.percentiles(), tmp_path / "two")
    assert a == b and {"tornado", "availability", "monthly_fan"} <= set(a)
    for name in a.values():
        file = Path(name).name
        assert (tmp_path / "one" / file).read_bytes() == (tmp_path / "two" / file).read_bytes(), file


def test_an_error_beside_the_chart_workers_stops_them_and_propagates(tmp_path: Path) -> None:
    from multiprocessing import active_children

    from sim.report.chart_set import charts_drawn

    study = sim.run(sim.load_experiment("experiments/article_baseline.toml"), paths=200, seed=3, workers=2)
    before = set(active_children())
    with pytest.raises(RuntimeError, match="disk full"), charts_drawn(study, study.percentiles(), tmp_path):
        raise RuntimeError("disk full")
    assert set(active_children()) <= before


def test_layout_check_catches_clipped_text_and_nan_axes(tmp_path: Path, strict: None) -> None:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_xlabel("a label far too long to fit inside a figure three inches wide, so it is clipped")
    with pytest.raises(AssertionError, match="outside the figure"):
        axes.save(fig, tmp_path / "clipped.png")
    assert not (tmp_path / "clipped.png").exists()
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    ax.get_ylim = lambda: (0.0, float("nan"))  # type: ignore[method-assign]  # matplotlib refuses to set one
    with pytest.raises(AssertionError, match="has limits"):
        axes.save(fig, tmp_path / "nan.png")


def test_fan_chart_draws_the_monthly_budget(tmp_path: Path) -> None:
    from sim.report.charts import fan_chart

    study = sim.run(sim.load_experiment("experiments/article_uncertain.toml"), paths=200, seed=1)
    captured = {}
    original = axes.save

    def keep(fig, path) -> None:  # noqa: ANN001
        captured["labels"] = [t.get_text() for t in fig.legends[0].get_texts()]
        original(fig, path)

    import sim.report.charts as charts

    charts.save = keep  # type: ignore[assignment]
    try:
        fan_chart(study.result, study.percentiles(), tmp_path / "fan.png", shared=True)
    finally:
        charts.save = original  # type: ignore[assignment]
    assert "monthly budget $15k" in captured["labels"]


def test_sweep_chart_is_drawn_whole(tmp_path: Path, strict: None) -> None:
    from sim.report.sweep import sweep_chart
    from sim.sweep import parse_vary, sweep

    exp = sim.load_experiment("experiments/article_breakeven.toml")
    path, values = parse_vary("workload.tokens_per_day=1M:1B:log:4")
    table = sweep(exp, path, values, paths=200, seed=1)
    sweep_chart(table, exp.experiment.name, path, 200, tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").stat().st_size > 5_000


def test_sweep_chart_panels_start_just_below_its_legend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The legend sits between the title and the panels; the first panel's title follows it within
    a quarter inch (tight_layout counted the suptitle twice and left ~0.7 in of blank band)."""
    from sim.report import sweep as sweep_report
    from sim.sweep import parse_vary, sweep

    exp = sim.load_experiment("experiments/staged_switch.toml")
    path, values = parse_vary("workload.tokens_per_day=1M:1B:log:3")
    table = sweep(exp, path, values, paths=200, seed=1)
    gaps: list[float] = []

    def measure(fig, out) -> None:
        renderer = fig.canvas.get_renderer()
        legend = fig.legends[0].get_window_extent(renderer)
        panel = fig.axes[0].get_tightbbox(renderer)
        gaps.append((legend.y0 - panel.y1) / fig.dpi)
        plt.close(fig)

    monkeypatch.setattr(sweep_report, "save", measure)
    sweep_report.sweep_chart(table, exp.experiment.name, path, 200, tmp_path / "sweep.png")
    assert 0 <= gaps[0] < 0.25, gaps


def test_money_ticks_keep_one_unit_along_an_axis() -> None:
    """Once a tick reaches $10k every tick on the axis is compact ($8,000 under $10k read as two
    scales); below it, whole dollars."""
    ticks = axes.MoneyTicks()
    assert ticks.format_ticks([0, 4000, 8000, 12000, 16000]) == ["$0", "$4k", "$8k", "$12k", "$16k"]
    assert ticks.format_ticks([0, 2500, 5000, 7500]) == ["$0", "$2,500", "$5,000", "$7,500"]
    assert ticks.format_ticks([-20000, 0, 20000]) == ["−$20k", "$0", "$20k"]
    assert ticks.format_ticks([0.25, 0.5]) == ["$0.25", "$0.5"]


def _figure(alpha: float = 1.0):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.fill_between([1, 2, 3], [1, 2, 1], [2, 3, 3], color="#1f77b4", alpha=0.3)
    ax.set_title("a title")
    fig.patch.set_alpha(alpha)
    return fig


@pytest.mark.parametrize("alpha", [1.0, 0.0], ids=["opaque", "transparent"])
def test_charts_are_written_with_the_pixels_savefig_would_write(tmp_path: Path, alpha: float) -> None:
    """write_png drops the alpha channel only when every pixel is opaque; the pixels and the dpi
    are what matplotlib's own savefig writes."""
    from PIL import Image

    reference = _figure(alpha)
    reference.savefig(tmp_path / "savefig.png", dpi=axes.DPI)
    plt.close(reference)
    axes.save(_figure(alpha), tmp_path / "ours.png")
    theirs, ours = Image.open(tmp_path / "savefig.png"), Image.open(tmp_path / "ours.png")
    assert ours.mode == ("RGB" if alpha == 1.0 else "RGBA")
    assert ours.size == theirs.size
    assert ours.convert("RGBA").tobytes() == theirs.convert("RGBA").tobytes()
    assert ours.info["dpi"] == pytest.approx((axes.DPI, axes.DPI), abs=0.01)


def test_a_band_series_is_the_table_s_rows_in_month_order() -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(5)
    rows = [(o, m, month, p, float(v)) for o in ("a", "b") for m in ("monthly_cost", "cumulative_cost")
            for month in (3, 1, 2) for p in (5, 50, 95) for v in rng.random(1)]
    bands = pd.DataFrame(rows, columns=["option", "metric", "month", "percentile", "value"]).sample(
        frac=1.0, random_state=1)
    for o, m, p in [("a", "monthly_cost", 5), ("b", "cumulative_cost", 95), ("b", "monthly_cost", 50)]:
        expected = bands[(bands.option == o) & (bands.metric == m) & (bands.percentile == p)]
        assert axes.series(bands, o, m, p).tolist() == expected.sort_values("month")["value"].tolist()
    assert axes.band_months(bands, "a", "monthly_cost") == 3
    axes.series(bands, "a", "monthly_cost", 5)[:] = -1.0  # a caller's change stays its own
    assert (axes.series(bands, "a", "monthly_cost", 5) >= 0).all()
    assert axes.series(bands, "c", "monthly_cost", 5).size == 0 and axes.band_months(bands, "c", "x") == 0
    longer = pd.concat([bands, pd.DataFrame([("a", "monthly_cost", 4, 5, 9.0)], columns=bands.columns)])
    assert axes.series(longer, "a", "monthly_cost", 5)[-1] == 9.0  # another table: indexed anew
    assert axes.band_months(longer, "a", "monthly_cost") == 4


def _titled(kind: str):
    """Two panels sharing x: log axes with our tick formatter, a y axis whose ScalarFormatter writes
    an offset by its top tick, or x ticks and labels above the axes."""
    from matplotlib.ticker import FuncFormatter

    fig, panels = plt.subplots(2, 1, sharex=True, figsize=(4, 4))
    for ax in panels:
        ax.set_title("a title that the offset or the top labels would push up", fontsize=8)
        if kind == "offset":
            ax.plot([1, 2, 3], [1_000_000.001, 1_000_000.002, 1_000_000.003])
        else:
            ax.plot([1e6, 1e7, 1e9], [1, 30, 200])
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
        if kind == "top":
            ax.xaxis.tick_top()
    return fig


@pytest.mark.parametrize("kind,stays", [("ours", True), ("offset", False), ("top", False)])
def test_a_title_is_left_in_place_only_where_matplotlib_would_leave_it(tmp_path: Path, kind: str,
                                                                         stays: bool) -> None:
    """write_png skips matplotlib's title placement where it cannot move the title: the PNG has the
    pixels of a figure placed by matplotlib, and an offset or top tick labels keep the placement."""
    from PIL import Image

    reference = _titled(kind)
    reference.savefig(tmp_path / "savefig.png", dpi=axes.DPI)
    plt.close(reference)
    ours = _titled(kind)
    assert [axes.title_stays(ax) for ax in ours.axes] == [stays, stays]
    axes.save(ours, tmp_path / "ours.png")
    theirs, mine = Image.open(tmp_path / "savefig.png"), Image.open(tmp_path / "ours.png")
    assert mine.convert("RGBA").tobytes() == theirs.convert("RGBA").tobytes()


@pytest.mark.parametrize("kind", ["lognormal", "ties", "constant", "two values"])
def test_box_stats_are_what_boxplot_draws(kind: str) -> None:
    """The total chart's boxes and whiskers, from one sort, are matplotlib's boxplot_stats(whis=(5, 95))."""
    from matplotlib.cbook import boxplot_stats

    from sim.report.charts import box_stats

    rng = np.random.default_rng(test_seed(43))
    x = {"lognormal": rng.lognormal(10, 1, 5001), "ties": rng.integers(0, 5, 999).astype(float),
         "constant": np.full(50, 7.0), "two values": np.array([1.0, 3.0])}[kind]
    want = boxplot_stats(x, whis=(5, 95))[0]
    got = box_stats(x)
    for key in ("q1", "med", "q3"):
        assert got[key] == pytest.approx(want[key], rel=1e-12, abs=0)
    assert (got["whislo"], got["whishi"]) == (want["whislo"], want["whishi"])


def test_both_fan_charts_from_one_figure_are_the_charts_drawn_alone(tmp_path: Path) -> None:
    """fan_charts draws the figure on each panel's scale, then re-scales and draws it again: the
    second PNG is pixel for pixel the chart a fresh figure gives (budget notes and lines swapped,
    inner money ticks hidden as plt.subplots(sharey=True) hides them)."""
    from PIL import Image

    from sim.report.charts import fan_chart, fan_charts

    study = sim.run(sim.load_experiment("experiments/article_uncertain.toml"), paths=300, seed=1)
    bands = study.percentiles()
    fan_charts(study.result, bands, tmp_path / "own.png", tmp_path / "shared.png")
    fan_chart(study.result, bands, tmp_path / "own_alone.png")
    fan_chart(study.result, bands, tmp_path / "shared_alone.png", shared=True)
    for name in ("own", "shared"):
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"{name}.png")),
                              np.asarray(Image.open(tmp_path / f"{name}_alone.png"))), name
    assert not np.array_equal(np.asarray(Image.open(tmp_path / "own.png")),
                              np.asarray(Image.open(tmp_path / "shared.png")))
