"""``tcosim sweep``: run an experiment at each value of one input (common random numbers: the same
seed, so every point sees the same paths), and find where self-hosting becomes the cheapest
option with 50% and 90% probability."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from distributions import parse_number
from sim.analysis.cheapest import prob_cheapest
from sim.analysis.quantiles import band, share
from sim.correlations import lookup
from sim.engine import run
from sim.errors import ExperimentError, UsageError
from sim.loader import parse_experiment
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


def run_point(exp, path: str, value: float, paths: int, seed: int) -> list[dict]:
    """One sweep point. A row per option (P(cheapest of all), median total) and a row per
    self-hosted option and API pair: P(self-hosted total < API total) on paired paths and the
    P5/P50/P95 of their ratio."""

    res = run(with_value(exp, path, value), paths=paths, seed=seed)
    cheapest = prob_cheapest(res)
    rows = [{"value": value, "option": o.name, "versus": "", "kind": o.kind, "p": cheapest[o.name][0],
             "p_se": cheapest[o.name][1], "total_p50": float(np.median(o.totals))} for o in res.options]
    for own in (o for o in res.options if o.kind == "self_hosted"):
        for api in (o for o in res.options if o.kind == "api"):
            p, se = share(own.totals < api.totals)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = own.totals / api.totals
            r5, r50, r95 = band(ratio)
            rows.append({"value": value, "option": own.name, "versus": api.name, "kind": "pair", "p": p,
                         "p_se": se, "total_p50": float(np.median(own.totals)),
                         "ratio_p5": r5, "ratio_p50": r50, "ratio_p95": r95})
    return rows


def check_points(exp, path: str, values: list[float]) -> None:
    """Validate every point before any runs: UsageError naming the first bad value."""

    for value in values:
        try:
            with_value(exp, path, value)
        except ValueError as exc:
            raise UsageError(f"{exp.source}: --vary {path}: {exc}") from None
        except ExperimentError as exc:
            where, message = exc.problems[0]
            raise UsageError(f"{exp.source}: --vary {path}={value:g}: {where}: {message}") from None


def sweep(exp, path: str, values: list[float], paths: int, seed: int, client=None) -> pd.DataFrame:
    """Every point, locally or as Dask tasks on ``client`` (the numbers are the same either way)."""
    check_points(exp, path, values)
    if client is None:
        results = [run_point(exp, path, v, paths, seed) for v in values]
    else:
        futures = client.map(run_point, [exp] * len(values), [path] * len(values), values,
                             [paths] * len(values), [seed] * len(values), pure=False)
        results = client.gather(futures)
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
    with a band from P +- 2 standard errors at the sweep points."""
    rows = []
    for (option, versus), g in table[table.kind == "pair"].groupby(["option", "versus"], sort=False):
        g = g.sort_values("value")
        x, p, se = g.value.to_numpy(), g.p.to_numpy(), g.p_se.to_numpy()
        for level in (0.5, 0.9):
            rows.append({"option": option, "versus": versus, "level": level, "value": crossing(x, p, level),
                         "band_low": crossing(x, np.minimum(p + 2 * se, 1.0), level),
                         "band_high": crossing(x, np.maximum(p - 2 * se, 0.0), level)})
    return pd.DataFrame(rows, columns=["option", "versus", "level", "value", "band_low", "band_high"])


def _short(x: float) -> str:
    """1e6 -> 1M, 2.5e9 -> 2.5B, 1500 -> 1.5k."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:g}{suffix}"
    return f"{x:g}"


def sweep_chart(table: pd.DataFrame, name: str, path_label: str, paths: int, out) -> None:
    """Top: P(cheapest of all) per option; bottom: median and P5-P95 of each self-hosted total
    over the cheapest-median API's total."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from sim.report.charts import COLORS, DPI

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9.5, 8.5), sharex=True)
    opts = table[table.kind != "pair"]
    color = {option: COLORS[i % 10] for i, option in enumerate(dict.fromkeys(opts.option))}  # same in both panels
    for option, g in opts.groupby("option", sort=False):
        top.plot(g.value, 100 * g.p, marker="o", ms=3, color=color[option], label=option)
    top.set_ylabel("P(cheapest of all options)")
    top.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}%"))
    top.set_ylim(-2, 102)
    top.legend(fontsize=8, loc="center left")
    top.grid(alpha=0.3)
    pairs = table[table.kind == "pair"]
    if len(pairs):
        best_api = opts[opts.kind == "api"].groupby("option").total_p50.median().idxmin()
        for option, g in pairs[pairs.versus == best_api].groupby("option", sort=False):
            bottom.fill_between(g.value, g.ratio_p5, g.ratio_p95, color=color[option], alpha=0.15, lw=0)
            bottom.plot(g.value, g.ratio_p50, color=color[option], marker="o", ms=3, label=f"{option} ÷ {best_api}")
        bottom.axhline(1.0, color="black", ls="--", lw=1)
        bottom.set_yscale("log")
        bottom.set_ylabel("Total cost ratio (median, shaded P5–P95)")
        bottom.legend(fontsize=8, loc="upper right")
    bottom.grid(alpha=0.3, which="both")
    if (table.value > 0).all() and table.value.max() / table.value.min() > 20:
        bottom.set_xscale("log")
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _short(x)))
    bottom.set_xlabel(path_label)
    fig.suptitle(f"{name}: sweep of {path_label} ({paths:,} paths per point)", fontsize=12)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
