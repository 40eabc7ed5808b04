"""The report's Capacity section: what each checked fleet served of its load (GPUs, the two
utilisation figures, the share it could not serve and where that went), and for a chosen setup
every candidate considered and why the winner won."""

from __future__ import annotations

import numpy as np

from sim.analysis.capacity import INFEASIBLE_SHARE, unserved_share
from sim.analysis.quantiles import row_percentiles
from sim.capacity.choose import Choice
from sim.capacity.serving import ttft_caveat
from sim.capacity.sizing import Setup
from sim.config import SelfHostedOption
from sim.fmt import money, share
from sim.report.document import Document
from sim.result import Result


def _setup(spec: SelfHostedOption) -> tuple[str, str]:
    """(the setup, how it came to be) of a checked option."""
    if spec.fleet is not None:
        f = spec.fleet
        return f"{f.gpus} × {f.gpu} ({f.tensor_parallel} per replica), {f.model} {f.precision}", "declared"
    assert spec.capacity is not None
    cap = spec.capacity
    gpu, tp = cap.gpus_considered[0], cap.widths_considered[0]
    return f"{Setup(gpu, tp)} per replica, {cap.model} {cap.precision}", "sized"


def _share_text(values: np.ndarray | None) -> str:
    if values is None:
        return "–"
    p50, p95 = row_percentiles(values[None, :], [50, 95])[:, 0]
    return f"{share(p50)} (P95 {share(p95)})"


#: the line of a reserved option that rents GPUs on demand above (or after) its reservation
BURST_LINE = "GPU compute (on-demand)"


def _burst_text(spec: SelfHostedOption, opt) -> str:
    """Mean total of the on-demand GPUs a reservation rents beside itself; "–" for a policy that
    rents on demand (or spot) throughout, where that line is the whole GPU bill, not a burst."""
    prov = spec.provisioning
    if prov is None or prov.policy in ("on_demand", "spot"):
        return "–"
    line = next((ln for ln in opt.lines if ln.item == BURST_LINE), None)
    return "–" if line is None else money(float(line.totals.mean()))


def capacity_section(doc: Document, result: Result, charts: dict[str, str]) -> None:
    opts = [(i, o) for i, o in enumerate(result.options) if "gpus" in o.metrics]
    if not opts:
        return
    doc.h(2, "Capacity")
    doc.p("Can each self-hosted fleet carry its traffic within the latency targets, and how busy is it? "
          "Every self-hosted option with `[options.capacity]` (GPUs sized from the workload) or `[options.fleet]` "
          "(GPUs declared by hand) is checked against the traffic on every path and month: the replicas its GPUs "
          "form, the largest batch that keeps time per output token and time to first token under load within "
          "the SLOs, the diurnal peak and bursts. Two utilisation figures: **utilisation** = tokens served ÷ what "
          "the replicas could serve at the SLO (throughput headroom); **busy fraction** = share of the time a "
          "replica is running a step (a lightly loaded replica is busy far more than its utilisation, because "
          "a lone request still runs a whole step). The **unserved share** is the share of the horizon's tokens "
          "the fleet could not serve itself; it goes to the overflow API (a cost line at that API's prices on "
          f"the same path) or unserved. A fleet leaving more than {100 * INFEASIBLE_SHARE:g}% on the median path "
          "cannot carry the load. Two costs of the traffic above a fleet: **on-demand GPUs beyond the "
          "reservation** are GPUs a reserved option rents at the market price when its need exceeds what it "
          "reserved (or after the term); **API overflow** is the tokens its GPUs could not serve, priced at the "
          f"overflow API. Note: {ttft_caveat()}.")
    rows = []
    last = result.months - 1
    for i, opt in opts:
        spec = result.experiment.options[i]
        assert isinstance(spec, SelfHostedOption)
        setup, how = _setup(spec)
        p = {k: row_percentiles(v[[0, last]], [5, 50, 95]) for k, v in opt.metrics.items() if v.ndim == 2}
        signed = result.reserved_gpus.get(i)
        rows.append([opt.name, f"{setup} ({how})", f"{p['gpus'][1, 0]:.0f} → {p['gpus'][1, 1]:.0f}",
                     f"{p['gpus_needed'][1, 1]:.0f} ({p['gpus_needed'][0, 1]:.0f}–{p['gpus_needed'][2, 1]:.0f})",
                     f"{share(p['utilization'][1, 0])} → {share(p['utilization'][1, 1])}",
                     f"{share(p['busy_fraction'][1, 0])} → {share(p['busy_fraction'][1, 1])}",
                     _share_text(unserved_share(result, opt)), _burst_text(spec, opt),
                     money(float(opt.metrics["overflow_cost"].sum(axis=0, dtype="float64").mean())),
                     "–" if signed is None else f"{signed:.0f}"])
    doc.table(["option", "setup", "GPUs, month 1 → last (median)", "GPUs needed, last month: median (P5–P95)",
               "utilisation, month 1 → last (median)", "busy fraction, month 1 → last (median)",
               "unserved share of tokens: median (P95)", "on-demand GPUs beyond the reservation: mean total",
               "API overflow: mean total", "GPUs reserved (sized)"], rows)
    for i, choice in result.setups.items():
        _candidates(doc, result.options[i].name, choice)
    doc.image(charts["capacity"], "GPUs provisioned vs needed")
    doc.image(charts["utilization"], "Utilisation and busy fraction")


def _candidates(doc: Document, name: str, choice: Choice) -> None:
    win = choice.winner
    feasible = sorted((c for c in choice.candidates if c.feasible), key=lambda c: c.cost)
    runner = next((c for c in feasible if c is not win), None)
    doc.h(3, f"{name}: the setup chosen")
    why = (f"**{win.setup}** per replica costs least among {len(feasible)} setups that meet the SLOs "
           f"({len(choice.candidates)} considered): {money(win.cost)} for {win.gpu_hours:,.0f} GPU-hours over the "
           f"horizon at the P{100 * choice.quantile:g} demand of the pilot paths")
    if runner is not None:
        why += f", {share(1 - win.cost / runner.cost)} below the next, {runner.setup}" if runner.cost > 0 else ""
    doc.p(why + ". Each candidate is priced at the median catalog (or given) price of the provisioning class; "
          "the run then rents the winner by the provisioning policy on every path.")
    rows = []
    for c in sorted(choice.candidates, key=lambda c: (not c.feasible, c.cost)):
        mark = "**chosen**" if c is win else ("" if c.feasible else c.why_not)
        if not c.feasible:
            rows.append([str(c.setup), "", "", "", "", "", "", mark])
            continue
        rows.append([str(c.setup), f"{c.replicas:.1f}", f"{c.gpu_hours:,.0f}", money(c.price), money(c.cost),
                     share(c.utilization), f"{c.batch:.0f}", mark])
    doc.table(["setup (per replica)", "replicas (mean over months)", "GPU-hours", "$/GPU-hour", "cost",
               "utilisation", "batch at the SLO", "verdict"], rows)


__all__ = ["capacity_section"]
