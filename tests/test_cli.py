"""End to end through the command line, in tmp_path: files, columns, manifest, atomic writes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli import main
from tests.conftest import EXPERIMENTS, ROOT
from tests.golden import golden_summary
from tests.golden import path_for as golden_path

REPORT_FILES = {"percentiles.csv", "summary.csv", "line_means.csv", "sensitivity.csv", "voi.csv", "report.md",
                "report.html", "manifest.json", "charts"}
CHARTS = {"monthly_fan.png", "monthly_fan_shared.png", "cumulative.png", "total_distribution.png", "cost_lines.png",
          "tail_risk.png", "capacity.png", "utilization.png"}  # the baseline declares its fleet: it is checked


def test_run_writes_the_whole_report(tmp_path: Path, capsys) -> None:
    out = tmp_path / "rep"
    assert main(["run", str(EXPERIMENTS / "article_baseline.toml"), "--out", str(out), "--paths", "50"]) == 0
    printed = capsys.readouterr().out
    assert "P50 total" in printed and "Self-hosted Llama 3.3 70B" in printed and "$159,300" in printed
    assert {p.name for p in out.iterdir()} == REPORT_FILES
    assert {p.name for p in (out / "charts").iterdir()} == CHARTS
    bands = pd.read_csv(out / "percentiles.csv")
    assert list(bands.columns) == ["option", "metric", "month", "percentile", "value"]
    assert {"monthly_cost", "cumulative_cost", "tco_multiplier"} <= set(bands.metric)
    assert set(bands.percentile) == {5, 25, 50, 75, 95}
    summary = pd.read_csv(out / "summary.csv")
    assert {"option", "mean", "total_p50", "total_p50_ci_low", "p_cheapest", "cvar95"} <= set(summary.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["paths"] == 50 and manifest["seed"] == 2026 and len(manifest["experiment_sha256"]) == 64
    assert {"numpy", "scipy", "pandas", "pydantic"} <= set(manifest["library_versions"])
    md = (out / "report.md").read_text()
    assert "## Claims check" in md and "differs by +150.0%" in md  # Together's $405 vs $162
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(CHARTS) and "<table>" in html


def test_csvs_are_byte_identical_across_workers(tmp_path: Path) -> None:
    exp = EXPERIMENTS / "article_uncertain.toml"
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["run", str(exp), "--out", str(a), "--paths", "20000", "--quiet"]) == 0
    assert main(["run", str(exp), "--out", str(b), "--paths", "20000", "--quiet", "--workers", "2",
                 "--chunk-paths", "8192"]) == 0
    for name in ("percentiles.csv", "summary.csv", "line_means.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_default_output_folder_is_reports_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(EXPERIMENTS / "article_baseline.toml"), "--paths", "5", "--quiet"]) == 0
    assert (tmp_path / "reports" / "article-baseline" / "report.md").exists()


def test_failed_write_keeps_the_previous_report(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "rep"
    exp = str(EXPERIMENTS / "article_baseline.toml")
    assert main(["run", exp, "--out", str(out), "--paths", "5", "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("sim.report.writer.charts_drawn", boom)
    assert main(["run", exp, "--out", str(out), "--paths", "7", "--quiet"]) == 1
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]  # no temp folder left


def test_validate_every_shipped_experiment(capsys) -> None:
    files = sorted(str(p) for p in EXPERIMENTS.glob("*.toml"))
    assert main(["validate", *files]) == 0
    assert capsys.readouterr().out.count(": ok (") == len(files)


@pytest.mark.parametrize("path", sorted(EXPERIMENTS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_experiments_match_their_golden_summary(path: Path) -> None:
    """Numbers, not only files: regenerate with `python -m tests.golden` when a change is meant."""
    golden = pd.read_csv(golden_path(path))
    now = pd.read_csv(io.StringIO(golden_summary(path).to_csv(index=False, float_format="%.12g")))
    assert list(now.columns) == list(golden.columns) and list(now.option) == list(golden.option)
    numbers = golden.select_dtypes("number").columns
    pd.testing.assert_frame_equal(now[numbers], golden[numbers], check_exact=False, rtol=1e-9, atol=1e-9)


def test_a_shipped_experiment_writes_its_report(tmp_path: Path) -> None:
    study = sim.run(sim.load_experiment(EXPERIMENTS / "article_uncertain.toml"), paths=500)
    study.write_report(tmp_path / "r")
    assert (tmp_path / "r" / "report.md").exists()


def test_the_stated_time_runs_from_started_to_the_last_table(tmp_path: Path) -> None:
    """With ``started`` the report states the time from then until its tables are written (they
    include the sensitivity and the value of information), in report.md and the manifest."""
    import json
    import time

    from sim.fmt import duration

    study = sim.run(sim.load_experiment(EXPERIMENTS / "article_uncertain.toml"), paths=300)
    before = time.perf_counter()
    study.write_report(tmp_path / "r", wall_time=1.0, started=before - 100.0)
    took = time.perf_counter() - before
    stated = json.loads((tmp_path / "r" / "manifest.json").read_text())["wall_time_s"]
    assert 100.0 <= stated <= 100.0 + took + 0.001
    assert f"Simulation and analysis took {duration(stated)}" in (tmp_path / "r" / "report.md").read_text()
    assert {"sensitivity", "voi"} <= set(study._tables)


def test_prices_lists_the_catalog(capsys) -> None:
    assert main(["prices"]) == 0
    out = capsys.readouterr().out
    assert "openai/gpt-4o" in out and "2.5" in out and "platform.claude.com" in out and "2026-11-27" in out


def test_litellm_price_file(tmp_path: Path, capsys) -> None:
    prices = {"sample_spec": {"max_tokens": 1},
              "my-model": {"input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06,
                           "cache_read_input_token_cost": 5e-07, "input_cost_per_token_batches": 1e-06,
                           "litellm_provider": "acme", "mode": "chat"}}
    (tmp_path / "prices.json").write_text(json.dumps(prices))
    exp_file = tmp_path / "e.toml"
    exp_file.write_text("""
