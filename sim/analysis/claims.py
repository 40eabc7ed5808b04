"""Claims check: put each figure from a spreadsheet or article beside the simulated distribution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.analysis.quantiles import percentile_rank
from sim.analysis.risk import tco_multiplier
from sim.config import Claim
from sim.result import Result
from sim.specs import given


@dataclass
class ClaimCheck:
    claim: Claim
    month: int | None
    median: float
    rank: float  # where the claim sits in the simulated distribution, percent
    diff: float  # (claim - median) / median

    @property
    def supported(self) -> bool:
        return abs(self.diff) <= self.claim.tolerance


def claim_sample(result: Result, claim: Claim) -> tuple[np.ndarray, int | None]:
    """The simulated distribution the claim speaks about, and the month it refers to."""
    opt = result.option(claim.option)
    days = result.experiment.experiment.days_per_month
    if claim.metric in ("daily_cost", "monthly_cost"):
        month = claim.month or 1
        values = given(opt.by_month)[month - 1].astype(np.float64)
        return (values / days if claim.metric == "daily_cost" else values), month
    if claim.metric == "cumulative_cost":
        month = claim.month or result.months
        return given(opt.by_month)[:month].sum(axis=0, dtype=np.float64), month
    if claim.metric == "total_cost":
        return opt.totals, None
    ratio = tco_multiplier(opt)
    if ratio is None:
        raise ValueError(f"claim on {opt.name!r}: tco_multiplier needs GPU lines (category = \"gpu\")")
    return ratio, None


def check_claims(result: Result) -> list[ClaimCheck]:
    out = []
    for claim in result.experiment.claims:
        values, month = claim_sample(result, claim)
        median = float(np.median(values))
        diff = (claim.value - median) / median if median != 0 else float("inf")
        out.append(ClaimCheck(claim, month, median, percentile_rank(values, claim.value), diff))
    return out
