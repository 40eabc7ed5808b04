"""API option: tokens x prices, with cached-input and batch discounts, a price trend and
discrete price cuts, plus the option's own fixed lines (gateway, evals, guardrails)."""

from __future__ import annotations

import numpy as np

from distributions import compound_poisson
from distributions.processes import _LogOnePlus
from sim.catalog import DEFAULT_BATCH_DISCOUNT
from sim.config import ApiOption, PriceCuts
from sim.options.context import PricingContext
from sim.options.lines import LineCosts, price_lines
from sim.scenario import Scenario
from sim.workload import Tokens

#: the lines an API option prices its tokens on (a cost item of the option may not take these names)
INPUT, CACHED, OUTPUT = "input tokens", "cached input tokens", "output tokens"
TOKEN_LINES = (INPUT, CACHED, OUTPUT)


def price_multiplier(opt: ApiOption, key: str, sc: Scenario) -> np.ndarray:
    """Price relative to month 1, (months, 1) or (months, n): (1 + c)^((t-1)/12) times the
    product of the price cuts so far."""
    change = np.maximum(np.atleast_1d(sc.scalar(f"{key}.annual_price_change", opt.annual_price_change)), -0.999999)
    years = (np.arange(sc.months) / 12.0)[:, None]
    log_mult = years * np.log1p(change)[None, :]
    if opt.price_cuts is not None:
        log_mult = log_mult + _log_cuts(opt.price_cuts, f"{key}.price_cuts", sc)
    return sc.shocked(np.exp(log_mult), f"{key}.prices")  # a stress scenario's price shock, if any


def _log_cuts(cuts: PriceCuts, key: str, sc: Scenario) -> np.ndarray:
    """Cumulative log factor of price cuts, (months, n); cuts start after month 1."""
    rate = np.broadcast_to(sc.series(f"{key}.rate_per_year", cuts.rate_per_year), (1, sc.n)).T
    months = sc.months
    neg = _Negated(cuts.size)  # a cut of size s multiplies the price by (1 - s)

    def draw(rng, rows):
        out = np.zeros((rows.stop - rows.start, months))
        if months > 1:
            _, sums = compound_poisson(rng, rate[rows] / 12.0, neg, (rows.stop - rows.start, months - 1))
            out[:, 1:] = np.cumsum(sums, axis=1)
        return out

    return sc.draw_rows(f"{key}.events", draw).T


class _Negated(_LogOnePlus):
    """log(1 - S) for a cut of size S in [0, 1)."""

    def sample(self, rng, size):
        return np.log1p(-np.minimum(self.base.sample(rng, size), 0.999999))


def price_api(opt: ApiOption, key: str, ctx: PricingContext) -> tuple[LineCosts, dict[str, np.ndarray]]:
    """Token lines, the option's own lines (gateway, evals, ...), then its outages (if any)."""
    lines = token_lines(opt, key, ctx.scenario, ctx.tokens)
    lines.update(price_lines(opt.costs, key, ctx))
    metrics: dict[str, np.ndarray] = {}
    if opt.ops is not None:
        from sim.ops.price import api_ops

        pricer = ctx.api_pricer(opt.ops.fallback) if opt.ops.fallback is not None else None
        result = api_ops(opt.ops, key, ctx.scenario, ctx.tokens, ctx.hours_per_month, pricer)
        lines.update(result.lines)
        metrics.update(result.metrics)
    return lines, metrics


def token_lines(opt: ApiOption, key: str, sc: Scenario, tokens: Tokens) -> LineCosts:
    """What ``tokens`` cost at this API's prices on each path (also used to price overflow from a
    self-hosted option: the same keys give the same price draws)."""
    mult = price_multiplier(opt, key, sc)
    share_b = sc.series(f"{key}.batch_share", opt.batch_share)
    discount = DEFAULT_BATCH_DISCOUNT if opt.batch_discount is None else sc.series(
        f"{key}.batch_discount", opt.batch_discount)
    factor = mult * (1.0 - share_b * discount) / 1e6  # small shapes first, one full product per line
    p_in = sc.series(f"{key}.input_per_million", opt.input_per_million)
    p_out = sc.series(f"{key}.output_per_million", opt.output_per_million)
    share_c = sc.series(f"{key}.cached_input_share", opt.cached_input_share)
    lines: LineCosts = {}
    if isinstance(share_c, float) and share_c == 0.0:
        lines[INPUT] = tokens.input * (p_in * factor)
    else:
        p_cached = sc.series(f"{key}.cached_input_per_million", opt.cached_input_per_million)
        lines[INPUT] = tokens.input * ((1.0 - share_c) * p_in * factor)
        lines[CACHED] = tokens.input * (share_c * p_cached * factor)
    lines[OUTPUT] = tokens.output * (p_out * factor)
    return lines
