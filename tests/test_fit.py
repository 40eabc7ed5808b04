"""tcosim fit: parameters recovered within their standard errors from series the project's own
processes simulate; a degenerate trend recovered exactly; the winning snippet parses back; bad
files exit 2 naming what is wrong."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from distributions import GBM, Fixed, Jumps, LogNormal, MeanReverting, Trend, parse_spec
from sim.cli import main
from sim.fit import fit_distribution, fit_process
from tests.conftest import test_seed


def _rng(k: int) -> np.random.Generator:
    return np.random.default_rng(test_seed(31 + k))


def _by_family(fits):
    return {f.family: f for f in fits}


def test_a_trend_is_recovered_exactly() -> None:
    values = Trend(Fixed(2.0), Fixed(-0.25)).sample(_rng(0), 1, 36).values[0]
    fit = _by_family(fit_process(values))["trend"]
    assert fit.params["annual_change"] == pytest.approx(-0.25, abs=1e-9)
    assert fit.params["start"] == pytest.approx(values[-1], rel=1e-9)


def test_gbm_drift_and_volatility_within_their_standard_errors() -> None:
    values = GBM(Fixed(2.0), Fixed(0.05), Fixed(0.3)).sample(_rng(1), 1, 601).values[0]
    fit = _by_family(fit_process(values))["gbm"]
    for name, truth in (("drift", 0.05), ("volatility", 0.3)):
        assert abs(fit.params[name] - truth) <= 3 * fit.se[name], (name, fit.params[name], fit.se[name])


def test_mean_reversion_within_its_standard_errors() -> None:
    values = MeanReverting(Fixed(3.0), Fixed(2.0), Fixed(9.0), Fixed(0.25)).sample(_rng(2), 1, 1200).values[0]
    fit = _by_family(fit_process(values))["mean_reverting"]
    assert abs(fit.params["half_life_months"] - 9.0) <= 3 * fit.se["half_life_months"]
    assert abs(fit.params["long_run"] - 2.0) <= 3 * fit.se["long_run"]
    assert fit.params["volatility"] == pytest.approx(0.25, rel=0.1)  # n = 1,199 innovations: SE ~2%


def test_rises_and_falls_recovered_and_preferred_by_aic() -> None:
    proc = MeanReverting(Fixed(2.5), Fixed(2.2), Fixed(9.0), Fixed(0.1),
                         Jumps(Fixed(1.0), LogNormal.from_p5_p95(0.3, 0.5)),
                         Jumps(Fixed(1.5), LogNormal.from_p5_p95(0.25, 0.4), direction=-1))
    values = proc.sample(_rng(3), 1, 1200).values[0]
    fits = fit_process(values)
    assert fits[0].family == "mean_reverting with jumps and falls"
    for name, truth in (("jumps.rate_per_year", 1.0), ("falls.rate_per_year", 1.5)):
        assert abs(fits[0].params[name] - truth) <= 3 * fits[0].se[name], (name, fits[0].params[name])


def test_a_lognormal_sample_is_recovered_and_wins() -> None:
    data = np.exp(_rng(4).normal(math.log(500), 0.4, 2000))
    fits = fit_distribution(data)
    best = fits[0]
    assert best.family == "lognormal"
    assert abs(best.params["sigma"] - 0.4) <= 3 * best.se["sigma"]
    assert abs(math.log(best.params["scale"]) - math.log(500)) <= 3 * best.se["scale"] / best.params["scale"]


def test_the_snippets_parse_back(tmp_path: Path, capsys) -> None:
    values = MeanReverting(Fixed(3.0), Fixed(2.0), Fixed(6.0), Fixed(0.2)).sample(_rng(5), 1, 240).values[0]
    path = tmp_path / "invoices.csv"
    pd.DataFrame({"month": range(240), "gpu_hourly": values}).to_csv(path, index=False)
    assert main(["fit", str(path), "--as", "process", "--out", str(tmp_path / "f")]) == 0
    out = capsys.readouterr().out
    snippet = out.split("as TOML (ranges are 90% intervals of the fitted parameters):\n")[1].splitlines()[0].strip()
    import tomllib

    spec = tomllib.loads(f"x = {snippet.split('  #')[0]}")["x"]
    assert parse_spec(spec).sample(_rng(6), 3, 4).values.shape == (3, 4)
    assert (tmp_path / "f" / "fit.png").exists() and (tmp_path / "f" / "fit.txt").exists()


@pytest.mark.parametrize("content,args,message", [
    ("a,b\n1,x\n", ["--column", "c"], 'no column "c" (columns: a, b)'),
    ("name\nfoo\nbar\n", [], "no numeric column (columns: name)"),
    ("v\n1\n2\n", [], "v: 2 rows; a fit needs at least 8"),
    ("v\n1\n2\n-3\n4\n5\n6\n7\n8\n", [], "v: a price or volume series must be positive"),
    ("v\n1\n2\nnan\n4\n5\n6\n7\n8\n", [], "v: row 4 is not a finite number"),
])
def test_bad_files_exit_2(content, args, message, tmp_path: Path, capsys) -> None:
    path = tmp_path / "d.csv"
    path.write_text(content)
    assert main(["fit", str(path), "--as", "process", *args, "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
