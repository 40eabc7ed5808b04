"""Throughput of one serving replica under a latency SLO (vectorised over paths).

A roofline calibrated on the project's H100 measurements (sim/data/h100_calibration.csv, eager
PyTorch, Llama-3-70B/8B-shaped layers, bf16 and fp8, batch 1-256, context 1k-16k):

    decode step = max(bytes read / (BW x eff_bw), FLOPs / (F x eff_mm)) + layers x (c0 + c1 x context)
    bytes read  = weights + batch x context x KV bytes per token           (per GPU: / TP)
    prefill     = 2 x params x prompt tokens / (F x eff_prefill)           (compute-bound)

eff_bw = 2.998 / 3.35 (measured copy bandwidth over the H100 spec, sim/data/h100_ceilings.csv);
eff_mm = 790 / 989 (measured bf16 matmul over spec); c0 = 0.135 ms and c1 = 4.83e-9 s per layer
(least squares on relative error over all 56 decode rows: the eager per-layer launch cost and its
unfused attention); eff_prefill from the two prefill rows per precision. The fit lands within
0.59-1.32x of every decode row (tests/test_capacity.py). A production server (vLLM,
TensorRT-LLM: CUDA graphs, fused attention, FP8 GEMMs) is faster: ``server_speedup`` divides
every step time. Its default, "1.2 to 2.0", brackets the ratio of a published figure
(TensorRT-LLM, Llama-3.3-70B FP8 on 2x H100, about 4,200 output tok/s at 1000 in / 1000 out) to
this model's eager estimate for the same case (about 1.5x).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.capacity.catalog import Gpu, Model

H100_SPEC_BW_TBPS = 3.35
EFF_BW = 2.9979 / H100_SPEC_BW_TBPS  # measured copy bandwidth / spec (h100_ceilings.csv)
EFF_MM = 789.97 / 989.0  # measured bf16 matmul / dense spec (h100_ceilings.csv)
LAYER_OVERHEAD_S = 0.135e-3  # eager per-layer fixed cost per decode step (fit)
ATTN_S_PER_LAYER_TOKEN = 4.83e-9  # eager attention latency per layer per context token (fit)
EFF_PREFILL = {"bf16": 0.61, "fp8": 0.46, "int4": 0.61}  # measured prefill FLOP rate / spec
#: vLLM's default gpu_memory_utilization: the share of HBM the server may use (vLLM engine args)
HBM_USABLE = 0.9


@dataclass
class ReplicaPlan:
    """Per-path serving figures of one replica (arrays of shape (n,))."""

    batch: np.ndarray  # concurrent sequences per replica (KV, SLO and max_batch limits)
    kv_batch_limit: np.ndarray  # sequences the KV memory holds
    step_s: np.ndarray  # decode step time at that batch
    decode_s_per_token: np.ndarray  # replica-seconds per output token (step / batch)
    prefill_s_per_token: np.ndarray  # replica-seconds per (uncached) input token
    ttft_s: np.ndarray  # time to first token of one prompt on an idle replica
    slo_met: np.ndarray  # True where batch 1 already meets the TPOT SLO

    @property
    def output_tokens_per_s(self) -> np.ndarray:
        return 1.0 / self.decode_s_per_token


ArrayLike = np.ndarray | float


def step_time(model: Model, gpu: Gpu, precision: str, kv_bytes: float, tp: int, batch: ArrayLike,
              context: ArrayLike, speedup: ArrayLike = 1.0) -> np.ndarray:
    """Decode step time in seconds for ``batch`` sequences of ``context`` tokens."""
    batch = np.asarray(batch, dtype=float)
    context = np.asarray(context, dtype=float)
    bytes_per_gpu = (model.weight_bytes(precision) + batch * context * kv_bytes) / tp
    memory = bytes_per_gpu / (gpu.mem_bw_tbps * 1e12 * EFF_BW)
    flops_per_gpu = 2.0 * model.params_b * 1e9 * batch / tp
    compute = flops_per_gpu / (gpu.tflops(precision) * 1e12 * EFF_MM)
    fixed = model.layers * (LAYER_OVERHEAD_S + ATTN_S_PER_LAYER_TOKEN * context)
    return np.asarray((np.maximum(memory, compute) + fixed) / np.asarray(speedup, dtype=float), dtype=float)


def plan_replica(model: Model, gpu: Gpu, precision: str, kv_precision: str, tp: int,
                 prompt_tokens: ArrayLike, output_tokens: ArrayLike, prefix_hit: ArrayLike, tpot_slo_s: float,
                 max_batch: int, speedup: ArrayLike) -> ReplicaPlan:
    """Largest batch that fits the KV memory and meets the time-per-output-token SLO, and the
    replica-seconds each token costs at that batch. Inputs may be floats or (n,) arrays."""
    kv = model.kv_bytes_per_token(kv_precision)
    prompt = np.asarray(prompt_tokens, dtype=float)
    out = np.asarray(output_tokens, dtype=float)
    speedup = np.asarray(speedup, dtype=float)
    full_context = prompt + out  # a sequence's KV reservation at its end
    mean_context = prompt + out / 2  # what a decode step reads on average
    kv_room = gpu.hbm_gb * 1e9 * HBM_USABLE * tp - model.weight_bytes(precision)
    kv_limit = np.floor(np.maximum(kv_room, 0.0) / (full_context * kv))
    # SLO: step(B) <= slo is linear in B on the memory side and on the compute side
    bw = gpu.mem_bw_tbps * 1e12 * EFF_BW
    fixed = model.layers * (LAYER_OVERHEAD_S + ATTN_S_PER_LAYER_TOKEN * mean_context)
    budget = tpot_slo_s * speedup - fixed
    by_memory = (budget * bw * tp - model.weight_bytes(precision)) / (mean_context * kv)
    by_compute = budget * gpu.tflops(precision) * 1e12 * EFF_MM * tp / (2.0 * model.params_b * 1e9)
    slo_batch = np.floor(np.minimum(by_memory, by_compute))
    batch = np.maximum(np.minimum(np.minimum(kv_limit, slo_batch), max_batch), 1.0)
    step = step_time(model, gpu, precision, kv, tp, batch, mean_context, speedup)
    flops_rate = gpu.tflops(precision) * 1e12 * EFF_PREFILL[precision] * tp * speedup
    prefill = 2.0 * model.params_b * 1e9 * (1.0 - np.asarray(prefix_hit, dtype=float)) / flops_rate
    ttft = prefill * prompt + step
    return ReplicaPlan(batch=np.broadcast_to(batch, np.shape(step)).astype(float),
                       kv_batch_limit=np.broadcast_to(kv_limit, np.shape(step)).astype(float),
                       step_s=step, decode_s_per_token=step / batch, prefill_s_per_token=prefill,
                       ttft_s=ttft, slo_met=slo_batch >= 1)
