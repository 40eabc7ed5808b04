"""Each option prices the same Scenario: returns its named cost lines, each (n, months)."""

from __future__ import annotations

import numpy as np

from sim.config import ApiOption, SelfHostedOption
from sim.options.api import price_api
from sim.options.context import PricingContext
from sim.options.lines import LineCosts, price_lines
from sim.options.self_hosted import price_self_hosted


def price_option(opt: ApiOption | SelfHostedOption, index: int,
                 ctx: PricingContext) -> tuple[LineCosts, dict[str, np.ndarray]]:
    """Cost lines of option ``index`` on this chunk's paths (in report order), and its capacity
    metrics (gpus, utilization, unserved_tokens, overflow_cost) when it has a capacity model."""
    if isinstance(opt, ApiOption):
        return price_api(opt, f"options[{index}]", ctx)
    return price_self_hosted(opt, f"options[{index}]", ctx, index)


__all__ = ["LineCosts", "PricingContext", "price_lines", "price_option"]
