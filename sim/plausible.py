"""Plausibility over the horizon: values that move month to month must stay below their field's
ceiling for the whole run. A process is checked by drawing a small pilot sample of its paths (a
fixed seed, so validation is deterministic); traffic growth by compounding its P95 to the last month.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.random import PCG64, Generator, SeedSequence

from distributions import Process
from sim.config import Experiment
from sim.specs import Ref, iter_specs, tail

#: pilot paths drawn per process to check it against its field's ceiling
PILOT_PATHS = 512
#: the quantile of a pilot month that must stay under the ceiling
PILOT_QUANTILE = 0.99
#: plausible ceiling of traffic (Google served ~1.3 quadrillion tokens a month in 2025, ~4e13 a day)
MAX_TOKENS_PER_DAY = 1e15


def check_processes(exp: Experiment) -> list[tuple[tuple, str]]:
    """Each process (or [market] process a field references) against that field's ceiling."""
    found = []
    for loc, value, field in iter_specs(exp):
        proc = exp.market.get(value.name) if isinstance(value, Ref) else value
        if not isinstance(proc, Process) or field.cap is None:
            continue
        rng = Generator(PCG64(SeedSequence(0)))
        with np.errstate(all="ignore"):
            values = proc.sample(rng, PILOT_PATHS, exp.horizon).values
        unit = f" {field.unit}" if field.unit else ""
        if not np.isfinite(values).all():
            found.append((loc, "this process overflows (reaches infinity) within the horizon: lower its "
                               "volatility, drift or jumps"))
            continue
        per_month = np.quantile(values, PILOT_QUANTILE, axis=0)
        month = int(np.argmax(per_month))
        if per_month[month] > field.cap:
            found.append((loc, f"this process reaches {per_month[month]:.3g}{unit} by month {month + 1} on 1% "
                               f"of paths, above the plausible ceiling of {field.cap:g}{unit} for this field"))
    return found


def _upper(exp: Experiment, spec) -> float:
    if isinstance(spec, Ref):
        spec = exp.market[spec.name]
    return tail(spec, upper=True)


def tokens_per_day_p95(exp: Experiment) -> float:
    """Month-1 input plus output tokens a day, each at its P95."""
    wl = exp.workload
    return _upper(exp, wl.input_tokens_per_day) + _upper(exp, wl.output_tokens_per_day)


def check_growth(exp: Experiment) -> list[tuple[tuple, str]]:
    """Traffic compounded at its P95 growth (and two standard deviations of its noise) must stay
    below MAX_TOKENS_PER_DAY in the last month."""
    months = exp.horizon - 1
    if months == 0:
        return []
    g = _upper(exp, exp.workload.monthly_growth)
    vol = _upper(exp, exp.workload.growth_volatility)
    log_last = (math.log(max(tokens_per_day_p95(exp), 1e-300)) + months * math.log1p(max(g, -0.999999))
                + 2.0 * vol * math.sqrt(months))
    if log_last > math.log(MAX_TOKENS_PER_DAY):
        return [(("workload", "monthly_growth"),
                 f"at its P95 growth, traffic would reach {math.exp(min(log_last, 700)):.3g} tokens/day by month "
                 f"{exp.horizon}, above the plausible ceiling of {MAX_TOKENS_PER_DAY:.0e}: lower the growth "
                 "or the horizon")]
    return []
