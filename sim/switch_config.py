"""The staged-switch option's schema: start on an API, move to a self-hosted option when a trigger
fires (volume or API spend held for some months), optionally move back."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sim.names import Name
from sim.specs import Number, OneOff, Strict, Whole


class Trigger(Strict):
    """Switch once the level has been above the threshold for ``months`` months in a row."""

    tokens_per_day: Number | None = Field(default=None, gt=0, le=1e15)  # input + output tokens a day
    api_spend_monthly: Number | None = Field(default=None, gt=0, le=1e9)  # the start API's monthly bill, $
    months: Whole = Field(default=1, ge=1, le=60)

    @model_validator(mode="after")
    def _one_level(self) -> Trigger:
        if (self.tokens_per_day is None) == (self.api_spend_monthly is None):
            raise ValueError("give one of tokens_per_day or api_spend_monthly")
        return self


class MoveBack(Strict):
    """Move back to the API (once) when volume falls below ``tokens_per_day`` for ``months`` months."""

    tokens_per_day: Number = Field(gt=0, le=1e15)
    months: Whole = Field(default=3, ge=1, le=60)


class StagedOption(Strict):
    """Start on the API option ``start``; when ``trigger`` fires, keep paying the API for
    ``lead_time_months`` (building the platform), then pay ``migration_cost`` once and the
    self-hosted option ``switch_to``'s monthly costs on the same path from go-live on."""

    name: Name
    kind: Literal["staged"]
    start: Name  # an API option of the file
    switch_to: Name  # a self-hosted option of the file
    trigger: Trigger
    # article: 2-4 weeks of evaluation, regression testing and rollout for a model change; a month
    # covers it (a platform built from nothing takes longer: say so in the file)
    lead_time_months: Whole = Field(default=1, ge=0, le=36)
    migration_cost: OneOff  # evals, prompt rework, rollout, $ once at go-live (and again moving back)
    move_back: MoveBack | None = None

    @property
    def costs(self) -> list:
        """A staged plan has no cost lines of its own: they are its two options'."""
        return []

    @property
    def ops(self) -> None:
        return None


def check_staged(exp: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Each staged option starts on an API option and switches to a self-hosted one of the file."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    kinds = {o.name: o.kind for o in exp.options}
    for i, opt in enumerate(exp.options):
        if not isinstance(opt, StagedOption):
            continue
        for field, kind in (("start", "api"), ("switch_to", "self_hosted")):
            name = getattr(opt, field)
            if kinds.get(name) != kind:
                have = ", ".join(f'"{n}"' for n, k in kinds.items() if k == kind) or "none"
                found.append((("options", i, field), f'"{name}" is not an {kind.replace("_", "-")} option of this '
                              f"file (have: {have})"))
        if opt.trigger.months > exp.horizon:
            found.append((("options", i, "trigger", "months"),
                          f"{opt.trigger.months} months is past horizon_months ({exp.horizon}): it never fires"))
    return found


__all__ = ["MoveBack", "StagedOption", "Trigger", "check_staged"]
