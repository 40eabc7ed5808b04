"""GPU and model catalogs shipped in sim/data (each row sourced and dated); GPU prices are in
sim.gpu_market."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: bytes per weight or KV element by precision
BYTES = {"bf16": 2.0, "fp8": 1.0, "int4": 0.5}


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("sim").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class Gpu:
    key: str
    name: str
    hbm_gb: float
    mem_bw_tbps: float
    bf16_tflops: float
    fp8_tflops: float | None

    def tflops(self, precision: str) -> float:
        """Dense matrix rate for the precision the weights run in (int4 runs its GEMMs in bf16)."""
        if precision == "fp8":
            if self.fp8_tflops is None:
                raise ValueError(f"{self.key} has no FP8 tensor cores")
            return self.fp8_tflops
        return self.bf16_tflops


@dataclass(frozen=True)
class Model:
    key: str
    params_b: float
    layers: int
    hidden: int
    kv_heads: int
    head_dim: int

    def weight_bytes(self, precision: str) -> float:
        return self.params_b * 1e9 * BYTES[precision]

    def kv_bytes_per_token(self, kv_precision: str) -> float:
        """K and V for every layer: 2 x layers x kv_heads x head_dim x bytes."""
        return 2.0 * self.layers * self.kv_heads * self.head_dim * BYTES[kv_precision]


@cache
def gpus() -> dict[str, Gpu]:
    return {r["gpu"]: Gpu(r["gpu"], r["name"], float(r["hbm_gb"]), float(r["mem_bw_tbps"]),
                          float(r["bf16_tflops"]), float(r["fp8_tflops"]) if r["fp8_tflops"] else None)
            for r in _rows("gpus.csv")}


@cache
def models() -> dict[str, Model]:
    return {r["model"]: Model(r["model"], float(r["params_b"]), int(r["layers"]), int(r["hidden"]),
                              int(r["kv_heads"]), int(r["head_dim"]))
            for r in _rows("models.csv")}
