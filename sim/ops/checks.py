"""Semantic checks of ``[options.ops]`` (exit 2 with the dotted path on failure)."""

from __future__ import annotations

from sim.ops.config import SelfHostedOps


def _busy(spec) -> bool:
    """Whether a rate can be above zero."""
    return not (spec.is_fixed and spec.mean == 0)


def check_ops(exp, index: int) -> list[tuple[tuple, str]]:
    opt = exp.options[index]
    ops = opt.ops
    if ops.fallback is not None:
        target = next((o for o in exp.options if o.name == ops.fallback), None)
        if target is None or target.kind != "api" or target is opt:
            apis = ", ".join(o.name for o in exp.options if o.kind == "api" and o is not opt) or "none"
            return [(("fallback",), f'"{ops.fallback}" names no other API option (API options: {apis})')]
    if isinstance(ops, SelfHostedOps):
        if ops.replicas is None and getattr(opt, "capacity", None) is None:
            return [(("replicas",), "required without a capacity model: how many replicas serve the traffic")]
        work = [name for name, spec in (("GPU faults", ops.gpu_failures_per_year), ("patching", ops.maintenance_hours),
                                        ("upgrades", ops.upgrades_per_year)) if _busy(spec)]
        if ops.engineers == 0 and work:
            return [(("engineers",), f"zero engineers, but {', '.join(work)} need one: give engineers >= 1 "
                                    "(or set those rates to 0)")]
    return []
