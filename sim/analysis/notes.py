"""Sentences a reader must not miss, printed after the terminal summary and at the top of the
report: fleets unchecked or short of their load (sim.analysis.capacity), prices a run leaves at
their base tier, cache reads with no cache writes."""

from __future__ import annotations

from sim.analysis.capacity import notes as capacity_notes
from sim.config import ApiOption
from sim.ops.config import SelfHostedOps
from sim.ops.price import on_call_risk
from sim.result import Result
from sim.specs import is_zero, median


def pricing_notes(result: Result) -> list[str]:
    """API options priced on an assumption the catalog says is optimistic."""
    out = []
    market = result.experiment.market
    for opt in result.experiment.options:
        if not isinstance(opt, ApiOption):
            continue
        if opt.long_context_tokens is not None and is_zero(opt.long_context_share):
            out.append(f"“{opt.name}” is priced at its base tier: requests with prompts above "
                       f"{opt.long_context_tokens:,} tokens cost more"
                       + (f" (${median(opt.long_input_per_million, market):g} / "
                          f"${median(opt.long_output_per_million, market):g} per million)"
                          if opt.long_input_per_million is not None and opt.long_output_per_million is not None
                          else "") + "; set long_context_share to the share of tokens in such requests.")
        if opt.cache_write_per_million is not None and not is_zero(opt.cached_input_share) \
                and is_zero(opt.cache_write_share):
            out.append(f"“{opt.name}” reads input from its prompt cache but writes none: the provider bills cache "
                       f"writes at ${median(opt.cache_write_per_million, market):g} per million; set "
                       "cache_write_share.")
    return out


def ops_notes(result: Result) -> list[str]:
    """On-call rotations below the minimum for their coverage (a burnout risk)."""
    out = []
    for spec in result.experiment.options:
        ops = getattr(spec, "ops", None)
        if isinstance(ops, SelfHostedOps):
            risk = on_call_risk(ops)
            if risk:
                out.append(f"“{spec.name}”: {risk}.")
    return out


def notes(result: Result) -> list[str]:
    return capacity_notes(result) + pricing_notes(result) + ops_notes(result)


__all__ = ["notes", "ops_notes", "pricing_notes"]
