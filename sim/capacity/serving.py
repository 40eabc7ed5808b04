"""A production LLM server on one replica: step time under continuous batching with chunked
prefill, the largest batch under the latency SLOs, and latency under load. Vectorised over paths.

A step runs ``B`` decodes and, mixed in, the prefill tokens of new requests: in steady state each
sequence's P uncached prompt tokens are spread over its O output steps, so a step carries
``T = B P / O`` prefill tokens. Its time adds the memory traffic (the weights once, every
sequence's KV), the matrix work (decode and prefill tokens, prefill attention) and a fixed cost per
layer (kernels; an all-reduce when tensor-parallel):

    step = (W + B c kv) / (TP BW e_bw) + (2 N (B + T) + 2 L d P T) / (TP F e_mm) + L (o + o_tp [TP > 1])

e_bw is measured on our H100 (sim/data/h100_ceilings.csv); e_mm, o and o_tp are fitted on the
published NIM latency tables and the TensorRT-LLM perf overview (sim/data/serving_benchmarks.csv):
the model lands within 0.78-1.28x of all 79 time-per-output-token rows and all 40 full-load
throughput rows (tests/test_serving.py). ``server_speedup`` scales it for other serving stacks.

A sequence holds KV for its whole length (prompt + output, as TensorRT-LLM reserves it), so a
replica runs at most ``floor(KV memory / ((P + O) kv))`` sequences; more wait for a slot. Time to
first token under load: the prompt's own prefill (its chunks, each in a step that also carries the
other sequences' decodes), plus waiting for a prefill slot (an M/D/c queue, c prompts per chunk
budget), plus waiting for a KV slot when saturated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.capacity.catalog import Gpu, Model
from sim.capacity.throughput import EFF_BW

Array = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


@dataclass(frozen=True)
class Server:
    """A serving stack's constants; the defaults are the calibrated NIM / TensorRT-LLM profile."""

    eff_bw: float = EFF_BW  # measured copy bandwidth / H100 spec (sim/data/h100_ceilings.csv)
    eff_mm: float = 0.5977  # fit: matrix rate / dense spec in mixed decode + prefill steps
    layer_s: float = 0.0512e-3  # fit: fixed cost per layer per step (kernels, norms, sampling)
    tp_layer_s: float = 0.0294e-3  # fit: all-reduce cost per layer per step when tensor-parallel
    #: share of the HBM left after weights and workspace that holds KV (TensorRT-LLM's
    #: kv_cache_free_gpu_mem_fraction default, perf-overview "Running the Benchmark")
    kv_share: float = 0.9
    workspace_gb: float = 4.0  # per GPU: activations and CUDA graphs (fit on the NIM saturation knees)
    chunk_tokens: int = 8192  # prefill tokens per step (TensorRT-LLM max_num_tokens default)


SERVER = Server()
#: published NIM time to first token ÷ this model's, on the 50 rows with 5-250 concurrent requests
#: below the KV limit (min, median, max): the front-end and scheduler time the model leaves out, so
#: its TTFT under load is a lower bound there (tests/test_serving.py recomputes these from the rows)
LOADED_TTFT_GAP = (1.5, 4.9, 290.0)


def ttft_caveat() -> str:
    """What a reader of a modelled TTFT under load must know, in one sentence."""
    low, mid, high = LOADED_TTFT_GAP
    return (f"time to first token under load is a lower bound below the KV limit: NIM's published TTFT at "
            f"5–250 concurrent requests is {low:g}–{high:g}× the model's there (median {mid:g}×; front-end and "
            "scheduler time the model leaves out), so a TTFT SLO binds later here than on a real server")
#: prefills served at once that the queue model distinguishes (beyond it, waiting is negligible)
MAX_PREFILL_SERVERS = 64


