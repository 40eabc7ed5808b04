"""Semantic checks of a schema-valid experiment: references resolve, names are unique and do not
take the names of lines tcosim prices itself, months fall inside the horizon, shocks keep their
target in its field's range, and every option's own checks (capacity, operations) pass.
Each problem is (dotted path, message)."""

from __future__ import annotations

import re

from distributions import Distribution, Fixed, Process, SpecError
from sim.capacity.checks import check_capacity, check_fleet
from sim.capacity.provisioning import line_names as capacity_line_names
from sim.config import AnyOption, ApiOption, Experiment, SelfHostedOption, has_gpu_lines, refs
from sim.correlations import CorrelationError, build_groups, lookup
from sim.errors import dotted
from sim.names import clash_message, clashes, name_key
from sim.ops.checks import check_ops
from sim.ops.price import line_names as ops_line_names
from sim.options.api import TOKEN_LINES
from sim.plausible import check_growth, check_processes, tokens_per_day_p95
from sim.specs import Ref, SpecField, check_ref, iter_specs, process_starts, tail
from sim.succession import migration_names
from sim.switch_config import check_staged

Problem = tuple[str, str]
#: a problem found by a check: (location as a tuple of keys and indices, or a dotted path; message)
Found = list[tuple[tuple[str | int, ...] | str, str]]


def problems(exp: Experiment) -> list[Problem]:
    """Every semantic problem found, in file order of the checks."""
    out: list[Problem] = []
    for check in (_market_refs, _correlations, _options, check_staged, _ops_and_capacity, _claims, _scenarios,
                  check_processes, check_growth):
        found = check(exp)
        out += [(loc if isinstance(loc, str) else dotted(loc), msg) for loc, msg in found]
        if found and check in (_market_refs, _options, check_staged):
            break  # later checks assume references and names are sound
    return out


def _market_refs(exp: Experiment) -> Found:
    found: Found = []
    for loc, ref in refs(exp):
        if ref.name not in exp.market:
            known = ", ".join(f"market.{k}" for k in exp.market) or "none defined"
            found.append((loc, f'"{ref.key}" is not defined in [market] (have: {known})'))
            continue
        try:
            check_ref(ref, exp.market[ref.name])
        except SpecError as exc:
            found.append((loc, exc.message))
    return found


def _correlations(exp: Experiment) -> Found:
    try:
        build_groups(exp)
    except CorrelationError as exc:
        loc = ("correlations",) if exc.index is None or exc.field is None else ("correlations", exc.index, exc.field)
        return [(loc, exc.message)]
    return []


def generated_lines(opt: AnyOption, horizon: int) -> list[str]:
    """The lines tcosim prices for an option besides its own cost items (names from the pricers)."""
    names: list[str] = list(TOKEN_LINES) if isinstance(opt, ApiOption) else []
    if isinstance(opt, ApiOption) and opt.successors:
        names += ["Evaluation traffic", *migration_names(opt.successors)]
    serving = getattr(opt, "capacity", None) or getattr(opt, "fleet", None)
    if serving is not None:
        names += migration_names(serving.successors)
    if isinstance(opt, SelfHostedOption) and opt.provisioning is not None:
        names += capacity_line_names(opt.provisioning, horizon)
    if isinstance(opt, SelfHostedOption) and opt.fleet is not None and opt.fleet.overflow is not None:
        names.append(f"Overflow to {opt.fleet.overflow}")
    if opt.ops is not None:
        names += ops_line_names(opt.ops)
    return names


