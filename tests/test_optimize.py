"""tcosim optimize: ranking on common random numbers, paired CIs, successive halving, constraints,
the out-of-sample re-run, worker invariance and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.loader import parse_experiment
from sim.optimize import objective, objective_se, parse_constraint, parse_decisions, search
from tests.conftest import fixed_doc, test_seed, to_toml

PATH = "options[1].costs[0].monthly"


def _exp():
    return parse_experiment(fixed_doc(), "fixed.toml")


def _quadratic(noise_sd: float, shared: bool = True):
    """A mapper whose candidate v costs 1000 + 10 (v - 3)^2 + noise per path: with ``shared`` the
    noise depends on the seed alone (common random numbers), else on the candidate too."""
    def mapper(tasks):
        out = []
        for _, _, values, _, paths, seed, _ in tasks:
            v = values[0]
            key = [seed] if shared else [seed, int(v * 1000)]
            noise = np.random.default_rng(key).normal(0, noise_sd, paths)
            total = 1000 + 10 * (v - 3) ** 2 + noise
            out.append({"total": total, "worst_month": total / 3})
        return out
    return mapper


def test_common_random_numbers_make_the_paired_difference_exact() -> None:
    """With the same noise on every candidate, the difference from the best is 10 (v - 3)^2
    exactly, with a zero-width interval, however large the noise."""
    decisions = parse_decisions([f"{PATH}=1,2,3,4,6"])
    found = search(_exp(), decisions, "mean", [], 1, 2000, 7, _quadratic(500.0))
    assert found.best == (3.0,)
    t = found.table.set_index(PATH)
    for v in (1.0, 2.0, 4.0, 6.0):
        assert t.loc[v, "diff_vs_best"] == pytest.approx(10 * (v - 3) ** 2, abs=1e-9)
        assert t.loc[v, "diff_ci_high"] - t.loc[v, "diff_ci_low"] == pytest.approx(0.0, abs=1e-9)
    # v = 2 and v = 4 tie exactly (10 each): the earlier candidate ranks first
    assert t.loc[[1.0, 2.0, 3.0, 4.0, 6.0], "rank"].tolist() == [4, 2, 1, 3, 5]


def test_out_of_sample_rerun_uses_a_fresh_seed_and_reports_the_optimism() -> None:
    decisions = parse_decisions([f"{PATH}=1,2,3"])
    found = search(_exp(), decisions, "mean", [], 1, 5000, 7, _quadratic(100.0, shared=False))
    oos = found.out_of_sample
    assert oos["seed"] != 7
    assert oos["optimism"] == pytest.approx(oos["in_sample"] - oos["objective"])
    # independent noise: the fresh estimate of the winner lies within 4 SE of its true 1000
    assert abs(oos["objective"] - 1000) < 4 * oos["objective_se"]


def test_successive_halving_keeps_the_best_and_says_what_it_evaluated() -> None:
    """81 candidates (above the screening threshold): stages on 1/8, 1/4, 1/2 and all paths, the
    true best (v = 3) survives, and screened-out candidates keep their last stage without a rank."""
    decisions = parse_decisions([f"{PATH}=0:8:lin:81"])
    found = search(_exp(), decisions, "mean", [], 1, 4000, test_seed(3), _quadratic(50.0, shared=False))
    assert found.stages[0] == (81, 500) and found.stages[-1][1] == 4000
    assert all(c2 <= c1 for (c1, _), (c2, _) in zip(found.stages, found.stages[1:], strict=False))
    assert abs(found.best[0] - 3.0) <= 0.5
    t = found.table
    assert len(t) == 81 and t["rank"].notna().sum() == found.stages[-1][0]
    assert set(t.loc[t["rank"].isna(), "stage"]) <= set(range(1, len(found.stages)))


def test_a_chance_constraint_moves_the_winner() -> None:
    """P(total > 1050) <= 5%: with noise SD 40, candidates at (v - 3)^2 >= 0 ... only those whose
    mean plus 1.645 SD stays under 1050 qualify; v = 3 (mean 1000, P = 10.6%) does not."""
    decisions = parse_decisions([f"{PATH}=3,3.5"])
    mapper = _quadratic(40.0)

    def shifted(tasks):  # candidate 3.5 is cheaper in the tail: its noise is halved
        out = mapper(tasks)
        for task, fig in zip(tasks, out, strict=True):
            if task[2][0] == 3.5:
                fig["total"] = 1000 + 10 * 0.25 + (fig["total"] - 1000) / 2
        return out

    found = search(_exp(), decisions, "mean", [parse_constraint("P(total > 1050) <= 5%")], 1, 20_000, 5, shifted)
    assert found.best == (3.5,)
    row = found.table.set_index(PATH).loc[3.0]
    assert not row.feasible and row.constraint1_p == pytest.approx(0.106, abs=0.01)


@pytest.mark.parametrize("kind", ["mean", "p90", "p95", "cvar95"])
def test_objectives_and_their_errors(kind: str) -> None:
    x = np.random.default_rng(test_seed(2)).normal(100, 10, 40_000)
    truth = {"mean": 100, "p90": 112.8155, "p95": 116.4485, "cvar95": 100 + 10 * 2.062713}[kind]
    se = objective_se(x, kind)
    assert abs(objective(x, kind) - truth) < 4 * se
    assert objective_se(x, kind, x) == 0.0


def test_optimize_cli_writes_the_answer_exactly_on_a_fixed_experiment(tmp_path: Path, capsys) -> None:
    """All fixed: the self-hosted total is 3 x (GPU monthly + 8,175), the best GPU monthly of
    {900, 300, 600} is 300 and every figure, in and out of sample, is exact."""
    f = tmp_path / "fixed.toml"
    f.write_text(to_toml(fixed_doc()))
    out = tmp_path / "opt"
    assert main(["optimize", str(f), "--decide", f"{PATH}=900,300,600", "--out", str(out)]) == 0
    table = pd.read_csv(out / "optimize.csv")
    assert table[PATH].tolist() == [300.0, 600.0, 900.0]
    assert table.objective.tolist() == [25425.0, 26325.0, 27225.0]
    assert table.diff_vs_best.tolist() == [0.0, 900.0, 1800.0]
    assert "**$25,425 ± $0.00**" in (out / "optimize.md").read_text()
    assert (out / "optimize.png").stat().st_size > 10_000
    assert f"{PATH} = 300" in capsys.readouterr().out


def test_optimize_does_not_depend_on_the_worker_count(tmp_path: Path) -> None:
    from tests.conftest import EXPERIMENTS

    args = ["optimize", str(EXPERIMENTS / "reservation_lockin.toml"), "--decide",
            "options[3].provisioning.gpus=2,4", "--objective", "p90", "--paths", "300", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b"), "--workers", "2"]) == 0
    assert (tmp_path / "a" / "optimize.csv").read_bytes() == (tmp_path / "b" / "optimize.csv").read_bytes()


def test_optimize_on_a_dask_local_cluster_gives_the_same_bytes(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    from tests.conftest import EXPERIMENTS

    args = ["optimize", str(EXPERIMENTS / "reservation_lockin.toml"), "--decide",
            "options[3].provisioning.gpus=2,4", "--paths", "300", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "local")]) == 0
    assert main([*args, "--out", str(tmp_path / "dask"), "--dask", "local"]) == 0
    assert (tmp_path / "local" / "optimize.csv").read_bytes() == (tmp_path / "dask" / "optimize.csv").read_bytes()


@pytest.mark.parametrize("extra, message", [
    (["--decide", "options[1].costs[0].nothing=1,2"], "names no input"),
    (["--decide", "options[1].name=1,2"], '"options[1].name" is not a numeric input'),
    (["--decide", f"{PATH}=5..3"], "is an empty range"),
    (["--decide", f"{PATH}=1,2", "--subject-to", "P(latency > 3) <= 5%"], 'unknown metric "latency"'),
    (["--decide", f"{PATH}=1,2", "--subject-to", "total under 3"], "is not of the form"),
    (["--decide", f"{PATH}=1,2", "--objective", "median"], "invalid choice: 'median'"),
    (["--decide", "workload.monthly_growth=0,0.01"], "--option NAME is needed"),
    (["--decide", f"{PATH}=-5,1"], "options[1].costs[0].monthly"),
])
def test_bad_optimize_input_exits_2_and_writes_nothing(extra, message, tmp_path: Path, capsys) -> None:
    f = tmp_path / "fixed.toml"
    f.write_text(to_toml(fixed_doc()))
    out = tmp_path / "opt"
    with pytest.raises(SystemExit) if "--objective" in extra else _nothing():
        code = main(["optimize", str(f), *extra, "--out", str(out)])
        assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


def test_screening_never_runs_more_paths_than_asked() -> None:
    """41 candidates at 100 paths: no screening stage can use more than the 100 paths asked."""
    decisions = parse_decisions([f"{PATH}=0:8:lin:41"])
    found = search(_exp(), decisions, "mean", [], 1, 100, 3, _quadratic(10.0))
    assert found.stages == [(41, 100)] and set(found.table.paths) == {100}


def test_screening_a_quantile_objective_on_few_paths_keeps_half() -> None:
    """At 200 paths a P90 has no batch-means error (10 paths a batch): the stage keeps the better
    half by rank instead of dropping every candidate but the best."""
    decisions = parse_decisions([f"{PATH}=0:8:lin:41"])
    found = search(_exp(), decisions, "p90", [], 1, 1600, 3, _quadratic(10.0, shared=False))
    assert found.stages[:2] == [(41, 200), (21, 400)]
    assert abs(found.best[0] - 3.0) <= 0.5