@dataclass(frozen=True)
class Replica:
    """One replica's model and hardware: everything its step time depends on."""

    model: Model
    gpu: Gpu
    precision: str
    kv_precision: str
    tp: int
    server: Server = SERVER

    @property
    def weight_bytes(self) -> float:
        return self.model.weight_bytes(self.precision)

    @property
    def kv_per_token(self) -> float:
        return self.model.kv_bytes_per_token(self.kv_precision)

    def kv_room(self) -> float:
        """Bytes of KV cache the replica holds (0 when the weights do not fit)."""
        hbm = self.gpu.hbm_gb * 1e9 * self.tp
        free = hbm - self.weight_bytes - self.server.workspace_gb * 1e9 * self.tp
        return max(0.0, free * self.server.kv_share)

    def kv_sequences(self, prompt: ArrayLike, output: ArrayLike) -> Array:
        """Sequences that fit the KV cache when each reserves its full length."""
        length = np.asarray(prompt, float) + np.asarray(output, float)
        return np.asarray(np.floor(self.kv_room() / (length * self.kv_per_token)), float)

    def coefficients(self, context: ArrayLike, prompt: ArrayLike,
                     prefill_per_seq: ArrayLike) -> tuple[float, Array, Array]:
        """step = a + b B + c T: fixed seconds, seconds per decoding sequence (with its share of
        mixed-in prefill), seconds per extra prefill token."""
        s, m, g = self.server, self.model, self.gpu
        bw = g.mem_bw_tbps * 1e12 * s.eff_bw * self.tp
        fl = g.tflops(self.precision) * 1e12 * s.eff_mm * self.tp
        n2 = 2.0 * m.params_b * 1e9
        per_prefill = (n2 + 2.0 * m.layers * m.hidden * np.asarray(prompt, float)) / fl  # GEMMs + attention
        a = self.weight_bytes / bw + m.layers * (s.layer_s + (s.tp_layer_s if self.tp > 1 else 0.0))
        b = np.asarray(context, float) * self.kv_per_token / bw + n2 / fl + per_prefill * np.asarray(prefill_per_seq)
        return a, np.asarray(b, float), np.asarray(per_prefill, float)

    def step(self, batch: ArrayLike, context: ArrayLike, prefill_tokens: ArrayLike, prompt: ArrayLike,
             speedup: ArrayLike = 1.0) -> Array:
        """Seconds for a step of ``batch`` decodes at mean ``context`` plus ``prefill_tokens``."""
        return step_seconds(self.coefficients(context, prompt, 0.0), batch, prefill_tokens, speedup)


def step_seconds(coefficients: tuple[float, Array, Array], batch: ArrayLike, prefill_tokens: ArrayLike,
                 speedup: ArrayLike) -> Array:
    """a + b B + c T (Replica.coefficients), over the serving stack's speed-up."""
    a, b, c = coefficients
    seconds = a + b * np.asarray(batch, float) + c * np.asarray(prefill_tokens, float)
    return np.asarray(seconds / np.asarray(speedup, float), float)


def erlang_c(servers: ArrayLike, load: ArrayLike) -> Array:
    """P(an arrival waits) in an M/M/c queue with offered load ``load`` < ``servers``: Erlang B by
    its recursion, then C = c B / (c - a (1 - B)). Vectorised over paths.

    The recursion runs to each path's own c: paths sorted by c (descending), step k updates only
    the prefix with c >= k, so the work is the sum of the c's, not n x max(c)."""
    c = np.asarray(servers, dtype=int)
    a = np.asarray(load, dtype=float)
    shape = np.broadcast_shapes(c.shape, a.shape)
    c, a = np.broadcast_to(c, shape).ravel(), np.broadcast_to(a, shape).ravel()
    small = c.size and int(c.max()) < 2**15  # then int16 keys: numpy sorts them by radix
    order = np.argsort(-(c.astype(np.int16) if small else c), kind="stable")
    c, a = c[order], a[order]
    top = int(c[0]) if c.size else 0
    at_least = np.searchsorted(-c, -np.arange(top + 2), side="right")  # paths with c >= k
    b = np.ones(c.size)
    at_c = np.ones(c.size)
    for k in range(1, top + 1):
        m, done = at_least[k], at_least[k + 1]
        ab = a[:m] * b[:m]
        b[:m] = ab / (k + ab)
        at_c[done:m] = b[done:m]
    out = np.empty(c.size)
    out[order] = c * at_c / (c - a * (1.0 - at_c))
    return out.reshape(shape)