def _options(exp: Experiment) -> Found:
    found: Found = []
    pairs = clashes(o.name for o in exp.options)
    if pairs:
        found.append((("options",), clash_message("option names", pairs)))
    horizon = exp.horizon
    for i, opt in enumerate(exp.options):
        items = [c.item for c in opt.costs]
        pairs = clashes(items)
        if pairs:
            found.append((("options", i, "costs"), clash_message("cost items", pairs)))
        taken = {name_key(n): n for n in generated_lines(opt, horizon)}
        for j, line in enumerate(opt.costs):
            if name_key(line.item) in taken:
                found.append((("options", i, "costs", j, "item"),
                              f'"{line.item}" is the name of a line tcosim prices for this option '
                              f'("{taken[name_key(line.item)]}"): choose another'))
            if line.share_of is not None and line.share_of not in items[:j]:
                found.append((("options", i, "costs", j, "share_of"),
                              f'"{line.share_of}" names no earlier cost item of this option'))
            if line.start_month > horizon:
                found.append((("options", i, "costs", j, "start_month"),
                               f"{line.start_month} is past horizon_months ({horizon})"))
        if isinstance(opt, ApiOption):
            found += _cache_shares(exp, opt, i)
        serving = getattr(opt, "capacity", None) or getattr(opt, "fleet", None)
        successors = opt.successors if isinstance(opt, ApiOption) else (serving.successors if serving else [])
        pairs = clashes([opt.name, *(s.name for s in successors)])
        if pairs:
            where = ("options", i, "successors") if isinstance(opt, ApiOption) else (
                "options", i, "capacity" if getattr(opt, "capacity", None) else "fleet", "successors")
            found.append((where, clash_message("the option and its successors' names", pairs)))
    return found


def _cache_shares(exp: Experiment, opt: ApiOption, i: int) -> Found:
    """Input read from the cache and written to it are parts of the same input: at most 100%."""
    def upper(spec: object) -> float:
        if isinstance(spec, Ref):
            spec = exp.market[spec.name]
        return tail(spec, True) if isinstance(spec, Distribution) else 1.0

    cached, written = upper(opt.cached_input_share), upper(opt.cache_write_share)
    if cached + written > 1.0 + 1e-12:
        return [(("options", i, "cache_write_share"),
                 f"cached_input_share and cache_write_share are parts of the same input tokens; their P95s "
                 f"add up to {100 * (cached + written):.0f}%, above 100%")]
    return []


def _ops_and_capacity(exp: Experiment) -> Found:
    found: Found = []
    for i, opt in enumerate(exp.options):
        if opt.ops is not None:
            found += [(("options", i, "ops", *loc), msg) for loc, msg in check_ops(exp, i)]
        if isinstance(opt, SelfHostedOption) and opt.capacity is not None:
            found += [(("options", i, *loc), msg) for loc, msg in check_capacity(exp, i)]
        if isinstance(opt, SelfHostedOption) and opt.fleet is not None:
            found += [(("options", i, *loc), msg) for loc, msg in check_fleet(exp, i)]
    return found


def _claims(exp: Experiment) -> Found:
    found: Found = []
    names = [o.name for o in exp.options]
    for i, claim in enumerate(exp.claims):
        if claim.option not in names:
            found.append((("claims", i, "option"), f'"{claim.option}" names no option (have: {", ".join(names)})'))
            continue
        if claim.month is not None and claim.month > exp.horizon:
            found.append((("claims", i, "month"), f"{claim.month} is past horizon_months"))
        if claim.metric == "tco_multiplier" and not has_gpu_lines(exp.options[names.index(claim.option)]):
            found.append((("claims", i, "metric"),
                          f'tco_multiplier needs a cost line of category "gpu" in "{claim.option}"'))
    return found


_CACHED_SHARE = re.compile(r"options\[(\d+)\]\.cached_input_share")
#: a stress scenario may scale traffic or prices at most this much (beyond, it is not a stress test)
MAX_SHOCK_MULTIPLE = 1000.0


def _fields_by_path(exp: Experiment) -> dict[str, list[SpecField]]:
    """Dotted input path -> the fields that read it (a [market] entry: every referencing field)."""
    out: dict[str, list[SpecField]] = {}
    for loc, value, field in iter_specs(exp):
        out.setdefault(dotted(loc), []).append(field)
        key = getattr(value, "key", None)
        if key is not None:
            out.setdefault(key, []).append(field)
    return out


