"""Price lists: the shipped catalog is dated, sourced and consistent; a LiteLLM file is read as
LiteLLM writes it (modes, schema row, tiers, cache writes, its date); cache writes and the
long-context tier priced by hand."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.loader import parse_experiment
from sim.price_list import builtin_catalog, litellm_catalog

#: what the issue asked the catalog to hold at least
REQUIRED = ["openai/gpt-4o", "openai/gpt-4o-mini", "openai/gpt-4.1", "openai/gpt-4.1-mini", "openai/gpt-4.1-nano",
            "anthropic/claude-sonnet-5.5", "anthropic/claude-haiku-5.5", "anthropic/claude-opus-5.5",
            "google/gemini-2.5-flash", "google/gemini-2.5-pro", "together/llama-3.3-70b", "together/llama-3.1-8b",
            "groq/llama-3.3-70b", "groq/llama-3.1-8b", "deepinfra/llama-3.3-70b", "deepinfra/llama-3.1-8b",
            "fireworks/llama-3.3-70b", "fireworks/llama-3.1-8b"]


def test_the_catalog_is_current_dated_sourced_and_consistent() -> None:
    catalog = builtin_catalog()
    assert set(REQUIRED) <= set(catalog)
    for key, e in catalog.items():
        assert e.source and dt.date.fromisoformat(e.date) >= dt.date(2026, 7, 1), key
        assert 0 < e.input_per_million <= e.output_per_million * 1.0001 or key.startswith("together"), key
        if e.cached_input_per_million is not None:
            assert e.cached_input_per_million < e.input_per_million, key  # a cache hit is cheaper
        if e.cache_write_per_million is not None:
            assert e.cache_write_per_million >= e.input_per_million, key  # a write costs at least an input
        if e.long_context_tokens is not None:
            assert e.long_input_per_million > e.input_per_million and e.long_output_per_million > e.output_per_million
        if e.batch_discount is not None:
            assert 0 < e.batch_discount < 1
    # the figures the issue quotes as list prices
    for key, prices in (("google/gemini-2.5-flash", (0.30, 2.50)), ("deepinfra/llama-3.3-70b", (0.13, 0.39))):
        assert (catalog[key].input_per_million, catalog[key].output_per_million) == prices


LITELLM = {
    "sample_spec": {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "mode": "one of: chat, embedding"},
    "chat-model": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "mode": "chat",
                   "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
                   "input_cost_per_token_above_272k_tokens": 9e-06, "output_cost_per_token_above_272k_tokens": 3e-05,
                   "input_cost_per_token_above_200k_tokens": 6e-06, "output_cost_per_token_above_200k_tokens": 2.25e-05,
                   "input_cost_per_token_batches": 1.5e-06, "litellm_provider": "anthropic"},
    "text-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "mode": "completion"},
    "embed": {"input_cost_per_token": 1e-07, "output_cost_per_token": 0.0, "mode": "embedding"},
    "rerank": {"input_cost_per_query": 0.002, "mode": "rerank"},
    "image": {"output_cost_per_image": 0.04, "mode": "image_generation"},
    "no-mode": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},
    "per-second": {"input_cost_per_second": 0.01, "mode": "chat"},
    "unit-slip": {"input_cost_per_token": 0.015, "output_cost_per_token": 0.06, "mode": "chat"},
}


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "model_prices_and_context_window.json"
    path.write_text(json.dumps(data))
    return path


def test_a_litellm_file_keeps_chat_entries_and_says_what_it_skipped(tmp_path: Path) -> None:
    prices = litellm_catalog(_write(tmp_path, LITELLM), "2026-07-24")
    assert set(prices.entries) == {"chat-model", "text-model"}
    assert prices.skipped == {"the schema row (sample_spec)": 1, "mode embedding": 1, "mode rerank": 1,
                              "mode image_generation": 1, "no mode": 1, "no per-token price": 1}
    assert list(prices.refused) == ["unit-slip"] and "15,000 $/M tokens" in prices.refused["unit-slip"]
    e = prices.entries["chat-model"]
    assert (e.input_per_million, e.output_per_million) == pytest.approx((3.0, 15.0))
    assert (e.cached_input_per_million, e.cache_write_per_million) == pytest.approx((0.3, 3.75))
    assert e.long_context_tokens == 200_000  # the lowest of its tiers
    assert (e.long_input_per_million, e.long_output_per_million) == pytest.approx((6.0, 22.5))
    assert e.batch_discount == pytest.approx(0.5) and e.date == "2026-07-24"


def test_the_file_s_date_comes_from_its_stamp_or_its_modification_day(tmp_path: Path) -> None:
    stamped = _write(tmp_path, {**LITELLM, "last_updated": "2026-07-24T18:23:43+00:00"})
    assert litellm_catalog(stamped).date == "2026-07-24"
    assert litellm_catalog(stamped, "2026-11-01").date == "2026-11-01"  # --date wins
    plain = _write(tmp_path, LITELLM)
    day = dt.datetime(2025, 3, 9, 12, tzinfo=dt.UTC).timestamp()
    os.utime(plain, (day, day))
    assert litellm_catalog(plain).date == "2025-03-09"


def test_prices_command_lists_skips_refusals_and_date(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path, LITELLM)
    assert main(["prices", "--file", str(path), "--date", "2026-07-24"]) == 0
    out = capsys.readouterr().out
    assert "200k: 6 / 22.5" in out and "refused unit-slip: input_cost_per_token" in out
    assert "2 chat and completion entries priced per token, dated 2026-07-24; 1 refused (above)" in out
    assert "skipped 6 entries:" in out and "1 mode embedding" in out
    with pytest.raises(SystemExit) as info:
        main(["prices", "--file", str(path), "--date", "24/07/2026"])
    assert info.value.code == 2 and "--date must be a day such as 2026-11-27" in capsys.readouterr().err


def _api_doc(**api) -> dict:
    return {"experiment": {"name": "p", "horizon_months": 2, "paths": 5, "seed": 1, "days_per_month": 30},
            "workload": {"input_tokens_per_day": "10M", "output_tokens_per_day": "1M"},
            "options": [{"name": "api", "kind": "api", **api}]}


def test_cache_writes_and_the_long_context_tier_by_hand() -> None:
    """10M in + 1M out a day, 30 days: 20% of tokens in long requests at $6/$22.50; of the rest,
    input 50% read from the cache at $0.30, 10% written at $3.75, 40% plain at $3; output $15."""
    res = sim.run(parse_experiment(_api_doc(catalog="anthropic/claude-sonnet-4.5", long_context_share=0.2,
                                            cached_input_share=0.5, cache_write_share=0.1)))
    lines = {line.item: float(line.mean_by_month[0]) for line in res.option("api").lines}
    month_in, month_out = 300.0, 30.0  # millions of tokens
    expected = {"input tokens": month_in * 0.8 * 0.4 * 3.0, "cached input tokens": month_in * 0.8 * 0.5 * 0.3,
                "cache writes": month_in * 0.8 * 0.1 * 3.75, "output tokens": month_out * 0.8 * 15.0,
                "long-context input tokens": month_in * 0.2 * 6.0, "long-context output tokens": month_out * 0.2 * 22.5}
    assert lines == pytest.approx(expected, rel=1e-6)
    assert np.allclose(res.option("api").by_month, sum(expected.values()), rtol=1e-6)


def test_base_tier_and_missing_cache_writes_are_said(tmp_path: Path) -> None:
    study = sim.run(parse_experiment(_api_doc(catalog="anthropic/claude-sonnet-4.5", cached_input_share=0.5)))
    notes = study.notes()
    assert any("“api” is priced at its base tier: requests with prompts above 200,000 tokens cost more ($6 / $22.5"
               in n for n in notes)
    assert any("reads input from its prompt cache but writes none: the provider bills cache writes at $3.75" in n
               for n in notes)


def test_cache_shares_above_100_percent_are_refused() -> None:
    with pytest.raises(sim.ExperimentError, match=r"options\[0\]\.cache_write_share: cached_input_share and "
                                                  r"cache_write_share are parts of the same input tokens"):
        parse_experiment(_api_doc(catalog="anthropic/claude-sonnet-4.5", cached_input_share="60% to 80%",
                                  cache_write_share=0.3), "x.toml")
    with pytest.raises(sim.ExperimentError, match=r"options\[0\]\.long_input_per_million: required when "
                                                  r"long_context_share is not 0"):
        parse_experiment(_api_doc(input_per_million=1, output_per_million=2, long_context_share=0.1), "x.toml")
