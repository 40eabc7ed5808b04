"""Nothing a user types deletes their files, crashes the tool or prints a wrong number: output
folders, kills and races, absurd numbers, names, price files, compare, memory, warnings."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from tests.conftest import BASE, EXPERIMENTS, ROOT, RawToml, write_doc

BASELINE = str(EXPERIMENTS / "article_baseline.toml")


def _run(out: Path, *extra: str) -> int:
    return main(["run", BASELINE, "--out", str(out), "--paths", "20", "--quiet", *extra])


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _debris(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tcosim-" in p.name)


# --- output folders: only ours is ever replaced ------------------------------------------------

def test_a_folder_that_is_not_a_report_is_refused_and_untouched(tmp_path: Path, capsys) -> None:
    user = tmp_path / "thesis"
    (user / "sub").mkdir(parents=True)
    (user / "thesis.txt").write_text("three years of work")
    before = _files(user)
    assert _run(user) == 2
    assert "is not a tcosim output" in capsys.readouterr().err
    assert _files(user) == before and (user / "sub").is_dir()
    assert _debris(tmp_path) == []


def test_a_report_with_a_user_file_added_is_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    assert _run(out) == 0
    (out / "my notes.txt").write_text("keep me")
    assert _run(out) == 2
    assert (out / "my notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("kind", ["file", "symlink", "empty-string", "parent-is-file"])
def test_files_links_and_empty_paths_are_refused(kind: str, tmp_path: Path, capsys) -> None:
    target = tmp_path / "x"
    if kind == "file":
        target.write_text("data")
    elif kind == "symlink":
        (tmp_path / "real").mkdir()
        target.symlink_to(tmp_path / "real")
    elif kind == "parent-is-file":
        (tmp_path / "f").write_text("data")
        target = tmp_path / "f" / "rep"
    out = "" if kind == "empty-string" else str(target)
    assert main(["run", BASELINE, "--out", out, "--paths", "5", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "Traceback" not in err
    if kind == "file":
        assert target.read_text() == "data"
    if kind == "symlink":
        assert target.is_symlink() and not any((tmp_path / "real").iterdir())


def test_our_own_report_is_replaced_and_an_empty_folder_is_used(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    out.mkdir()
    assert _run(out) == 0
    first = json.loads((out / "manifest.json").read_text())
    assert first["tool"] == "tcosim" and "summary.csv" in first["files"] and "charts/cumulative.png" in first["files"]
    assert main(["run", BASELINE, "--out", str(out), "--paths", "30", "--quiet"]) == 0
    assert json.loads((out / "manifest.json").read_text())["paths"] == 30
    assert _debris(tmp_path) == []


def test_a_report_of_an_older_version_is_still_ours(tmp_path: Path) -> None:
    out = tmp_path / "old"
    (out / "charts").mkdir(parents=True)
    (out / "summary.csv").write_text("option\nx\n")
    (out / "charts" / "total_distribution.png").write_bytes(b"png")
    (out / "manifest.json").write_text(json.dumps({"tool": "tcosim", "paths": 1}))
    assert _run(out) == 0
    (tmp_path / "old-sweep").mkdir()
    (tmp_path / "old-sweep" / "sweep.csv").write_text("value\n1\n")
    from sim.report.folder import is_ours

    assert is_ours(tmp_path / "old-sweep")


# --- kills, crashes and races: always a complete report, never debris --------------------------

def _script(body: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(body)]


def _spawn(body: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(_script(body), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


def _wait_for(predicate, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_a_kill_during_the_write_leaves_the_old_report_and_the_next_run_cleans_up(
        signum: int, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    assert _run(out) == 0
    before = _files(out)
    # a writer that stops at its charts, in the half-written folder
    proc = _spawn(f"""
        import time, sim.report.writer as w
        def stall(*a, **k):
            open({str(tmp_path / 'stalled')!r}, 'w').close()
            time.sleep(600)
        w.charts_drawn = stall
        from sim.cli import main
        raise SystemExit(main(["run", {BASELINE!r}, "--out", {str(out)!r}, "--paths", "40", "--quiet"]))
    """)
    _wait_for(lambda: (tmp_path / "stalled").exists())
    assert _debris(tmp_path)  # the half-written folder exists now
    proc.send_signal(signum)
    proc.wait(timeout=30)
    assert _files(out) == before  # the old report, complete and unchanged
    if signum == signal.SIGTERM:
        assert proc.returncode == 143 and _debris(tmp_path) == []  # cleaned up on the way out
        assert "Traceback" not in proc.stderr.read()
    assert _run(out) == 0  # the next run removes what the killed one left
    assert _debris(tmp_path) == []
    assert json.loads((out / "manifest.json").read_text())["paths"] == 20


def test_a_kill_between_the_fallback_renames_is_recovered_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    assert _run(out) == 0
    before = _files(out)
    # no atomic exchange (as on filesystems without it): die right after parking the old report
    proc = _spawn(f"""
        import os, signal, sim.report.folder as f
        f._exchange = lambda a, b: False
        real = os.rename
        def rename(a, b):
            real(a, b)
            if ".tcosim-old-" in str(b):
                os.kill(os.getpid(), signal.SIGKILL)
        f.os.rename = rename
        from sim.cli import main
        main(["run", {BASELINE!r}, "--out", {str(out)!r}, "--paths", "40", "--quiet"])
    """)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists() and any(".tcosim-old-" in n for n in _debris(tmp_path))
    from sim.report.folder import recover

    recover(out)  # what the next writer does first, under the lock
    assert _files(out) == before
    assert _run(out) == 0 and _debris(tmp_path) == []


def test_the_exchange_is_atomic_on_linux(tmp_path: Path) -> None:
    from sim.report.folder import _exchange

    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux only")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("b")
    assert _exchange(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "a" / "x").read_text() == "b" and (tmp_path / "b" / "x").read_text() == "a"


def test_concurrent_writers_take_turns(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    procs = [_spawn(f"""
        from sim.cli import main
        raise SystemExit(main(["run", {BASELINE!r}, "--out", {str(out)!r}, "--paths", "{n}", "--quiet"]))
    """) for n in (30, 31, 32)]
    codes = [p.wait(timeout=120) for p in procs]
    assert codes == [0, 0, 0], [p.stderr.read() for p in procs]
    assert json.loads((out / "manifest.json").read_text())["paths"] in (30, 31, 32)
    assert {"summary.csv", "report.md", "report.html"} <= set(os.listdir(out))
    assert _debris(tmp_path) == []


def _default_sigint() -> None:
    """A background job starts its children with SIGINT ignored, and the ignore survives exec; a
    user's terminal does not: restore the default in the child, as a terminal would have it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_workers_die_with_their_parent(signum: int, tmp_path: Path) -> None:
    exp = EXPERIMENTS / "article_uncertain.toml"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "run", str(exp), "--paths", "2000000", "--workers", "2",
                             "--out", str(tmp_path / "r"), "--quiet"], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    _wait_for(lambda: len(_children(proc.pid)) >= 2)
    workers = _children(proc.pid)
    proc.send_signal(signum)
    proc.wait(timeout=120)
    _wait_for(lambda: not any(_alive(w) for w in workers), timeout=60)
    if signum != signal.SIGKILL:
        assert proc.returncode == (143 if signum == signal.SIGTERM else 130)
        assert "Traceback" not in proc.stderr.read()
    assert not (tmp_path / "r").exists() and _debris(tmp_path) == []