def _scenarios(exp: Experiment) -> Found:
    found: Found = []
    pairs = clashes(s.name for s in exp.scenarios)
    if pairs:
        found.append((("scenarios",), clash_message("scenario names", pairs)))
    options = {o.name: (i, o) for i, o in enumerate(exp.options)}
    fields = _fields_by_path(exp)
    for i, sc in enumerate(exp.scenarios):
        added: dict[str, list[str]] = {}
        for j, s in enumerate(sc.shocks):
            loc = ("scenarios", i, "shocks", j)
            if s.from_month > exp.horizon:
                found.append(((*loc, "from_month"), f"{s.from_month} is past horizon_months ({exp.horizon})"))
                continue
            if s.add_line is not None:
                found += _added_line(exp, options, added, loc, s)
                continue
            found += _target_shock(exp, fields, loc, s)
    return found


def _added_line(exp: Experiment, options: dict, added: dict, loc: tuple, s) -> list:
    if s.option not in options:
        return [((*loc, "option"), f'"{s.option}" names no option (have: {", ".join(options)})')]
    i, opt = options[s.option]
    existing = [c.item for c in opt.costs] + generated_lines(opt, exp.horizon) + added.get(s.option, [])
    keys = {name_key(n): n for n in existing}
    if name_key(s.add_line) in keys:
        return [((*loc, "add_line"), f'"{s.add_line}" is already a line of "{s.option}" '
                                     f'("{keys[name_key(s.add_line)]}"): give the added line its own name')]
    added.setdefault(s.option, []).append(s.add_line)
    return []


def _target_shock(exp: Experiment, fields: dict, loc: tuple, s) -> list:
    target = s.target
    if target == "workload.tokens" or target.endswith(".prices"):
        return _multiplier_shock(exp, loc, s)
    try:
        key, spec = lookup(exp, target)
    except ValueError as exc:
        return [((*loc, "target"), str(exc))]
    partial = s.from_month > 1 or (s.months is not None and s.from_month + s.months - 1 < exp.horizon)
    if partial and _drawn_once(target):
        return [((*loc, "target"), f'"{target}" is drawn once per path: shock it over the whole horizon '
                                   "(no from_month or months)")]
    cached = _CACHED_SHARE.fullmatch(target)
    if cached and s.set is not None and s.set > 0:
        opt = exp.options[int(cached.group(1))]
        if isinstance(opt, ApiOption) and opt.cached_input_per_million is None:
            return [((*loc, "set"), f"a cached-input share needs options[{cached.group(1)}].cached_input_per_million "
                                    "(the price of a cache hit)")]
    dist = process_starts(spec)[0] if isinstance(spec, Process) and process_starts(spec) else spec
    if isinstance(dist, Process):
        return []
    for field in fields.get(target, []) or fields.get(key, []):
        try:
            if s.set is not None:
                field.check(Fixed(s.set))
            else:
                field.check(Fixed(tail(dist, upper=True) * s.multiply))
        except SpecError as exc:
            what = "set" if s.set is not None else "multiply"
            detail = exc.message if s.set is not None else f"the shocked value (P95 x {s.multiply:g}) {exc.message}"
            return [((*loc, what), detail)]
    return []


def _multiplier_shock(exp: Experiment, loc: tuple, s) -> list:
    """Traffic and API-price shocks act on a multiplier (1 = unchanged)."""
    target = s.target
    if target.endswith(".prices"):
        idx = target.removesuffix(".prices")
        if not any(f"options[{k}]" == idx and o.kind == "api" for k, o in enumerate(exp.options)):
            return [((*loc, "target"), f'"{target}": a prices shock names an API option as options[i].prices')]
    value = s.set if s.set is not None else s.multiply
    what = "set" if s.set is not None else "multiply"
    if not 0 <= value <= MAX_SHOCK_MULTIPLE:
        return [((*loc, what), f"{target} is scaled by a multiplier (1 = unchanged): {value:g} is outside "
                               f"[0, {MAX_SHOCK_MULTIPLE:g}]")]
    if target == "workload.tokens" and tokens_per_day_p95(exp) * value > 1e15:
        return [((*loc, what), f"traffic x {value:g} exceeds the plausible ceiling of 1e15 tokens/day")]
    return []


def _drawn_once(target: str) -> bool:
    """Inputs the engine reads as one number per path (not month by month)."""
    return (target.startswith("workload.") or target.endswith(".annual_price_change")
            or any(part in target for part in (".capacity.", ".ops.", ".provisioning.", ".price_cuts.")))
