"""API option: tokens x prices, with cached-input and batch discounts, a price trend and
discrete price cuts, plus the option's own fixed lines (gateway, evals, guardrails)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.random import Generator

from distributions import Distribution, LogOneMinus, compound_poisson
from sim.catalog import DEFAULT_BATCH_DISCOUNT
from sim.config import ApiOption, PriceCuts, Successor, option_index
from sim.ops.price import api_ops
from sim.options.context import PricingContext
from sim.options.lines import price_lines
from sim.pricing import Cost, LineSet, Metrics
from sim.scenario import Scenario
from sim.succession import migration_lines, switches
from sim.workload import Tokens

#: the lines an API option prices its tokens on (a cost item of the option may not take these names)
INPUT, CACHED, WRITES, OUTPUT = "input tokens", "cached input tokens", "cache writes", "output tokens"
LONG_INPUT, LONG_OUTPUT = "long-context input tokens", "long-context output tokens"
TOKEN_LINES = (INPUT, CACHED, WRITES, OUTPUT, LONG_INPUT, LONG_OUTPUT)


def price_multiplier(opt: ApiOption, key: str, sc: Scenario) -> np.ndarray:
    """Price relative to month 1, (months, 1) or (months, n): (1 + c)^((t-1)/12) times the
    product of the price cuts so far; c is the named model's list-price change a year, or with
    price_trend = "capability" 1/F - 1 for a capability whose price falls F-fold a year."""
    if opt.price_trend == "capability":
        fall = np.atleast_1d(sc.scalar(f"{key}.capability_price_fall", opt.capability_price_fall))
        change = 1.0 / np.maximum(fall, 1.0) - 1.0
    else:
        change = np.maximum(np.atleast_1d(sc.scalar(f"{key}.annual_price_change", opt.annual_price_change)), -0.999999)
    years = (np.arange(sc.months) / 12.0)[:, None]
    log_mult = years * np.log1p(change)[None, :]
    if opt.price_cuts is not None:
        log_mult = log_mult + _log_cuts(opt.price_cuts, f"{key}.price_cuts", sc)
    return np.asarray(sc.shocked(np.exp(log_mult), f"{key}.prices"), dtype=float)  # a stress shock, if any


def _log_cuts(cuts: PriceCuts, key: str, sc: Scenario) -> np.ndarray:
    """Cumulative log factor of price cuts, (months, n); cuts start after month 1."""
    rate = np.broadcast_to(sc.series(f"{key}.rate_per_year", cuts.rate_per_year), (1, sc.n)).T
    months = sc.months
    neg = LogOneMinus(cuts.size)  # a cut of size s multiplies the price by (1 - s)

    def draw(rng: Generator, rows: slice) -> np.ndarray:
        out = np.zeros((rows.stop - rows.start, months))
        if months > 1:
            _, sums = compound_poisson(rng, rate[rows] / 12.0, neg, (rows.stop - rows.start, months - 1))
            out[:, 1:] = np.cumsum(sums, axis=1)
        return out

    return sc.draw_rows(f"{key}.events", draw).T


def price_api(opt: ApiOption, key: str, ctx: PricingContext) -> tuple[LineSet, Metrics]:
    """Token lines, successors' evaluation traffic and migrations, the option's own lines (gateway,
    evals, ...), then its outages (if any)."""
    sc = ctx.scenario
    lines = token_lines(opt, key, sc, ctx.tokens)
    metrics: Metrics = {}
    if opt.successors:
        sw = switches(opt.successors, key, sc)
        mirror: dict[str, np.ndarray] = {f: np.zeros((sc.months, sc.n)) for f in PRICE_FIELDS}
        for k, succ in enumerate(opt.successors):
            weight = sw.evaluating[k] * np.asarray(
                sc.series(f"{key}.successors[{k}].evaluation_share", succ.evaluation_share), float)
            own = _successor_prices(succ, f"{key}.successors[{k}]", sc)
            for f in PRICE_FIELDS:
                mirror[f] = mirror[f] + weight * np.asarray(_price(own, f), float)
        mirrored = _lines(opt, key, sc, ctx.tokens, dict[str, Cost | None](mirror))
        lines.add("Evaluation traffic", "usage", mirrored.total((sc.months, sc.n)))
        migration_lines(opt.successors, key, sc, sw, lines)
        metrics["model_generation"] = sw.generation
    lines.extend(price_lines(opt.costs, key, ctx))
    if opt.ops is not None:
        pricer = api_pricer(ctx, opt.ops.fallback) if opt.ops.fallback is not None else None
        result = api_ops(opt.ops, key, sc, ctx.tokens, ctx.hours_per_month, pricer)
        lines.extend(result.lines)
        metrics.update(result.metrics)
    return lines, metrics


#: the price fields of an API model
PRICE_FIELDS = ("input_per_million", "output_per_million", "cached_input_per_million", "cache_write_per_million",
                "long_input_per_million", "long_output_per_million")
#: a successor's missing price falls back to: cache read and write at its input price; the long tier at its base
_FALLBACK = {"cached_input_per_million": "input_per_million", "cache_write_per_million": "input_per_million",
             "long_input_per_million": "input_per_million", "long_output_per_million": "output_per_million"}


def _model_prices(owner: ApiOption | Successor, key: str, sc: Scenario) -> dict[str, Cost | None]:
    return {f: None if getattr(owner, f) is None else sc.series(f"{key}.{f}", getattr(owner, f))
            for f in PRICE_FIELDS}


def _successor_prices(succ: Successor, key: str, sc: Scenario) -> dict[str, Cost | None]:
    raw = _model_prices(succ, key, sc)
    return {f: raw[f] if raw[f] is not None else raw[_FALLBACK[f]] for f in PRICE_FIELDS}


def token_lines(opt: ApiOption, key: str, sc: Scenario, tokens: Tokens) -> LineSet:
    """What ``tokens`` cost at this API's prices on each path (also used to price overflow from a
    self-hosted option: the same keys give the same price draws). With successors, each month is
    priced at the model serving it."""
    own = _model_prices(opt, key, sc)
    if not opt.successors:
        return _lines(opt, key, sc, tokens, own)
    sw = switches(opt.successors, key, sc)
    models = [own] + [dict(_successor_prices(s, f"{key}.successors[{k}]", sc)) for k, s in enumerate(opt.successors)]
    prices: dict[str, Cost | None] = {}
    for f in PRICE_FIELDS:
        if own[f] is None:
            prices[f] = None
            continue
        total = np.zeros((sc.months, sc.n))
        for k, model in enumerate(models):
            total = total + sw.serving(k) * np.asarray(_price(model, f), float)
        prices[f] = total
    return _lines(opt, key, sc, tokens, prices)


def _price(prices: dict[str, Cost | None], field: str) -> Cost:
    value = prices[field]
    assert value is not None, f"{field}: the option prices it (checked at validation)"
    return value


def _lines(opt: ApiOption, key: str, sc: Scenario, tokens: Tokens, prices: dict[str, Cost | None]) -> LineSet:
    """Tokens in long-context requests pay the long tier; of the rest, input is read from the cache,
    written to it, or plain; the batch share at the batch discount; the price trend and cuts on top."""
    mult = price_multiplier(opt, key, sc)
    share_b = sc.series(f"{key}.batch_share", opt.batch_share)
    discount = DEFAULT_BATCH_DISCOUNT if opt.batch_discount is None else sc.series(
        f"{key}.batch_discount", opt.batch_discount)
    batch = 1.0 - share_b * discount
    # small shapes first, one full product per line; times exactly 1.0 (no batch share) is skipped, the same values
    factor = (mult if isinstance(batch, float) and batch == 1.0 else mult * batch) / 1e6
    p_in, p_out = _price(prices, "input_per_million"), _price(prices, "output_per_million")
    share_long = sc.series(f"{key}.long_context_share", opt.long_context_share)
    share_c = _share(sc, f"{key}.cached_input_share", opt.cached_input_share)
    share_w = _share(sc, f"{key}.cache_write_share", opt.cache_write_share)
    short = 1.0 - share_long
    lines = LineSet()
    cache = (0.0 if share_c is None else share_c) + (0.0 if share_w is None else share_w)
    plain = short * np.maximum(1.0 - cache, 0.0) if share_c is not None or share_w is not None else short
    lines.add(INPUT, "usage", tokens.input * (plain * p_in * factor))
    if share_c is not None:
        p_cached = _price(prices, "cached_input_per_million")
        lines.add(CACHED, "usage", tokens.input * (short * share_c * p_cached * factor))
    if share_w is not None:
        p_write = _price(prices, "cache_write_per_million")
        lines.add(WRITES, "usage", tokens.input * (short * share_w * p_write * factor))
    lines.add(OUTPUT, "usage", tokens.output * (short * p_out * factor))
    if not (isinstance(share_long, float) and share_long == 0.0):
        p_long_in, p_long_out = _price(prices, "long_input_per_million"), _price(prices, "long_output_per_million")
        lines.add(LONG_INPUT, "usage", tokens.input * (share_long * p_long_in * factor))
        lines.add(LONG_OUTPUT, "usage", tokens.output * (share_long * p_long_out * factor))
    return lines


def _share(sc: Scenario, key: str, spec: Distribution) -> np.ndarray | float | None:
    """A cache share's draws; None when it is off (the option then has no line for it)."""
    value = sc.series(key, spec)
    return None if isinstance(value, float) and value == 0.0 else value


def api_pricer(ctx: PricingContext, name: str) -> Callable[[Cost], Cost]:
    """Prices a share (months, n) of the tokens at the named API option's prices, on the same paths
    (its keys give the same draws as the option itself: common random numbers)."""
    exp = ctx.experiment
    j = option_index(exp, name)
    opt = exp.options[j]
    assert isinstance(opt, ApiOption), f"{name!r} is validated to be an API option"

    def price(share: Cost) -> Cost:
        tokens = Tokens(ctx.tokens.input * share, ctx.tokens.output * share)
        return token_lines(opt, f"options[{j}]", ctx.scenario, tokens).total(ctx.shape)

    return price
