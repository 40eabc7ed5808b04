"""The staged-switch section and chart: when a staged plan moves to self-hosting, and what staging
costs or saves against committing now or staying on the API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.fmt import amount, money, money_delta, prob
from sim.report.document import Document
from sim.result import Result
from sim.switch_config import StagedOption

if TYPE_CHECKING:
    from sim.study import Study


def _month(x: float) -> str:
    return "n/a" if x != x else f"{x:.0f}"


def switch_section(doc: Document, study: Study, charts: dict[str, str]) -> None:
    result = study.result
    table = study.switches()
    if not len(table):
        return
    doc.h(2, "When does the staged plan switch?")
    doc.p("A staged plan starts on an API and moves to a self-hosted option once its trigger has held for the "
          "months it asks; it pays the API through the lead time, the migration once at go-live (and again if it "
          "moves back), then the self-hosted option's monthly costs on the same path. The differences are paired "
          "path by path: negative means the staged plan is cheaper.")
    back = {o.name: o.move_back is not None for o in result.experiment.options if isinstance(o, StagedOption)}
    doc.table(["staged plan", "switches on", "go-live month P10 / P50 / P90", "moved back", "vs staying on the API",
               "cheaper than the API", "vs self-hosting from month 1", "cheaper than self-hosting now"],
              [[r.option, prob(r.p_switch, r.p_switch_se, n=result.paths, exact=result.fixed),
                f"{_month(r.live_month_p10)} / {_month(r.live_month_p50)} / {_month(r.live_month_p90)}",
                prob(r.p_moved_back, n=result.paths, exact=result.fixed) if back[r.option] else "—",
                money_delta(r.vs_start_mean), prob(r.p_cheaper_than_start, n=result.paths, exact=result.fixed),
                money_delta(r.vs_switch_to_mean),
                prob(r.p_cheaper_than_switch_to, n=result.paths, exact=result.fixed)]
               for r in table.itertuples()])
    for k, spec in enumerate(result.experiment.options):
        if not isinstance(spec, StagedOption):
            continue
        trig = spec.trigger
        level = (f"{amount(trig.tokens_per_day)} tokens/day" if trig.tokens_per_day is not None
                 else f"{money(trig.api_spend_monthly)} a month of API spend")
        doc.p(f"“{spec.name}”: switches from “{spec.start}” to “{spec.switch_to}” after {trig.months} month(s) above "
              f"{level}, live {spec.lead_time_months} month(s) later. The threshold is a decision: "
              "`tcosim optimize` searches it (e.g. "
              f"`--decide \"options[{k}].trigger.tokens_per_day=50M:800M:log:9\"`).")
    if "switch" in charts:
        doc.image(charts["switch"], "Share of paths self-hosted, month by month")


def switch_chart(result: Result, path: Path) -> None:
    """Share of paths running self-hosted in each month, per staged plan."""
    import matplotlib.pyplot as plt

    from sim.report.axes import COLORS, months_axis, save, share_axis, title

    fig, ax = plt.subplots(figsize=(9, 4.6))
    months = np.arange(1, result.months + 1)
    for i, opt in enumerate(o for o in result.options if "on_self_hosted" in o.metrics):
        ax.step(months, 100 * opt.metrics["on_self_hosted"].mean(axis=1), where="mid", color=COLORS[i % 10], lw=1.8,
                label=opt.name)
    months_axis(ax, result.months)
    share_axis(ax, 0.0, 1.0)
    ax.set_ylabel("Paths running self-hosted")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title(result, "When does the staged plan move to self-hosting?"), fontsize=11)
    fig.tight_layout()
    save(fig, path)


__all__ = ["switch_chart", "switch_section"]
