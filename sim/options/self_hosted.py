"""Self-hosted option: a bill of named cost lines (GPUs, people, infrastructure, events)."""

from __future__ import annotations

from sim.config import SelfHostedOption
from sim.options.context import PricingContext
from sim.options.lines import LineCosts, price_lines


def price_self_hosted(opt: SelfHostedOption, key: str, ctx: PricingContext) -> LineCosts:
    return price_lines(opt.costs, key, ctx)
