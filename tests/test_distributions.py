"""Every family against its analytic mean, variance, median and support (Ciw's
compare_theoretical_to_observed, with tolerances from the sample size), against scipy (KS), the
"A to B" grammar and the log transforms."""

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
    Uniform,
    parse_distribution,
    parse_number,
)
from distributions.transforms import LogOneMinus, LogOnePlus
from sim.analysis.quantiles import percentile_ci
from tests.conftest import test_seed

N = 20_000
SEED = test_seed(12345)

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


ALL_FAMILIES = {**CONTINUOUS,
                "poisson": {"dist": "poisson", "lam": 2.5},
                "bernoulli": {"dist": "bernoulli", "p": 0.3},
                "empirical": {"dist": "empirical", "values": [10, 20, 50], "weights": [0.5, 0.3, 0.2]},
                "fixed": {"dist": "fixed", "value": 7},
                "mixture": {"dist": "mixture", "components": ["1 to 2", {"dist": "normal", "mean": 5, "sd": 1}],
                            "weights": [0.7, 0.3]},
                "mixture_discrete": {"dist": "mixture", "components": [3, {"dist": "poisson", "lam": 4}],
                                     "weights": [0.4, 0.6]},
                "clipped_normal": {"dist": "normal", "mean": 0, "sd": 1, "clip": [-0.5, 1]},
                "clipped_empirical": {"dist": "empirical", "values": [1, 5, 9], "clip": [2, 8]}}
Z = 4.5  # a correct family passes each check with probability 1 - 7e-6, at any seed


@pytest.mark.parametrize("name", sorted(ALL_FAMILIES))
def test_family_matches_its_analytic_moments_median_and_support(name: str) -> None:
    dist = parse_distribution(ALL_FAMILIES[name])
    x = dist.sample(np.random.default_rng(SEED), N)
    mean, var, (low, high) = dist.mean, dist.variance, dist.support
    if var == 0:
        assert np.all(x == mean) and dist.median == mean and low == high == mean
        return
    # mean: within Z standard errors sqrt(var / N)
    assert abs(x.mean() - mean) < Z * math.sqrt(var / N), (x.mean(), mean)
    # variance: the sample variance's standard error is sqrt((mu4 - var^2) / N), mu4 from the sample
    mu4 = float(np.mean((x - x.mean()) ** 4))
    assert abs(x.var() - var) < Z * math.sqrt(max(mu4 - var**2, 0.0) / N), (x.var(), var)
    # median: inside the distribution-free interval of the sample median at confidence 1 - 1e-5
    _, lo, hi = percentile_ci(x, [50.0], confidence=1 - 1e-5)
    assert lo[0] <= dist.median <= hi[0], (dist.median, lo, hi)
    # support: every draw inside it
    assert low <= x.min() and x.max() <= high


def test_analytic_values_by_hand() -> None:
    assert parse_distribution({"dist": "uniform", "low": 2, "high": 5}).variance == pytest.approx(9 / 12)
    emp = parse_distribution({"dist": "empirical", "values": [10, 20, 50], "weights": [0.5, 0.3, 0.2]})
    assert (emp.mean, emp.variance, emp.median, emp.support) == (21.0, pytest.approx(229.0), 10.0, (10.0, 50.0))
    mix = parse_distribution({"dist": "mixture", "components": [0, 10], "weights": [0.5, 0.5]})
    assert (mix.mean, mix.variance, mix.median, mix.support) == (5.0, 25.0, 0.0, (0.0, 10.0))
    clip = parse_distribution({"dist": "empirical", "values": [1, 5, 9], "clip": [2, 8]})
    assert (clip.mean, clip.variance, clip.support) == (5.0, pytest.approx(6.0), (2.0, 8.0))


@pytest.mark.parametrize("low,high", [(0.1, 0.6), (-0.5, 0.5)])
def test_log_transform_means_are_expected_logs(low: float, high: float) -> None:
    """E[log(1 + S)] for S uniform on [a, b]: [(1+s) log(1+s) - (1+s)] from a to b over (b - a);
    likewise E[log(1 - S)]. (Not log E[1 + S], which Jensen's inequality puts above it.)"""
    def integral(f):
        return (f(high) - f(low)) / (high - low)

    plus = LogOnePlus(parse_distribution({"dist": "uniform", "low": low, "high": high}))
    assert plus.mean == pytest.approx(integral(lambda s: (1 + s) * math.log(1 + s) - (1 + s)), rel=1e-9)
    assert plus.mean < math.log(1 + (low + high) / 2)
    minus = LogOneMinus(parse_distribution({"dist": "uniform", "low": low, "high": high}))
    assert minus.mean == pytest.approx(integral(lambda s: -((1 - s) * math.log(1 - s) - (1 - s))), rel=1e-9)
    x = plus.sample(np.random.default_rng(SEED), N)
    assert abs(x.mean() - plus.mean) < Z * x.std() / math.sqrt(N)
    assert LogOnePlus(Fixed(0.25)).mean == pytest.approx(math.log(1.25))


@pytest.mark.parametrize("dist", [Normal(3.0, 2.0), Normal(3.0, 2.0, low=0.0), Normal(3.0, 2.0, low=1.0, high=4.0),
                                  LogNormal(1.0, 0.5), Uniform(2.0, 7.0)], ids=repr)
def test_analytic_ppf_matches_scipy(dist) -> None:  # noqa: ANN001
    """The analytic quantiles (validation asks them without loading scipy) are scipy's, for a
    scalar (standard library) and an array (scipy.special) alike."""
    q = np.array([0.001, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999])
    expected = dist.scipy().ppf(q)
    np.testing.assert_allclose(dist.ppf(q), expected, rtol=1e-12)
    np.testing.assert_allclose([float(dist.ppf(float(x))) for x in q], expected, rtol=1e-12)


def test_validate_loads_no_scipy_stats() -> None:
    import subprocess
    import sys

    code = ("import sys; from sim.cli import main; main(['validate', 'experiments/article_uncertain.toml']); "
            "print(sorted(m for m in ('scipy.stats', 'matplotlib', 'pandas', 'sim.engine') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]"), out


def test_run_loads_no_scipy_stats() -> None:
    """A run of an experiment without correlated inputs or scipy-only distributions, report
    included, does not import scipy.stats (0.6 s of start-up)."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        code = ("import sys; from sim.cli import main; main(['run', 'sim/data/bench.toml', '--paths', '500', "
                f"'--quiet', '--out', {tmp + '/r'!r}]); print('scipy.stats' in sys.modules)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False"), out
