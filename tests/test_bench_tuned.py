"""The yardstick `tcosim bench` prints beside the engine must do the same work: the hand-tuned
numpy model draws the benchmark experiment's distributions, so its mean totals agree with the
engine's within their sampling errors, and its bands are numpy's percentiles."""

from __future__ import annotations

import numpy as np

import sim
from sim.bench import bench_file
from sim.bench_tuned import LEVELS, analyse, simulate
from tests.conftest import test_seed


def test_the_tuned_model_prices_the_same_experiment_as_the_engine() -> None:
    n = 20_000
    cost = simulate(n, np.random.default_rng(test_seed(41)))
    totals = cost.sum(axis=1, dtype=np.float64)
    study = sim.run(sim.load_experiment(bench_file()), paths=n, seed=test_seed(43))
    for k, opt in enumerate(study.result.options):
        se = np.hypot(totals[k].std() / np.sqrt(n), opt.totals.std() / np.sqrt(n))
        assert abs(totals[k].mean() - opt.totals.mean()) <= 5 * se, opt.name  # 5 SE: ~6e-7 per option


def test_its_bands_are_numpy_percentiles() -> None:
    cost = simulate(3_000, np.random.default_rng(1))
    expected = np.percentile(cost, LEVELS, axis=-1).transpose(1, 2, 0)
    np.testing.assert_allclose(analyse(cost.copy())["monthly"], expected, rtol=1e-5)