[experiment]
name = "lite"
horizon_months = 1
paths = 3
price_file = "prices.json"
days_per_month = 30
[workload]
input_tokens_per_day = "1M"
output_tokens_per_day = "1M"
[[options]]
name = "m"
kind = "api"
catalog = "my-model"
""")
    exp = sim.load_experiment(exp_file)
    opt = exp.options[0]
    assert opt.input_per_million.mean == pytest.approx(2.0)
    assert opt.cached_input_per_million.mean == pytest.approx(0.5)
    assert opt.batch_discount.mean == pytest.approx(0.5)
    assert sim.run(exp).option("m").totals[0] == pytest.approx(30 * (2 + 8), rel=1e-6)
    assert main(["prices", "--file", str(tmp_path / "prices.json")]) == 0
    assert "my-model" in capsys.readouterr().out


def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "sim", "validate", str(EXPERIMENTS / "article_baseline.toml")],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    assert "ok (7 options, 12 months" in proc.stdout


def test_internal_errors_exit_1_without_traceback(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sim.engine.simulate_chunk", lambda *a, **k: 1 / 0)
    assert main(["run", str(EXPERIMENTS / "article_baseline.toml"), "--out", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError" in err and "Traceback" not in err


def test_progress_bar_only_when_enabled(capsys) -> None:
    from sim.progress import Progress

    quiet = Progress(enabled=False)
    quiet(10, 10)
    quiet.close()
    assert capsys.readouterr().err == ""
    bar = Progress(enabled=True)
    bar(5, 10)  # too early to bother the user
    assert capsys.readouterr().err == ""
    bar.delay = 0.0
    bar.stage("simulating", "paths")
    bar(10, 10)
    bar.close()
    err = capsys.readouterr().err
    assert "10/10 paths" in err and "100%" in err and err.endswith("\r")


def test_progress_bar_covers_every_stage() -> None:
    """The bar fills once over the whole run: a stage's end is the next stage's start, and the
    charts stage ends where writing begins, not at 100%."""
    import io

    from sim.progress import RUN_STAGES, Progress

    out = io.StringIO()
    bar = Progress(enabled=True, stages=RUN_STAGES, delay=0.0, stream=out)
    seen = []
    for name in RUN_STAGES:
        bar.stage(name, "steps")
        bar(1, 2)
        bar(2, 2)
        seen.append(out.getvalue().rsplit("]", 1)[1].split("%")[0])
    shares = [int(v) for v in seen]
    expected = [round(100 * sum(list(RUN_STAGES.values())[:k + 1]) / sum(RUN_STAGES.values()))
                for k in range(len(RUN_STAGES))]
    assert shares == expected and shares[-1] == 100
    assert shares == sorted(shares) and shares[0] < 100
