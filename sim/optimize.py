"""``tcosim optimize``: search decisions (reserved GPUs, term, engineers...) over a simulation by
sample average approximation: every candidate is run on the same paths (common random numbers),
so candidates are compared path by path; a large grid is screened by successive halving; the
winner is re-evaluated on fresh paths to show the optimism of an in-sample minimum (Mak, Morton
& Wood 1999, Operations Research Letters 24:47-56)."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.quantiles import row_percentiles, tail_mean
from sim.engine import run
from sim.errors import ExperimentError, UsageError
from sim.sweep import MAX_POINTS, parse_vary, refusal, shortfall_priced, with_value

OBJECTIVES = ("mean", "p90", "p95", "cvar95")
#: per-path figures a constraint can name: the option's horizon total, and its dearest month
METRICS = ("total", "worst_month")
#: contiguous batches of paths for standard errors of quantile objectives (batch means)
BATCHES = 20
#: above this many candidates the grid is screened by successive halving
SCREEN_ABOVE = 40
#: z for two-sided 95% intervals (normal quantile 0.975)
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Constraint:
    """P(metric > threshold) <= bound, e.g. "P(total > 400k) <= 5%"."""

    metric: str
    threshold: float
    bound: float
    text: str

    def share(self, figures: dict[str, np.ndarray]) -> tuple[float, float]:
        """The share of paths breaking the threshold and its binomial standard error."""
        hits = figures[self.metric] > self.threshold
        p = float(np.count_nonzero(hits)) / hits.size
        return p, math.sqrt(p * (1 - p) / hits.size)


_CONSTRAINT = re.compile(r"^\s*P\(\s*(\w+)\s*>\s*([^)]+?)\s*\)\s*<=\s*([0-9.]+)\s*(%?)\s*$")


def parse_constraint(text: str) -> Constraint:
    """'P(total > 400k) <= 5%' -> Constraint; ValueError naming what is wrong."""
    from distributions import parse_number

    m = _CONSTRAINT.match(text)
    if m is None:
        raise ValueError(f'--subject-to "{text}" is not of the form "P(METRIC > AMOUNT) <= SHARE" '
                         f'(e.g. "P(total > 400k) <= 5%")')
    metric, amount, bound, pct = m.groups()
    if metric not in METRICS:
        raise ValueError(f'--subject-to "{text}": unknown metric "{metric}" (known: {", ".join(METRICS)})')
    try:
        threshold = parse_number(amount)
        share = float(bound) / (100.0 if pct else 1.0)
    except ValueError:
        raise ValueError(f'--subject-to "{text}": "{amount}" is not an amount') from None
    if not 0.0 <= share <= 1.0:
        raise ValueError(f'--subject-to "{text}": the probability bound must lie between 0 and 100%')
    return Constraint(metric, threshold, share, text.strip())


def parse_decisions(specs: list[str]) -> list[tuple[str, list[float]]]:
    """Each --decide PATH=SPEC (the sweep grammar: a list, lin/log grid, or A..B integer range)."""
    out = []
    for spec in specs:
        path, sep, values = spec.partition("=")
        rng = re.fullmatch(r"\s*(-?\d+)\s*\.\.\s*(-?\d+)(?:\s*step\s*(\d+))?\s*", values) if sep else None
        if rng:
            start, stop, step = int(rng.group(1)), int(rng.group(2)), int(rng.group(3) or 1)
            if stop < start or step < 1:
                raise ValueError(f'--decide {path}: "{values}" is an empty range')
            out.append((path, [float(v) for v in range(start, stop + 1, step)]))
        else:
            out.append(parse_vary(spec.replace("--vary", "--decide")))
    if len({p for p, _ in out}) < len(out):
        raise ValueError("--decide: the same path is given twice")
    count = math.prod(len(v) for _, v in out)
    if count > MAX_POINTS:
        raise ValueError(f"--decide: {count:,} candidates; a search has at most {MAX_POINTS:,}")
    return out


def target_option(exp, decisions: list[tuple[str, list[float]]], name: str | None) -> int:
    """The option whose total is optimised: ``name``, else the one option every decision names."""
    names = [o.name for o in exp.options]
    if name is not None:
        if name not in names:
            raise ValueError(f'--option "{name}": no such option (have: {", ".join(names)})')
        return names.index(name)
    touched = {int(m.group(1)) for p, _ in decisions if (m := re.match(r"options\[(\d+)\]", p))}
    if len(touched) != 1:
        raise ValueError("--option NAME is needed: the decisions do not all belong to one option")
    index = touched.pop()
    if index >= len(names):
        raise ValueError(f"--decide options[{index}]: the experiment has {len(names)} options")
    return index


def with_decision(exp, decisions: list[tuple[str, list[float]]], values: tuple[float, ...]):
    """The experiment with every decision path set to its value (validated like a file)."""
    for (path, _), value in zip(decisions, values, strict=True):
        exp = with_value(exp, path, value)
    return exp


def check_candidates(exp, decisions, candidates) -> None:
    """Validate every candidate before any runs: UsageError naming the decision and value."""
    for values in candidates:
        try:
            with_decision(exp, decisions, values)
        except ValueError as exc:
            raise UsageError(f"{exp.source}: --decide {exc}") from None
        except ExperimentError as exc:
            paths = ", ".join(p for p, _ in decisions)
            shown = ", ".join(f"{p}={v:g}" for (p, _), v in zip(decisions, values, strict=True))
            raise refusal(exp, exc, f"--decide {paths}", f"--decide {shown}", ("decide", "decided"),
                          "candidate") from None


def objective(x: np.ndarray, kind: str) -> float:
    """The figure minimised, of per-path totals ``x``."""
    if kind == "mean":
        return float(x.mean())
    if kind in ("p90", "p95"):
        return float(row_percentiles(x[None, :], [float(kind[1:])])[0, 0])
    return tail_mean(x, 95.0)[1]


def objective_se(x: np.ndarray, kind: str, base: np.ndarray | None = None) -> float:
    """Standard error of the objective of ``x`` (or of its paired difference from ``base``): the
    sample SD over sqrt(n) for the mean, batch means of contiguous paths for quantile objectives."""
    n = x.size
    if kind == "mean":
        d = x if base is None else x - base
        return float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    size = n // BATCHES
    if size < 20:
        return math.nan
    per = [objective(x[b * size:(b + 1) * size], kind) - (0.0 if base is None else
           objective(base[b * size:(b + 1) * size], kind)) for b in range(BATCHES)]
    return float(np.std(per, ddof=1) / math.sqrt(BATCHES))


def evaluate(task: tuple) -> dict[str, np.ndarray]:
    """One candidate's per-path figures for the target option: total and worst month."""
    exp, decisions, values, index, paths, seed, ops = task
    res = run(with_decision(exp, decisions, values), paths=paths, seed=seed, ops=ops, totals_only=True)
    opt = res.options[index]
    worst = opt.worst_month if opt.worst_month is not None else np.full(paths, np.nan)
    return {"total": np.asarray(opt.totals, dtype=np.float64), "worst_month": np.asarray(worst, dtype=np.float64)}


