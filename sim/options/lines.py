"""Cost lines: one driver each (monthly amount, GPU-hours, FTE share, events, tokens, egress)."""

from __future__ import annotations

import numpy as np

from distributions import compound_poisson
from sim.config import CostLine
from sim.options.context import PricingContext

#: item name -> monthly cost broadcastable to (months, n): a float, (1, n), (months, 1) or
#: (months, n); kept in its smallest shape so fixed lines cost nothing to carry
LineCosts = dict[str, np.ndarray | float]


def _driver_cost(line: CostLine, key: str, ctx: PricingContext, earlier: LineCosts) -> np.ndarray | float:
    sc = ctx.scenario
    driver = line.driver
    if driver == "share_of":  # e.g. a hot standby at 50% of the primary GPUs, same path
        return earlier[line.share_of] * sc.series(f"{key}.share", line.share)
    if driver == "monthly":
        return sc.series(f"{key}.monthly", line.monthly)
    if driver == "gpu_hours":
        hours = ctx.hours_per_month if line.hours_per_month is None else sc.series(
            f"{key}.hours_per_month", line.hours_per_month)
        return sc.series(f"{key}.gpus", line.gpus) * hours * sc.series(f"{key}.hourly_price", line.hourly_price)
    if driver == "fte":
        return sc.series(f"{key}.fte", line.fte) * sc.series(f"{key}.annual_cost", line.annual_cost) / 12.0
    if driver == "events":
        # a Poisson count per month at the path's yearly rate; every event draws its own cost
        rate = np.broadcast_to(sc.series(f"{key}.events_per_year", line.events_per_year), (1, sc.n)).T
        cost, months = line.cost_per_event, sc.months
        return sc.draw_rows(
            f"{key}.events",
            lambda rng, rows: compound_poisson(rng, rate[rows] / 12.0, cost, (rows.stop - rows.start, months))[1],
        ).T
    tokens = ctx.tokens.select(line.tokens)
    if driver == "per_million_tokens":
        return tokens * sc.series(f"{key}.per_million_tokens", line.per_million_tokens) / 1e6
    # per_gb: egress = bytes per token x tokens
    gb = tokens * sc.series(f"{key}.bytes_per_token", line.bytes_per_token) / 1e9
    return gb * sc.series(f"{key}.per_gb", line.per_gb)


def price_line(line: CostLine, key: str, ctx: PricingContext, earlier: LineCosts) -> np.ndarray | float:
    """Monthly cost of one line, broadcastable to (months, n); zero outside [start_month, end_month]."""
    cost = _driver_cost(line, key, ctx, earlier)
    months = ctx.scenario.months
    end = months if line.end_month is None else min(line.end_month, months)
    if line.start_month > 1 or end < months:
        active = np.zeros((months, 1))
        active[line.start_month - 1:end] = 1.0
        cost = cost * active
    return cost


def price_lines(lines: list[CostLine], prefix: str, ctx: PricingContext) -> LineCosts:
    """Price lines in file order (a ``share_of`` line reads an earlier one)."""
    out: LineCosts = {}
    for j, line in enumerate(lines):
        out[line.item] = price_line(line, f"{prefix}.costs[{j}]", ctx, out)
    return out
