"""Shared helpers: small experiment documents built in code or written to tmp files."""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_seed(default: int) -> int:
    """The seed of a statistical test: ``default``, or one derived from it and TCOSIM_TEST_SEED
    (run the suite at other seeds: every statistical test's tolerance must hold at any of them)."""
    other = os.environ.get("TCOSIM_TEST_SEED")
    if not other:
        return default
    from numpy.random import SeedSequence

    return int(SeedSequence([default, int(other)]).generate_state(1)[0])


test_seed.__test__ = False  # a helper, not a test
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


class RawToml(str):
    """A value written into the TOML document verbatim (e.g. one too deep to build as data)."""


def _toml_value(v: object) -> str:
    if isinstance(v, RawToml):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, str):
        escaped = {"\\": "\\\\", '"': '\\"'}
        body = "".join(escaped.get(c, c) if ord(c) >= 0x20 and ord(c) != 0x7F else f"\\u{ord(c):04x}" for c in v)
        return f'"{body}"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return repr(v)


def to_toml(doc: dict) -> str:
    """A minimal TOML writer for test documents (tables, arrays of tables, inline values)."""
    lines: list[str] = []

    def table(prefix: str, body: dict, array: bool) -> None:
        lines.append(f"[[{prefix}]]" if array else f"[{prefix}]")
        nested = []
        for k, v in body.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                nested.append((k, v))
            else:
                lines.append(f"{k} = {_toml_value(v)}")
        for k, items in nested:
            for item in items:
                table(f"{prefix}.{k}", item, True)

    for key, value in doc.items():
        if isinstance(value, dict):
            table(key, value, False)
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for item in value:
                table(key, item, True)
        else:
            lines.insert(0, f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def write_doc(folder: Path, doc: dict, name: str = "exp.toml") -> Path:
    """Write a test document as a TOML file and return its path."""
    path = folder / name
    path.write_text(to_toml(doc))
    return path


def fleet_inputs(n: int = 1, months: int = 1, **kw):
    """FleetInputs for the operations models with every random mechanism off (no faults, outages,
    upgrades or changes; zero durations; 24x7 coverage; flat traffic): tests switch on what they
    exercise with ``kw``."""
    import numpy as np

    from distributions import parse_distribution as spec
    from sim.ops.clock import Coverage
    from sim.ops.inputs import FleetInputs

    required = kw.pop("required", np.full((months, n), 2.0))
    base = dict(required=required, load=kw.pop("load", required), shapes=np.ones((n, 24)), spare=0,
                gpus_per_replica=1, failure_rate=np.zeros(n), outage_rate=np.zeros(n), upgrade_rate=np.zeros(n),
                change_rate=np.zeros(n), change_failure=np.zeros(n), engineers=1, block_interval_hours=33.6,
                hours_per_month=730.0, coverage=Coverage("24x7"), vendor=False, diagnosis=spec(0),
                replacement=spec(0), failover=spec(0), outage=spec(0), maintenance=spec(0), restart=spec(0),
                upgrade_weeks=spec(1), change_hours=spec(0), detection=spec(0), change_impact=spec(0),
                response=spec(0), mitigation=spec(0), followup=spec(0), best_effort_delay=spec(0),
                hours_per_week=40.0, maintenance_start=None)
    base.update(kw)
    return FleetInputs(**base)