@dataclass
class Search:
    """What optimize did: the candidates' rows, the screening stages, the out-of-sample check."""

    table: pd.DataFrame
    stages: list[tuple[int, int]]  # (candidates, paths) per stage
    best: tuple[float, ...]
    out_of_sample: dict[str, float]
    objective: str
    option: str
    decisions: list[tuple[str, list[float]]]
    constraints: list[Constraint]
    paths: int
    seed: int


Mapper = Callable[[list[tuple]], list[dict[str, np.ndarray]]]


def _rows(cands, figures, kind, constraints, paths, stage) -> list[dict]:
    rows = []
    for values, fig in zip(cands, figures, strict=True):
        x = fig["total"]
        row: dict = {"candidate": values, "paths": paths, "stage": stage, "objective": objective(x, kind),
                     "objective_se": objective_se(x, kind), "mean": float(x.mean())}
        p5, p50, p95 = row_percentiles(x[None, :], [5, 50, 95])[:, 0]
        row.update(total_p5=p5, total_p50=p50, total_p95=p95, cvar95=tail_mean(x, 95.0)[1])
        feasible = True
        for k, c in enumerate(constraints):
            p, se = c.share(fig)
            row[f"constraint{k + 1}_p"], row[f"constraint{k + 1}_se"] = p, se
            feasible &= p <= c.bound
        row["feasible"] = feasible
        rows.append(row)
    return rows


