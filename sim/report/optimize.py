"""optimize.md and optimize.png: the best decision, its runner-ups with paired differences, the
out-of-sample check, and the objective against each decision variable."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

from sim.fmt import amount, money, money_delta, prob
from sim.optimize import Search

#: runner-ups listed in optimize.md (all candidates are in optimize.csv)
SHOWN = 10


def value_text(v: float) -> str:
    """A decision value as people read it: 2, 36, 0.25, 376M."""
    return amount(v) if abs(v) >= 10_000 else f"{v:g}"


def _decision_text(found: Search, values: tuple[float, ...] | pd.Series) -> str:
    return ", ".join(f"{path} = {value_text(v)}" for (path, _), v in zip(found.decisions, values, strict=True))


def result_line(found: Search) -> str:
    """The answer in one sentence, for the terminal."""
    oos = found.out_of_sample
    ci = 1.96 * oos["objective_se"]
    return (f"best for “{found.option}” ({found.objective} of the horizon total): {_decision_text(found, found.best)}; "
            f"{found.objective} {money(oos['objective'])} ± {money(ci)} on fresh paths "
            f"(in-sample {money(oos['in_sample'])})")


def optimize_markdown(exp, found: Search) -> str:
    t = found.table
    ranked = t[t["rank"].notna()].sort_values("rank")
    screened = len(t) - len(ranked)
    oos = found.out_of_sample
    out = [f"# tcosim optimize: {exp.experiment.name}", ""]
    grid = "; ".join(f"`{p}` in {{{', '.join(value_text(v) for v in vals)}}}" for p, vals in found.decisions)
    out.append(f"Which decision minimises the **{found.objective}** of “{found.option}”'s horizon total? "
               f"Searched: {grid}.")
    out.append("")
    stages = ", then ".join(f"{c} candidates × {p:,} paths" for c, p in found.stages)
    out.append(f"Every candidate ran on the same paths (seed {found.seed}; common random numbers), so differences "
               f"are paired path by path. Evaluated: {stages}"
               + (f" (successive halving: {screened} candidates screened out as clearly worse)." if screened else "."))
    for c in found.constraints:
        out += ["", f"Constraint: {c.text} (P estimated on the paths; a candidate above the bound is infeasible)."]
    out += ["", "## The best decision", ""]
    best = ranked.iloc[0]
    if not bool(best.feasible):
        out.append("**No candidate meets every constraint**: the one ranked first breaks the fewest paths' "
                   "bounds by objective; read the constraint columns.")
    out.append(f"**{_decision_text(found, found.best)}**: {found.objective} {money(best.objective)} in sample. "
               f"Re-run on fresh paths (seed {oos['seed']}): **{money(oos['objective'])} ± "
               f"{money(1.96 * oos['objective_se'])}** (95% CI), {money_delta(-oos['optimism'])} against the in-sample "
               "figure. The minimum of many candidates on one sample is biased low in expectation (Mak, Morton & "
               "Wood 1999): quote the fresh-path figure.")
    out += ["", "## Runner-ups", "",
            "The difference from the best is paired (same paths); its 95% CI includes zero when the runner-up "
            "cannot be told apart from the best with these paths.", ""]
    cons = [f"P({c.metric} > {c.threshold:,.0f})" for c in found.constraints]
    extra = ["P95"] if found.objective == "mean" else ["mean", "P95"]
    head = [p for p, _ in found.decisions] + [found.objective, "vs best (95% CI)", *extra] + cons
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join(["---:"] * len(head)) + "|")
    for _, r in ranked.head(SHOWN).iterrows():
        cells = [value_text(r[p]) for p, _ in found.decisions]
        diff = "best" if r["rank"] == 1 else (f"{money(r.diff_vs_best)} ({money(r.diff_ci_low)} to "
                                                f"{money(r.diff_ci_high)})")
        cells += [money(r.objective), diff] + [money(r["mean"] if e == "mean" else r.total_p95) for e in extra]
        cells += [prob(r[f"constraint{k + 1}_p"], r[f"constraint{k + 1}_se"], n=int(r.paths))
                  for k in range(len(found.constraints))]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "![objective against each decision](optimize.png)", "",
            "All candidates, with their paths, stage and every figure, are in optimize.csv.", ""]
    return "\n".join(out)


def optimize_chart(found: Search, name: str, path: Path) -> None:
    """One panel per decision variable: the best objective reached at each of its values (over
    the other decisions) with ±2 SE, the P5-P95 band of that candidate's total, the winner marked."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    from sim.report.axes import money_axis, save

    t = found.table[found.table["rank"].notna()]
    n = len(found.decisions)
    width = max(9.0, 5.2 * n)
    fig, axes = plt.subplots(1, n, figsize=(width, 4.8), squeeze=False)
    for ax, (var, _) in zip(axes[0], found.decisions, strict=True):
        prof = t.loc[t.groupby(var).objective.idxmin()].sort_values(var)
        x = prof[var].to_numpy(dtype=float)
        ax.fill_between(x, prof.total_p5, prof.total_p95, color="#1f77b4", alpha=0.15, lw=0,
                        label="P5–P95 of the total")
        ax.errorbar(x, prof.objective, yerr=2 * prof.objective_se.fillna(0.0), fmt="o-", color="#1f77b4",
                    ms=4, capsize=3, label=f"{found.objective} (±2 SE), best over the other decisions")
        best_x = found.best[[p for p, _ in found.decisions].index(var)]
        ax.axvline(best_x, color="#d62728", ls="--", lw=1.1, label="the best decision")
        if x.size > 2 and x.min() > 0 and x.max() / x.min() > 30:  # a log grid: spread it evenly
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: value_text(v)))
        ax.set_xlabel(var, fontsize=9)
        money_axis(ax)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(textwrap.fill(f"{found.option}: horizon total (USD)", 44), fontsize=9)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=3, frameon=False)
    fig.suptitle(f"Which decision minimises the {found.objective}?\n{name} · {found.paths:,} paths per candidate",
                 fontsize=11)
    fig.tight_layout(rect=(0, 0.55 / fig.get_figheight(), 1, 1))
    save(fig, path)


__all__ = ["optimize_chart", "optimize_markdown", "result_line"]