@dataclass
class Load:
    """One replica serving ``concurrency`` requests at once (arrays over paths)."""

    batch: Array  # sequences decoding together (the concurrency, capped by KV memory)
    tpot_s: Array  # time per output token
    ttft_s: Array  # time to first token, waiting included
    prefill_s: Array  # the prompt's own prefill, in steps shared with the batch
    output_tokens_per_s: Array  # of the replica
    kv_sequences: Array  # sequences its KV cache holds


class Mix:
    """One replica serving one prompt / output mix: what does not depend on the concurrency, worked
    out once, so that a search over the concurrency (plan's bisection) evaluates only the rest."""

    def __init__(self, rep: Replica, prompt: ArrayLike, output: ArrayLike, prefix_hit: ArrayLike = 0.0,
                 speedup: ArrayLike = 1.0) -> None:
        self.prompt = np.asarray(prompt, float)
        self.output = np.maximum(np.asarray(output, float), 1.0)
        self.uncached = np.maximum(self.prompt * (1.0 - np.asarray(prefix_hit, float)), 1.0)
        self.kv_sequences = rep.kv_sequences(self.prompt, self.output)
        self.coefficients = rep.coefficients(self.prompt + self.output / 2.0, self.prompt, 0.0)
        self.speedup = np.asarray(speedup, float)
        self.chunk = float(rep.server.chunk_tokens)
        self.full = np.floor(self.uncached / self.chunk)
        self.rest = self.uncached - self.full * self.chunk
        self.servers = np.clip(np.floor(self.chunk / self.uncached), 1, MAX_PREFILL_SERVERS)

    def step(self, batch: ArrayLike, prefill_tokens: ArrayLike) -> Array:
        """Replica.step at this mix's context."""
        return step_seconds(self.coefficients, batch, prefill_tokens, self.speedup)

    def at(self, concurrency: ArrayLike) -> Load:
        """Latency and throughput at ``concurrency`` (each client sends its next request when its
        last one ends, as benchmarks do)."""
        o, uncached, servers = self.output, self.uncached, self.servers
        conc = np.maximum(np.asarray(concurrency, float), 1.0)
        batch = np.maximum(np.minimum(conc, self.kv_sequences), 1.0)
        tpot = self.step(batch, batch * uncached / o)
        others = batch - 1.0
        prefill = (self.full * self.step(others, self.chunk)
                   + np.where(self.rest > 0, self.step(others, self.rest), 0.0))
        rate = batch / (prefill + (o - 1.0) * tpot)  # requests a second the replica completes
        offered = np.minimum(rate * prefill, 0.95 * servers)
        queue = 0.5 * erlang_c(servers, offered) * prefill / (servers - offered)  # M/D/c: half of M/M/c
        queue = np.where(batch > 1, queue * others / batch, 0.0)  # a closed loop: only the others queue
        slot = np.maximum(conc - batch, 0.0) / rate
        ttft = slot + queue + prefill
        tokens_per_s = conc * o / (ttft + (o - 1.0) * tpot)
        return Load(batch, tpot, ttft, prefill, np.asarray(tokens_per_s, float), self.kv_sequences)


def under_load(rep: Replica, prompt: ArrayLike, output: ArrayLike, concurrency: ArrayLike,
               prefix_hit: ArrayLike = 0.0, speedup: ArrayLike = 1.0) -> Load:
    """Latency and throughput at ``concurrency`` (each client sends its next request when its last
    one ends, as benchmarks do)."""
    return Mix(rep, prompt, output, prefix_hit, speedup).at(concurrency)


@dataclass
class Plan:
    """What one replica sustains within the SLOs (arrays over paths)."""

    batch: Array  # sequences per replica at the planned load
    kv_sequences: Array  # sequences its KV cache holds
    slo_batch: Array  # the largest batch whose time per output token meets the SLO
    tpot_s: Array  # at the planned batch
    ttft_s: Array  # at the planned batch, under load
    idle_ttft_s: Array  # a request alone
    idle_tpot_s: Array
    seconds_per_output_token: Array  # replica-seconds per output token, its prefill included
    request_s: Array  # how long a request occupies a lightly loaded replica
    slo_met: Array  # a single sequence meets both SLOs

    @property
    def output_tokens_per_s(self) -> Array:
        return np.asarray(1.0 / self.seconds_per_output_token, float)


