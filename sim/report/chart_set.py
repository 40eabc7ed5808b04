"""Which charts a report has, and drawing them: in forked workers when the run had several, the
charts that need only the bands and the summary start while the parent computes the rest."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.parallel import worker_pool
from sim.report.capacity_charts import capacity_chart, capacity_options, utilization_chart
from sim.report.charts import (
    cumulative_chart,
    fan_charts,
    lines_chart,
    risk_chart,
    scenario_chart,
    tornado_chart,
    total_chart,
)
from sim.report.ops_charts import availability_chart, engineer_chart, frontier_chart, ops_options
from sim.report.switch import switch_chart
from sim.report.voi import voi_chart

if TYPE_CHECKING:
    from sim.study import Study

#: draws a chart into the path it is given; None for a chart another one's draw writes beside it
Draw = Callable[[Path], None] | None
Charts = dict[str, tuple[str, Draw]]
Progress = Callable[[int, int], None]


def first_charts(study: Study, bands: pd.DataFrame) -> Charts:
    """key -> (file name, draw): the charts that need the bands and the summary, no more."""
    result = study.result
    charts: Charts = {
        # both fan charts from one figure (drawn once per scale): the shared one is written beside the other
        "monthly_fan": ("monthly_fan.png",
                        lambda p: fan_charts(result, bands, p, p.with_name("monthly_fan_shared.png"))),
        "monthly_fan_shared": ("monthly_fan_shared.png", None),
        "cumulative": ("cumulative.png", lambda p: cumulative_chart(result, bands, p)),
        "total": ("total_distribution.png", lambda p: total_chart(result, p)),
        "lines": ("cost_lines.png", lambda p: lines_chart(result, p)),
    }
    if capacity_options(result):
        charts["capacity"] = ("capacity.png", lambda p: capacity_chart(result, bands, p))
        charts["utilization"] = ("utilization.png", lambda p: utilization_chart(result, bands, p))
    if study.scenarios:
        charts["scenarios"] = ("scenarios.png", lambda p: scenario_chart(result, study.scenarios, p))
    if any("on_self_hosted" in o.metrics for o in result.options):
        charts["switch"] = ("switch.png", lambda p: switch_chart(result, p))
    summary = study.summary()
    charts["risk"] = ("tail_risk.png", lambda p: risk_chart(result, summary, p))
    if ops_options(result):
        charts["availability"] = ("availability.png", lambda p: availability_chart(result, bands, p))
        charts["frontier"] = ("frontier.png", lambda p: frontier_chart(result, p))
        if any("engineer_hours_upgrades" in o.metrics for o in result.options):
            charts["engineers"] = ("engineer_hours.png", lambda p: engineer_chart(result, p))
    return charts


def later_charts(study: Study) -> Charts:
    """The charts of the sensitivity and the value of information (computed on demand, cached)."""
    result = study.result
    charts: Charts = {}
    sens = study.sensitivity()
    if len(sens):
        charts["tornado"] = ("tornado.png", lambda p: tornado_chart(result, sens, p))
    voi = study.value_of_information() if len(result.options) >= 2 else None
    if voi is not None and len(voi) > 1 and voi.value.iloc[0] > 0 and (voi.value.iloc[1:] > 0).any():
        charts["voi"] = ("value_of_information.png", lambda p: voi_chart(result, voi, p))
    return charts


def _drawn(charts: Charts) -> dict[str, tuple[str, Callable[[Path], None]]]:
    """key -> (file name, draw) of the charts that are drawn by their own call."""
    return {key: (name, draw) for key, (name, draw) in charts.items() if draw is not None}


#: the charts a forked worker draws (set in the parent before the fork; lambdas need no pickling)
_PENDING: Charts = {}


def _draw_one(task: tuple[str, str]) -> str:
    key, folder = task
    name, draw = _PENDING[key]
    assert draw is not None, "only charts with a draw are sent to workers"
    draw(Path(folder) / name)
    return key


@contextlib.contextmanager
def charts_drawn(study: Study, bands: pd.DataFrame, folder: Path,
                 progress: Progress | None = None) -> Iterator[dict[str, str]]:
    """Draw every chart of the report into ``folder``; yields key -> path relative to the report
    folder, filled when the block ends. With several workers the first charts are drawn in forked
    processes while the block runs (it computes the sensitivity and the value of information), and
    the parent draws the later ones after it; with one, every chart is drawn after the block."""
    tell = progress or (lambda done, total: None)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, str] = {}
    first = first_charts(study, bands)
    workers = study.result.workers
    if workers <= 1 or len(first) < 3:
        yield out
        charts = {**first, **later_charts(study)}
        tasks = _drawn(charts)
        for k, (name, draw) in enumerate(tasks.values()):
            draw(folder / name)
            tell(k + 1, len(tasks))
    else:
        _PENDING.clear()
        _PENDING.update(first)
        try:
            keys = list(_drawn(first))
            with worker_pool(min(workers, len(keys))) as pool:
                drawn = pool.imap_unordered(_draw_one, [(key, str(folder)) for key in keys])
                yield out
                later = later_charts(study)
                tasks = _drawn(later)
                total = len(keys) + len(tasks)
                for k, (name, draw) in enumerate(tasks.values()):
                    draw(folder / name)
                    tell(k + 1, total)
                for k, _ in enumerate(drawn):
                    tell(len(tasks) + k + 1, total)
        finally:
            _PENDING.clear()
        charts = {**first, **later}
    out.update({key: f"charts/{name}" for key, (name, _) in charts.items()})


def write_charts(study: Study, bands: pd.DataFrame, folder: Path, progress: Progress | None = None) -> dict[str, str]:
    """Every chart of the report, drawn into ``folder``; key -> path relative to the report folder."""
    with charts_drawn(study, bands, folder, progress) as charts:
        pass
    return charts


__all__ = ["charts_drawn", "first_charts", "later_charts", "write_charts"]
