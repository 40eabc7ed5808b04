"""Sweeps: a closed-form break-even, common random numbers across points, Dask = local."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.cli import main
from sim.loader import parse_experiment
from sim.sweep import break_even, crossing, parse_vary, sweep
from tests.conftest import test_seed, to_toml

Z90 = stats.norm.ppf(0.9)


def _doc() -> dict:
    # API: $1 per million tokens, 30-day months -> monthly cost = 30 x tokens/day / 1e6.
    # Self-hosted: one lognormal monthly amount (P5 $3k, P95 $12k) drawn per path.
    # P(self cheaper at v) = P(M < 30 v / 1e6) = Phi((ln(30 v / 1e6) - mu) / sigma)
    return {"experiment": {"name": "be", "horizon_months": 12, "paths": 20_000, "seed": test_seed(5),
                           "days_per_month": 30},
            "workload": {"input_tokens_per_day": "1M", "output_tokens_per_day": 0},
            "options": [{"name": "api", "kind": "api", "input_per_million": 1.0, "output_per_million": 1.0},
                        {"name": "self", "kind": "self_hosted", "costs": [{"item": "all", "monthly": "3k to 12k"}]}]}


def test_break_even_matches_the_closed_form() -> None:
    mu, sigma = (math.log(3000) + math.log(12000)) / 2, (math.log(12000) - math.log(3000)) / (2 * 1.6448536269514722)
    exact = {0.5: math.exp(mu) * 1e6 / 30, 0.9: math.exp(mu + Z90 * sigma) * 1e6 / 30}
    exp = parse_experiment(_doc())
    path, values = parse_vary("workload.input_tokens_per_day=50M:1B:log:41")
    table = sweep(exp, path, values, 20_000, 5)
    found = break_even(table).set_index("level")
    for level, value in exact.items():
        row = found.loc[level]
        assert row.band_low <= value * 1.02 and value * 0.98 <= row.band_high, (level, value, row)
        assert abs(row.value / value - 1) < 0.03


def test_points_share_their_paths() -> None:
    exp = parse_experiment(_doc())
    table = sweep(exp, "workload.input_tokens_per_day", [1e8, 2e8], 2000, 5)
    medians = table[(table.kind == "self_hosted")].total_p50.to_numpy()
    assert medians[0] == medians[1]  # the self-hosted total does not depend on the swept input


def test_crossing_interpolates_in_log_space() -> None:
    assert crossing(np.array([1.0, 100.0]), np.array([0.0, 1.0]), 0.5) == pytest.approx(10.0)
    assert math.isnan(crossing(np.array([1.0, 2.0]), np.array([0.1, 0.2]), 0.5))


@pytest.mark.parametrize("text", ["workload.input_tokens_per_day", "x=1:2:cubic:3", "x=0:10:log:4", "x=1:2:lin:1"])
def test_bad_vary(text) -> None:
    with pytest.raises(ValueError, match="--vary"):
        parse_vary(text)


SWEEP_ARGS = ["--vary", "workload.input_tokens_per_day=100M:800M:log:4", "--paths", "3000"]


def test_sweep_command_writes_its_tables_and_chart(tmp_path: Path, capsys) -> None:
    f = tmp_path / "s.toml"
    f.write_text(to_toml(_doc()))
    assert main(["sweep", str(f), *SWEEP_ARGS, "--out", str(tmp_path / "local")]) == 0
    out = capsys.readouterr().out
    assert "from 100M to 800M" in out and "self vs api: self-hosting cheaper with P ≥ 50% from " in out
    assert "e+" not in out and "at never" not in out
    table = pd.read_csv(tmp_path / "local" / "sweep.csv")
    assert len(table[table.kind == "pair"]) == 4 and (tmp_path / "local" / "sweep.png").exists()
    assert set(pd.read_csv(tmp_path / "local" / "break_even.csv").level) == {0.5, 0.9}


def test_a_dask_local_cluster_gives_the_same_bytes(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")  # the only part that needs Dask
    f = tmp_path / "s.toml"
    f.write_text(to_toml(_doc()))
    assert main(["sweep", str(f), *SWEEP_ARGS, "--out", str(tmp_path / "local")]) == 0
    assert main(["sweep", str(f), *SWEEP_ARGS, "--out", str(tmp_path / "dask"), "--dask", "local"]) == 0
    for name in ("sweep.csv", "break_even.csv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()


def test_sweep_workers_give_the_same_bytes_and_quiet_prints_nothing(tmp_path: Path, capsys) -> None:
    """One process, two, and the default (auto: one per CPU) write the same bytes."""
    f = tmp_path / "s.toml"
    f.write_text(to_toml(_doc()))
    assert main(["sweep", str(f), *SWEEP_ARGS, "--out", str(tmp_path / "one"), "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["sweep", str(f), *SWEEP_ARGS, "--out", str(tmp_path / "two"), "--workers", "2", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["sweep", str(f), *SWEEP_ARGS, "--out", str(tmp_path / "auto"), "--quiet"]) == 0
    for name in ("sweep.csv", "break_even.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "auto" / name).read_bytes()


def test_a_break_even_never_reached_says_how_high_p_gets() -> None:
    from sim.report.sweep import pair_text

    table = pd.DataFrame({"value": [1e6, 1e7, 1e8], "option": "own", "versus": "api", "kind": "pair",
                          "p": [0.0, 0.1, 0.3], "p_se": [0.0, 0.01, 0.02]})
    rows = break_even(table)
    assert pair_text(rows, table, "workload.tokens_per_day", 1000) == \
        "own vs api: P never reaches 50% (highest 30.0% ± 2.0, at 100M)"
    zero = table.assign(p=0.0, p_se=0.0)
    assert pair_text(break_even(zero), zero, "workload.tokens_per_day", 1000) == \
        "own vs api: never cheaper within the sweep (P < 0.3% at every point)"
    early = table.assign(p=[0.6, 0.8, 0.95])
    assert pair_text(break_even(early), early, "gpu.hourly_price", 1000).startswith(
        "own vs api: self-hosting cheaper with P ≥ 50% from the first point ($1M) on; P ≥ 90% from $46.4M (band ")


def test_sweep_bad_path_exits_2(tmp_path: Path, capsys) -> None:
    f = tmp_path / "s.toml"
    f.write_text(to_toml(_doc()))
    assert main(["sweep", str(f), "--vary", "workload.nothing=1,2", "--out", str(tmp_path / "o")]) == 2
    assert '"workload.nothing" names no input' in capsys.readouterr().err


def test_sweep_md_marks_a_band_with_nothing_to_bracket(tmp_path: Path) -> None:
    """A break-even beyond the sweep has no band: "–", not "beyond the sweep to beyond the sweep";
    one within it keeps both ends."""
    f = tmp_path / "s.toml"
    f.write_text(to_toml(_doc()))
    assert main(["sweep", str(f), "--vary", "workload.tokens_per_day=1M,2M,4M", "--paths", "2000",
                 "--out", str(tmp_path / "low"), "--quiet"]) == 0
    row = next(ln for ln in (tmp_path / "low" / "sweep.md").read_text().splitlines() if ln.startswith("| self |"))
    assert row == "| self | api | beyond the sweep | – | – | beyond the sweep | – | – |"


def test_auto_workers_are_one_per_cpu_within_the_points_and_the_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim import memory, parallel
    from sim.cli.sweep import run_workers

    monkeypatch.setattr(parallel, "cpus", lambda: 8)
    assert parallel.auto_workers(13, 1e9, 100e9) == 8  # one per CPU
    assert parallel.auto_workers(3, 1e9, 100e9) == 3  # no more than the points
    assert parallel.auto_workers(13, 1e9, 4.5e9) == 4  # no more than fit together
    assert parallel.auto_workers(13, 1e9, 0.5e9) == 1  # at least one
    exp = parse_experiment(_doc())
    assert run_workers(3, exp, 1_000, 13) == 3  # a count is taken as given
    one = memory.estimate(exp, False, False, 1, 1_000).bytes(1_000)
    monkeypatch.setattr(memory, "available_bytes", lambda: 2.5 * one / memory.USABLE_SHARE)
    assert run_workers("auto", exp, 1_000, 13) == 2
