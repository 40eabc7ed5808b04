"""What the report says, as a Document (rendered to report.md and report.html)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from sim.analysis.bands import level_label
from sim.analysis.quantiles import p95_precision
from sim.fmt import change, duration, money, prob, ratio, share
from sim.names import shown
from sim.report.budget import risk_section, scenario_section
from sim.report.capacity import capacity_section
from sim.report.document import Document
from sim.report.operations import ops_section
from sim.report.switch import switch_section
from sim.report.voi import voi_section
from sim.result import Result
from sim.specs import given

if TYPE_CHECKING:
    from sim.study import Study


def _headline(result: Result, summary: pd.DataFrame) -> str:
    best = summary.sort_values("p_cheapest", ascending=False).iloc[0]
    median_col = "total_p50" if "total_p50" in summary else None
    text = (f"**{best.option}** is the cheapest option over {result.months} months on "
            f"{prob(best.p_cheapest, n=result.paths, exact=result.fixed)} of paths")
    if median_col:
        text += f" (median total {money(best[median_col])})"
    return text + "."


def build_document(study: Study, summary: pd.DataFrame, charts: dict[str, str],
                   wall_time: float | None) -> Document:
    result = study.result
    meta = result.experiment.experiment
    levels = result.percentile_levels
    doc = Document()
    doc.h(1, f"tcosim report: {meta.name}")
    if meta.description:
        doc.p(shown(meta.description))
    facts = (f"{result.paths:,} Monte Carlo paths, seed {result.seed}, horizon {result.months} months "
             f"of {meta.days_per_month:g} days, {len(result.options)} options.")
    if wall_time is not None:
        workers = "1 worker" if result.workers == 1 else f"{result.workers} workers"
        facts += f" Simulation and analysis took {duration(wall_time)} on {workers}."
    doc.p(facts)
    doc.p(_headline(result, summary))
    for note in study.notes():
        doc.p(f"**Note:** {note}")

    doc.h(2, "Horizon total cost")
    doc.p(f"What will each option cost over the {result.months} months, and how likely is each to be the cheapest?")
    mid = 50.0 if 50.0 in levels else levels[len(levels) // 2]
    headers = ["option", "mean"] + [f"P{level_label(p)}" for p in levels] + \
              [f"P{level_label(mid)} 95% CI", "P(cheapest)"]
    rows = []
    for _, r in summary.iterrows():
        tag = f"total_p{level_label(mid)}"
        rows.append([r.option, money(r["mean"])] + [money(r[f"total_p{level_label(p)}"]) for p in levels]
                    + [f"{money(r[tag + '_ci_low'])} – {money(r[tag + '_ci_high'])}",
                       prob(r.p_cheapest, r.p_cheapest_se, n=result.paths, exact=result.fixed)])
    doc.table(headers, rows)
    floor = "" if result.fixed else (f"; “{prob(0.0, n=result.paths)}” means no path of {result.paths:,} had it "
                                     "(the rule-of-three 95% bound, 3/paths, or 0.1% if finer)")
    doc.p("P(cheapest) is measured on paired paths: every option sees the same traffic and market "
          f"on a path (common random numbers); ± is one standard error{floor}. The confidence interval "
          "of each percentile comes from binomial order statistics, so it needs no distributional assumption.")

    switch_section(doc, study, charts)
    risk_section(doc, study, summary, charts)
    scenario_section(doc, study, charts)
    _sensitivity_section(doc, study, charts)
    voi_section(doc, study, charts)
    _tco_section(doc, summary)
    _succession_section(doc, study)
    _claims_section(doc, study)

    doc.h(2, "Charts")
    doc.p("How does each option's cost unfold month by month, and how wide is the spread of its total? The "
          "monthly bands are drawn twice: each option on its own scale (its shape), then all on one scale "
          "(their sizes).")
    doc.image(charts["monthly_fan"], "Monthly cost bands per option, each on its own scale")
    doc.image(charts["monthly_fan_shared"], "Monthly cost bands per option, on one scale")
    doc.image(charts["cumulative"], "Cumulative cost per option")
    doc.image(charts["total"], "Distribution of the horizon total")
    doc.image(charts["lines"], "Cost breakdown by category")

    capacity_section(doc, result, charts)
    ops_section(doc, result, charts)
    _lines_section(doc, result)
    _precision_section(doc, result, summary)
    _method_section(doc, result)
    return doc


def _sensitivity_section(doc: Document, study: Study, charts: dict[str, str]) -> None:
    result = study.result
    if result.experiment.correlations:
        doc.h(2, "Correlated inputs")
        doc.p("Did the correlations asked for come out in the sample? Rank correlations imposed with Iman–Conover "
              "(each input keeps its own distribution exactly; only the pairing across paths changes), asked beside "
              "achieved:")
        doc.table(["input", "with", "asked ρ", "achieved ρ"],
                  [[r.a, r.b, f"{r.asked:+.2f}", f"{r.achieved:+.3f}"] for r in study.correlations().itertuples()])
    table = study.sensitivity()
    if not len(table):
        return
    doc.h(2, "What drives the answer")
    noise = 2 / (min(result.paths, 100_000) ** 0.5)
    doc.p("Which uncertain inputs move the answer most? Inputs ranked by Spearman rank correlation with each "
          "self-hosted option's horizon total, and with its difference from the cheapest API (path by path), among "
          "the inputs that feed that option or that API; the swing is the median total "
          f"with the input in its top decile minus its bottom decile. |ρ| below {noise:.3f} is sampling "
          "noise. All inputs are in sensitivity.csv by dotted config path.")
    if "tornado" in charts:
        doc.image(charts["tornado"], "Tornado: inputs that move the totals most")
    for (option, versus), g in table.groupby(["option", "versus"], sort=False):
        doc.h(3, f"{option} − {versus}" if versus else f"{option}: horizon total")
        doc.table(["input", "Spearman ρ", "median, input in bottom decile", "top decile", "swing"],
                  [[r.label, f"{r.spearman:+.3f}", money(r.median_low), money(r.median_high), money(r.swing)]
                   for r in g.head(5).itertuples()])


def _tco_section(doc: Document, summary: pd.DataFrame) -> None:
    if "tco_multiplier_p50" not in summary:
        return
    sub = summary.dropna(subset=["tco_multiplier_p50"])
    doc.h(2, "TCO multiplier")
    doc.p("How far is each self-hosted bill from its GPU-hours figure? Total cost of a self-hosted option divided "
          "by its GPU lines (category `gpu`): how far the "
          "real bill is from the napkin GPU-hours figure. It is a property of scale, not a constant: the "
          "people, software and operations lines hardly grow with the fleet, so the same bill over more "
          "GPUs gives a smaller multiplier. Read it beside the GPUs it divides by: those of the `gpu` lines (a "
          "failover GPU billed as `redundancy` is in the total, not in the count); `tcosim sweep` draws it "
          "against volume.")
    doc.table(["option", "GPUs it divides by (`gpu` lines; median path, mean over months)", "P5", "median", "P95"],
              [[r.option, _gpus(r.get("tco_gpus")), ratio(r.tco_multiplier_p5), ratio(r.tco_multiplier_p50),
                ratio(r.tco_multiplier_p95)] for _, r in sub.iterrows()])


def _gpus(value: object) -> str:
    return "n/a" if value is None or value != value else f"{float(value):.3g}"  # type: ignore[arg-type]


def _succession_section(doc: Document, study: Study) -> None:
    table = study.succession()
    if not len(table):
        return
    doc.h(2, "Model succession")
    doc.p("When do successor models take over, and what does switching cost? Each successor takes the traffic "
          "when it arrives (after its evaluation, during which both models run); later successors wait for "
          "earlier ones. Months are counted from 1 over the paths on which the switch "
          "happens within the horizon; costs are means over all paths.")
    doc.table(["option", "successor", "switches within the horizon", "month (median, P10–P90)",
               "migration cost (mean)", "evaluation traffic, all successors (mean)"],
              [[r.option, r.successor, share(r.share_of_paths),
                "–" if r.month_p50 != r.month_p50 else f"{r.month_p50:.0f} ({r.month_p10:.0f}–{r.month_p90:.0f})",
                money(r.migration_cost_mean), money(r.option_evaluation_cost_mean)] for r in table.itertuples()])


def _claims_section(doc: Document, study: Study) -> None:
    checks = study.claims()
    if not checks:
        return
    doc.h(2, "Claims check")
    doc.p("Do the figures the source claims follow from its own inputs? Each claimed figure beside the "
          "simulated median; a claim more than its tolerance (default 1%) from the median is flagged.")
    rows = []
    for c in checks:
        fmt = ratio if c.claim.metric == "tco_multiplier" else money
        month = "" if c.month is None else str(c.month)
        verdict = "matches" if c.supported else f"**differs by {change(c.median, c.claim.value)}**"
        rows.append([c.claim.option, c.claim.metric, month, fmt(c.claim.value), fmt(c.median),
                     f"P{c.rank:.1f}", verdict, c.claim.source])
    doc.table(["option", "metric", "month", "claimed", "simulated median", "claim sits at",
               "verdict", "source"], rows)
    bad = sum(not c.supported for c in checks)
    doc.p(f"{len(checks) - bad} of {len(checks)} claims match the model; {bad} differ.")


def _lines_section(doc: Document, result: Result) -> None:
    doc.h(2, "Cost lines")
    doc.p("Where does each option's money go? Mean cost per line (means add up to the option's mean; percentiles "
          "per line and month are in percentiles.csv as metric `line:<item>`).")
    for opt in result.options:
        total = float(opt.totals.mean())
        rows = [[line.item, line.category, money(float(line.mean_by_month[0])),
                 money(float(line.totals.mean())),
                 share(float(line.totals.mean()) / total) if total > 0 else "n/a"]
                for line in opt.lines]
        rows.append(["**total**", "", money(float(given(opt.by_month)[0].mean(dtype="float64"))),
                     money(total), "100%"])
        doc.h(3, opt.name)
        doc.table(["line", "category", "mean month 1", f"mean total ({result.months} mo)", "share"], rows)
    if not result.line_bands:
        doc.p("Per-line monthly percentile bands were not computed for this run (`line_bands` is "
              "\"auto\": on up to 20,000 paths, to bound memory and time; set `line_bands = true` "
              "to force them). The line means and totals above are exact.")


def _precision_section(doc: Document, result: Result, summary: pd.DataFrame) -> None:
    doc.h(2, "Precision of the headline numbers")
    doc.p(f"How precisely do {result.paths:,} paths pin down the headline numbers? Half-widths of 95% confidence "
          "intervals (run with more paths, or `--precision`, to narrow them).")
    asked = result.timings.get("precision_asked")
    if asked is not None:
        doc.p(f"Run with `--precision {100 * asked:g}%`: {int(result.timings['precision_rounds'])} round(s), "
              f"{result.paths:,} paths; the worst P95 precision reached is "
              f"{100 * result.timings['precision_achieved']:.2f}%.")
    if result.fixed:
        doc.p("Every input of this experiment is fixed, so every path is the same: the numbers above are exact.")
        return
    rows = []
    for r, opt in zip(summary.itertuples(), result.options, strict=True):
        mean_rel = r.mean_se / r.mean if r.mean else 0.0
        med_rel = (r.total_p50_ci_high - r.total_p50_ci_low) / 2 / r.total_p50 if "total_p50_ci_high" in summary \
            and r.total_p50 else float("nan")
        points = 100 * 1.96 * r.p_cheapest_se
        rows.append([r.option, f"±{share(1.96 * mean_rel)}", f"±{share(med_rel)}",
                     f"±{share(p95_precision(opt.totals))}",
                     f"±{points:.1f} pts" if points >= 0.05 else "< ±0.1 pts"])
    doc.table(["option", "mean (95% CI)", "median (95% CI)", "P95 (95% CI)", "P(cheapest) (95% CI)"], rows)


def _method_section(doc: Document, result: Result) -> None:
    doc.h(2, "How these numbers were made")
    doc.p(f"Each of the {result.paths:,} paths draws every uncertain input once (uncertainty about "
          "the world) and every process month by month; all options are priced on the same path. "
          "Percentiles are exact sample percentiles (linear interpolation). Monthly costs are stored "
          "in single precision (about 7 significant digits); horizon totals in double precision. "
          "Inputs: `manifest.json` records the experiment file's SHA-256, the seed and library versions.")
