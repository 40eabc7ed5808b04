"""API options priced from a catalog: the project's own (sim/data/api_prices.csv) or a LiteLLM
file the experiment names; the cheapest API for an overflow; price fields a run needs."""

from __future__ import annotations

from pathlib import Path

from distributions import Fixed
from sim.config import ApiOption, Experiment, Successor
from sim.errors import ExperimentError
from sim.price_list import PriceEntry, PriceFileError, builtin_catalog, litellm_catalog
from sim.specs import given, is_zero, median

#: Batch APIs of OpenAI and Anthropic both take 50% off (see sim/data/api_prices.csv sources);
#: used when neither the option nor its catalog row says otherwise.
DEFAULT_BATCH_DISCOUNT = 0.5


def resolve_prices(exp: Experiment, base_dir: Path) -> None:
    """Fill API options' prices from the catalog they name; check every API option is priced."""
    problems: list[tuple[str, str]] = []
    catalog = builtin_catalog()
    refused: dict[str, str] = {}
    if exp.experiment.price_file:
        path = (base_dir / exp.experiment.price_file).resolve()
        try:
            prices = litellm_catalog(path, exp.experiment.price_file_date)
            catalog, refused = {**catalog, **prices.entries}, prices.refused
        except OSError as exc:
            raise ExperimentError(exp.source, [("experiment.price_file", f"cannot read {path}: {exc.strerror}")]) \
                from None
        except PriceFileError as exc:
            raise ExperimentError(exp.source, [("experiment.price_file", f"{path.name}: {exc}")]) from None
    for i, opt in enumerate(exp.options):
        if not isinstance(opt, ApiOption):
            continue
        if opt.catalog is not None:
            entry = catalog.get(opt.catalog)
            if opt.catalog in refused:
                problems.append((f"options[{i}].catalog", f"the price file's entry {refused[opt.catalog]}"))
                continue
            if entry is None:
                known = ", ".join(sorted(builtin_catalog()))
                problems.append((f"options[{i}].catalog",
                                 f'"{opt.catalog}" is not in the price catalog (built in: {known}; '
                                 "or set experiment.price_file to a LiteLLM JSON)"))
                continue
            _fill(opt, entry)
        for field in ("input_per_million", "output_per_million"):
            if getattr(opt, field) is None:
                problems.append((f"options[{i}].{field}", "required (or name a catalog entry with catalog = ...)"))
        problems += [(f"options[{i}].{field}", message) for field, message in _missing(opt)]
        for k, succ in enumerate(opt.successors):
            where = f"options[{i}].successors[{k}]"
            if succ.catalog is not None:
                if succ.catalog in refused or succ.catalog not in catalog:
                    problems.append((f"{where}.catalog", f"the price file's entry {refused[succ.catalog]}"
                                     if succ.catalog in refused else f'"{succ.catalog}" is not in the price catalog'))
                    continue
                _fill_prices(succ, catalog[succ.catalog])
            problems += [(f"{where}.{field}", "required (or name a catalog entry with catalog = ...)")
                         for field in ("input_per_million", "output_per_million") if getattr(succ, field) is None]
    if problems:
        raise ExperimentError(exp.source, problems)


def _missing(opt: ApiOption) -> list[tuple[str, str]]:
    """Prices a share asks for that neither the option nor its catalog entry gives."""
    out = []
    needs = (("cached_input_per_million", opt.cached_input_share, "cached_input_share"),
             ("cache_write_per_million", opt.cache_write_share, "cache_write_share"),
             ("long_input_per_million", opt.long_context_share, "long_context_share"),
             ("long_output_per_million", opt.long_context_share, "long_context_share"))
    for field, share, name in needs:
        if getattr(opt, field) is None and not is_zero(share):
            out.append((field, f"required when {name} is not 0"))
    return out


#: option field <- catalog entry field, filled when the option leaves it out
_FILLED = ("input_per_million", "output_per_million", "cached_input_per_million", "cache_write_per_million",
           "long_input_per_million", "long_output_per_million")


def _fill_prices(target: ApiOption | Successor, entry: PriceEntry) -> None:
    for name in _FILLED:
        value = getattr(entry, name)
        if getattr(target, name) is None and value is not None:
            setattr(target, name, Fixed(value))


def _fill(opt: ApiOption, entry: PriceEntry) -> None:
    _fill_prices(opt, entry)
    if opt.long_context_tokens is None:
        opt.long_context_tokens = entry.long_context_tokens
    if opt.batch_discount is None and entry.batch_discount is not None:
        opt.batch_discount = Fixed(entry.batch_discount)


def cheapest_api(exp: Experiment) -> str | None:
    """The API option with the lowest list price for the workload's token mix (medians, month 1)."""
    tokens_in = median(exp.workload.input_tokens_per_day, exp.market)
    tokens_out = median(exp.workload.output_tokens_per_day, exp.market)
    total = tokens_in + tokens_out
    share_in = tokens_in / total if total > 0 else 0.5

    def blended(opt: ApiOption) -> float:
        price_in = median(given(opt.input_per_million), exp.market)
        price_out = median(given(opt.output_per_million), exp.market)
        return share_in * price_in + (1.0 - share_in) * price_out

    apis = [o for o in exp.options if isinstance(o, ApiOption)]
    return min(apis, key=blended).name if apis else None


def resolve_cheapest(exp: Experiment) -> None:
    """Name the API an ``overflow = "cheapest"`` sends a fleet's shortfall to."""
    wanting = [(i, table) for i, o in enumerate(exp.options)
               for table in (getattr(o, "fleet", None), getattr(o, "provisioning", None))
               if table is not None and table.overflow == "cheapest"]
    if not wanting:
        return
    name = cheapest_api(exp)
    if name is None:
        i, table = wanting[0]
        where = "fleet" if table is getattr(exp.options[i], "fleet", None) else "provisioning"
        raise ExperimentError(exp.source, [(f"options[{i}].{where}.overflow",
                                            'there is no API option to be the "cheapest"')])
    for _, table in wanting:
        table.overflow = name
