"""The yardstick of `tcosim bench`: the benchmark experiment written by hand in tuned numpy, as a
careful user would (arrays laid out option x month x path in float32, in-place arithmetic, every
percentile by one ``np.sort`` per row), timed on the same machine in the same session.

It prices the same seven options on the same distributions as ``sim/data/bench.toml`` (the same
families and 90% intervals, not the same draws: a timing reference, not a second engine) and computes what the engine's
"+pctiles" figure includes: the monthly and cumulative bands of every option at five levels, the
horizon totals' bands, P(cheapest) and the means.
"""

from __future__ import annotations

import time

import numpy as np

#: (input $/M, output $/M, annual price change low, high) of the six APIs in bench.toml
APIS = ((3.0, 15.0, -0.5, -0.05), (2.5, 10.0, -0.5, -0.05), (15.0, 75.0, -0.5, -0.05),
        (0.15, 0.60, -0.4, 0.0), (0.90, 0.90, -0.4, 0.0), (0.59, 0.79, -0.4, 0.0))
LEVELS = (5.0, 25.0, 50.0, 75.0, 95.0)
MONTHS = 36
DAYS = 30.4167
HOURS = 730.0
Z95 = 1.6448536269514722  # "A to B" is a 90% interval: lognormal when 0 < A < B, else normal


def between(rng: np.random.Generator, low: float, high: float, size: int) -> np.ndarray:
    """Draws whose P5 and P95 are ``low`` and ``high`` (the experiment file's "A to B")."""
    if 0 < low < high:
        mu, sd = (np.log(low) + np.log(high)) / 2, (np.log(high) - np.log(low)) / (2 * Z95)
        return rng.lognormal(mu, sd, size)
    return rng.normal((low + high) / 2, (high - low) / (2 * Z95), size)


def simulate(paths: int, rng: np.random.Generator) -> np.ndarray:
    """Monthly cost, (options, months, paths) float32."""
    f4 = np.float32
    t = np.arange(MONTHS, dtype=f4)[:, None]
    growth = between(rng, 0.0, 0.05, paths).astype(f4)
    vol = f4(0.05)
    log_vol = rng.standard_normal((MONTHS, paths), dtype=f4)
    log_vol *= vol
    log_vol -= vol * vol / 2
    log_vol[0] = 0.0
    np.cumsum(log_vol, axis=0, out=log_vol)
    log_vol += t * np.log1p(growth)
    volume = np.exp(log_vol, out=log_vol)  # (months, paths) multiplier of month-1 volume
    volume *= f4(DAYS / 1e6)
    tok_in = between(rng, 3e6, 8e6, paths).astype(f4)
    tok_out = between(rng, 0.6e6, 1.6e6, paths).astype(f4)
    cost = np.empty((len(APIS) + 1, MONTHS, paths), dtype=f4)
    years = t / f4(12.0)
    for k, (p_in, p_out, lo, hi) in enumerate(APIS):
        change = between(rng, lo, hi, paths).astype(f4)
        np.maximum(change, f4(-0.999999), out=change)  # as the engine: a price cannot fall below zero
        per_path = tok_in * f4(p_in) + tok_out * f4(p_out)  # $ per day's tokens at month-1 prices
        np.multiply(years, np.log1p(change), out=cost[k])
        np.exp(cost[k], out=cost[k])
        cost[k] *= per_path
        cost[k] *= volume
    own = cost[-1]
    own[:] = (2 * HOURS * between(rng, 2.0, 3.5, paths)).astype(f4)  # GPU compute
    own += f4(2550 + 2425)  # failover, everything else
    own += between(rng, 300, 600, paths).astype(f4)  # monitoring
    own += (0.2 * between(rng, 180e3, 280e3, paths) / 12).astype(f4)  # MLOps
    events = rng.poisson(between(rng, 2, 3, paths) / 12, (MONTHS, paths))  # upgrades
    hit = events > 0
    own[hit] += (events[hit] * between(rng, 8e3, 16e3, int(hit.sum()))).astype(f4)
    return cost


def _bands(rows: np.ndarray) -> np.ndarray:
    """numpy's default (linear) percentiles of each row, by one in-place sort."""
    rows.sort(axis=-1)
    n = rows.shape[-1]
    pos = np.asarray(LEVELS) / 100 * (n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    w = (pos - lo).astype(rows.dtype)
    return rows[..., lo] * (1 - w) + rows[..., hi] * w


def analyse(cost: np.ndarray) -> dict[str, np.ndarray]:
    """Every band, the totals' bands, P(cheapest) and the means."""
    cumulative = np.cumsum(cost, axis=1, dtype=np.float32)
    totals = cumulative[:, -1, :].astype(np.float64)
    cheapest = np.bincount(totals.argmin(axis=0), minlength=cost.shape[0]) / cost.shape[2]
    means = totals.mean(axis=1)
    return {"monthly": _bands(cost), "cumulative": _bands(cumulative), "totals": _bands(totals),
            "p_cheapest": cheapest, "mean": means}


def measure(paths: int, seed: int = 1) -> dict[str, float]:
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    t0 = time.perf_counter()
    cost = simulate(paths, rng)
    t_sim = time.perf_counter() - t0
    analyse(cost)
    return {"tuned_simulate_s": t_sim, "tuned_total_s": time.perf_counter() - t0}


__all__ = ["analyse", "between", "measure", "simulate"]

if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(measure(int(sys.argv[1]))))
