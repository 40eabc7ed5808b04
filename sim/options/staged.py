"""A staged plan priced from its two options on the same paths: the API's lines until the
self-hosted fleet goes live, the fleet's lines after, a one-off migration at each move."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.options.context import PricingContext
from sim.pricing import LineSet, Metrics
from sim.switch_config import StagedOption

#: line names of the two halves (an API line and a fleet line may share a name)
BEFORE, AFTER = "{} (on the API)", "{} (self-hosted)"
MIGRATION = "Migration between API and self-hosting"


def switch_months(opt: StagedOption, level: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """(months, n) bool: True in the months a path runs on the self-hosted option. ``level`` is
    what the trigger watches, ``volume`` the tokens per day (for moving back). The trigger counts
    whole months above the threshold while on the API; go-live is ``lead_time_months`` after the
    month it fires in; a path moves back at most once and never switches again."""
    months, n = level.shape
    trig = opt.trigger
    threshold = trig.tokens_per_day if trig.tokens_per_day is not None else trig.api_spend_monthly
    on = np.zeros((months, n), dtype=bool)
    run = np.zeros(n, dtype=np.int32)
    live_at = np.full(n, np.iinfo(np.int32).max)  # month index from which the fleet serves
    state = np.zeros(n, dtype=np.int8)  # 0 on the API, 1 switching or switched, 2 moved back
    below = np.zeros(n, dtype=np.int32)
    for m in range(months):
        on[m] = (state == 1) & (live_at <= m)
        waiting = state == 0
        run = np.where(waiting & (level[m] > threshold), run + 1, 0)
        fire = waiting & (run >= trig.months)
        live_at = np.where(fire, m + 1 + opt.lead_time_months, live_at)
        state = np.where(fire, np.int8(1), state)
        if opt.move_back is not None:
            serving = on[m]
            below = np.where(serving & (volume[m] < opt.move_back.tokens_per_day), below + 1, 0)
            state = np.where(serving & (below >= opt.move_back.months), np.int8(2), state)
    return on


def price_staged(opt: StagedOption, key: str, ctx: PricingContext, start: tuple[LineSet, Metrics],
                 switch_to: tuple[LineSet, Metrics]) -> tuple[LineSet, Metrics]:
    """The plan's lines: each API line where the path is on the API, each fleet line where it is
    self-hosted, the migration cost in each month the path moves; metric ``on_self_hosted``."""
    shape = ctx.shape
    days = ctx.experiment.experiment.days_per_month
    volume = np.broadcast_to(ctx.tokens.input + ctx.tokens.output, shape) / days
    level = volume if opt.trigger.tokens_per_day is not None else start[0].total(shape)
    on = switch_months(opt, level, volume)
    lines = LineSet()
    for line in start[0]:
        lines.add(BEFORE.format(line.item), line.category, np.where(on, 0.0, np.broadcast_to(line.cost, shape)))
    for line in switch_to[0]:
        lines.add(AFTER.format(line.item), line.category, np.where(on, np.broadcast_to(line.cost, shape), 0.0))
    moves = np.zeros(shape, dtype=bool)
    moves[1:] = on[1:] != on[:-1]
    moves[0] = on[0]
    cost = ctx.scenario.scalar(f"{key}.migration_cost", opt.migration_cost)
    lines.add(MIGRATION, "people", moves * np.asarray(cost))
    return lines, {"on_self_hosted": on.astype(np.float32)}


def staged_parts(exp: Any) -> set[int]:  # an Experiment (sim.config sits on the floor below: no cycle, kept light)
    """Indices of the options some staged plan starts on or switches to."""
    names = {n for o in exp.options if isinstance(o, StagedOption) for n in (o.start, o.switch_to)}
    return {i for i, o in enumerate(exp.options) if o.name in names}


def line_names(opt: StagedOption, start: list[str], switch_to: list[str]) -> list[str]:
    return [BEFORE.format(s) for s in start] + [AFTER.format(s) for s in switch_to] + [MIGRATION]


__all__ = ["MIGRATION", "price_staged", "staged_parts", "switch_months"]
