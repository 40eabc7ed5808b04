"""Every family against scipy (KS at a fixed seed), analytic means, the "A to B" grammar."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from distributions import (
    Bernoulli,
    Clipped,
    Empirical,
    Fixed,
    LogNormal,
    Mixture,
    Normal,
    Poisson,
    SpecError,
    parse_distribution,
    parse_number,
)

N = 20_000
SEED = 12345

CONTINUOUS = {
    "uniform": {"dist": "uniform", "low": 2, "high": 5},
    "normal": {"dist": "normal", "mean": 10, "sd": 3},
    "normal_truncated": {"dist": "normal", "mean": 1, "sd": 2, "low": 0, "high": 4},
    "lognormal_p5_p95": {"dist": "lognormal", "p5": 2, "p95": 3.5},
    "lognormal_median_p95": {"dist": "lognormal", "median": 100, "p95": 300},
    "lognormal_mean_sd": {"dist": "lognormal", "mean": 50, "sd": 20},
    "lognormal_mu_sigma": {"dist": "lognormal", "mu": 1, "sigma": 0.5},
    "triangular": {"dist": "triangular", "low": 1, "mode": 2, "high": 6},
    "pert": {"dist": "pert", "low": 8000, "mode": 10000, "high": 16000},
    "beta": {"dist": "beta", "alpha": 2, "beta": 5},
    "beta_scaled": {"dist": "beta", "alpha": 2, "beta": 2, "low": 10, "high": 20},
    "gamma_shape_scale": {"dist": "gamma", "shape": 2.5, "scale": 3},
    "gamma_mean_sd": {"dist": "gamma", "mean": 10, "sd": 4},
    "interval_lognormal": "3M to 8M",
    "interval_normal": "-40% to -5%",
}


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_family_matches_scipy(name: str) -> None:
    dist = parse_distribution(CONTINUOUS[name])
    sample = dist.sample(np.random.default_rng(SEED), N)
    # KS at a fixed seed: a correct sampler passes p > 0.001 with near certainty
    assert stats.kstest(sample, dist.scipy().cdf).pvalue > 1e-3
    # the analytic mean agrees with scipy's and with the sample (4 standard errors)
    assert dist.mean == pytest.approx(float(dist.scipy().mean()), rel=1e-9)
    assert abs(sample.mean() - dist.mean) < 4 * sample.std() / math.sqrt(N)


@pytest.mark.parametrize("spec", [
    {"dist": "poisson", "lam": 2.5},
    {"dist": "bernoulli", "p": 0.3},
    {"dist": "empirical", "values": [10, 20, 50], "weights": [0.5, 0.3, 0.2]},
])
def test_discrete_family_frequencies(spec: dict) -> None:
    dist = parse_distribution(spec)
    sample = dist.sample(np.random.default_rng(SEED), N)
    values, counts = np.unique(sample, return_counts=True)
    if isinstance(dist, Empirical):
        probs = np.array([dist.weights[list(dist.values).index(v)] for v in values])
    else:
        probs = dist.scipy().pmf(values)
    # every frequency within 4.5 binomial standard errors of its probability
    se = np.sqrt(probs * (1 - probs) / N)
    assert np.all(np.abs(counts / N - probs) < 4.5 * se + 1e-12)
    assert abs(sample.mean() - dist.mean) < 4 * sample.std() / math.sqrt(N)


def test_mixture_matches_its_cdf_and_mean() -> None:
    dist = parse_distribution({"dist": "mixture", "components": ["1 to 2", {"dist": "normal", "mean": 5, "sd": 1}],
                               "weights": [0.7, 0.3]})
    assert isinstance(dist, Mixture)
    sample = dist.sample(np.random.default_rng(SEED), N)
    assert stats.kstest(sample, dist.cdf).pvalue > 1e-3
    assert abs(sample.mean() - dist.mean) < 4 * sample.std() / math.sqrt(N)


def test_clip_bounds_draws_and_mean() -> None:
    dist = parse_distribution({"dist": "normal", "mean": 0, "sd": 1, "clip": [-0.5, 1]})
    assert isinstance(dist, Clipped)
    sample = dist.sample(np.random.default_rng(SEED), N)
    assert sample.min() == -0.5 and sample.max() == 1.0
    assert abs(sample.mean() - dist.mean) < 4 * sample.std() / math.sqrt(N)
    assert dist.ppf(0.01) == -0.5


@pytest.mark.parametrize("text,p5,p95", [("2 to 3.5", 2, 3.5), ("3M to 8M", 3e6, 8e6),
                                          ("-40% to -5%", -0.4, -0.05), ("0 to 10", 0, 10)])
def test_interval_puts_p5_and_p95_where_it_says(text: str, p5: float, p95: float) -> None:
    dist = parse_distribution(text)
    assert dist.ppf(0.05) == pytest.approx(p5, rel=1e-12, abs=1e-12)
    assert dist.ppf(0.95) == pytest.approx(p95, rel=1e-12, abs=1e-12)
    sample = np.sort(dist.sample(np.random.default_rng(SEED), N))
    # order-statistic 99.9% interval for the sample P5 and P95
    for q, target in ((0.05, p5), (0.95, p95)):
        lo, hi = stats.binom.ppf([0.0005, 0.9995], N, q).astype(int)
        assert sample[lo] <= target <= sample[hi]


def test_interval_families() -> None:
    assert isinstance(parse_distribution("2 to 3.5"), LogNormal)
    assert isinstance(parse_distribution("-1 to 3"), Normal)
    assert isinstance(parse_distribution("0 to 3"), Normal)
    assert parse_distribution("5 to 5") == Fixed(5)


@pytest.mark.parametrize("text,value", [("3M", 3e6), ("2.5k", 2500), ("1.2B", 1.2e9), ("40%", 0.4),
                                        ("-40%", -0.4), ("$5,100", 5100), (7, 7.0), ("1e3", 1000)])
def test_number_suffixes(text: object, value: float) -> None:
    assert parse_number(text) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("spec,message", [
    ("5 to 3", r'^"5 to 3": upper bound must exceed lower$'),
    ("3X", r'^"3X": not a number'),
    (float("nan"), r"must be a finite number"),
    (True, r"got a boolean"),
    ({"dist": "lognormall", "p5": 1, "p95": 2}, r'^unknown dist "lognormall"'),
    ({"dist": "normal", "mean": 1, "sd": -1}, r'^dist = "normal": sd must be >= 0, got -1$'),
    ({"dist": "normal", "mean": 1}, r'^dist = "normal" needs sd$'),
    ({"dist": "lognormal", "p5": 3, "p95": 2}, r"p95 \(2\) must exceed p5 \(3\)"),
    ({"dist": "mixture", "components": ["1 to 2", 3], "weights": [0.5, 0.6]},
     r"weights must be >= 0 and sum to 1 \(they sum to 1.1\)"),
    ({"dist": "uniform", "low": 1, "high": 2, "mode": 3}, r"^unknown key for dist = \"uniform\""),
    ({"dist": "empirical", "values": []}, r"non-empty"),
    ({"dist": "triangular", "low": 3, "mode": 1, "high": 5}, r"need low <= mode <= high"),
    ({"dist": "bernoulli", "p": 1.5}, r"p must be in \[0, 1\]"),
    ({"mean": 3}, r'a table needs dist = "<family>"'),
    ({"process": "trend", "start": 1, "annual_change": 0}, r"a process is not allowed here"),
])
def test_bad_specs_raise_clear_errors(spec: object, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_distribution(spec)


def test_nested_error_reports_its_subpath() -> None:
    with pytest.raises(SpecError) as info:
        parse_distribution({"dist": "mixture", "components": ["1 to 2", {"dist": "gamma", "shape": -1, "scale": 1}],
                            "weights": [0.5, 0.5]})
    assert info.value.subpath == "components[1]"
    assert info.value.message == 'dist = "gamma": shape must be > 0, got -1'


def test_fixed_and_degenerate_are_exact() -> None:
    rng = np.random.default_rng(0)
    assert np.all(Fixed(13275).sample(rng, 10) == 13275)
    assert np.all(Poisson(0).sample(rng, 10) == 0)
    assert np.all(Bernoulli(1).sample(rng, 10) == 1)
    assert Normal(3, 0).is_fixed and np.all(Normal(3, 0).sample(rng, 5) == 3)
