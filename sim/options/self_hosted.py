"""Self-hosted option: a bill of named cost lines; with a capacity model, GPU lines sized from the
workload by the provisioning policy; with a declared fleet, that fleet checked against the workload;
then operations (if any)."""

from __future__ import annotations

import numpy as np

from sim.capacity.config import spares
from sim.capacity.fleet import check_fleet, replicas_of
from sim.capacity.provisioning import provision
from sim.capacity.sizing import Setup, Sizing, size
from sim.config import SelfHostedOption
from sim.ops.price import fleet_ops
from sim.options.api import api_pricer
from sim.options.context import PricingContext
from sim.options.lines import price_lines
from sim.pricing import LineSet, Metrics
from sim.succession import migration_lines, switches


def price_self_hosted(opt: SelfHostedOption, key: str, ctx: PricingContext, index: int) -> tuple[LineSet, Metrics]:
    """Capacity lines (if sized), the option's own lines, then operations lines (if any)."""
    lines = LineSet()
    metrics: Metrics = {}
    sizing = None
    days = ctx.experiment.experiment.days_per_month
    if opt.capacity is not None and opt.provisioning is not None:
        cap = opt.capacity
        assert isinstance(cap.gpu, str) and isinstance(cap.tensor_parallel, int), "the engine chose the setup"
        sizing = size(cap, Setup(cap.gpu, cap.tensor_parallel), f"{key}.capacity", ctx.scenario, ctx.tokens, days,
                      spares(cap.spare_replicas), cap.standby_fraction)
        overflow = opt.provisioning.overflow
        pricer = api_pricer(ctx, overflow) if overflow not in (None, "on_demand") else None
        outcome = provision(cap, opt.provisioning, key, sizing, ctx.scenario, ctx.tokens,
                            ctx.hours_per_month, ctx.reserved_gpus.get(index), pricer)
        lines.extend(outcome.lines)
        metrics.update(outcome.metrics)
    elif opt.fleet is not None:
        overflow = opt.fleet.overflow
        pricer = api_pricer(ctx, overflow) if overflow is not None else None
        outcome = check_fleet(opt.fleet, f"{key}.fleet", ctx.scenario, ctx.tokens, days, pricer)
        sizing = outcome.sizing
        lines.extend(outcome.lines)
        metrics.update(outcome.metrics)
    serving = opt.capacity if opt.capacity is not None else opt.fleet
    if serving is not None and serving.successors:
        where = f"{key}.{'capacity' if opt.capacity is not None else 'fleet'}"
        sw = switches(serving.successors, where, ctx.scenario)
        migration_lines(serving.successors, where, ctx.scenario, sw, lines)
        metrics["model_generation"] = sw.generation
    lines.extend(price_lines(opt.costs, key, ctx))
    if opt.ops is not None:
        _add_ops(opt, key, ctx, sizing, lines, metrics)
    return lines, metrics


def _add_ops(opt: SelfHostedOption, key: str, ctx: PricingContext, sizing: Sizing | None, lines: LineSet,
             metrics: Metrics) -> None:
    ops, cap, fleet = opt.ops, opt.capacity, opt.fleet
    assert ops is not None
    if cap is not None:
        assert isinstance(cap.tensor_parallel, int)
        spare, per_replica = spares(cap.spare_replicas).count, cap.tensor_parallel
    elif fleet is not None:
        spare, per_replica = fleet.spare_replicas, fleet.tensor_parallel
    else:
        spare, per_replica = 0, 1
    required: np.ndarray | float
    if sizing is not None and cap is not None:
        required = sizing.serving
    elif fleet is not None and ops.replicas is None:
        required = float(replicas_of(fleet) - fleet.spare_replicas)
    else:
        required = float(ops.replicas or 1)
    spare = ops.spare_replicas if ops.spare_replicas is not None else spare
    per_replica = ops.gpus_per_replica or per_replica
    pricer = api_pricer(ctx, ops.fallback) if ops.fallback is not None else None
    load = None if sizing is None else sizing.load  # the traffic, in replicas at the planned batch
    peak = None if sizing is None else sizing.peak_to_average
    result = fleet_ops(ops, key, ctx.scenario, ctx.tokens, required, spare, per_replica, ctx.hours_per_month,
                       ctx.ops_engine, pricer, load, peak)
    ctx.ops_events += result.events
    lines.extend(result.lines)
    unserved = metrics.get("unserved_tokens")
    metrics.update(result.metrics)
    if unserved is not None:
        metrics["unserved_tokens"] = unserved + result.metrics["unserved_tokens"]
