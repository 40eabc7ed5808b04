"""Self-hosted option: a bill of named cost lines, and (with a capacity model) GPU lines sized
from the workload by the provisioning policy, plus capacity metrics."""

from __future__ import annotations

from sim.capacity.provisioning import provision
from sim.capacity.sizing import Sizing, size
from sim.config import SelfHostedOption
from sim.ops.price import fleet_ops
from sim.options.api import api_pricer
from sim.options.context import PricingContext
from sim.options.lines import price_lines
from sim.pricing import LineSet, Metrics


def price_self_hosted(opt: SelfHostedOption, key: str, ctx: PricingContext, index: int) -> tuple[LineSet, Metrics]:
    """Capacity lines (if sized), the option's own lines, then operations lines (if any)."""
    lines = LineSet()
    metrics: Metrics = {}
    sizing = None
    if opt.capacity is not None and opt.provisioning is not None:
        sizing = size(opt.capacity, f"{key}.capacity", ctx.scenario, ctx.tokens,
                      ctx.experiment.experiment.days_per_month)
        overflow = opt.provisioning.overflow
        pricer = api_pricer(ctx, overflow) if overflow not in (None, "on_demand") else None
        outcome = provision(opt.capacity, opt.provisioning, key, sizing, ctx.scenario, ctx.tokens,
                            ctx.hours_per_month, ctx.reserved_gpus.get(index), pricer)
        lines.extend(outcome.lines)
        metrics.update(outcome.metrics)
    lines.extend(price_lines(opt.costs, key, ctx))
    if opt.ops is not None:
        _add_ops(opt, key, ctx, sizing, lines, metrics)
    return lines, metrics


def _add_ops(opt: SelfHostedOption, key: str, ctx: PricingContext, sizing: Sizing | None, lines: LineSet,
             metrics: Metrics) -> None:
    ops, cap = opt.ops, opt.capacity
    assert ops is not None
    required = sizing.serving if sizing is not None else float(ops.replicas or 1)
    spare = ops.spare_replicas if ops.spare_replicas is not None else (cap.spare_replicas if cap else 0)
    per_replica = ops.gpus_per_replica or (cap.tensor_parallel if cap else 1)
    pricer = api_pricer(ctx, ops.fallback) if ops.fallback is not None else None
    result = fleet_ops(ops, key, ctx.scenario, ctx.tokens, required, spare, per_replica, ctx.hours_per_month,
                       ctx.ops_engine, pricer)
    ctx.ops_events += result.events
    lines.extend(result.lines)
    unserved = metrics.get("unserved_tokens")
    metrics.update(result.metrics)
    if unserved is not None:
        metrics["unserved_tokens"] = unserved + result.metrics["unserved_tokens"]
