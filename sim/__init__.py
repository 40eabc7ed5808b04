"""tcosim: Monte Carlo risk simulator for self-hosted LLM inference versus paying an API per token.

    import sim
    exp = sim.load_experiment("experiments/article_baseline.toml")
    res = sim.run(exp, paths=20_000, seed=1)
    res.percentiles(); res.prob_cheapest(); res.write_report("reports/article")
"""

from sim.config import Experiment
from sim.engine import run
from sim.errors import ExperimentError
from sim.loader import load_experiment, parse_experiment
from sim.result import Result

__all__ = ["Experiment", "ExperimentError", "Result", "load_experiment", "parse_experiment", "run"]
