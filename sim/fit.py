"""``tcosim fit``: fit your own data to the project's processes (a monthly series: GPU invoices,
token volumes) or distributions (a scalar: one value per row), by maximum likelihood; each
candidate with its AIC and a Kolmogorov-Smirnov statistic; the winner as a TOML snippet whose
ranges are the 90% intervals of the fitted parameters (uncertainty about the world)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

Z90 = 1.6448536269514722
#: the fewest rows a fit is attempted on
MIN_ROWS = {"process": 8, "distribution": 5}


class FitError(ValueError):
    """Data that cannot be fitted; the message says why."""


@dataclass
class Fit:
    """One candidate: parameters with standard errors, log-likelihood, AIC, KS statistic, snippet."""

    family: str
    params: dict[str, float]
    se: dict[str, float]
    loglik: float
    k: int  # free parameters
    ks: float  # Kolmogorov-Smirnov distance of the probability transforms from uniform
    ks_p: float
    snippet: str
    spec: dict[str, object] = field(default_factory=dict)  # the project spec at the point estimates

    @property
    def aic(self) -> float:
        return 2 * self.k - 2 * self.loglik


def _interval(value: float, se: float, fmt: Callable[[float], str], low: float = -math.inf,
              high: float = math.inf) -> str:
    """A parameter as the project writes it: its 90% interval "A to B", or the value when tight."""
    if not math.isfinite(se) or se <= 1e-9 * max(abs(value), 1e-12):
        return fmt(value)
    a, b = max(value - Z90 * se, low), min(value + Z90 * se, high)
    return f'"{fmt(a)} to {fmt(b)}"'


def _pct(x: float) -> str:
    return f"{100 * x:.3g}%"


def _num(x: float) -> str:
    return f"{x:.4g}"


def _ks(u: np.ndarray) -> tuple[float, float]:
    res = stats.kstest(np.clip(u, 1e-12, 1 - 1e-12), "uniform")
    return float(res.statistic), float(res.pvalue)


# --- processes: the log value month by month ------------------------------------------------------

def _trend(x: np.ndarray) -> Fit:
    t = np.arange(x.size, dtype=float)
    slope, intercept, _, _, se_slope = stats.linregress(t, x)
    resid = x - (intercept + slope * t)
    s = float(np.sqrt(np.mean(resid**2)))
    n = x.size
    loglik = float(np.sum(stats.norm.logpdf(resid, scale=max(s, 1e-12))))
    change, se_change = math.expm1(12 * slope), math.exp(12 * slope) * 12 * se_slope
    start = math.exp(intercept + slope * (n - 1))  # the fitted level at the last month: a forecast starts there
    ks = _ks(stats.norm.cdf(resid / max(s, 1e-12)))
    snippet = (f'{{ process = "trend", start = {_num(start)}, annual_change = '
               f'{_interval(change, se_change, _pct, low=-0.99)} }}  # residual noise {100 * s:.2g}% a month '
               "is not part of a trend")
    return Fit("trend", {"start": start, "annual_change": change}, {"annual_change": se_change}, loglik, 3, *ks,
               snippet, {"process": "trend", "start": start, "annual_change": change})


def _gbm(x: np.ndarray) -> Fit:
    r = np.diff(x)
    n = r.size
    m, s = float(r.mean()), float(r.std())
    sigma, drift = s * math.sqrt(12), 12 * m + 6 * s**2  # E[S_t] = S_0 exp(drift t)
    se_drift = 12 * s / math.sqrt(n)
    se_sigma = sigma / math.sqrt(2 * n)
    loglik = float(np.sum(stats.norm.logpdf(r, m, max(s, 1e-12))))
    ks = _ks(stats.norm.cdf((r - m) / max(s, 1e-12)))
    start = math.exp(x[-1])
    snippet = (f'{{ process = "gbm", start = {_num(start)}, drift = {_interval(drift, se_drift, _pct)}, '
               f"volatility = {_num(sigma)} }}")
    return Fit("gbm", {"drift": drift, "volatility": sigma}, {"drift": se_drift, "volatility": se_sigma}, loglik,
               2, *ks, snippet, {"process": "gbm", "start": start, "drift": drift, "volatility": sigma})


def _ou_params(c: float, phi: float, s: float) -> tuple[float, float, float]:
    """AR(1) on the log value -> (long-run level, half-life in months, annual volatility)."""
    kappa = -math.log(phi)
    sigma = s * math.sqrt(12) * math.sqrt(2 * kappa / (1 - phi**2))
    return math.exp(c / (1 - phi)), math.log(2) / kappa, sigma


def _mean_reverting(x: np.ndarray) -> Fit:
    prev, nxt = x[:-1], x[1:]
    slope, intercept, _, _, se_phi = stats.linregress(prev, nxt)
    phi = float(slope)
    if not 0 < phi < 1:
        raise FitError("no mean reversion in this series (the month-to-month persistence is not between 0 and 1)")
    resid = nxt - (intercept + phi * prev)
    s = float(np.sqrt(np.mean(resid**2)))
    long_run, half_life, sigma = _ou_params(float(intercept), phi, s)
    n = resid.size
    se_half = half_life / (phi * -math.log(phi)) * se_phi  # delta method
    se_long = long_run * s / (1 - phi) / math.sqrt(n)
    loglik = float(np.sum(stats.norm.logpdf(resid, scale=max(s, 1e-12))))
    ks = _ks(stats.norm.cdf(resid / max(s, 1e-12)))
    start = math.exp(x[-1])
    snippet = (f'{{ process = "mean_reverting", start = {_num(start)}, long_run = '
               f"{_interval(long_run, se_long, _num, low=1e-9)}, half_life_months = "
               f"{_interval(half_life, se_half, _num, low=0.1)}, volatility = {_num(sigma)} }}")
    spec = {"process": "mean_reverting", "start": start, "long_run": long_run, "half_life_months": half_life,
            "volatility": sigma}
    return Fit("mean_reverting", {"long_run": long_run, "half_life_months": half_life, "volatility": sigma},
               {"long_run": se_long, "half_life_months": se_half}, loglik, 3, *ks, snippet, spec)


def _jump_density(e: np.ndarray, s: float, lu: float, mu: float, tu: float, lf: float, mf: float,
                  tf: float) -> np.ndarray:
    """Innovation density: no jump, a rise (log size ~ N(mu, tu)) or a fall (N(mf, tf)) in the month."""
    return ((1 - lu - lf) * stats.norm.pdf(e, 0, s) + lu * stats.norm.pdf(e, mu, math.hypot(s, tu))
            + lf * stats.norm.pdf(e, mf, math.hypot(s, tf)))


def _jump_cdf(e: np.ndarray, s: float, lu: float, mu: float, tu: float, lf: float, mf: float,
              tf: float) -> np.ndarray:
    return ((1 - lu - lf) * stats.norm.cdf(e, 0, s) + lu * stats.norm.cdf(e, mu, math.hypot(s, tu))
            + lf * stats.norm.cdf(e, mf, math.hypot(s, tf)))


def _rate(p: float, other: float) -> float:
    """Events a year from the monthly probability of a month with only this kind of event: Poisson
    months with none of the other kind, P = (1 - exp(-r/12)) exp(-r_other/12)."""
    return -12.0 * math.log(max(1.0 - p / max(1.0 - other, 1e-9), 1e-12))


def _mean_reverting_jumps(x: np.ndarray) -> Fit:
    """Log OU whose monthly innovation may carry a rise or a fall (at most one a month), by maximum
    likelihood from several starting points (the mixture likelihood has local optima)."""
    prev, nxt = x[:-1], x[1:]
    base = _mean_reverting(x)
    phi0 = math.exp(-math.log(2) / base.params["half_life_months"])
    c0 = (1 - phi0) * math.log(base.params["long_run"])
    s0 = float(np.std(nxt - c0 - phi0 * prev))

    def unpack(theta: np.ndarray) -> tuple[float, ...]:
        c, phi, log_s, lu, mu, log_tu, lf, mf, log_tf = theta
        return c, phi, math.exp(log_s), lu, mu, math.exp(log_tu), lf, mf, math.exp(log_tf)

    def nll(theta: np.ndarray) -> float:
        c, phi, s, lu, mu, tu, lf, mf, tf = unpack(theta)
        dens = _jump_density(nxt - c - phi * prev, s, lu, mu, tu, lf, mf, tf)
        return float(-np.sum(np.log(np.maximum(dens, 1e-300))))

    bounds = [(None, None), (1e-3, 0.9999), (math.log(1e-5), math.log(5.0)), (1e-4, 0.45), (0.02, 2.0),
              (math.log(1e-3), math.log(1.0)), (1e-4, 0.45), (-3.0, -0.02), (math.log(1e-3), math.log(1.0))]
    best = None
    for times in (2.0, 4.0, 8.0):  # jumps 2, 4 and 8 times the month-to-month noise
        for rate in (0.02, 0.1):
            start = np.array([c0, phi0, math.log(max(s0 * 0.7, 1e-4)), rate, times * s0, math.log(s0),
                              rate, -times * s0, math.log(s0)])
            res = optimize.minimize(nll, start, method="L-BFGS-B", bounds=bounds)
            if best is None or res.fun < best.fun:
                best = res
    assert best is not None
    theta = np.asarray(best.x, float)
    c, phi, s, lu, mu, tu, lf, mf, tf = unpack(theta)
    long_run, half_life, sigma = _ou_params(float(c), float(phi), s)
    ks = _ks(_jump_cdf(nxt - c - phi * prev, s, lu, mu, tu, lf, mf, tf))

    def size(mean: float, tau: float, sign: int) -> str:
        a, b = math.exp(mean - Z90 * tau), math.exp(mean + Z90 * tau)
        lo, hi = (a - 1, b - 1) if sign > 0 else (1 - b, 1 - a)
        lo, hi = max(lo, 0.01), min(hi, 0.95 if sign < 0 else 10.0)
        return f"{_pct(lo)} to {_pct(hi)}"

    first = math.exp(x[-1])
    rate_u, rate_f = _rate(lu, lf), _rate(lf, lu)
    snippet = (f'{{ process = "mean_reverting", start = {_num(first)}, long_run = {_num(long_run)}, '
               f"half_life_months = {_num(half_life)}, volatility = {_num(sigma)}, jumps = {{ rate_per_year = "
               f'{_num(rate_u)}, size = "{size(mu, tu, 1)}" }}, falls = {{ rate_per_year = {_num(rate_f)}, '
               f'size = "{size(mf, tf, -1)}" }} }}')
    spec = {"process": "mean_reverting", "start": first, "long_run": long_run, "half_life_months": half_life,
            "volatility": sigma, "jumps": {"rate_per_year": rate_u, "size": size(mu, tu, 1)},
            "falls": {"rate_per_year": rate_f, "size": size(mf, tf, -1)}}
    params = {"long_run": long_run, "half_life_months": half_life, "volatility": sigma,
              "jumps.rate_per_year": rate_u, "falls.rate_per_year": rate_f}
    se_theta = _hessian_se(nll, theta, list(range(9)))
    scale = 12.0 / (1.0 - lf - lu)  # d rate / d p, near the fitted point
    se = {"jumps.rate_per_year": scale * se_theta[3], "falls.rate_per_year": scale * se_theta[6]}
    return Fit("mean_reverting with jumps and falls", params, se, float(-best.fun), 9, *ks, snippet, spec)


def fit_process(values: np.ndarray) -> list[Fit]:
    """Every process family that fits, best (lowest AIC) first."""
    if np.any(values <= 0):
        raise FitError("a price or volume series must be positive to fit (the processes move its logarithm)")
    x = np.log(values)
    fits = [_trend(x), _gbm(x)]
    with contextlib.suppress(FitError):  # a series with no mean reversion: the other families only
        fits += [_mean_reverting(x), _mean_reverting_jumps(x)]
    return sorted(fits, key=lambda f: f.aic)


# --- distributions: one value per row ------------------------------------------------------------

def _dist_fit(family: str, dist: stats.rv_continuous, data: np.ndarray, fixed: dict[str, float],
              names: tuple[str, ...], snippet: Callable[[tuple[float, ...]], str],
              spec: Callable[[tuple[float, ...]], dict[str, object]]) -> Fit:
    params = dist.fit(data, **fixed)
    loglik = float(np.sum(dist.logpdf(data, *params)))
    free = [i for i, key in enumerate(("a", "b", "c", "loc", "scale")[-len(params):]) if f"f{key}" not in fixed]
    se = _hessian_se(lambda p: -float(np.sum(dist.logpdf(data, *p))), np.array(params, float), free)
    ks = stats.kstest(data, lambda v: dist.cdf(v, *params))
    return Fit(family, dict(zip(names, map(float, params), strict=True)),
               {names[i]: se[j] for j, i in enumerate(free)}, loglik, len(free), float(ks.statistic),
               float(ks.pvalue), snippet(tuple(map(float, params))), spec(tuple(map(float, params))))


def _hessian_se(nll: Callable[[np.ndarray], float], theta: np.ndarray, free: list[int]) -> list[float]:
    """Standard errors from the inverse of a finite-difference Hessian of the negative log-likelihood."""
    k = len(free)
    h = np.zeros((k, k))
    steps = [1e-4 * max(abs(theta[i]), 1e-3) for i in free]
    for a in range(k):
        for b in range(k):
            def shifted(da: int, db: int, a: int = a, b: int = b) -> float:
                t = theta.copy()
                t[free[a]] += da * steps[a]
                t[free[b]] += db * steps[b]
                return nll(t)
            h[a, b] = (shifted(1, 1) - shifted(1, -1) - shifted(-1, 1) + shifted(-1, -1)) / (4 * steps[a] * steps[b])
    try:
        cov = np.linalg.inv(h)
    except np.linalg.LinAlgError:
        return [math.nan] * k
    return [float(math.sqrt(v)) if v > 0 else math.nan for v in np.diag(cov)]


def fit_distribution(data: np.ndarray) -> list[Fit]:
    """The project's continuous families that fit ``data``, best (lowest AIC) first."""
    fits = [_dist_fit("normal", stats.norm, data, {}, ("mean", "sd"),
                      lambda p: f'{{ dist = "normal", mean = {_num(p[0])}, sd = {_num(p[1])} }}',
                      lambda p: {"dist": "normal", "mean": p[0], "sd": p[1]})]
    if np.all(data > 0):
        fits.append(_dist_fit(
            "lognormal", stats.lognorm, data, {"floc": 0.0}, ("sigma", "loc", "scale"),
            lambda p: f'{{ dist = "lognormal", mu = {_num(math.log(p[2]))}, sigma = {_num(p[0])} }}',
            lambda p: {"dist": "lognormal", "mu": math.log(p[2]), "sigma": p[0]}))
        fits.append(_dist_fit(
            "gamma", stats.gamma, data, {"floc": 0.0}, ("shape", "loc", "scale"),
            lambda p: f'{{ dist = "gamma", shape = {_num(p[0])}, scale = {_num(p[2])} }}',
            lambda p: {"dist": "gamma", "shape": p[0], "scale": p[2]}))
    if np.all((data > 0) & (data < 1)):
        fits.append(_dist_fit(
            "beta", stats.beta, data, {"floc": 0.0, "fscale": 1.0}, ("alpha", "beta", "loc", "scale"),
            lambda p: f'{{ dist = "beta", alpha = {_num(p[0])}, beta = {_num(p[1])} }}',
            lambda p: {"dist": "beta", "alpha": p[0], "beta": p[1]}))
    low, high = float(data.min()), float(data.max())
    if high > low:
        span = high - low
        ks = stats.kstest(data, "uniform", args=(low, span))
        fits.append(Fit("uniform", {"low": low, "high": high}, {}, -data.size * math.log(span), 2,
                        float(ks.statistic), float(ks.pvalue),
                        f'{{ dist = "uniform", low = {_num(low)}, high = {_num(high)} }}',
                        {"dist": "uniform", "low": low, "high": high}))
    return sorted(fits, key=lambda f: f.aic)


__all__ = ["MIN_ROWS", "Fit", "FitError", "fit_distribution", "fit_process"]
