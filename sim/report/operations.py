"""The report's Operations section: availability with one definition for self-hosted fleets and
APIs (the share of requests served), incidents by trigger beside Google's published mix, engineer
hours by cause, on-call coverage and its risk, and the availability-against-cost frontier."""

from __future__ import annotations

import numpy as np

from sim.config import SelfHostedOption, option_index
from sim.fmt import money, prob, share
from sim.ops.config import ON_CALL_CEILING
from sim.ops.price import CAUSE_METRICS, on_call_risk
from sim.report.document import Document
from sim.result import Result

#: Google's top outage triggers 2010-2017 (The Site Reliability Workbook, O'Reilly 2018, appendix
#: C, table C-1): changes = binary (37%) and configuration pushes (31%); hardware 2%; service
#: provider change 5%; the rest (user behaviour, pipelines, decay, capacity) 25%
PUBLISHED_TRIGGERS = {"incidents_changes": 0.68, "incidents_faults": 0.02, "incidents_outages": 0.05}
TRIGGER_NAMES = {"incidents_changes": "changes (deploys, config, patches, upgrades)",
                 "incidents_faults": "hardware (GPU faults)", "incidents_outages": "provider outages"}


def ops_section(doc: Document, result: Result, charts: dict[str, str]) -> None:
    opts = [o for o in result.options if "availability" in o.metrics]
    if not opts:
        return
    doc.h(2, "Operations")
    engine = "discrete-event (SimPy: engineers contend, incidents placed in clock time)" if result.ops_engine == "des" \
        else "vectorised (no contention for engineers)"
    doc.p("How often is each option down, what causes it, and what does keeping it up cost in engineer time?")
    doc.p(f"Operations model: {engine}. Availability is the share of requests served, for self-hosted fleets and "
          "APIs alike: a self-hosted shortfall loses the traffic above the capacity left at that hour of the day, a "
          "bad change fails its share of requests until rolled back, an API incident fails its impact share. "
          "Downtime is the lost traffic in full-outage hours; a month below the SLA target is a breach.")
    rows = []
    for opt in opts:
        spec = result.experiment.options[option_index(result.experiment, opt.name)].ops
        assert spec is not None
        m = opt.metrics
        served = 1.0 - m["downtime_hours"].sum(axis=0, dtype=np.float64) / (
            result.months * result.experiment.experiment.hours_per_month)
        breach_any = float((m["sla_breach"].max(axis=0) > 0).mean())
        rows.append([opt.name, f"{100 * float(np.median(served)):.3f}%",
                     f"{100 * float(np.quantile(served, 0.05)):.3f}%", f"{100 * spec.sla_target:g}%",
                     share(float(m['sla_breach'].mean(dtype='float64'))),
                     prob(breach_any, n=result.paths, exact=result.fixed),
                     f"{float(m['downtime_hours'].mean(dtype='float64')):.2f}",
                     f"{float(m['incidents'].mean(dtype='float64')):.2f}"])
    doc.table(["option", "requests served (median)", "P5", "SLA target", "months in breach", "P(any breach)",
               "downtime h/month", "incidents/month"], rows)
    if "frontier" in charts:
        doc.image(charts["frontier"], "Availability against total cost")
    _triggers(doc, result)
    _engineers(doc, result)
    _coverage(doc, result)
    doc.image(charts["availability"], "Availability per month")
    if "engineers" in charts:
        doc.image(charts["engineers"], "Engineer hours by cause")


def _triggers(doc: Document, result: Result) -> None:
    opts = [o for o in result.options if "incidents_changes" in o.metrics]
    if not opts:
        return
    doc.h(3, "What triggers the incidents")
    doc.p("Share of each fleet's incidents by trigger, beside Google's top outage triggers 2010–2017 (The Site "
          "Reliability Workbook, appendix C: binary and configuration pushes 68%, service provider changes 5%, "
          "hardware 2%; user behaviour, pipelines and the rest 25%, which this model does not generate).")
    rows = []
    for opt in opts:
        counts = {k: float(opt.metrics[k].sum(dtype=np.float64)) for k in PUBLISHED_TRIGGERS}
        total = sum(counts.values()) or 1.0
        rows.append([opt.name] + [share(counts[k] / total) for k in PUBLISHED_TRIGGERS])
    rows.append(["Google 2010–2017 (of all outages)"] + [share(v) for v in PUBLISHED_TRIGGERS.values()])
    doc.table(["option", *TRIGGER_NAMES.values()], rows)


def _engineers(doc: Document, result: Result) -> None:
    opts = [o for o in result.options if "engineer_hours_changes" in o.metrics]
    if not opts:
        return
    doc.h(3, "Engineer time")
    doc.p("Mean hours a month by cause. An incident is worked once its page is answered (diagnosis, mitigation); "
          "its follow-up (postmortem, fixes) joins the upgrade backlog — about 6 hours an incident in all, as the "
          "SRE book reports.")
    doc.table(["option", "incidents", "changes", "follow-up", "patching", "upgrades", "total"],
              [[o.name] + [f"{float(o.metrics[k].mean(dtype=np.float64)):,.1f}" for k in CAUSE_METRICS]
               + [f"{float(o.metrics['engineer_hours'].mean(dtype=np.float64)):,.1f}"] for o in opts])


def _coverage(doc: Document, result: Result) -> None:
    specs = [(opt, spec) for opt, spec in zip(result.options, result.experiment.options, strict=True)
             if isinstance(spec, SelfHostedOption) and spec.ops is not None]
    if not specs:
        return
    doc.h(3, "On-call coverage")
    doc.p(f"A 24x7 rotation needs at least 8 engineers at one site or 6 per site across two (SRE book, "
          f"\"Being On-Call\"); each should be on call at most {100 * ON_CALL_CEILING:.0f}% of the time. Under "
          "business hours a page at night or at the weekend waits for the next working hour; under best effort it "
          "is noticed some hours into the working day.")
    rows, risks = [], []
    for opt, spec in specs:
        ops = spec.ops
        assert ops is not None
        lines = {line.item: float(line.totals.mean()) for line in opt.lines}
        cost = sum(lines.get(k, 0.0) for k in ("On-call rotation", "On-call stipends", "On-call vendor"))
        who = "vendor" if ops.coverage_by == "vendor" else f"{ops.rotation_size} (minimum {ops.rotation_minimum})"
        share = float(np.mean(opt.metrics["on_call_share"]))
        rows.append([opt.name, f"{ops.coverage}, {ops.sites} site{'s' if ops.sites > 1 else ''}", who,
                     f"{100 * share:.0f}%", money(cost)])
        risk = on_call_risk(ops)
        if risk:
            risks.append(f"**{opt.name}**: {risk}.")
    doc.table(["option", "coverage", "rotation", "time on call per engineer", f"coverage cost ({result.months} mo, "
               "mean)"], rows)
    for risk in risks:
        doc.p(risk)


__all__ = ["ops_section"]
