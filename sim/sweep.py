"""``tcosim sweep``: run an experiment at each value of one input (common random numbers: the same
seed, so every point sees the same paths), and find where self-hosting becomes the cheapest
option with 50% and 90% probability."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from distributions import parse_number
from sim.analysis.capacity import INFEASIBLE_SHARE, gpu_count, unserved_share
from sim.analysis.cheapest import prob_cheapest
from sim.analysis.quantiles import band, share
from sim.analysis.risk import tco_multiplier
from sim.capacity.sizing import Setup
from sim.correlations import lookup
from sim.engine import run
from sim.errors import ExperimentError, UsageError
from sim.loader import parse_experiment
from sim.parallel import worker_pool
from sim.specs import median

#: the special path that scales month-1 input and output volume together (their ratio is kept)
TOKENS_PER_DAY = "workload.tokens_per_day"


#: the most points a sweep (or a grid of decisions) may have
MAX_POINTS = 1000


def parse_vary(text: str) -> tuple[str, list[float]]:
    """'PATH=START:STOP:log|lin:N' or 'PATH=V1,V2,...' -> (path, values)."""
    path, sep, spec = text.partition("=")
    if not sep or not path or not spec:
        raise ValueError(f'--vary must be PATH=SPEC, got "{text}"')
    parts = spec.split(":")
    try:
        if len(parts) == 4:
            start, stop, scale, count = parse_number(parts[0]), parse_number(parts[1]), parts[2], int(parts[3])
            if count < 2 or scale not in ("log", "lin"):
                raise ValueError
            if count > MAX_POINTS:
                raise _TooMany(count)
            if scale == "log":
                if start <= 0 or stop <= 0:
                    raise ValueError
                grid = np.geomspace(start, stop, count)
            else:
                grid = np.linspace(start, stop, count)
            return path, [float(v) for v in grid]
        values = [parse_number(v) for v in spec.split(",")]
        if len(values) > MAX_POINTS:
            raise _TooMany(len(values))
        return path, values
    except _TooMany as exc:
        raise ValueError(f"--vary {path}: {exc.count:,} points; a sweep has at most {MAX_POINTS:,}") from None
    except ValueError:
        raise ValueError(f'--vary {path}: "{spec}" is not START:STOP:log|lin:N (N >= 2, log needs '
                         'positive bounds) or a comma list of numbers') from None


class _TooMany(ValueError):
    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


_TOKEN = re.compile(r"^(\w+)(?:\[(\d+)\])?$")


def _set_raw(doc: dict, path: str, value: float) -> None:
    """Set the value at a dotted path of the raw document (creating the last key if absent)."""
    node: object = doc
    parts = path.split(".")
    for k, part in enumerate(parts):
        m = _TOKEN.match(part)
        if m is None or not isinstance(node, dict):
            raise ValueError(f'"{path}" names no input of this experiment')
        last = k == len(parts) - 1 and m.group(2) is None
        if last:
            node[m.group(1)] = value
            return
        if m.group(1) not in node:
            raise ValueError(f'"{path}" names no input of this experiment')
        node = node[m.group(1)]
        if m.group(2) is not None:
            idx = int(m.group(2))
            if not isinstance(node, list) or idx >= len(node):
                raise ValueError(f'"{path}" names no input of this experiment')
            if k == len(parts) - 1:
                node[idx] = value
                return
            node = node[idx]


def with_value(exp, path: str, value: float):
    """A copy of the experiment with the input at ``path`` fixed to ``value``, validated like a
    file (a value outside the field's range is an ExperimentError, as it would be in the file)."""

    doc = copy.deepcopy(exp.raw)
    if path == TOKENS_PER_DAY:
        med_in = median(exp.workload.input_tokens_per_day, exp.market)
        med_out = median(exp.workload.output_tokens_per_day, exp.market)
        share = med_in / (med_in + med_out) if med_in + med_out > 0 else 1.0
        doc["workload"]["input_tokens_per_day"] = value * share
        doc["workload"]["output_tokens_per_day"] = value * (1 - share)
    else:
        lookup(exp, path)  # a clear ValueError if the path names no input
        _set_raw(doc, path, value)
    out = parse_experiment(doc, exp.source, Path(exp.base_dir) if exp.base_dir else None)
    out.sha256 = exp.sha256
    return out


def shortfall_priced(exp):
    """The experiment with every checked self-hosted option that names no overflow sending its
    shortfall to the cheapest API in the file (so that a fleet too small for a point pays for the
    tokens it cannot serve), and the names of those options. Unchanged when there is no API."""
    doc = copy.deepcopy(exp.raw)
    if not any(o.get("kind") == "api" for o in doc.get("options", [])):
        return exp, []
    names = []
    for raw, opt in zip(doc["options"], exp.options, strict=True):
        table = "fleet" if getattr(opt, "fleet", None) is not None else (
            "provisioning" if getattr(opt, "provisioning", None) is not None else None)
        if table is not None and getattr(opt, table).overflow is None:
            raw[table]["overflow"] = "cheapest"
            names.append(opt.name)
    if not names:
        return exp, []
    out = parse_experiment(doc, exp.source, Path(exp.base_dir) if exp.base_dir else None)
    out.sha256 = exp.sha256
    return out, names


def replica_setup(spec) -> str:
    """A checked option's replica at this point ("2 × h100-sxm": GPUs per replica and type, as
    chosen for a candidate list); empty when its GPUs are unchecked."""
    table = getattr(spec, "capacity", None) or getattr(spec, "fleet", None)
    if table is None:
        return ""
    gpu = table.gpu if isinstance(table.gpu, str) else table.gpu[0]
    return str(Setup(gpu, int(table.tensor_parallel)))


def _own_figures(res, index: int, opt) -> dict:
    """A self-hosted option's scale at a point: GPUs, TCO multiplier band, unserved share band."""
    row: dict = {"setup": replica_setup(res.experiment.options[index]), "gpus": gpu_count(res, index)}
    ratio = tco_multiplier(opt)
    if ratio is not None and np.isfinite(ratio).all():
        row["tco_multiplier_p5"], row["tco_multiplier_p50"], row["tco_multiplier_p95"] = band(ratio)
    short = unserved_share(res, opt)
    if short is not None:
        s50, s95 = np.quantile(short, [0.5, 0.95])
        row.update(unserved_share_p50=float(s50), unserved_share_p95=float(s95),
                   feasible=bool(s50 <= INFEASIBLE_SHARE))
    return row


def run_point(exp, path: str, value: float, paths: int, seed: int, ops: str | None = None) -> list[dict]:
    """One sweep point. A row per option (P(cheapest of all), median total; for a self-hosted one
    its GPUs, TCO multiplier and unserved share) and a row per self-hosted option (or staged plan) and API pair:
    P(self-hosted total < API total) on paired paths and the P5/P50/P95 of their ratio."""
    return point_rows(with_value(exp, path, value), value, paths, seed, ops)


def point_rows(point, value: float, paths: int, seed: int, ops: str | None = None) -> list[dict]:
    """run_point for an experiment already set to the point's ``value`` (see with_value)."""
    res = run(point, paths=paths, seed=seed, ops=ops, line_bands=False)  # no line is shown
    cheapest = prob_cheapest(res)
    rows, own = [], {}
    for i, o in enumerate(res.options):
        row = {"value": value, "option": o.name, "versus": "", "kind": o.kind, "p": cheapest[o.name][0],
               "p_se": cheapest[o.name][1], "total_p50": float(np.median(o.totals))}
        if o.kind == "self_hosted":
            own[o.name] = _own_figures(res, i, o)
            row.update(own[o.name])
        rows.append(row)
    for mine in (o for o in res.options if o.kind in ("self_hosted", "staged")):  # a staged plan is a bet too
        for api in (o for o in res.options if o.kind == "api"):
            p, se = share(mine.totals < api.totals)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = mine.totals / api.totals
            r5, r50, r95 = band(ratio)
            scale = {k: v for k, v in own.get(mine.name, {}).items() if k.startswith(("unserved", "feasible"))}
            rows.append({"value": value, "option": mine.name, "versus": api.name, "kind": "pair", "p": p,
                         "p_se": se, "total_p50": float(np.median(mine.totals)),
                         "ratio_p5": r5, "ratio_p50": r50, "ratio_p95": r95, **scale})
    return rows


def check_points(exp, path: str, values: list[float]) -> list:
    """Every point's experiment, each validated before any runs: UsageError naming the first bad value."""
    points = []
    for value in values:
        try:
            points.append(with_value(exp, path, value))
        except ValueError as exc:
            raise UsageError(f"{exp.source}: --vary {path}: {exc}") from None
        except ExperimentError as exc:
            raise refusal(exp, exc, f"--vary {path}", f"--vary {path}={value:g}", ("sweep", "swept"), "point") from None
    return points


def refusal(exp, exc: ExperimentError, flag: str, flag_value: str, verb: tuple[str, str], unit: str) -> UsageError:
    """Exit 2 for a swept or decided value the file would refuse: the field and its message, or,
    when the value fixes a correlated input, which [[correlations]] entry to drop."""
    where, message = exc.problems[0]
    entry = re.match(r"correlations\[(\d+)\]", where)
    if entry and "is fixed" in message:
        c = exp.correlations[int(entry.group(1))]
        return UsageError(f"{exp.source}: {flag}: a {verb[1]} input is fixed at each {unit}, so it cannot "
                          f"keep its rank correlation: drop [[correlations]] entry {int(entry.group(1)) + 1} of "
                          f"{len(exp.correlations)} "
                          f"(a = \"{c.a}\", b = \"{c.b}\", rank_correlation = {c.rank_correlation:g}) "
                          f"from the file, or {verb[0]} another input")
    return UsageError(f"{exp.source}: {flag_value}: {where}: {message}")


def _point(task: tuple) -> list[dict]:
    return point_rows(*task)


def sweep(exp, path: str, values: list[float], paths: int, seed: int, client=None, workers: int = 1,
          ops: str | None = None, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Every point, one after the other, over ``workers`` processes (a point each), or as Dask
    tasks on ``client``: the numbers are the same either way, since each point is a whole run at
    the same seed. ``progress(done, total)`` is called as points finish. The shortfall of a checked
    fleet is priced (see shortfall_priced)."""
    points = check_points(shortfall_priced(exp)[0], path, values)
    tasks = [(point, v, paths, seed, ops) for point, v in zip(points, values, strict=True)]
    tell = progress or (lambda done, total: None)
    if client is not None:
        futures = client.map(point_rows, *zip(*tasks, strict=True), pure=False)
        results = client.gather(futures)
        tell(len(values), len(values))
    elif workers <= 1 or len(values) == 1:
        results = []
        for k, task in enumerate(tasks):
            results.append(point_rows(*task))
            tell(k + 1, len(values))
    else:
        with worker_pool(min(workers, len(values))) as pool:
            results = []
            for k, rows in enumerate(pool.imap(_point, tasks)):
                results.append(rows)
                tell(k + 1, len(values))
    return pd.DataFrame([row for rows in results for row in rows])


def crossing(values: np.ndarray, probs: np.ndarray, level: float) -> float:
    """First value where ``probs`` rises through ``level`` (linear in log value between points
    when all values are positive); NaN if it never does."""
    above = np.flatnonzero(probs >= level)
    if above.size == 0:
        return math.nan
    i = int(above[0])
    if i == 0:
        return float(values[0]) if probs[0] >= level else math.nan
    x0, x1, p0, p1 = values[i - 1], values[i], probs[i - 1], probs[i]
    frac = (level - p0) / (p1 - p0) if p1 != p0 else 0.0
    if x0 > 0 and x1 > 0:
        return float(math.exp(math.log(x0) + frac * (math.log(x1) - math.log(x0))))
    return float(x0 + frac * (x1 - x0))


def break_even(table: pd.DataFrame) -> pd.DataFrame:
    """Per self-hosted option and API: the value where P(self-hosted cheaper) crosses 50% and 90%,
    with a band from P +- 2 standard errors at the sweep points; for a checked fleet, the share of
    tokens it cannot serve at the first sweep point at or above the crossing, and whether it can
    carry the load there (``feasible``)."""
    rows = []
    checked = "unserved_share_p50" in table
    for (option, versus), g in table[table.kind == "pair"].groupby(["option", "versus"], sort=False):
        g = g.sort_values("value")
        x, p, se = g.value.to_numpy(), g.p.to_numpy(), g.p_se.to_numpy()
        for level in (0.5, 0.9):
            value = crossing(x, p, level)
            row = {"option": option, "versus": versus, "level": level, "value": value,
                   "band_low": crossing(x, np.minimum(p + 2 * se, 1.0), level),
                   "band_high": crossing(x, np.maximum(p - 2 * se, 0.0), level),
                   "unserved_share_p50": math.nan, "feasible": None}
            at = np.flatnonzero(x >= value * (1 - 1e-12)) if value == value else np.array([], int)
            if checked and at.size and g.unserved_share_p50.iloc[int(at[0])] == g.unserved_share_p50.iloc[int(at[0])]:
                share50 = float(g.unserved_share_p50.iloc[int(at[0])])
                row.update(unserved_share_p50=share50, feasible=bool(share50 <= INFEASIBLE_SHARE))
            rows.append(row)
    return pd.DataFrame(rows, columns=["option", "versus", "level", "value", "band_low", "band_high",
                                       "unserved_share_p50", "feasible"])


def infeasible_from(table: pd.DataFrame) -> dict[str, float]:
    """Per checked self-hosted option: the first sweep value from which its fleet leaves more than
    INFEASIBLE_SHARE of the tokens unserved on the median path (only options that do)."""
    if "feasible" not in table:
        return {}
    own = table[(table.kind == "self_hosted") & table.feasible.notna()].sort_values("value")
    return {str(option): float(g.value[g.feasible == False].iloc[0])  # noqa: E712 (a column of objects)
            for option, g in own.groupby("option", sort=False) if (g.feasible == False).any()}  # noqa: E712
