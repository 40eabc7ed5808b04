"""Processes against their closed forms: trend exactly, GBM's S0 e^{mu t}, log-OU with jumps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from distributions import Fixed, SpecError, compound_poisson, parse_spec
from tests.conftest import test_seed

PATHS = 40_000


def _check_mean(proc, months: int, seed: int = 7) -> None:
    values = proc.sample(np.random.default_rng(test_seed(seed)), PATHS, months).values
    expected = proc.mean(months)
    se = values.std(axis=0) / math.sqrt(PATHS)
    # 4.5 standard errors per month (a 36-month test; exact match where the sd is zero)
    assert np.all(np.abs(values.mean(axis=0) - expected) <= 4.5 * se + 1e-12 * expected)


def test_trend_with_fixed_parameters_is_exact() -> None:
    proc = parse_spec({"process": "trend", "start": 2.5, "annual_change": "-20%"})
    values = proc.sample(np.random.default_rng(0), 3, 25).values
    expected = 2.5 * 0.8 ** (np.arange(25) / 12)
    np.testing.assert_allclose(values, np.broadcast_to(expected, (3, 25)), rtol=1e-14)
    assert values[0, 12] == pytest.approx(2.0, rel=1e-14)  # one year later: -20%
    np.testing.assert_allclose(proc.mean(25), expected, rtol=1e-14)


@pytest.mark.slow
def test_gbm_mean_is_s0_exp_mu_t() -> None:
    proc = parse_spec({"process": "gbm", "start": 2.0, "drift": 0.1, "volatility": 0.3})
    np.testing.assert_allclose(proc.mean(37), 2.0 * np.exp(0.1 * np.arange(37) / 12), rtol=1e-14)
    _check_mean(proc, 37)


@pytest.mark.slow
def test_gbm_with_jumps_mean() -> None:
    proc = parse_spec({"process": "gbm", "start": 1.0, "drift": 0.0, "volatility": 0.1,
                       "jumps": {"rate_per_year": 2, "size": "10%"}})
    # E = exp(lambda/12 * t * ((1 + s) - 1))
    np.testing.assert_allclose(proc.mean(13), np.exp(2 / 12 * np.arange(13) * 0.1), rtol=1e-12)
    _check_mean(proc, 13)


@pytest.mark.slow
def test_mean_reverting_mean_and_reversion() -> None:
    proc = parse_spec({"process": "mean_reverting", "start": 3.5, "long_run": 2.0,
                       "half_life_months": 6, "volatility": 0.3})
    _check_mean(proc, 36)
    # with no noise the log value closes half the gap in one half-life
    quiet = parse_spec({"process": "mean_reverting", "start": 4.0, "long_run": 1.0,
                        "half_life_months": 6, "volatility": 0})
    values = quiet.sample(np.random.default_rng(0), 2, 13).values
    assert values[0, 6] == pytest.approx(2.0, rel=1e-12)
    assert values[0, 12] == pytest.approx(4.0 ** 0.25, rel=1e-12)


@pytest.mark.slow
def test_mean_reverting_with_jumps_mean() -> None:
    proc = parse_spec({"process": "mean_reverting", "start": 2.0, "long_run": 2.0, "half_life_months": 9,
                       "volatility": 0.2, "jumps": {"rate_per_year": 1.5, "size": "20% to 60%"}})
    _check_mean(proc, 24)


def test_process_parameters_drawn_per_path_are_reported() -> None:
    proc = parse_spec({"process": "trend", "start": "2 to 3.5", "annual_change": "-40% to -5%"})
    draw = proc.sample(np.random.default_rng(test_seed(1)), 1000, 12)
    assert set(draw.params) == {"start", "annual_change"}
    np.testing.assert_allclose(draw.values[:, 0], draw.params["start"])
    assert draw.params["start"].std() > 0


def test_compound_poisson_mean() -> None:
    counts, sums = compound_poisson(np.random.default_rng(test_seed(2)), 0.5, Fixed(3.0), (50_000, 4))
    assert np.array_equal(sums, 3.0 * counts)
    assert abs(counts.mean() - 0.5) < 4.5 * math.sqrt(0.5 / counts.size)


@pytest.mark.parametrize("spec,message", [
    ({"process": "brownian", "start": 1}, r'^unknown process "brownian"'),
    ({"process": "gbm", "start": 1}, r'^process = "gbm" needs volatility$'),
    ({"process": "mean_reverting", "start": 1, "long_run": 0, "half_life_months": 3, "volatility": 0.1},
     r"long_run must be > 0"),
    ({"process": "trend", "start": 1, "annual_change": "-150%"}, r"annual_change must be > -100%"),
    ({"process": "gbm", "start": 1, "volatility": 0.1, "jumps": {"rate_per_year": 1, "size": "-150%"}},
     r"jumps.size must stay above -100%"),
    ({"process": "gbm", "start": 1, "volatility": 0.1, "drift": 0, "speed": 3}, r"unknown key"),
])
def test_bad_processes(spec: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec(spec)
