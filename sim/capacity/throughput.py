"""The eager roofline: one decode step of a model on a GPU, calibrated on the project's own H100
measurement. It is the measured baseline the production-server model (sim/capacity/serving.py)
builds on (that model keeps EFF_BW) and is held to its measurement in tests/test_capacity.py.

A roofline calibrated on the project's H100 measurements (sim/data/h100_calibration.csv, eager
PyTorch, Llama-3-70B/8B-shaped layers, bf16 and fp8, batch 1-256, context 1k-16k):

    decode step = max(bytes read / (BW x eff_bw), FLOPs / (F x eff_mm)) + layers x (c0 + c1 x context)
    bytes read  = weights + batch x context x KV bytes per token           (per GPU: / TP)
    prefill     = 2 x params x prompt tokens / (F x eff_prefill)           (compute-bound)

eff_bw = 2.998 / 3.35 (measured copy bandwidth over the H100 spec, sim/data/h100_ceilings.csv);
eff_mm = 790 / 989 (measured bf16 matmul over spec); c0 = 0.135 ms and c1 = 4.83e-9 s per layer
(least squares on relative error over all 56 decode rows: the eager per-layer launch cost and its
unfused attention); eff_prefill from the two prefill rows per precision. The fit lands within
0.59-1.32x of every decode row and 0.90-1.10x of the prefill rows. A production server (vLLM,
TensorRT-LLM: CUDA graphs, fused attention, FP8 GEMMs, chunked prefill) differs: its own constants
are fitted on published measurements in sim/capacity/serving.py.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.capacity.catalog import Gpu, Model

H100_SPEC_BW_TBPS = 3.35
EFF_BW = 2.9979 / H100_SPEC_BW_TBPS  # measured copy bandwidth / spec (h100_ceilings.csv)
EFF_MM = 789.97 / 989.0  # measured bf16 matmul / dense spec (h100_ceilings.csv)
LAYER_OVERHEAD_S = 0.135e-3  # eager per-layer fixed cost per decode step (fit)
ATTN_S_PER_LAYER_TOKEN = 4.83e-9  # eager attention latency per layer per context token (fit)
EFF_PREFILL = {"bf16": 0.61, "fp8": 0.46, "int4": 0.61}  # measured prefill FLOP rate / spec
ArrayLike = npt.ArrayLike


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