def _clearly_worse(diff: float, se: float) -> bool:
    """More than 2 paired standard errors behind the best; never when the stage has too few paths
    for an error (a quantile objective on fewer than 20 batches of 20): halving then goes by rank."""
    return math.isfinite(se) and diff > 2 * se


def _order(rows: list[dict]) -> list[int]:
    """Feasible candidates first, each group by objective (ties: the earlier candidate)."""
    return sorted(range(len(rows)), key=lambda i: (not rows[i]["feasible"], rows[i]["objective"], i))


def search(exp, decisions, kind: str, constraints: list[Constraint], index: int, paths: int, seed: int,
           mapper: Mapper, ops: str | None = None, progress: Callable[[int, int], None] | None = None) -> Search:
    """Evaluate the grid (screened by successive halving above SCREEN_ABOVE candidates), rank it,
    give each runner-up its paired difference from the best with a 95% CI, and re-run the best on
    a fresh seed drawn from the run's seed."""
    cands = list(itertools.product(*(v for _, v in decisions)))
    check_candidates(exp, decisions, cands)
    exp, _ = shortfall_priced(exp)
    stages: list[tuple[int, int]] = []
    stage_paths = paths if len(cands) <= SCREEN_ABOVE else min(paths, max(200, paths // 8))
    alive = cands
    dropped: list[dict] = []
    while True:
        figures = mapper([(exp, decisions, v, index, stage_paths, seed, ops) for v in alive])
        stages.append((len(alive), stage_paths))
        if progress:
            progress(len(stages), len(stages) + (stage_paths < paths))
        rows = _rows(alive, figures, kind, constraints, stage_paths, len(stages))
        order = _order(rows)
        if stage_paths >= paths:
            break
        best = figures[order[0]]["total"]
        keep = [i for i in order[:max(2, math.ceil(len(order) / 2))]
                if i == order[0] or not _clearly_worse(rows[i]["objective"] - rows[order[0]]["objective"],
                                                       objective_se(figures[i]["total"], kind, best))]
        dropped += [rows[i] for i in order if i not in keep]
        alive = [alive[i] for i in sorted(keep)]
        stage_paths = min(paths, stage_paths * 2)
    best_fig = figures[order[0]]["total"]
    for rank, i in enumerate(order, start=1):
        rows[i]["rank"] = rank
        diff = rows[i]["objective"] - rows[order[0]]["objective"]
        se = 0.0 if i == order[0] else objective_se(figures[i]["total"], kind, best_fig)
        rows[i].update(diff_vs_best=diff, diff_ci_low=diff - Z95 * se, diff_ci_high=diff + Z95 * se)
    best_values = alive[order[0]]
    fresh = int(np.random.SeedSequence(seed, spawn_key=(1,)).generate_state(1)[0])
    oos = mapper([(exp, decisions, best_values, index, paths, fresh, ops)])[0]["total"]
    out = {"seed": fresh, "objective": objective(oos, kind), "objective_se": objective_se(oos, kind),
           "in_sample": rows[order[0]]["objective"]}
    out["optimism"] = out["in_sample"] - out["objective"]
    table = pd.DataFrame([rows[i] for i in order] + dropped)  # screened out: their last stage, no rank
    for k, (path, _) in enumerate(decisions):
        table.insert(k, path, [c[k] for c in table.candidate])
    table = table.drop(columns="candidate")
    return Search(table, stages, best_values, out, kind, exp.options[index].name, decisions, constraints, paths, seed)


__all__ = ["METRICS", "OBJECTIVES", "Constraint", "Search", "evaluate", "parse_constraint", "parse_decisions",
           "search", "target_option"]
