"""Semantic checks of a capacity model or a declared fleet, run when the experiment is validated
(exit 2 on failure): catalog names, precision support, whether the weights fit, whether the SLOs
can be met, and for a list of candidate GPUs whether any setup can."""

from __future__ import annotations

import numpy as np

from sim.capacity.catalog import gpus, models
from sim.capacity.config import Serving
from sim.capacity.serving import plan
from sim.capacity.sizing import Setup
from sim.config import Experiment, SelfHostedOption
from sim.gpu_market import PROVIDER_CLASSES, on_demand_range
from sim.specs import median

Problems = list[tuple[tuple[str | int, ...], str]]


def output_ratio(exp: Experiment) -> float:
    """Output tokens per input token at the workload's medians (output per request follows it)."""
    tokens_in = median(exp.workload.input_tokens_per_day, exp.market)
    tokens_out = median(exp.workload.output_tokens_per_day, exp.market)
    return tokens_out / tokens_in if tokens_in > 0 else 0.0


def why_not(serving: Serving, setup: Setup, exp: Experiment) -> tuple[str, str] | None:
    """Why ``setup`` cannot serve ``serving`` at the median inputs, as (field, message); None if it can."""
    model, gpu = models()[serving.model], gpus()[setup.gpu]
    if serving.precision == "fp8" and gpu.fp8_tflops is None:
        return "precision", f"{gpu.key} has no FP8 tensor cores; use bf16 or int4"
    replica = setup.replica(serving)
    if replica.kv_room() <= 0:
        usable = gpu.hbm_gb * setup.tp - replica.server.workspace_gb * setup.tp
        return "tensor_parallel", (f"{serving.model} in {serving.precision} needs "
                                   f"{model.weight_bytes(serving.precision) / 1e9:,.0f} GB of weights; {setup} "
                                   f"leave{'' if setup.tp > 1 else 's'} {usable:,.0f} GB after workspace: raise "
                                   "tensor_parallel or lower the precision")
    m = exp.market
    prompt = median(serving.prompt_tokens, m)
    output = max(prompt * output_ratio(exp), 1.0)
    p = plan(replica, prompt, output, median(serving.prefix_cache_hit, m), serving.tpot_slo_ms / 1e3,
             serving.ttft_slo_ms / 1e3, serving.max_batch, median(serving.server_speedup, m))
    if float(np.max(p.kv_sequences)) < 1:
        return "prompt_tokens", f"not even one sequence of {prompt + output:,.0f} tokens fits the KV memory of {setup}"
    if float(np.max(p.slo_batch)) < 1:
        return "tpot_slo_ms", (f"no batch meets {serving.tpot_slo_ms:g} ms per output token: one sequence already "
                               f"takes {1e3 * float(np.max(p.idle_tpot_s)):.1f} ms a token for {serving.model} on "
                               f"{setup} (median inputs)")
    if float(np.max(p.idle_ttft_s)) * 1e3 > serving.ttft_slo_ms:
        return "ttft_slo_ms", (f"a median prompt takes {1e3 * float(np.max(p.idle_ttft_s)):,.0f} ms to first token "
                               f"on an idle {setup}, above {serving.ttft_slo_ms:g} ms")
    return None


def _names(serving: Serving, gpu_names: list[str], where: tuple[str, ...]) -> Problems:
    if serving.model not in models():
        return [((*where, "model"), f'"{serving.model}" is not in the model catalog (known: {", ".join(models())})')]
    unknown = [g for g in gpu_names if g not in gpus()]
    if unknown:
        names = ", ".join(f'"{g}"' for g in unknown)
        return [((*where, "gpu"), f'{names} {"is" if len(unknown) == 1 else "are"} not in the GPU catalog '
                                  f'(known: {", ".join(gpus())})')]
    return []


def _overflow(exp: Experiment, overflow: str | None, where: tuple[str, ...]) -> Problems:
    if overflow in (None, "on_demand", "cheapest"):
        return []
    if not any(o.name == overflow and o.kind == "api" for o in exp.options):
        apis = ", ".join(o.name for o in exp.options if o.kind == "api") or "none"
        return [(where, f'"{overflow}" names no API option (API options: {apis}; or "cheapest")')]
    return []


def check_capacity(exp: Experiment, index: int) -> Problems:
    """Problems with option ``index``'s capacity and provisioning, as (loc, message)."""
    opt = exp.options[index]
    assert isinstance(opt, SelfHostedOption) and opt.capacity is not None and opt.provisioning is not None
    cap, prov = opt.capacity, opt.provisioning
    found = _names(cap, cap.gpus_considered, ("capacity",))
    if found:
        return found
    setups = [Setup(g, tp) for g in cap.gpus_considered for tp in cap.widths_considered]
    reasons = {str(s): why_not(cap, s, exp) for s in setups}
    if all(reasons.values()):
        if len(setups) == 1:
            field, message = next(r for r in reasons.values() if r)
            return [(("capacity", field), message)]
        listed = "; ".join(f"{name}: {r[1]}" for name, r in reasons.items() if r)
        return [(("capacity", "gpu"), f"no candidate setup serves {cap.model} within the SLOs ({listed})")]
    if len(cap.gpus_considered) > 1 and (prov.hourly_price is not None or prov.reserved_price is not None):
        field = "hourly_price" if prov.hourly_price is not None else "reserved_price"
        return [(("provisioning", field), "with several candidate GPUs, GPU prices come from the catalog "
                                          "(one per GPU): leave this out or name one GPU")]
    found = _overflow(exp, prov.overflow, ("provisioning", "overflow"))
    if found:
        return found
    if prov.size_for is not None and prov.size_for.month > exp.horizon:
        return [(("provisioning", "size_for", "month"), f"{prov.size_for.month} is past horizon_months")]
    if prov.early_termination is not None and prov.early_termination.month > exp.horizon:
        return [(("provisioning", "early_termination", "month"),
                 f"{prov.early_termination.month} is past horizon_months")]
    if prov.hourly_price is None:
        missing = [g for g in cap.gpus_considered if on_demand_range(g, prov.provider_class) is None]
        if missing:
            have = [c for c in PROVIDER_CLASSES if all(on_demand_range(g, c) for g in missing)]
            return [(("provisioning", "hourly_price"),
                     f"the GPU price catalog has no {prov.provider_class} price for {', '.join(missing)}: give "
                     f"hourly_price" + (f" or provider_class = \"{have[0]}\"" if have else ""))]
    return []


def check_fleet(exp: Experiment, index: int) -> Problems:
    """Problems with option ``index``'s declared fleet."""
    opt = exp.options[index]
    assert isinstance(opt, SelfHostedOption) and opt.fleet is not None
    fleet = opt.fleet
    found = _names(fleet, [fleet.gpu], ("fleet",))
    if found:
        return found
    if fleet.gpus < fleet.tensor_parallel:
        return [(("fleet", "gpus"), f"{fleet.gpus} GPUs form no replica of {fleet.tensor_parallel} GPUs")]
    if fleet.gpus // fleet.tensor_parallel <= fleet.spare_replicas:
        return [(("fleet", "spare_replicas"), f"{fleet.gpus // fleet.tensor_parallel} replica(s) and "
                                              f"{fleet.spare_replicas} spare(s): none would serve")]
    reason = why_not(fleet, Setup(fleet.gpu, fleet.tensor_parallel), exp)
    if reason:
        return [(("fleet", reason[0]), reason[1])]
    return _overflow(exp, fleet.overflow, ("fleet", "overflow"))
