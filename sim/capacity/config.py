"""Schema of a self-hosted option's ``capacity``, ``provisioning`` and ``fleet`` tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field, model_validator

from sim.names import Name
from sim.specs import (
    Change,
    Fraction,
    HourlyPrice,
    HourlyPricePath,
    Month,
    Multiple,
    Number,
    OneOff,
    Strict,
    Tokens,
    Whole,
)

Precision = Literal["bf16", "fp8", "int4"]
#: the tensor-parallel widths "auto" tries (one node's NVLink domain)
TP_CHOICES = (1, 2, 4, 8)
_SPARES = re.compile(r"^N\+(\d+)(?:\s+above\s+(\d+)\s+replicas?)?$")


@dataclass(frozen=True)
class Spares:
    """Spare replicas kept beside the serving ones: ``count`` whenever more than ``above`` serve."""

    count: int
    above: int = 0

    def of(self, serving: np.ndarray | float) -> np.ndarray:
        return np.where(np.asarray(serving) > self.above, float(self.count), 0.0)


def spares(value: int | str) -> Spares:
    """3 -> three spares always; "N+1" -> one always; "N+1 above 2 replicas" -> one when more than
    two replicas serve (a small fleet rides out a fault on the API overflow instead)."""
    if isinstance(value, int):
        return Spares(value)
    match = _SPARES.match(value.strip())
    if match is None:
        raise ValueError(f'"{value}": give a number of spares, "N+1", or "N+1 above 2 replicas"')
    return Spares(int(match.group(1)), int(match.group(2) or 0))


#: the most spare replicas a policy may keep (as a declared fleet's spare_replicas)
MAX_SPARES = 10_000


def _spare_policy(value: int | str) -> int | str:
    policy = spares(value)
    if not 0 <= policy.count <= MAX_SPARES or policy.above > MAX_SPARES:
        raise ValueError(f"spares: give 0 to {MAX_SPARES:,} (and at most {MAX_SPARES:,} replicas in \"above\")")
    return value


SparePolicy = Annotated[int | str, AfterValidator(_spare_policy)]


class ModelUpgrade(Strict):
    """A newer open model the self-hosted option moves to when it arrives: from its switch on the
    replicas serve ``throughput_change`` faster (or slower); the migration is a one-off cost (0 when
    the option's own "Model upgrades" line already pays for that project)."""

    name: Name
    arrives: Month  # the month it is available (beyond the horizon: never)
    throughput_change: Change = 0.0  # tokens/s per replica at the SLO, relative to the current model
    migration_cost: OneOff = 0.0
    evaluation_months: Whole = Field(default=0, ge=0, le=24)  # months before it takes the traffic


class Serving(Strict):
    """What a replica serves and the latency it must keep (shared by a capacity model and a declared
    fleet). Defaults name their source."""

    model: str = Field(max_length=100)
    precision: Precision = "bf16"
    kv_precision: Literal["bf16", "fp8"] = "bf16"
    # assumption: chat/RAG prompts; output per request follows the workload's output/input ratio
    prompt_tokens: Tokens = "500 to 2000"
    prefix_cache_hit: Fraction = 0.0  # share of prompt tokens served from the prefix cache
    tpot_slo_ms: Number = Field(default=50.0, gt=0, le=10_000)  # time per output token (~20 tok/s per user)
    ttft_slo_ms: Number = Field(default=2000.0, gt=0, le=600_000)  # time to first token, under load
    max_batch: Whole = Field(default=256, ge=1, le=100_000)  # vLLM's default max_num_seqs
    peak_to_average: Multiple = "2 to 3"  # diurnal peak hour / daily mean (assumption; interactive traffic)
    burst_factor: Multiple = 1.2  # head-room for minute-scale bursts above the peak hour (assumption)
    utilization_cap: Fraction = 0.8  # plan replicas to run at most this busy at the burst peak
    # the serving stack against the calibrated NIM / TensorRT-LLM profile (sim/capacity/serving.py):
    # vLLM measured 13% below TensorRT-LLM on Llama 3.3 70B FP8, H100 (cloudai.pt, "vLLM vs
    # TensorRT-LLM vs SGLang: H100 Benchmarks 2026") and 26% below on a 70B at 64 users (gigagpu.com,
    # "TensorRT-LLM vs vLLM"); the range spans vLLM to a tuned TensorRT-LLM
    server_speedup: Multiple = "0.7 to 1.05"
    successors: list[ModelUpgrade] = Field(default_factory=list, max_length=20)  # newer models as they arrive


class Capacity(Serving):
    """Size the replicas from the workload, on the cheapest GPU and width that meet the SLOs."""

    gpu: str | list[str]  # one GPU, or candidates: the cheapest feasible setup is chosen once per run
    tensor_parallel: int | Literal["auto"] = Field(default=1)  # GPUs per replica; "auto" tries 1, 2, 4, 8
    spare_replicas: SparePolicy = 1  # N+1 for failures and rolling restarts; or "N+1 above 2 replicas"
    standby_fraction: Fraction = 0.0  # extra hot-standby replicas as a share of serving ones
    choose_at: Number = Field(default=0.9, gt=0, lt=1)  # demand quantile at which setups are compared

    @model_validator(mode="after")
    def _widths(self) -> Capacity:
        if isinstance(self.tensor_parallel, int) and not 1 <= self.tensor_parallel <= 64:
            raise ValueError("tensor_parallel must be between 1 and 64, or \"auto\"")
        if isinstance(self.gpu, list) and not self.gpu:
            raise ValueError("gpu: give at least one GPU")
        return self

    @property
    def gpus_considered(self) -> list[str]:
        return list(self.gpu) if isinstance(self.gpu, list) else [self.gpu]

    @property
    def widths_considered(self) -> list[int]:
        return list(TP_CHOICES) if self.tensor_parallel == "auto" else [int(self.tensor_parallel)]

    @property
    def chosen(self) -> bool:
        """Whether a setup must be chosen among several."""
        return len(self.gpus_considered) * len(self.widths_considered) > 1


class Fleet(Serving):
    """A fleet written by hand (the option's GPU cost lines are its own): what it serves, on what,
    so that it is checked against the workload on every path and month."""

    gpu: str = Field(max_length=100)
    gpus: Whole = Field(ge=1, le=1_000_000)  # GPUs rented
    tensor_parallel: Whole = Field(default=1, ge=1, le=64)  # GPUs per replica
    spare_replicas: Whole = Field(default=0, ge=0, le=MAX_SPARES)  # replicas kept out of serving
    # tokens beyond the fleet: an API option's name, "cheapest" (the API with the lowest list
    # price), or none (unserved)
    overflow: str | None = Field(default=None, max_length=100)


class SizeFor(Strict):
    """Size a reservation for the ``quantile`` of GPUs needed in ``month`` across paths."""

    month: Whole = Field(ge=1)
    quantile: Number = Field(gt=0, lt=1)


class EarlyTermination(Strict):
    """End the reservation at ``month``: pay ``fee_share`` of the remaining commitment then."""

    month: Whole = Field(ge=1)
    fee_share: Fraction = 1.0


class Provisioning(Strict):
    """How GPUs are rented: reserved, on_demand, spot, or hybrid (reserved + API overflow)."""

    policy: Literal["reserved", "on_demand", "spot", "hybrid"]
    # whose prices: AWS/Azure/GCP/Oracle, GPU clouds (CoreWeave, Lambda, RunPod Secure), or
    # marketplaces (Vast.ai, community hosts); sim/data/gpu_prices.csv and gpu_discounts.csv
    provider_class: Literal["hyperscaler", "gpu_cloud", "marketplace"] = "gpu_cloud"
    # on-demand market $/GPU-hour (default: the class's calibrated price process, sim/gpu_market.py)
    hourly_price: HourlyPricePath | None = None
    # $/GPU-hour locked at signing (default: that month's on-demand price less the class's discount)
    reserved_price: HourlyPrice | None = None
    gpus: Whole | None = Field(default=None, ge=0, le=1_000_000)  # reserved GPUs, or
    size_for: SizeFor | None = None  # sized from the demand forecast
    term_months: Whole = Field(default=12, ge=1, le=240)
    after_term: Literal["renew", "on_demand"] = "renew"  # renew at the then-market price x discount
    renewal_discount: Fraction | None = None  # default: the class's reservation discount
    early_termination: EarlyTermination | None = None
    spot_discount: Fraction | None = None  # default: the class's spot discount
    preempted_fraction: Fraction = "2% to 10%"  # spot GPU-hours lost to preemption (assumption)
    lead_time_months: Whole = Field(default=0, ge=0, le=240)  # months before added GPUs serve
    overflow: str | None = Field(default=None, max_length=100)  # an API option's name, "on_demand", or none (unserved)
    hours_per_month: Number | None = Field(default=None, gt=0, le=744)

    @model_validator(mode="after")
    def _consistent(self) -> Provisioning:
        reserving = self.policy in ("reserved", "hybrid")
        if reserving and (self.gpus is None) == (self.size_for is None):
            raise ValueError(f'policy "{self.policy}" needs exactly one of gpus or size_for')
        if not reserving and (self.gpus is not None or self.size_for is not None):
            raise ValueError(f'gpus and size_for apply to reserved capacity, not policy "{self.policy}"')
        if self.policy == "hybrid" and self.overflow in (None, "on_demand"):
            raise ValueError('policy "hybrid" needs overflow = "<name of an API option>"')
        return self
