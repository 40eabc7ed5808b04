"""Self-hosted option: a bill of named cost lines, and (with a capacity model) GPU lines sized
from the workload by the provisioning policy, plus capacity metrics."""

from __future__ import annotations

import numpy as np

from sim.config import SelfHostedOption
from sim.options.context import PricingContext
from sim.options.lines import LineCosts, price_lines


def price_self_hosted(opt: SelfHostedOption, key: str, ctx: PricingContext,
                      index: int) -> tuple[LineCosts, dict[str, np.ndarray]]:
    if opt.capacity is None:
        return price_lines(opt.costs, key, ctx), {}
    from sim.capacity.provisioning import provision
    from sim.capacity.sizing import size

    exp = ctx.experiment
    assert exp is not None
    sc = ctx.scenario
    sizing = size(opt.capacity, f"{key}.capacity", sc, ctx.tokens, exp.experiment.days_per_month)
    outcome = provision(opt.capacity, opt.provisioning, key, sizing, sc, ctx.tokens, ctx.hours_per_month,
                        ctx.reserved_gpus.get(index), _overflow_pricer(opt, ctx))
    lines: LineCosts = dict(outcome.lines)
    lines.update(price_lines(opt.costs, key, ctx))
    return lines, outcome.metrics


def _overflow_pricer(opt: SelfHostedOption, ctx: PricingContext):
    """Prices a share of the tokens at the named API option's prices on the same paths."""
    from sim.options.api import token_lines
    from sim.workload import Tokens

    exp = ctx.experiment
    target = opt.provisioning.overflow
    if target in (None, "on_demand"):
        return None
    j = next(i for i, o in enumerate(exp.options) if o.name == target)

    def price(share: np.ndarray) -> np.ndarray:
        tokens = Tokens(ctx.tokens.input * share, ctx.tokens.output * share)
        return sum(token_lines(exp.options[j], f"options[{j}]", ctx.scenario, tokens).values())

    return price
