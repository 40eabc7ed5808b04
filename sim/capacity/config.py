"""Schema of a self-hosted option's ``capacity`` and ``provisioning`` tables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.specs import Fraction, HourlyPrice, HourlyPricePath, Multiple, Strict, Tokens

Precision = Literal["bf16", "fp8", "int4"]


class Capacity(Strict):
    """What is served, on what, under which latency targets. Defaults name their source."""

    model: str = Field(max_length=100)
    gpu: str = Field(max_length=100)
    precision: Precision = "bf16"
    kv_precision: Literal["bf16", "fp8"] = "bf16"
    tensor_parallel: int = Field(default=1, ge=1, le=64)
    # assumption: chat/RAG prompts; output per request follows the workload's output/input ratio
    prompt_tokens: Tokens = "500 to 2000"
    prefix_cache_hit: Fraction = 0.0  # share of prompt tokens served from the prefix cache
    tpot_slo_ms: float = Field(default=50.0, gt=0)  # time per output token (~20 tok/s per user)
    ttft_slo_ms: float = Field(default=2000.0, gt=0)  # time to first token, idle replica
    max_batch: int = Field(default=256, ge=1, le=100_000)  # vLLM's default max_num_seqs
    peak_to_average: Multiple = "2 to 3"  # diurnal peak hour / daily mean (assumption; interactive traffic)
    burst_factor: Multiple = 1.2  # head-room for minute-scale bursts above the peak hour (assumption)
    utilization_cap: Fraction = 0.8  # plan replicas to run at most this busy at the burst peak
    spare_replicas: int = Field(default=1, ge=0, le=10_000)  # N+1 for failures and rolling restarts
    standby_fraction: Fraction = 0.0  # extra hot-standby replicas as a share of serving ones
    server_speedup: Multiple = "1.2 to 2.0"  # production server vs the eager calibration (see throughput.py)


class SizeFor(Strict):
    """Size a reservation for the ``quantile`` of GPUs needed in ``month`` across paths."""

    month: int = Field(ge=1)
    quantile: float = Field(gt=0, lt=1)


class EarlyTermination(Strict):
    """End the reservation at ``month``: pay ``fee_share`` of the remaining commitment then."""

    month: int = Field(ge=1)
    fee_share: Fraction = 1.0


class Provisioning(Strict):
    """How GPUs are rented: reserved, on_demand, spot, or hybrid (reserved + API overflow)."""

    policy: Literal["reserved", "on_demand", "spot", "hybrid"]
    hourly_price: HourlyPricePath | None = None  # on-demand market $/GPU-hour (default: catalog range)
    reserved_price: HourlyPrice | None = None  # $/GPU-hour locked at signing (default: catalog range)
    gpus: int | None = Field(default=None, ge=0, le=1_000_000)  # reserved GPUs, or
    size_for: SizeFor | None = None  # sized from the demand forecast
    term_months: int = Field(default=12, ge=1, le=240)
    after_term: Literal["renew", "on_demand"] = "renew"  # renew at the then-market price x discount
    renewal_discount: Fraction | None = None  # default: the catalog's reserved vs on-demand gap
    early_termination: EarlyTermination | None = None
    spot_discount: Fraction | None = None  # default: catalog spot vs on-demand gap
    preempted_fraction: Fraction = "2% to 10%"  # spot GPU-hours lost to preemption (assumption)
    lead_time_months: int = Field(default=0, ge=0, le=240)  # months before added GPUs serve
    overflow: str | None = Field(default=None, max_length=100)  # an API option's name, "on_demand", or none (unserved)
    hours_per_month: float | None = Field(default=None, gt=0, le=744)

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
