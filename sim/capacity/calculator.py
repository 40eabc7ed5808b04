"""``tcosim capacity --model M --gpu G ...``: one replica's latency and throughput at a few
concurrencies, from the calibrated serving model, without an experiment file (what a vendor sizing
sheet gives, calibrated on published NIM and TensorRT-LLM tables)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from sim.capacity.catalog import gpus, models
from sim.capacity.serving import Replica, plan, ttft_caveat, under_load

#: concurrencies shown when none are asked
CONCURRENCY = (1, 8, 32, 64)


class PointError(ValueError):
    """A point the calculator cannot price; the message names the flag."""


@dataclass(frozen=True)
class Point:
    """What to price: a model on a GPU at a width, a request shape, and the latency targets."""

    model: str
    gpu: str
    tp: int = 1
    precision: str = "bf16"
    kv_precision: str = "bf16"
    prompt: float = 1000.0
    output: float = 200.0
    tpot_slo_ms: float | None = None
    ttft_slo_ms: float | None = None
    max_batch: int = 256
    speedup: float = 1.0


def replica_of(point: Point) -> Replica:
    """The replica, or PointError naming the flag at fault (unknown names list the known ones; a
    model that does not fit says how much memory it needs)."""
    if point.model not in models():
        raise PointError(f'--model: "{point.model}" is not in the model catalog (known: {", ".join(models())})')
    if point.gpu not in gpus():
        raise PointError(f'--gpu: "{point.gpu}" is not in the GPU catalog (known: {", ".join(gpus())})')
    if not 1 <= point.tp <= 64:
        raise PointError(f"--tp: {point.tp} GPUs per replica; give 1 to 64")
    model, gpu = models()[point.model], gpus()[point.gpu]
    if point.precision == "fp8" and gpu.fp8_tflops is None:
        raise PointError(f"--precision: {gpu.key} has no FP8 tensor cores; use bf16 or int4")
    rep = Replica(model, gpu, point.precision, point.kv_precision, point.tp)
    if rep.kv_room() <= 0:
        need = rep.weight_bytes / 1e9 + rep.server.workspace_gb * point.tp
        fits = next((w for w in (1, 2, 4, 8, 16, 32, 64)
                     if Replica(model, gpu, point.precision, point.kv_precision, w).kv_room() > 0), 0)
        raise PointError(f"--tp: {point.model} in {point.precision} needs {rep.weight_bytes / 1e9:,.0f} GB of weights "
                         f"+ {rep.server.workspace_gb:g} GB workspace per GPU ({need:,.0f} GB on {point.tp}); "
                         f"{point.tp} × {gpu.key} ({gpu.hbm_gb * point.tp:,.0f} GB) "
                         f"leave{'s' if point.tp == 1 else ''} nothing for the KV cache"
                         + (f": use --tp {fits} or more, or a lower --precision" if fits else ""))
    if rep.kv_sequences(point.prompt, point.output) < 1:
        raise PointError(f"--prompt: not even one sequence of {point.prompt + point.output:,.0f} tokens fits the KV "
                         f"memory of {point.tp} × {gpu.key} ({rep.kv_room() / 1e9:,.1f} GB)")
    return rep


@dataclass
class Row:
    concurrency: int
    batch: float  # sequences decoding together (the concurrency, capped by the KV cache)
    tpot_ms: float
    ttft_ms: float
    output_per_s: float  # output tokens a second of the replica
    total_per_s: float  # input + output tokens a second of the replica


def rows(point: Point, concurrency: list[int]) -> list[Row]:
    rep = replica_of(point)
    out = []
    for c in concurrency:
        load = under_load(rep, point.prompt, point.output, float(c), 0.0, point.speedup)
        tok = float(load.output_tokens_per_s)
        out.append(Row(c, float(load.batch), 1e3 * float(load.tpot_s), 1e3 * float(load.ttft_s), tok,
                       tok * (point.prompt + point.output) / point.output))
    return out


def largest_batch(point: Point) -> tuple[int, float, float]:
    """(largest batch meeting the SLOs, its TPOT ms, its TTFT ms); batch 0 when none does."""
    rep = replica_of(point)
    tpot = (point.tpot_slo_ms or 1e9) / 1e3
    ttft = (point.ttft_slo_ms or 1e12) / 1e3
    p = plan(rep, point.prompt, point.output, 0.0, tpot, ttft, point.max_batch, point.speedup)
    if not bool(p.slo_met):
        return 0, 1e3 * float(p.idle_tpot_s), 1e3 * float(p.idle_ttft_s)
    return int(p.batch), 1e3 * float(p.tpot_s), 1e3 * float(p.ttft_s)


def point_lines(point: Point, concurrency: list[int]) -> list[str]:
    """The calculator's printout."""
    rep = replica_of(point)
    table = rows(point, concurrency)
    tp = point.tp
    head = (f"{point.model} {point.precision} (KV {point.kv_precision}) on {tp} × {point.gpu}, "
            f"{point.prompt:,.0f} prompt + {point.output:,.0f} output tokens per request")
    out = [head,
           f"KV cache {rep.kv_room() / 1e9:,.1f} GB: {int(rep.kv_sequences(point.prompt, point.output)):,} sequences "
           f"of {point.prompt + point.output:,.0f} tokens fit; serving stack × {point.speedup:g} of the calibrated "
           "NIM / TensorRT-LLM profile (vLLM is about 0.87×)",
           "",
           f"{'concurrency':>11} {'batch':>6} {'TPOT ms':>8} {'TTFT ms':>9} {'output tok/s':>13} "
           f"{'per GPU':>9} {'total tok/s':>12} {'per GPU':>9}"]
    for r in table:
        out.append(f"{r.concurrency:>11,} {r.batch:>6,.0f} {r.tpot_ms:>8.1f} {r.ttft_ms:>9,.0f} "
                   f"{r.output_per_s:>13,.0f} {r.output_per_s / tp:>9,.0f} {r.total_per_s:>12,.0f} "
                   f"{r.total_per_s / tp:>9,.0f}")
    if any(r.batch < r.concurrency for r in table):
        out.append("(a concurrency above the batch waits for a KV slot: its wait is in TTFT)")
    if any(1 < r.concurrency <= r.batch for r in table) or point.ttft_slo_ms:
        out.extend(textwrap.wrap(f"({ttft_caveat()})", 100))
    slos = [f"TPOT ≤ {point.tpot_slo_ms:g} ms" if point.tpot_slo_ms else "",
            f"TTFT ≤ {point.ttft_slo_ms:g} ms" if point.ttft_slo_ms else ""]
    asked = " and ".join(s for s in slos if s) or "no latency SLO"
    batch, tpot, ttft = largest_batch(point)
    if batch == 0:
        out.append(f"largest batch under {asked}: none (one request alone: TPOT {tpot:.1f} ms, TTFT {ttft:,.0f} ms)")
    else:
        cap = " (the --max-batch cap)" if batch == point.max_batch else ""
        out.append(f"largest batch under {asked}: {batch:,}{cap} (TPOT {tpot:.1f} ms, TTFT {ttft:,.0f} ms)")
    return out


__all__ = ["CONCURRENCY", "Point", "PointError", "Row", "largest_batch", "point_lines", "replica_of", "rows"]
