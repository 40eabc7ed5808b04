"""tcosim: Monte Carlo risk simulator for self-hosted LLM inference versus paying an API per token.

    import sim
    exp = sim.load_experiment("experiments/article_baseline.toml")
    res = sim.run(exp, paths=20_000, seed=1)      # a sim.Study
    res.percentiles(); res.prob_cheapest(); res.summary(); res.write_report("reports/article")

Names load on first use, so a command imports only what it needs (``tcosim validate`` never loads
the engine, pandas or matplotlib).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.config import Experiment
    from sim.errors import ExperimentError
    from sim.loader import load_experiment, parse_experiment
    from sim.result import Result
    from sim.study import Study, run

_WHERE = {"Experiment": "sim.config", "ExperimentError": "sim.errors", "load_experiment": "sim.loader",
          "parse_experiment": "sim.loader", "Result": "sim.result", "Study": "sim.study", "run": "sim.study"}

__all__ = ["Experiment", "ExperimentError", "Result", "Study", "load_experiment", "parse_experiment", "run"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
