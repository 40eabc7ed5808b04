"""API price catalog: the project's own CSV (each row sourced and dated) or a LiteLLM
``model_prices_and_context_window`` JSON file the user already maintains."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from distributions import Fixed
from sim.config import ApiOption, Experiment
from sim.errors import ExperimentError
from sim.specs import given, is_zero, median

#: Batch APIs of OpenAI and Anthropic both take 50% off (see sim/data/api_prices.csv sources);
#: used when neither the option nor its catalog row says otherwise.
DEFAULT_BATCH_DISCOUNT = 0.5


@dataclass(frozen=True)
class PriceEntry:
    key: str
    provider: str
    model: str
    input_per_million: float
    output_per_million: float
    cached_input_per_million: float | None
    batch_discount: float | None
    source: str
    date: str


def _float_or_none(text: str) -> float | None:
    return float(text) if text.strip() else None


def builtin_catalog() -> dict[str, PriceEntry]:
    """The shipped catalog, keyed ``provider/model``."""
    text = resources.files("sim").joinpath("data/api_prices.csv").read_text(encoding="utf-8")
    out = {}
    for row in csv.DictReader(text.splitlines()):
        key = f"{row['provider']}/{row['model']}"
        out[key] = PriceEntry(
            key, row["provider"], row["model"], float(row["input_per_million"]),
            float(row["output_per_million"]), _float_or_none(row["cached_input_per_million"]),
            _float_or_none(row["batch_discount"]), row["source"], row["date"],
        )
    return out


#: a price file larger than this is not a price list (LiteLLM's own file is about 1.5 MB)
MAX_PRICE_FILE_BYTES = 64 * 1024 * 1024
#: $ per token above which a price is a typo: $10,000 per million tokens
MAX_PRICE_PER_TOKEN = 0.01
_PRICE_KEYS = ("input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
               "input_cost_per_token_batches", "output_cost_per_token_batches")


class PriceFileError(ValueError):
    """A price file that cannot be used; the message names the entry and field at fault."""


def _price(name: str, row: dict, key: str) -> float | None:
    """A per-token price of an entry: None when absent; PriceFileError when not a plausible price."""
    if key not in row or row[key] is None:
        return None
    value = row[key]
    where = f'"{name}".{key}'
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PriceFileError(f"{where}: expected a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise PriceFileError(f"{where}: must be a finite number, got {value}")
    if value < 0:
        raise PriceFileError(f"{where}: must be >= 0, got {value:g}")
    if value > MAX_PRICE_PER_TOKEN:
        raise PriceFileError(f"{where}: {value:g} $/token is {value * 1e6:,.0f} $/M tokens, above the plausible "
                             f"ceiling of {MAX_PRICE_PER_TOKEN * 1e6:,.0f}")
    return value


def litellm_catalog(path: Path) -> dict[str, PriceEntry]:
    """Read a LiteLLM price file: per-token prices become per-million; batch price -> discount.
    Raises PriceFileError (naming the entry) for a file that is not a usable price list."""
    try:
        if path.stat().st_size > MAX_PRICE_FILE_BYTES:
            raise PriceFileError(f"larger than {MAX_PRICE_FILE_BYTES // 2**20} MiB; not a price list")
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise PriceFileError("nested too deeply to be a price list") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PriceFileError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PriceFileError("expected a JSON object of model -> prices")
    out = {}
    for name, row in data.items():
        if not isinstance(row, dict) or "input_cost_per_token" not in row:
            continue  # LiteLLM's sample_spec and non-chat entries
        inp = _price(name, row, "input_cost_per_token") or 0.0
        outp = _price(name, row, "output_cost_per_token") or 0.0
        cached = _price(name, row, "cache_read_input_token_cost")
        batch_in = _price(name, row, "input_cost_per_token_batches")
        _price(name, row, "output_cost_per_token_batches")
        if batch_in is not None and batch_in > inp:
            raise PriceFileError(f'"{name}".input_cost_per_token_batches: the batch price ({batch_in:g}) is dearer '
                                 f"than the list price ({inp:g})")
        discount = 1 - batch_in / inp if batch_in is not None and inp > 0 else None
        out[name] = PriceEntry(
            name, str(row.get("litellm_provider", "")), name, inp * 1e6, outp * 1e6,
            cached * 1e6 if cached is not None else None, discount,
            f"LiteLLM price file {path.name}", "",
        )
    return out


def resolve_prices(exp: Experiment, base_dir: Path) -> None:
    """Fill API options' prices from the catalog they name; check every API option is priced."""
    problems: list[tuple[str, str]] = []
    catalog = builtin_catalog()
    if exp.experiment.price_file:
        path = (base_dir / exp.experiment.price_file).resolve()
        try:
            catalog = {**catalog, **litellm_catalog(path)}
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
        if opt.cached_input_per_million is None and not is_zero(opt.cached_input_share):
            problems.append((f"options[{i}].cached_input_per_million",
                             "required when cached_input_share is not 0"))
    if problems:
        raise ExperimentError(exp.source, problems)


def _fill(opt: ApiOption, entry: PriceEntry) -> None:
    if opt.input_per_million is None:
        opt.input_per_million = Fixed(entry.input_per_million)
    if opt.output_per_million is None:
        opt.output_per_million = Fixed(entry.output_per_million)
    if opt.cached_input_per_million is None and entry.cached_input_per_million is not None:
        opt.cached_input_per_million = Fixed(entry.cached_input_per_million)
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
