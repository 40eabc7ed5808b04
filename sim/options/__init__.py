"""Each option prices the same Scenario: its named cost lines and its per-month metrics."""

from __future__ import annotations

from sim.config import ApiOption, SelfHostedOption
from sim.options.api import api_pricer, price_api, token_lines
from sim.options.context import PricingContext
from sim.options.lines import price_lines
from sim.options.self_hosted import price_self_hosted
from sim.pricing import LineSet, Metrics


def price_option(opt: ApiOption | SelfHostedOption, index: int, ctx: PricingContext) -> tuple[LineSet, Metrics]:
    """Cost lines of option ``index`` on this chunk's paths (in report order), and its metrics
    (capacity: gpus, utilization, unserved_tokens, overflow_cost; operations: availability, ...)."""
    if isinstance(opt, ApiOption):
        return price_api(opt, f"options[{index}]", ctx)
    return price_self_hosted(opt, f"options[{index}]", ctx, index)


__all__ = ["PricingContext", "api_pricer", "price_api", "price_lines", "price_option", "price_self_hosted",
           "token_lines"]
