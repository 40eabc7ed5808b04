"""Turn an experiment-file value into a Distribution or Process.

Grammar (any numeric field):
  * a number, or a suffixed string ("3M", "40%"): fixed;
  * "A to B": a 90% interval (P5 = A, P95 = B); lognormal when 0 < A < B, else normal;
  * a table with ``dist = "<family>"`` and that family's parameters, optionally ``clip``;
  * a table with ``process = "trend" | "gbm" | "mean_reverting"`` (where processes are allowed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from distributions.base import Clipped, Distribution
from distributions.continuous import (
    Z95,
    Beta,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
)
from distributions.discrete import Bernoulli, Empirical, Poisson
from distributions.hints import teach
from distributions.mixture import Mixture
from distributions.numbers import parse_number
from distributions.processes import GBM, Jumps, MeanReverting, Process, Trend

Spec = Distribution | Process


class SpecError(ValueError):
    """A malformed spec; ``subpath`` locates the fault inside the value (e.g. ``components[1]``)."""

    def __init__(self, message: str, subpath: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.subpath = subpath

    def under(self, prefix: str) -> SpecError:
        sep = "" if not self.subpath or self.subpath.startswith("[") else "."
        return SpecError(self.message, f"{prefix}{sep}{self.subpath}" if self.subpath else prefix)


def parse_interval(text: str) -> Distribution:
    """Parse "A to B" as a 90% interval."""
    left, _, right = text.partition(" to ")
    a, b = parse_number(left), parse_number(right)
    if a == b:
        return Fixed(a)
    if a > b:
        raise SpecError(f'"{text}": upper bound must exceed lower')
    if a > 0:
        return LogNormal.from_p5_p95(a, b)
    return Normal((a + b) / 2, (b - a) / (2 * Z95))


def _num(table: Mapping[str, Any], key: str) -> float:
    try:
        return parse_number(table[key])
    except ValueError as exc:
        raise SpecError(str(exc), key) from None


def _opt(table: Mapping[str, Any], key: str) -> float | None:
    return _num(table, key) if key in table else None


def _lognormal(t: Mapping[str, Any]) -> Distribution:
    for keys, build in (
        (("p5", "p95"), LogNormal.from_p5_p95),
        (("median", "p95"), LogNormal.from_median_p95),
        (("mean", "sd"), LogNormal.from_mean_sd),
        (("mu", "sigma"), LogNormal),
    ):
        if set(keys) <= t.keys():
            return build(*(_num(t, k) for k in keys))
    raise SpecError("lognormal needs p5 and p95, median and p95, mean and sd, or mu and sigma")


def _gamma(t: Mapping[str, Any]) -> Distribution:
    if {"shape", "scale"} <= t.keys():
        return Gamma(_num(t, "shape"), _num(t, "scale"))
    if {"mean", "sd"} <= t.keys():
        return Gamma.from_mean_sd(_num(t, "mean"), _num(t, "sd"))
    raise SpecError("gamma needs shape and scale, or mean and sd")


def _empirical(t: Mapping[str, Any]) -> Distribution:
    values = t.get("values")
    if not isinstance(values, list):
        raise SpecError("empirical needs values = [ ... ]", "values")
    try:
        vals = [parse_number(v) for v in values]
        weights = [parse_number(w) for w in t["weights"]] if "weights" in t else None
    except (ValueError, TypeError) as exc:
        raise SpecError(str(exc)) from None
    return Empirical(vals, weights)


def _mixture(t: Mapping[str, Any]) -> Distribution:
    comps = t.get("components")
    if not isinstance(comps, list) or not comps:
        raise SpecError("mixture needs components = [ ... ]", "components")
    parsed = []
    for i, comp in enumerate(comps):
        try:
            parsed.append(parse_distribution(comp))
        except SpecError as exc:
            raise exc.under(f"components[{i}]") from None
    raw_w = t.get("weights")
    if not isinstance(raw_w, list):
        raise SpecError("mixture needs weights = [ ... ] summing to 1", "weights")
    try:
        weights = [parse_number(w) for w in raw_w]
    except ValueError as exc:
        raise SpecError(str(exc), "weights") from None
    return Mixture(parsed, weights)


# family -> (allowed keys besides dist/clip, builder)
_FAMILIES: dict[str, tuple[set[str], Callable[[Mapping[str, Any]], Distribution]]] = {
    "fixed": ({"value"}, lambda t: Fixed(_num(t, "value"))),
    "uniform": ({"low", "high"}, lambda t: Uniform(_num(t, "low"), _num(t, "high"))),
    "normal": (
        {"mean", "sd", "low", "high"},
        lambda t: Normal(_num(t, "mean"), _num(t, "sd"), _opt(t, "low"), _opt(t, "high")),
    ),
    "lognormal": ({"p5", "p95", "median", "mean", "sd", "mu", "sigma"}, _lognormal),
    "triangular": (
        {"low", "mode", "high"},
        lambda t: Triangular(_num(t, "low"), _num(t, "mode"), _num(t, "high")),
    ),
    "pert": (
        {"low", "mode", "high", "lamb"},
        lambda t: Pert(_num(t, "low"), _num(t, "mode"), _num(t, "high"), _opt(t, "lamb") or 4.0),
    ),
    "beta": (
        {"alpha", "beta", "low", "high"},
        lambda t: Beta(_num(t, "alpha"), _num(t, "beta"), _opt(t, "low") or 0.0,
                       1.0 if "high" not in t else _num(t, "high")),
    ),
    "gamma": ({"shape", "scale", "mean", "sd"}, _gamma),
    "poisson": ({"lam"}, lambda t: Poisson(_num(t, "lam"))),
    "bernoulli": ({"p"}, lambda t: Bernoulli(_num(t, "p"))),
    "empirical": ({"values", "weights"}, _empirical),
    "mixture": ({"components", "weights"}, _mixture),
}

FAMILIES = tuple(_FAMILIES)
PROCESSES = ("trend", "gbm", "mean_reverting")


def _check_keys(table: Mapping[str, Any], allowed: set[str], what: str) -> None:
    for key in table:
        if key not in allowed:
            raise SpecError(f"unknown key for {what} (allowed: {', '.join(sorted(allowed))})", key)


def _distribution_table(table: Mapping[str, Any]) -> Distribution:
    family = table["dist"]
    if family not in _FAMILIES:
        raise SpecError(f'unknown dist "{family}" (known: {", ".join(FAMILIES)})', "dist")
    allowed, build = _FAMILIES[family]
    _check_keys(table, allowed | {"dist", "clip"}, f'dist = "{family}"')
    try:
        dist = build(table)
    except KeyError as exc:
        raise SpecError(f'dist = "{family}" needs {exc.args[0]}') from None
    except SpecError:
        raise
    except ValueError as exc:
        raise SpecError(f'dist = "{family}": {exc}') from None
    if "clip" in table:
        clip = table["clip"]
        if not (isinstance(clip, list) and len(clip) == 2):
            raise SpecError("clip must be [low, high]", "clip")
        try:
            dist = Clipped(dist, parse_number(clip[0]), parse_number(clip[1]))
        except ValueError as exc:
            raise SpecError(str(exc), "clip") from None
    return dist


def parse_distribution(value: Any) -> Distribution:
    """Parse a scalar spec (drawn once per path)."""
    if isinstance(value, Mapping):
        if "process" in value:
            raise SpecError("a process is not allowed here; give a single value or a distribution")
        if "dist" not in value:
            raise SpecError('a table needs dist = "<family>" (or process = "..." where allowed)')
        return _distribution_table(value)
    if isinstance(value, str) and " to " in value:
        try:
            return parse_interval(value)
        except SpecError:
            raise
        except ValueError as exc:
            raise SpecError(str(exc)) from None
    try:
        return Fixed(parse_number(value))
    except ValueError as exc:
        raise SpecError(teach(value) if isinstance(value, str) else str(exc)) from None


def _param(table: Mapping[str, Any], key: str, default: Any = None) -> Distribution:
    if key not in table:
        if default is None:
            raise SpecError(f'process = "{table["process"]}" needs {key}')
        return Fixed(default)
    try:
        return parse_distribution(table[key])
    except SpecError as exc:
        raise exc.under(key) from None


def _jumps(table: Mapping[str, Any], name: str = "jumps") -> Jumps | None:
    """``jumps`` (rises: x (1 + size)) or ``falls`` (x (1 - size)) of a process, if given."""
    raw = table.get(name)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise SpecError(f"{name} must be a table {{ rate_per_year = ..., size = ... }}", name)
    try:
        _check_keys(raw, {"rate_per_year", "size"}, name)
        for key in ("rate_per_year", "size"):
            if key not in raw:
                raise SpecError(f"{name} needs {key}")
        params = {**raw, "process": name}
        return Jumps(_param(params, "rate_per_year"), _param(params, "size"), 1 if name == "jumps" else -1)
    except SpecError as exc:
        raise exc.under(name) from None
    except ValueError as exc:
        raise SpecError(str(exc), name) from None


def parse_process(table: Mapping[str, Any]) -> Process:
    kind = table["process"]
    common = {"process", "start"}
    try:
        if kind == "trend":
            _check_keys(table, common | {"annual_change"}, 'process = "trend"')
            return Trend(_param(table, "start"), _param(table, "annual_change"))
        if kind == "gbm":
            _check_keys(table, common | {"drift", "volatility", "jumps", "falls"}, 'process = "gbm"')
            return GBM(_param(table, "start"), _param(table, "drift", 0.0),
                       _param(table, "volatility"), _jumps(table), _jumps(table, "falls"))
        if kind == "mean_reverting":
            allowed = common | {"long_run", "half_life_months", "volatility", "jumps", "falls"}
            _check_keys(table, allowed, 'process = "mean_reverting"')
            return MeanReverting(_param(table, "start"), _param(table, "long_run"),
                                 _param(table, "half_life_months"), _param(table, "volatility"),
                                 _jumps(table), _jumps(table, "falls"))
    except SpecError:
        raise
    except ValueError as exc:
        raise SpecError(f'process = "{kind}": {exc}') from None
    raise SpecError(f'unknown process "{kind}" (known: {", ".join(PROCESSES)})', "process")


def parse_spec(value: Any) -> Spec:
    """Parse any spec: a process where the value is a ``process`` table, else a distribution."""
    if isinstance(value, Mapping) and "process" in value:
        return parse_process(value)
    return parse_distribution(value)