# --- input at fault: exit 2 naming the field, never exit 1 --------------------------------------

def _doc(**changes) -> dict:
    doc = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = doc
        keys = [int(k) if k.isdigit() else k for k in path.split("__")]
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return doc


def _nest(depth: int, leaf: str, kind: str) -> RawToml:
    """TOML text nested ``depth`` levels deep (built as text: too deep to build as data)."""
    value = leaf
    for _ in range(depth):
        value = (f'{{ dist = "mixture", components = [{value}, 1], weights = [0.5, 0.5] }}' if kind == "mixture"
                 else f"{{ x = {value} }}" if kind == "table" else f"[{value}]")
    return RawToml(value)


INPUT_AT_FAULT = [
    ("price_1e40", {"options__0__output_per_million": 1e40}, "options[0].output_per_million: its P95 is 1e+40"),
    ("price_1e308", {"options__1__costs__1__monthly": 1e308}, "options[1].costs[1].monthly: its P95 is"),
    ("lognormal_mu_100", {"options__1__costs__1__monthly": {"dist": "lognormal", "mu": 100, "sigma": 1}},
     "plausible ceiling of 1e+09 $/month"),
    ("lognormal_sigma_50", {"options__1__costs__1__monthly": {"dist": "lognormal", "mu": 1, "sigma": 50}},
     "options[1].costs[1].monthly: its P95 is"),
    ("gpu_hour_2000", {"options__1__costs__0__hourly_price": 2000}, "above the plausible ceiling of 1,000 $/GPU-hour"),
    ("event_rate_1e12", {"options__1__costs__1": {"item": "Ops", "events_per_year": 1e12, "cost_per_event": 10}},
     "options[1].costs[1].events_per_year: its P95 is 1e+12 per year"),
    ("nested_mixture_200", {"options__1__costs__1__monthly": _nest(200, "5", "mixture")}, "nested too deeply"),
    ("nested_table_200", {"options__1__costs__1__monthly": _nest(200, "5", "table")}, "nested more than 24 levels"),
    ("nested_array_200", {"options__1__costs__1__monthly": _nest(200, "5", "array")}, "nested more than 24 levels"),
    ("horizon_600", {"experiment__horizon_months": 600}, "experiment.horizon_months: must be <= 240, got 600"),
    ("growth_20pct_240m", {"experiment__horizon_months": 240, "workload__monthly_growth": 0.2},
     "workload.monthly_growth: at its P95 growth, traffic would reach"),
    ("growth_5_to_15", {"workload__monthly_growth": "5 to 15"}, 'write percentages with "%"'),
    ("growth_below_minus_100", {"workload__monthly_growth": -1.5}, "workload.monthly_growth: must be >= -1"),
    ("gbm_explodes", {"experiment__horizon_months": 60,
                      "options__1__costs__0__hourly_price": {"process": "gbm", "start": 2, "drift": 3,
                                                             "volatility": 0.2}},
     "options[1].costs[0].hourly_price: this process reaches"),
    ("jump_rate_absurd", {"options__1__costs__0__hourly_price": {"process": "gbm", "start": 2, "volatility": 0.2,
                                                                 "jumps": {"rate_per_year": 1e9, "size": 0.1}}},
     "jumps are rare events"),
    ("inf_budget", {"budget": {"total": float("inf")}}, "budget.total: must be a finite number"),
]


