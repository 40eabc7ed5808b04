"""API price catalog: the project's own CSV (each row sourced and dated) or a LiteLLM
``model_prices_and_context_window`` JSON file the user already maintains."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from distributions import Fixed
from sim.config import ApiOption, Experiment
from sim.errors import ExperimentError

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


def litellm_catalog(path: Path) -> dict[str, PriceEntry]:
    """Read a LiteLLM price file: per-token prices become per-million; batch price -> discount."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object of model -> prices")
    out = {}
    for name, row in data.items():
        if not isinstance(row, dict) or "input_cost_per_token" not in row:
            continue  # LiteLLM's sample_spec and non-chat entries
        try:
            inp = float(row["input_cost_per_token"]) * 1e6
            outp = float(row.get("output_cost_per_token", 0.0)) * 1e6
        except (TypeError, ValueError):
            continue
        cached = row.get("cache_read_input_token_cost")
        batch_in = row.get("input_cost_per_token_batches")
        discount = 1 - float(batch_in) * 1e6 / inp if batch_in is not None and inp > 0 else None
        out[name] = PriceEntry(
            name, str(row.get("litellm_provider", "")), name, inp, outp,
            float(cached) * 1e6 if cached is not None else None, discount,
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
        except (OSError, ValueError) as exc:
            raise ExperimentError(exp.source, [("experiment.price_file", f"cannot read {path}: {exc}")]) from None
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
        share = opt.cached_input_share
        if opt.cached_input_per_million is None and not (share.is_fixed and share.mean == 0):
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
