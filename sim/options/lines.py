"""Cost lines: one driver each (monthly amount, GPU-hours, FTE share, events, tokens, egress)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.random import Generator

from distributions import compound_poisson
from sim.config import CostLine
from sim.options.context import PricingContext
from sim.pricing import Cost, LineSet
from sim.specs import given

Array = npt.NDArray[np.float64]


def _driver_cost(line: CostLine, key: str, ctx: PricingContext, earlier: LineSet) -> Cost:
    sc = ctx.scenario
    driver = line.driver
    if driver == "share_of":  # e.g. a hot standby at 50% of the primary GPUs, same path
        return earlier.cost(given(line.share_of)) * sc.series(f"{key}.share", given(line.share))
    if driver == "monthly":
        return sc.series(f"{key}.monthly", given(line.monthly))
    if driver == "gpu_hours":
        hours = ctx.hours_per_month if line.hours_per_month is None else sc.series(
            f"{key}.hours_per_month", line.hours_per_month)
        gpus = sc.series(f"{key}.gpus", given(line.gpus))
        return gpus * hours * sc.series(f"{key}.hourly_price", given(line.hourly_price))
    if driver == "fte":
        fte = sc.series(f"{key}.fte", given(line.fte))
        return fte * sc.series(f"{key}.annual_cost", given(line.annual_cost)) / 12.0
    if driver == "events":
        # a Poisson count per month at the path's yearly rate; every event draws its own cost
        rate = np.broadcast_to(sc.series(f"{key}.events_per_year", given(line.events_per_year)), (1, sc.n)).T
        cost, months = given(line.cost_per_event), sc.months

        def draw(rng: Generator, rows: slice) -> Array:
            return compound_poisson(rng, rate[rows] / 12.0, cost, (rows.stop - rows.start, months))[1]

        return sc.draw_rows(f"{key}.events", draw).T
    tokens = ctx.tokens.select(line.tokens)
    if driver == "per_million_tokens":
        return tokens * sc.series(f"{key}.per_million_tokens", given(line.per_million_tokens)) / 1e6
    # per_gb: egress = bytes per token x tokens
    gb = tokens * sc.series(f"{key}.bytes_per_token", given(line.bytes_per_token)) / 1e9
    return gb * sc.series(f"{key}.per_gb", given(line.per_gb))


def price_line(line: CostLine, key: str, ctx: PricingContext, earlier: LineSet) -> Cost:
    """Monthly cost of one line, broadcastable to (months, n); zero outside [start_month, end_month]."""
    cost = _driver_cost(line, key, ctx, earlier)
    months = ctx.scenario.months
    end = months if line.end_month is None else min(line.end_month, months)
    if line.start_month > 1 or end < months:
        active = np.zeros((months, 1))
        active[line.start_month - 1:end] = 1.0
        cost = cost * active
    return cost


def price_lines(lines: list[CostLine], prefix: str, ctx: PricingContext) -> LineSet:
    """Price lines in file order (a ``share_of`` line reads an earlier one)."""
    out = LineSet()
    for j, line in enumerate(lines):
        out.add(line.item, line.resolved_category, price_line(line, f"{prefix}.costs[{j}]", ctx, out))
    return out