@pytest.mark.parametrize("case", INPUT_AT_FAULT, ids=[c[0] for c in INPUT_AT_FAULT])
def test_input_at_fault_exits_2_naming_the_field(case, tmp_path: Path, capsys) -> None:
    _, changes, expected = case
    f = write_doc(tmp_path, _doc(**changes))
    assert main(["run", str(f), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert sorted(os.listdir(tmp_path)) == ["exp.toml"]


def test_too_many_paths_are_refused_up_front_with_what_fits(tmp_path: Path, capsys) -> None:
    t0 = time.perf_counter()
    assert main(["run", BASELINE, "--paths", "1000000000", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "1,000,000,000 paths need about" in err and "paths fit" in err
    assert time.perf_counter() - t0 < 10 and not (tmp_path / "o").exists()


def test_the_memory_estimate_and_its_arithmetic() -> None:
    from sim.memory import Estimate, MemoryLimit, check_fits

    est = Estimate(per_path=1000.0, fixed=1e6)
    check_fits(est, 1000, available=10e6)  # 2e6 of 8.5e6 usable: fits
    with pytest.raises(MemoryLimit, match=r"at most 7,500 paths fit"):
        check_fits(est, 10_000, available=10e6)  # (0.85 x 10e6 - 1e6) / 1000 = 7,500
    with pytest.raises(MemoryLimit, match="not even one path fits"):
        check_fits(est, 1, available=1e6)


@pytest.mark.slow
def test_the_memory_estimate_bounds_the_measured_peak() -> None:
    """Estimated peak vs measured max RSS of a fresh process running analysis and scenarios."""
    code = """
        import resource, sim
        from sim.memory import estimate
        exp = sim.load_experiment("experiments/article_uncertain.toml")
        r = sim.run(exp, paths=150_000)
        r.run_scenarios(); r.percentiles(); r.summary(); r.sensitivity()
        e = estimate(exp, r.result.line_bands, False, 1, r.result.chunk_paths)
        print(e.bytes(150_000), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    """
    out = subprocess.run(_script(code), cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    estimated, measured = float(out[0]), float(out[1])
    assert 1.0 <= estimated / measured <= 1.6, (estimated, measured)


def test_scenarios_keep_totals_only() -> None:
    res = sim.run(sim.load_experiment(EXPERIMENTS / "article_uncertain.toml"), paths=300)
    runs = res.run_scenarios()
    for _, scenario in runs:
        for opt in scenario.options:
            assert opt.by_month is None and opt.lines == [] and opt.metrics == {}
            assert opt.totals.shape == (300,) and opt.worst_month.shape == (300,)
    # the totals are those of a full run of the same scenario
    from sim.stress import apply_scenario

    full = sim.run(apply_scenario(res.experiment, res.experiment.scenarios[0]), paths=300)
    assert np.array_equal(full.options[6].totals, runs[0][1].options[6].totals)
    assert np.array_equal(full.options[6].worst_month, runs[0][1].options[6].worst_month)


def test_precision_and_sweep_sizes_are_bounded(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", BASELINE, "--precision", "1e-300"])
    assert info.value.code == 2 and "--precision must lie between 0.01% and 100%" in capsys.readouterr().err
    f = write_doc(tmp_path, BASE)
    assert main(["sweep", str(f), "--vary", "workload.tokens_per_day=1:2:lin:100000000000",
                 "--out", str(tmp_path / "s")]) == 2
    assert "100,000,000,000 points; a sweep has at most 1,000" in capsys.readouterr().err


@pytest.mark.parametrize("vary,expected", [
    ("workload.tokens_per_day=-5M,1M", "workload.input_tokens_per_day: must be >= 0, got -4.16667e+06"),
    ("options[1].costs[0].gpus=-2,3", "--vary options[1].costs[0].gpus=-2: options[1].costs[0].gpus: must be >= 0"),
    ("options[1].costs[0].hourly_price=1,5000", "above the plausible ceiling of 1,000 $/GPU-hour"),
])
def test_a_sweep_checks_every_value_like_the_file(vary: str, expected: str, tmp_path: Path, capsys) -> None:
    f = write_doc(tmp_path, BASE)
    assert main(["sweep", str(f), "--vary", vary, "--out", str(tmp_path / "s"), "--paths", "50"]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert not (tmp_path / "s").exists()


# --- scenarios whose numbers would be wrong ------------------------------------------------------

def _scenario(*shocks: dict) -> dict:
    doc = copy.deepcopy(BASE)
    doc["scenarios"] = [{"name": "s", "shocks": list(shocks)}]
    return doc


SHOCKS = [
    ("negative_gpu_price", {"target": "options[1].costs[0].hourly_price", "set": -45}, "shocks[0].set: must be >= 0"),
    ("inf_price", {"target": "options[1].costs[0].hourly_price", "set": float("inf")}, "must be a finite number"),
    ("growth_below_minus_100", {"target": "workload.monthly_growth", "set": -2}, "shocks[0].set: must be >= -1"),
    ("multiply_absurd", {"target": "options[1].costs[0].hourly_price", "multiply": 1e6},
     "above the plausible ceiling of 1,000 $/GPU-hour"),
    ("after_horizon", {"target": "workload.tokens", "multiply": 2, "from_month": 7},
     "shocks[0].from_month: 7 is past horizon_months (6)"),
    ("traffic_absurd", {"target": "workload.tokens", "multiply": 1e9}, "outside [0, 1000]"),
    ("add_line_duplicate", {"add_line": "Ops", "option": "self", "monthly": 5}, '"Ops" is already a line of "self"'),
    ("add_line_token_line", {"add_line": "Input Tokens", "option": "api", "monthly": 5},
     'is already a line of "api" ("input tokens")'),
]


@pytest.mark.parametrize("case", SHOCKS, ids=[c[0] for c in SHOCKS])
def test_bad_shocks_exit_2(case, tmp_path: Path, capsys) -> None:
    _, shock, expected = case
    f = write_doc(tmp_path, _scenario(shock))
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "scenarios[0]." in err and expected in err, err


# --- names and text -----------------------------------------------------------------------------

NAMES = [
    ("blank_option", {"options__1__name": "   "}, "options[1].name: must not be blank"),
    ("case_only", {"options__1__name": "API"}, "“api” and “API” read the same"),
    ("lookalike", {"options__1__name": "аpi"}, "read the same"),  # Cyrillic а
    ("fullwidth", {"options__1__name": "ａｐｉ"}, "read the same"),
    ("long_experiment_name", {"experiment__name": "x" * 300}, "experiment.name: is 300 characters long; at most 64"),
    ("escape_in_name", {"options__1__name": "evil\x1b[31mred"}, "contains a control or invisible character (U+001B)"),
    ("zero_width", {"options__1__name": "se\u200blf"}, "(U+200B)"),
    ("item_case_clash", {"options__1__costs__1__item": "gpu"}, "“GPU” and “gpu” read the same"),
    ("item_takes_generated_name", {"options__0__costs": [{"item": "Output tokens", "monthly": 1}]},
     'is the name of a line tcosim prices for this option ("output tokens")'),
]


@pytest.mark.parametrize("case", NAMES, ids=[c[0] for c in NAMES])
def test_names_must_be_printable_bounded_and_distinct(case, tmp_path: Path, capsys) -> None:
    _, changes, expected = case
    f = write_doc(tmp_path, _doc(**changes))
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert "\x1b" not in err  # raw escape sequences never reach the terminal


def test_a_raw_escape_in_a_value_is_escaped_in_the_error(tmp_path: Path, capsys) -> None:
    f = write_doc(tmp_path, _doc(options__0__input_per_million="\x1b[2J\x1b[31mboom"))
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "\\x1b[2J" in err and "\x1b" not in err


def test_a_huge_description_is_capped_in_the_report(tmp_path: Path) -> None:
    doc = _doc(experiment__description="lorem ipsum " * 200_000)  # 2.4 MB
    res = sim.run(sim.parse_experiment(doc), paths=20)
    res.write_report(tmp_path / "r")
    md = (tmp_path / "r" / "report.md").read_text()
    assert len(md) < 200_000 and "(cut: 2,400,000 characters in the file)" in md
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (5 * 2**20) + "\n")
    assert main(["validate", str(big)]) == 2


# --- price files ----------------------------------------------------------------------------------

def _price_file(tmp_path: Path, row: dict) -> Path:
    path = tmp_path / "prices.json"
    good = {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "mode": "chat"}
    path.write_text(json.dumps({"sample_spec": {"max_tokens": 1}, "ok": good, "m": {**good, **row}}))
    return path


@pytest.mark.parametrize("row,expected", [
    ({"input_cost_per_token": -1e-6}, '"m".input_cost_per_token: must be >= 0'),
    ({"output_cost_per_token": float("nan")}, '"m".output_cost_per_token: must be a finite number'),
    ({"output_cost_per_token": float("inf")}, '"m".output_cost_per_token: must be a finite number'),
    ({"input_cost_per_token": 5.0}, "above the plausible ceiling of 10,000"),
    ({"input_cost_per_token": "cheap"}, "expected a number, got str"),
    ({"input_cost_per_token_batches": 2e-6}, "the batch price (2e-06) is dearer than the list price (1e-06)"),
    ({"cache_creation_input_token_cost": -1.0}, '"m".cache_creation_input_token_cost: must be >= 0'),
    ({"input_cost_per_token_above_200k_tokens": 1e9}, '"m".input_cost_per_token_above_200k_tokens: 1e+09'),
])
def test_a_bad_entry_is_refused_by_name_and_an_experiment_using_it_exits_2(row, expected, tmp_path: Path,
                                                                          capsys) -> None:
    """LiteLLM's own file has entries priced in the wrong unit ($15,000 per million): an entry is
    refused, not the file; the listing names it, and an experiment that uses it exits 2."""
    prices = _price_file(tmp_path, row)
    assert main(["prices", "--file", str(prices)]) == 0
    out = capsys.readouterr().out
    assert "refused m: " in out and expected.replace('"m".', "") in out and "1 refused" in out
    doc = _doc(experiment__price_file="prices.json")
    doc["options"][0] = {"name": "api", "kind": "api", "catalog": "m"}
    f = write_doc(tmp_path, doc)
    assert main(["run", str(f), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "options[0].catalog: the price file's entry " in err and expected in err
    assert not (tmp_path / "o").exists()


def test_a_file_with_no_usable_entry_exits_2(tmp_path: Path, capsys) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"m": {"input_cost_per_token": -1, "output_cost_per_token": 0, "mode": "chat"},
                                "e": {"input_cost_per_token": 1e-7, "output_cost_per_token": 0, "mode": "embedding"}}))
    assert main(["prices", "--file", str(path)]) == 2
    assert 'no chat or completion entry with usable per-token prices (1 refused, e.g. "m".input_cost_per_token' \
        in capsys.readouterr().err


def test_a_deeply_nested_or_broken_price_file(tmp_path: Path, capsys) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["prices", "--file", str(deep)]) == 2
    assert "nested too deeply" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_bytes(b"\xff\xfe{")
    assert main(["prices", "--file", str(broken)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


# --- compare ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("content,expected", [
    (b"", "not a readable summary table"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a"),
    (b"a,b\n1,2\n", 'no "option" column'),
])
def test_compare_of_an_unreadable_summary_exits_2(content: bytes, expected: str, tmp_path: Path, capsys) -> None:
    good = tmp_path / "good"
    assert _run(good) == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "summary.csv").write_bytes(content)
    assert main(["compare", str(good), str(bad), "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and "internal error" not in err


def test_compare_with_no_option_in_common_exits_2_and_lists_them(tmp_path: Path, capsys) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(a) == 0
    other = write_doc(tmp_path, BASE)
    assert main(["run", str(other), "--out", str(b), "--paths", "20", "--quiet"]) == 0
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "nothing to compare" in err and "GPT-4o" in err and "self" in err
    pd.testing.assert_frame_equal(pd.read_csv(a / "summary.csv"), pd.read_csv(a / "summary.csv"))


def test_compare_lists_options_on_one_side(tmp_path: Path, capsys) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    doc = copy.deepcopy(BASE)
    assert main(["run", str(write_doc(tmp_path, doc, "a.toml")), "--out", str(a), "--paths", "20", "--quiet"]) == 0
    doc["options"].append({"name": "extra", "kind": "api", "input_per_million": 1, "output_per_million": 2})
    assert main(["run", str(write_doc(tmp_path, doc, "b.toml")), "--out", str(b), "--paths", "20", "--quiet"]) == 0
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "c")]) == 0
    assert "only in after: extra" in capsys.readouterr().out


def test_compare_writes_under_reports_by_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert _run(tmp_path / "x") == 0
    assert main(["compare", "x", "x"]) == 0
    assert (tmp_path / "reports" / "compare" / "x-vs-x" / "compare.csv").is_file()
    assert not (tmp_path / "compare.csv").exists()


# --- every CSV finite; no Python warning ----------------------------------------------------------

def test_no_warning_and_every_csv_finite_at_the_edges(tmp_path: Path, capsys) -> None:
    doc = _doc(experiment__horizon_months=240, workload__monthly_growth="2% to 4%",
               options__1__costs__1__monthly={"dist": "lognormal", "median": 500, "p95": 5e5})
    f = write_doc(tmp_path, doc)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = sim.run(sim.load_experiment(f), paths=500)
        res.write_report(tmp_path / "r")
    for csv in (tmp_path / "r").glob("*.csv"):
        numbers = pd.read_csv(csv).select_dtypes("number").to_numpy(dtype=float)
        assert np.isfinite(numbers[~np.isnan(numbers)]).all(), csv
        assert not np.isinf(numbers).any(), csv
    assert main(["run", str(f), "--out", str(tmp_path / "r2"), "--paths", "200"]) == 0
    printed = capsys.readouterr()
    assert "Warning" not in printed.err + printed.out


def test_overflowing_costs_are_caught_before_any_report(tmp_path: Path) -> None:
    exp = sim.parse_experiment(copy.deepcopy(BASE))
    from distributions import Fixed

    exp.options[1].costs[1].monthly = Fixed(1e308)  # past validation, as a notebook user could
    with pytest.raises(sim.ExperimentError, match=r"options\[1\]: \"self\" costs overflow"):
        sim.run(exp, paths=10)
