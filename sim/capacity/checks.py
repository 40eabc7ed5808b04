"""Semantic checks of a capacity model, run when the experiment is validated (exit 2 on failure):
catalog names, precision support, whether the weights fit, whether the SLOs can be met."""

from __future__ import annotations

import numpy as np

from sim.capacity.catalog import gpus, models, price_range
from sim.capacity.provisioning import reserved_class
from sim.capacity.throughput import HBM_USABLE, plan_replica
from sim.config import Experiment, SelfHostedOption
from sim.specs import median


def check_capacity(exp: Experiment, index: int) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems with option ``index``'s capacity and provisioning, as (loc, message)."""
    opt = exp.options[index]
    assert isinstance(opt, SelfHostedOption) and opt.capacity is not None and opt.provisioning is not None
    cap, prov = opt.capacity, opt.provisioning
    if cap.model not in models():
        return [(("capacity", "model"), f'"{cap.model}" is not in the model catalog (known: {", ".join(models())})')]
    if cap.gpu not in gpus():
        return [(("capacity", "gpu"), f'"{cap.gpu}" is not in the GPU catalog (known: {", ".join(gpus())})')]
    model, gpu = models()[cap.model], gpus()[cap.gpu]
    if cap.precision == "fp8" and gpu.fp8_tflops is None:
        return [(("capacity", "precision"), f"{gpu.key} has no FP8 tensor cores; use bf16 or int4")]
    usable = gpu.hbm_gb * HBM_USABLE * cap.tensor_parallel
    need = model.weight_bytes(cap.precision) / 1e9
    if need >= usable:
        return [(("capacity", "tensor_parallel"),
                 f"{cap.model} in {cap.precision} needs {need:,.0f} GB of weights; {cap.tensor_parallel} x "
                 f"{gpu.key} give {usable:,.0f} GB usable: raise tensor_parallel or lower the precision")]
    m = exp.market
    plan = plan_replica(model, gpu, cap.precision, cap.kv_precision, cap.tensor_parallel,
                        median(cap.prompt_tokens, m), 1.0, median(cap.prefix_cache_hit, m),
                        cap.tpot_slo_ms / 1e3, cap.max_batch, median(cap.server_speedup, m))
    if not bool(np.all(plan.slo_met)):
        return [(("capacity", "tpot_slo_ms"),
                 f"no batch meets {cap.tpot_slo_ms:g} ms per output token: one sequence already takes "
                 f"{1e3 * float(np.max(plan.step_s)):.1f} ms per step for {cap.model} on "
                 f"{cap.tensor_parallel} x {gpu.key} (median inputs)")]
    if float(np.max(plan.kv_batch_limit)) < 1:
        return [(("capacity", "prompt_tokens"), "not even one sequence of this length fits the KV memory left")]
    if float(np.max(plan.ttft_s)) * 1e3 > cap.ttft_slo_ms:
        return [(("capacity", "ttft_slo_ms"),
                 f"a median prompt takes {1e3 * float(np.max(plan.ttft_s)):,.0f} ms to first token on an idle "
                 f"replica, above {cap.ttft_slo_ms:g} ms")]
    names = {o.name: o for o in exp.options}
    if prov.overflow not in (None, "on_demand"):
        target = names.get(prov.overflow)
        if target is None or target.kind != "api":
            apis = ", ".join(o.name for o in exp.options if o.kind == "api") or "none"
            return [(("provisioning", "overflow"), f'"{prov.overflow}" names no API option (API options: {apis})')]
    if prov.size_for is not None and prov.size_for.month > exp.horizon:
        return [(("provisioning", "size_for", "month"), f"{prov.size_for.month} is past horizon_months")]
    if prov.early_termination is not None and prov.early_termination.month > exp.horizon:
        return [(("provisioning", "early_termination", "month"),
                 f"{prov.early_termination.month} is past horizon_months")]
    needs = [("hourly_price", "on_demand", prov.hourly_price)]
    if prov.policy in ("reserved", "hybrid"):
        cls = reserved_class(prov.term_months)
        needs.append(("reserved_price", cls, prov.reserved_price))
    for field, cls, given in needs:
        if given is None and price_range(cap.gpu, cls) is None:
            return [(("provisioning", field), f"the GPU price catalog has no {cls} price for {gpu.key}: give {field}")]
    return []
