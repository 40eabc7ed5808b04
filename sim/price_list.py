"""API price lists: the project's own CSV (each row sourced and dated) and a LiteLLM
``model_prices_and_context_window.json`` a user maintains, read with every entry checked."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class PriceEntry:
    """One model's list prices, $ per million tokens (None where the provider has no such price)."""

    key: str
    provider: str
    model: str
    input_per_million: float
    output_per_million: float
    cached_input_per_million: float | None
    batch_discount: float | None
    source: str
    date: str
    cache_write_per_million: float | None = None
    long_context_tokens: int | None = None  # prompts above this many tokens pay the long-context prices
    long_input_per_million: float | None = None
    long_output_per_million: float | None = None


def _float_or_none(text: str) -> float | None:
    return float(text) if text.strip() else None


def builtin_catalog() -> dict[str, PriceEntry]:
    """The shipped catalog, keyed ``provider/model``."""
    text = resources.files("sim").joinpath("data/api_prices.csv").read_text(encoding="utf-8")
    out = {}
    for row in csv.DictReader(text.splitlines()):
        key = f"{row['provider']}/{row['model']}"
        tier = _float_or_none(row["long_context_tokens"])
        out[key] = PriceEntry(
            key, row["provider"], row["model"], float(row["input_per_million"]),
            float(row["output_per_million"]), _float_or_none(row["cached_input_per_million"]),
            _float_or_none(row["batch_discount"]), row["source"], row["date"],
            _float_or_none(row["cache_write_per_million"]), None if tier is None else int(tier),
            _float_or_none(row["long_input_per_million"]), _float_or_none(row["long_output_per_million"]),
        )
    return out


#: a price file larger than this is not a price list (LiteLLM's own file is about 1.5 MB)
MAX_PRICE_FILE_BYTES = 64 * 1024 * 1024
#: $ per token above which a price is a typo: $10,000 per million tokens
MAX_PRICE_PER_TOKEN = 0.01
#: LiteLLM modes priced per token that a chat workload can use
TOKEN_MODES = ("chat", "completion")
#: LiteLLM's long-context tiers: input_cost_per_token_above_200k_tokens and the like
_TIER = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")


class PriceFileError(ValueError):
    """A price file that cannot be used; the message names the entry and field at fault."""


@dataclass
class PriceList:
    """The token-priced entries of a price file, what was skipped and why, and its date."""

    entries: dict[str, PriceEntry]
    date: str
    skipped: dict[str, int] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # entry -> why its prices cannot be used

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _price(name: str, row: dict, key: str) -> float | None:
    """A per-token price of an entry: None when absent; PriceFileError when not a plausible price."""
    if key not in row or row[key] is None:
        return None
    value = row[key]
    where = f'"{name[:200]}".{key}'
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


def _per_million(value: float | None) -> float | None:
    return None if value is None else value * 1e6


def _tier(name: str, row: dict) -> tuple[int | None, float | None, float | None]:
    """The lowest long-context tier of an entry: (threshold tokens, input, output per token)."""
    thresholds = sorted(int(m.group(1)) for key in row if (m := _TIER.match(key)))
    if not thresholds:
        return None, None, None
    k = thresholds[0]
    long_in = _price(name, row, f"input_cost_per_token_above_{k}k_tokens")
    long_out = _price(name, row, f"output_cost_per_token_above_{k}k_tokens")
    return k * 1000, long_in, long_out


def _entry(name: str, row: dict, label: str, date: str) -> PriceEntry:
    inp = _price(name, row, "input_cost_per_token") or 0.0
    outp = _price(name, row, "output_cost_per_token") or 0.0
    batch_in = _price(name, row, "input_cost_per_token_batches")
    _price(name, row, "output_cost_per_token_batches")
    if batch_in is not None and batch_in > inp:
        raise PriceFileError(f'"{name}".input_cost_per_token_batches: the batch price ({batch_in:g}) is dearer '
                             f"than the list price ({inp:g})")
    threshold, long_in, long_out = _tier(name, row)
    return PriceEntry(
        name, str(row.get("litellm_provider", ""))[:100], name, inp * 1e6, outp * 1e6,
        _per_million(_price(name, row, "cache_read_input_token_cost")),
        1 - batch_in / inp if batch_in is not None and inp > 0 else None, label, date,
        _per_million(_price(name, row, "cache_creation_input_token_cost")), threshold,
        _per_million(long_in) if long_in is not None else None,
        _per_million(long_out) if long_out is not None else None,
    )


def _stamp(value: object) -> str | None:
    """The day of a file's own "last_updated" stamp (an ISO date or time), if it has one."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def file_date(path: Path) -> str:
    """The day a price file was last modified (UTC), as YYYY-MM-DD."""
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date().isoformat()


def litellm_catalog(path: Path, date: str | None = None) -> PriceList:
    """Read a LiteLLM price file: chat and completion entries priced per token (per-million here;
    batch price -> discount; cache read and write; the lowest long-context tier), everything else
    counted as skipped with its reason; an entry whose prices are not plausible (NaN, negative,
    above $10,000 per million, a batch price dearer than the list price) is refused, with the field
    and value named (LiteLLM's own file has such entries). ``date`` defaults to the file's
    modification day, unless the file stamps itself ("last_updated"). Raises PriceFileError for a
    file that is not a usable price list."""
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
    stamped = _stamp(data.get("last_updated"))
    prices = PriceList({}, date or stamped or file_date(path))
    label = f"LiteLLM price file {path.name}"
    for name, row in data.items():
        if name == "last_updated" and stamped:
            continue
        if name == "sample_spec":
            prices.skip("the schema row (sample_spec)")
        elif not isinstance(row, dict):
            prices.refused[name[:200]] = f"expected an object of prices, got {type(row).__name__}"
        elif row.get("mode") not in TOKEN_MODES:
            mode = row.get("mode")
            prices.skip(f"mode {mode}" if isinstance(mode, str) and len(mode) <= 40 else "no mode")
        elif "input_cost_per_token" not in row or "output_cost_per_token" not in row:
            prices.skip("no per-token price")
        else:
            try:
                prices.entries[name] = _entry(name, row, label, prices.date)
            except PriceFileError as exc:
                prices.refused[name[:200]] = str(exc)
    if not prices.entries:
        raise PriceFileError("no chat or completion entry with usable per-token prices"
                             + (f" ({len(prices.refused):,} refused, e.g. {next(iter(prices.refused.values()))})"
                                if prices.refused else ""))
    return prices


__all__ = ["MAX_PRICE_FILE_BYTES", "MAX_PRICE_PER_TOKEN", "PriceEntry", "PriceFileError", "PriceList",
           "builtin_catalog", "file_date", "litellm_catalog"]
