"""Shared helpers: small experiment documents built in code or written to tmp files."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"

BASE = {
    "experiment": {"name": "t", "horizon_months": 6, "paths": 500, "seed": 3},
    "workload": {"input_tokens_per_day": "3M to 8M", "output_tokens_per_day": "0.6M to 1.6M"},
    "options": [
        {"name": "api", "kind": "api", "input_per_million": 2.5, "output_per_million": 10.0},
        {"name": "self", "kind": "self_hosted", "costs": [
            {"item": "GPU", "category": "gpu", "gpus": 2, "hourly_price": "2 to 3.5"},
            {"item": "Ops", "monthly": "300 to 600"},
        ]},
    ],
}


@pytest.fixture
def base_doc() -> dict:
    return copy.deepcopy(BASE)


def fixed_doc(months: int = 3, **workload) -> dict:
    """An all-fixed experiment: results must be exact."""
    return {
        "experiment": {"name": "fixed", "horizon_months": months, "paths": 100, "seed": 1,
                       "days_per_month": 30},
        "workload": {"input_tokens_per_day": "5M", "output_tokens_per_day": "1M", **workload},
        "options": [
            {"name": "api", "kind": "api", "input_per_million": 2.5, "output_per_million": 10.0},
            {"name": "self", "kind": "self_hosted", "costs": [
                {"item": "GPU", "category": "gpu", "monthly": 5100},
                {"item": "Rest", "monthly": 8175},
            ]},
        ],
    }