def plan(rep: Replica, prompt: ArrayLike, output: ArrayLike, prefix_hit: ArrayLike, tpot_slo_s: float,
         ttft_slo_s: float, max_batch: int, speedup: ArrayLike = 1.0) -> Plan:
    """The largest batch that fits the KV memory and ``max_batch`` and meets both SLOs. Time per
    output token is linear in the batch (solved directly); time to first token grows with it
    (found by bisection)."""
    p = np.asarray(prompt, float)
    o = np.maximum(np.asarray(output, float), 1.0)
    h = np.asarray(prefix_hit, float)
    sp = np.asarray(speedup, float)
    a, b, _ = rep.coefficients(p + o / 2.0, p, np.maximum(p * (1.0 - h), 1.0) / o)
    slo_batch = np.floor((tpot_slo_s * sp - a) / b)
    mix = Mix(rep, p, o, h, sp)
    kv_seqs = mix.kv_sequences
    top = np.maximum(np.minimum(np.minimum(kv_seqs, slo_batch), float(max_batch)), 1.0)
    lo, hi = np.ones_like(top), top
    for _ in range(int(np.ceil(np.log2(float(np.max(top)) + 1.0))) + 1):
        mid = np.floor((lo + hi + 1.0) / 2.0)
        ok = mix.at(mid).ttft_s <= ttft_slo_s
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid - 1.0)
    load = mix.at(lo)
    idle = mix.at(1.0)
    met = (slo_batch >= 1) & (idle.ttft_s <= ttft_slo_s) & (kv_seqs >= 1)
    return Plan(batch=lo, kv_sequences=kv_seqs, slo_batch=slo_batch, tpot_s=load.tpot_s, ttft_s=load.ttft_s,
                idle_ttft_s=idle.ttft_s, idle_tpot_s=idle.tpot_s,
                seconds_per_output_token=np.asarray(1.0 / load.output_tokens_per_s, float),
                request_s=idle.prefill_s + (o - 1.0) * idle.tpot_s, slo_met=np.asarray(met))


def busy_fraction(requests_per_s: ArrayLike, request_s: ArrayLike, peak_to_average: ArrayLike) -> Array:
    """Share of the time a replica is running a step: 1 - P(no request in flight), with requests
    arriving at ``requests_per_s`` (per replica, the day's mean) and each lasting ``request_s``
    (an M/G/infinity occupancy, P(idle) = exp(-rate x duration)), averaged over the day's linear
    load-duration curve from the peak (peak_to_average x mean) down (as sim.capacity.sizing).
    Along a linear curve the average of exp(-k x level) is exact: (e^(-k trough) - e^(-k peak)) /
    (k (peak - trough)), written with expm1 so that a flat day (peak = trough) is e^(-k level)."""
    rate = np.asarray(requests_per_s, float)
    dur = np.asarray(request_s, float)
    peak = np.maximum(np.asarray(peak_to_average, float), 1.0)
    trough = np.maximum(2.0 - peak, 0.0)
    span = np.where(peak > 2.0, 2.0 / peak, 1.0)  # share of the day with any load
    k = rate * dur  # requests in flight at the day's mean load
    width = k * (peak - trough)
    positive = width > 0.0
    ramp = np.where(positive, -np.expm1(-width) / np.where(positive, width, 1.0), 1.0)  # mean of e^-x over [0, width]
    idle = np.exp(-k * trough) * ramp
    return np.asarray(span * (1.0 - idle), float)


__all__ = ["LOADED_TTFT_GAP", "SERVER", "Load", "Mix", "Plan", "Replica", "Server", "busy_fraction", "erlang_c", "plan",
           "step_seconds", "ttft_caveat", "under_load"]
