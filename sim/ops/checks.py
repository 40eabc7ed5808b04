"""Semantic checks of ``[options.ops]`` (exit 2 with the dotted path on failure)."""

from __future__ import annotations

from sim.config import Experiment, option_index
from sim.ops.config import SelfHostedOps
from sim.specs import is_zero


def _busy(spec: object) -> bool:
    """Whether a rate can be above zero."""
    return not is_zero(spec)


def check_ops(exp: Experiment, index: int) -> list[tuple[tuple[str, ...], str]]:
    opt = exp.options[index]
    ops = opt.ops
    assert ops is not None
    if ops.fallback is not None:
        try:
            target = exp.options[option_index(exp, ops.fallback)]
        except KeyError:
            target = None
        if target is None or target.kind != "api" or target is opt:
            apis = ", ".join(o.name for o in exp.options if o.kind == "api" and o is not opt) or "none"
            return [(("fallback",), f'"{ops.fallback}" names no other API option (API options: {apis})')]
    if isinstance(ops, SelfHostedOps):
        if ops.replicas is None and not getattr(opt, "checked", False):
            return [(("replicas",), "required without a capacity model or a fleet: how many replicas serve the "
                                    "traffic")]
        work = [name for name, spec in (("GPU faults", ops.gpu_failures_per_year), ("patching", ops.maintenance_hours),
                                        ("upgrades", ops.upgrades_per_year)) if _busy(spec)]
        if ops.engineers == 0 and work:
            return [(("engineers",), f"zero engineers, but {', '.join(work)} need one: give engineers >= 1 "
                                    "(or set those rates to 0)")]
    return []
