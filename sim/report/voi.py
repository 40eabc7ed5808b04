"""The value-of-information section and chart: what knowing more before committing would save."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.analysis.voi import chosen_option
from sim.fmt import money, share
from sim.report.document import Document
from sim.result import Result

if TYPE_CHECKING:
    from sim.study import Study

#: inputs shown in the report's table and chart (all of them are in voi.csv)
TOP = 8


def _plus_minus(value: float, se: float) -> str:
    return money(value) if not math.isfinite(se) or se == 0 else f"{money(value)} ± {money(se)}"


def voi_section(doc: Document, study: Study, charts: dict[str, str]) -> None:
    """EVPI in a sentence, then the inputs worth most to learn first."""
    result = study.result
    table = study.value_of_information()
    if not len(table):
        return
    total = table.iloc[0]
    partial = table.iloc[1:]
    doc.h(2, "What would knowing more be worth?")
    chosen = chosen_option(result)
    doc.p(f"Choosing on today's expected costs picks **{chosen}**. If every uncertain outcome could be known "
          "before committing (traffic, prices, incidents: each path's), the choice would change on some paths; "
          f"the expected saving, the expected value of perfect information (EVPI), is "
          f"**{_plus_minus(total.value, total.se)}** over {result.months} months. No pilot, quote or benchmark "
          "is worth more than that to this decision.")
    if total.value <= 0 or not len(partial):
        doc.p("The choice is the same on every path: more information cannot change it.")
        return
    shown = partial[partial.value > 0].head(TOP)
    doc.p("Knowing one input alone (EVPPI, estimated by binning the paths on the input; ± one standard error "
          "by batch means): the noise floor is what an input of no value scores with this many paths, so an "
          "EVPPI near its floor is no evidence of value. All inputs are in voi.csv.")
    if not len(shown):
        doc.p("No single input changes the choice on its own: the value lies in knowing several together.")
        return
    doc.table(["input", "EVPPI", "share of EVPI", "noise floor"],
              [[r.label, _plus_minus(r.value, r.se), share(r.share_of_evpi), money(r.noise_floor)]
               for r in shown.itertuples()])
    top = shown.iloc[0]
    doc.p(f"Knowing “{top.label}” before committing is worth about {money(top.value)} "
          f"({share(top.share_of_evpi)} of the EVPI).")
    if "voi" in charts:
        doc.image(charts["voi"], "Value of information per input")


def voi_chart(result: Result, table: pd.DataFrame, path: Path) -> None:
    """EVPPI of the inputs worth most (bars, ±2 standard errors, the noise floor as a tick) against
    the EVPI (dashed line)."""
    import matplotlib.pyplot as plt

    from sim.report.axes import money_axis, save, title

    total = float(table.iloc[0].value)
    shown = table.iloc[1:][table.iloc[1:].value > 0].head(TOP)
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(shown) + 2.6))
    y = range(len(shown))
    se = shown.se.fillna(0.0).to_numpy()
    ax.barh(y, shown.value, xerr=2 * se, color="#1f77b4", error_kw={"ecolor": "#333333", "capsize": 3},
            label="EVPPI (±2 standard errors)")
    ax.plot(shown.noise_floor, y, "|", color="#d62728", ms=14, mew=2, label="noise floor")
    ax.axvline(total, color="black", ls="--", lw=1.1, label=f"EVPI (everything known) {money(total)}")
    ax.set_yticks(list(y), [textwrap.fill(s, 44) for s in shown.label], fontsize=7.5)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_xlim(0, total * 1.08)
    money_axis(ax, "x")
    ax.set_xlabel(f"Expected saving from knowing the input before choosing (USD over {result.months} months)")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title(result, "What is knowing each input worth before committing?"), fontsize=11)
    fig.tight_layout()
    save(fig, path)


__all__ = ["voi_chart", "voi_section"]
