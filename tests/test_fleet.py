"""Every fleet checked against its load: a declared fleet's shortfall by hand (unserved, or priced
at its overflow API), the warning for an unchecked one, the cheapest feasible setup among
candidates, the point calculator, sweeps that report and price the shortfall, the multiplier with
its GPUs, and bad fleets and candidate lists refused by field."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.capacity import INFEASIBLE_SHARE
from sim.capacity.calculator import Point, PointError, point_lines, replica_of
from sim.capacity.catalog import gpus, models
from sim.capacity.serving import Replica, plan, under_load
from sim.capacity.sizing import Setup
from sim.cli import main
from sim.gpu_market import on_demand_range
from sim.loader import parse_experiment
from sim.report.axes import share_axis
from sim.sweep import break_even, infeasible_from, sweep
from tests.conftest import to_toml

H100 = gpus()["h100-sxm"]
DAYS = 30.0


def _spot() -> float:
    """Replica-seconds per output token of Llama 3.1 8B bf16 on one H100 at the fleet defaults
    (50 ms per output token, 2 s to first token) for 1000-token prompts and 200-token answers."""
    rep = Replica(models()["llama-3.1-8b"], H100, "bf16", "bf16", 1)
    return float(plan(rep, 1000.0, 200.0, 0.0, 0.05, 2.0, 256, 1.0).seconds_per_output_token)


def _volume(load: float) -> float:
    """Input tokens a day that keep ``load`` replicas busy on average (output = input / 5)."""
    return load / (200 * _spot()) * 86_400 * 1000


def _fleet_doc(input_per_day: float, **fleet) -> dict:
    return {
        "experiment": {"name": "fleet", "horizon_months": 12, "paths": 50, "seed": 3, "days_per_month": DAYS},
        "workload": {"input_tokens_per_day": input_per_day, "output_tokens_per_day": input_per_day / 5},
        "options": [
            {"name": "api", "kind": "api", "input_per_million": 0.9, "output_per_million": 0.9},
            {"name": "self", "kind": "self_hosted",
             "fleet": {"model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": 3, "prompt_tokens": 1000,
                       "server_speedup": 1.0, "peak_to_average": 2.0, "burst_factor": 1.0, "utilization_cap": 1.0,
                       **fleet},
             "costs": [{"item": "GPUs", "category": "gpu", "gpus": 3, "hourly_price": 2.0, "hours_per_month": 720},
                       {"item": "People", "category": "people", "monthly": 1000}]},
        ],
    }


def test_a_declared_fleet_too_small_leaves_the_hand_computed_share_unserved() -> None:
    """Mean load 2.5 replicas, peak 2x on a linear day: the peak is 5 and the day's work above 3
    replicas is (1 - 3/5)^2 = 16% of it (sim/capacity/sizing.py, overflow_fraction)."""
    study = sim.run(parse_experiment(_fleet_doc(_volume(2.5))))
    opt = study.option("self")
    tokens = study.result.tokens
    np.testing.assert_allclose(opt.metrics["shortfall_tokens"], 0.16 * tokens, rtol=1e-9)
    np.testing.assert_allclose(opt.metrics["unserved_tokens"], 0.16 * tokens, rtol=1e-9)
    assert np.all(opt.metrics["gpus"] == 3) and np.all(opt.metrics["overflow_cost"] == 0)
    assert np.all(opt.by_month == np.float32(3 * 720 * 2.0 + 1000))  # the bill is the bill
    row = study.summary().set_index("option").loc["self"]
    assert row.unserved_share_p50 == pytest.approx(0.16, rel=1e-6)  # metrics are kept in single precision
    assert row.tco_gpus == 3 and row.tco_multiplier_p50 == pytest.approx((4320 + 1000) / 4320)
    assert any("16% of the tokens" in note for note in study.notes())


def test_the_shortfall_overflows_at_the_api_prices_and_a_spare_serves_nothing() -> None:
    doc = _fleet_doc(_volume(1.5), gpus=5, tensor_parallel=2, spare_replicas=1, overflow="api")
    study = sim.run(parse_experiment(doc))
    opt, tokens = study.option("self"), study.result.tokens
    rep = Replica(models()["llama-3.1-8b"], H100, "bf16", "bf16", 2)
    spot = float(plan(rep, 1000.0, 200.0, 0.0, 0.05, 2.0, 256, 1.0).seconds_per_output_token)
    load = _volume(1.5) / 86_400 / 1000 * 200 * spot  # replicas of two GPUs busy on average
    frac = (1 - 1 / (2 * load)) ** 2  # 5 GPUs form 2 pairs, one of them a spare: 1 serves
    assert 0.01 < frac < 0.9
    np.testing.assert_allclose(opt.metrics["shortfall_tokens"], frac * tokens, rtol=1e-9)
    assert np.all(opt.metrics["unserved_tokens"] == 0)
    overflow = next(line for line in opt.lines if line.item == "Overflow to api")
    np.testing.assert_allclose(overflow.totals, (frac * tokens).sum(axis=0) * 0.9 / 1e6, rtol=1e-6)
    assert np.all(opt.metrics["gpus"] == 5)


def test_a_fleet_that_carries_its_load_leaves_nothing_and_reports_busy_time() -> None:
    study = sim.run(parse_experiment(_fleet_doc(_volume(0.3))))
    opt = study.option("self")
    assert np.all(opt.metrics["shortfall_tokens"] == 0) and not study.notes()
    # three replicas share 0.3 replica-loads: utilisation 10%; busy far more (one request runs whole steps)
    np.testing.assert_allclose(opt.metrics["utilization"], 0.1, rtol=1e-6)
    assert np.all(opt.metrics["busy_fraction"] > 3 * opt.metrics["utilization"])


def test_an_unchecked_self_hosted_option_is_flagged_in_the_summary_and_report(tmp_path: Path, capsys) -> None:
    doc = _fleet_doc(1e6)
    del doc["options"][1]["fleet"]
    f = tmp_path / "u.toml"
    f.write_text(to_toml(doc))
    assert main(["run", str(f), "--out", str(tmp_path / "r"), "--paths", "20"]) == 0
    note = "“self”: its GPUs are not checked against the workload"
    assert f"note: {note}" in capsys.readouterr().out
    assert f"**Note:** {note}" in (tmp_path / "r" / "report.md").read_text(encoding="utf-8")


def _choice_doc(tokens: float, gpu, tp="auto", model="llama-3.1-8b", precision="bf16") -> dict:
    return {
        "experiment": {"name": "choice", "horizon_months": 12, "paths": 100, "seed": 8, "days_per_month": DAYS},
        "workload": {"input_tokens_per_day": tokens, "output_tokens_per_day": tokens / 5},
        "options": [
            {"name": "api", "kind": "api", "input_per_million": 0.9, "output_per_million": 0.9},
            {"name": "self", "kind": "self_hosted",
             "capacity": {"model": model, "gpu": gpu, "tensor_parallel": tp, "precision": precision,
                          "prompt_tokens": 1000, "server_speedup": 1.0, "peak_to_average": 2.0, "spare_replicas": 0},
             "provisioning": {"policy": "on_demand", "hours_per_month": 720}},
        ],
    }


def _median_price(gpu: str) -> float:
    low, high = on_demand_range(gpu, "gpu_cloud")
    return math.sqrt(low * high)  # the lognormal median of "low to high"


def test_at_a_small_volume_the_cheapest_single_gpu_wins_by_hand() -> None:
    """One replica is enough for every candidate, so the cost is 12 x 720 GPU-hours x width x the
    GPU-cloud catalog median: the A100 at TP1 (about $1.10 an hour) beats every L40S, H100 and H200
    setup."""
    res = sim.run(parse_experiment(_choice_doc(1e5, ["h100-sxm", "h200", "a100-80gb", "l40s"]))).result
    choice = res.setups[1]
    assert choice.setup == Setup("a100-80gb", 1) and len(choice.candidates) == 16
    for c in choice.candidates:
        if c.feasible:
            assert c.replicas == 1 and c.cost == pytest.approx(12 * 720 * c.setup.tp * _median_price(c.setup.gpu))
    assert choice.winner.cost == min(c.cost for c in choice.candidates if c.feasible)
    gpus_used = res.option("self").metrics["gpus"]
    assert np.all(gpus_used == 1)
    bill = res.option("self").lines[0].totals
    assert np.all(bill > 0) and res.experiment.options[1].capacity.gpu == "a100-80gb"


def test_tensor_parallel_auto_skips_widths_that_cannot_hold_the_weights() -> None:
    doc = _choice_doc(1e6, "h100-sxm", model="llama-3.3-70b")
    doc["options"][1]["provisioning"]["hourly_price"] = 2.5  # one GPU: its own price is allowed
    res = sim.run(parse_experiment(doc), paths=50).result
    choice = res.setups[1]
    reasons = {c.setup.tp: c.why_not for c in choice.candidates}
    assert "needs 141 GB of weights" in reasons[1] and choice.setup == Setup("h100-sxm", 2)
    assert np.all(res.option("self").metrics["gpus"] % 2 == 0)
    assert all(c.price == 2.5 for c in choice.candidates if c.feasible)


def test_the_report_and_the_capacity_command_show_the_candidates(tmp_path: Path, capsys) -> None:
    f = tmp_path / "c.toml"
    f.write_text(to_toml(_choice_doc(1e5, ["h100-sxm", "l40s"], tp=1)))
    assert main(["run", str(f), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    report = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "### self: the setup chosen" in report and "| l40s | 1.0 |" in report and "**chosen**" in report
    assert main(["capacity", str(f), "--paths", "100"]) == 0
    out = capsys.readouterr().out
    assert "setups considered at the P90 demand" in out and "chosen" in out and "busy" in out


BAD = [
    (("fleet", "gpu"), "h300", 'options[1].fleet.gpu: "h300" is not in the GPU catalog (known: h100-sxm'),
    (("fleet", "model"), "llama-3.3-70b", "options[1].fleet.tensor_parallel: llama-3.3-70b in bf16 needs 141 GB"),
    (("fleet", "tensor_parallel"), 4, "options[1].fleet.gpus: 3 GPUs form no replica of 4 GPUs"),
    (("fleet", "spare_replicas"), 3, "options[1].fleet.spare_replicas: 3 replica(s) and 3 spare(s): none would serve"),
    (("fleet", "tpot_slo_ms"), 2, "options[1].fleet.tpot_slo_ms: no batch meets 2 ms per output token"),
    (("fleet", "overflow"), "nobody", 'options[1].fleet.overflow: "nobody" names no API option'),
]


@pytest.mark.parametrize("path,value,message", BAD, ids=[b[0][1] for b in BAD])
def test_a_bad_fleet_exits_2_naming_the_field(path, value, message, tmp_path: Path, capsys) -> None:
    doc = _fleet_doc(1e6)
    doc["options"][1][path[0]][path[1]] = value
    f = tmp_path / "bad.toml"
    f.write_text(to_toml(doc))
    assert main(["run", str(f), "--out", str(tmp_path / "out")]) == 2
    assert f"{f}: {message}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


BAD_CHOICE = [
    (["h100-sxm", "b300"], {}, 'options[1].capacity.gpu: "b300" is not in the GPU catalog'),
    (["a100-80gb"], {"precision": "fp8", "model": "llama-3.3-70b"},
     "options[1].capacity.gpu: no candidate setup serves llama-3.3-70b within the SLOs (a100-80gb: a100-80gb has "
     "no FP8 tensor cores"),
    (["h100-sxm", "h200"], {"tpot_slo_ms": 1}, "options[1].capacity.gpu: no candidate setup serves llama-3.1-8b "
     "within the SLOs (h100-sxm: no batch meets 1 ms per output token"),
    (["h100-sxm", "h200"], {"model": "llama-3.1-405b", "tensor_parallel": 2},
     "options[1].capacity.gpu: no candidate setup serves llama-3.1-405b within the SLOs (2 × h100-sxm: "
     "llama-3.1-405b in bf16 needs 812 GB"),
]


@pytest.mark.parametrize("gpu,change,message", BAD_CHOICE, ids=["unknown", "none-fits", "slo", "too-small"])
def test_a_candidate_list_no_setup_of_which_serves_exits_2(gpu, change, message, tmp_path: Path, capsys) -> None:
    doc = _choice_doc(1e6, gpu)
    doc["options"][1]["capacity"].update(change)
    f = tmp_path / "bad.toml"
    f.write_text(to_toml(doc))
    assert main(["run", str(f), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{f}: {message}" in err, err
    assert not (tmp_path / "out").exists()


def test_a_candidate_list_with_one_hourly_price_is_refused(tmp_path: Path) -> None:
    doc = _choice_doc(1e6, ["h100-sxm", "h200"])
    doc["options"][1]["provisioning"]["hourly_price"] = 2.0
    with pytest.raises(sim.ExperimentError, match=r"provisioning.hourly_price: with several candidate GPUs"):
        parse_experiment(doc, "x.toml")


# --- the point calculator -------------------------------------------------------------------------

NIM_ROW = Point("llama-3.3-70b", "h100-sxm", 2, "fp8", "fp8", 5000.0, 500.0, tpot_slo_ms=50.0)


def test_the_point_calculator_prints_the_serving_model_at_each_concurrency(capsys) -> None:
    args = ["capacity", "--model", "llama-3.3-70b", "--gpu", "h100-sxm", "--tp", "2", "--precision", "fp8",
            "--prompt", "5000", "--output", "500", "--concurrency", "1,25,50", "--tpot-slo", "50"]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    rep = replica_of(NIM_ROW)
    rows = {int(line.split()[0].replace(",", "")): line.split() for line in out if line.strip()[:1].isdigit()}
    for conc, published in ((1, 18.6), (25, 38.8), (50, 59.7)):  # NIM 1.8.0, ms per output token
        load = under_load(rep, 5000.0, 500.0, float(conc))
        cells = rows[conc]
        assert float(cells[2]) == pytest.approx(1e3 * float(load.tpot_s), abs=0.051)
        assert 1 / 1.5 <= float(cells[2]) / published <= 1.5
        tok = float(load.output_tokens_per_s)
        assert float(cells[4].replace(",", "")) == pytest.approx(tok, abs=0.51)
        assert float(cells[5].replace(",", "")) == pytest.approx(tok / 2, abs=0.51)  # per GPU of two
        assert float(cells[6].replace(",", "")) == pytest.approx(tok * 5500 / 500, abs=0.51)
    best = plan(rep, 5000.0, 500.0, 0.0, 0.05, 1e9, 256, 1.0)
    assert f"largest batch under TPOT ≤ 50 ms: {int(best.batch)} " in out[-1]
    assert f"{int(rep.kv_sequences(5000.0, 500.0)):,} sequences of 5,500 tokens fit" in out[1]


@pytest.mark.parametrize("change,message", [
    ({"model": "llama-9"}, '--model: "llama-9" is not in the model catalog (known: llama-3.1-8b'),
    ({"gpu": "h100"}, '--gpu: "h100" is not in the GPU catalog (known: h100-sxm, h200, a100-80gb, l40s)'),
    ({"tp": 1, "precision": "bf16", "kv_precision": "bf16"},
     "--tp: llama-3.3-70b in bf16 needs 141 GB of weights + 4 GB workspace per GPU (145 GB on 1); 1 × h100-sxm "
     "(80 GB) leaves nothing for the KV cache: use --tp 2 or more"),
    ({"gpu": "a100-80gb"}, "--precision: a100-80gb has no FP8 tensor cores"),
    ({"prompt": 5e6}, "--prompt: not even one sequence of 5,000,500 tokens fits"),
])
def test_the_point_calculator_names_what_is_wrong(change, message) -> None:
    kwargs = {**NIM_ROW.__dict__, **change}
    with pytest.raises(PointError) as err:
        point_lines(Point(**kwargs), [1])
    assert str(err.value).startswith(message), str(err.value)


def test_the_point_calculator_exits_2_without_a_model_or_with_a_file(capsys, tmp_path: Path) -> None:
    assert main(["capacity", "--gpu", "h100-sxm"]) == 2
    assert "give an experiment file, or --model for the point calculator" in capsys.readouterr().err
    assert main(["capacity", "x.toml", "--model", "llama-3.1-8b"]) == 2
    assert "--model belongs to the point calculator" in capsys.readouterr().err
    assert main(["capacity", "--model", "nope", "--gpu", "h100-sxm"]) == 2
    assert 'tcosim capacity: --model: "nope" is not in the model catalog' in capsys.readouterr().err


# --- sweeps ---------------------------------------------------------------------------------------

def test_a_sweep_reports_the_unserved_share_and_prices_the_shortfall(tmp_path: Path) -> None:
    """Three H100s serve 0.3 replica-loads; at 10x that (3 on average, 6 at the peak) a quarter of
    the work is above them: infeasible there, and without an overflow the sweep prices it at the
    cheapest API."""
    doc = _fleet_doc(_volume(0.3))
    exp = parse_experiment(doc)
    values = [1.2 * _volume(0.3), 1.2 * _volume(1.0), 1.2 * _volume(3.0)]  # input + output a day
    table = sweep(exp, "workload.tokens_per_day", values, 50, 3)
    own = table[table.kind == "self_hosted"].set_index("value")
    expected = [0.0, 0.0, (1 - 3 / 6) ** 2]  # peaks 0.6, 2 and 6 replicas against 3
    np.testing.assert_allclose(own.unserved_share_p50.to_numpy(), expected, atol=1e-12)
    assert list(own.feasible) == [True, True, False]
    assert infeasible_from(table) == {"self": values[2]}
    # the shortfall is priced: 25% of the tokens at $0.9 per million on top of the fleet's bill
    tokens = 12 * DAYS * values[2]
    assert own.total_p50.iloc[2] == pytest.approx(12 * (4320 + 1000) + 0.25 * tokens * 0.9 / 1e6, rel=1e-6)
    assert own.total_p50.iloc[0] == pytest.approx(12 * (4320 + 1000), rel=1e-6)
    pairs = table[table.kind == "pair"]
    assert list(pairs.feasible) == [True, True, False]
    assert own.tco_multiplier_p50.iloc[0] == pytest.approx(5320 / 4320) and (own.gpus == 3).all()


def test_the_break_even_says_whether_the_fleet_carries_the_load_there() -> None:
    table = pd.DataFrame({
        "value": [1.0, 2.0, 4.0], "option": "self", "versus": "api", "kind": "pair", "p": [0.1, 0.4, 0.95],
        "p_se": 0.0, "unserved_share_p50": [0.0, 0.0, 0.3], "feasible": [True, True, False]})
    found = break_even(table).set_index("level")
    assert 2.0 < found.loc[0.5, "value"] < 4.0 and found.loc[0.5, "feasible"] == False  # noqa: E712
    assert found.loc[0.5, "unserved_share_p50"] == 0.3
    table.loc[2, ["unserved_share_p50", "feasible"]] = [INFEASIBLE_SHARE, True]  # exactly 1% is still feasible
    assert break_even(table).set_index("level").loc[0.5, "feasible"] == True  # noqa: E712


def test_the_sweep_command_marks_infeasible_points(tmp_path: Path, capsys) -> None:
    f = tmp_path / "s.toml"
    f.write_text(to_toml(_fleet_doc(_volume(0.3))))
    vary = f"workload.tokens_per_day={1.2 * _volume(0.3):.0f},{1.2 * _volume(3.0):.0f}"
    assert main(["sweep", str(f), "--vary", vary, "--paths", "40", "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "note: “self”: its GPUs cannot carry the load from" in out
    assert "shortfall of self priced at the cheapest API" in out
    md = (tmp_path / "s" / "sweep.md").read_text(encoding="utf-8")
    assert "**self** cannot carry the load from" in md and "priced at the cheapest API in the file" in md
    csv = pd.read_csv(tmp_path / "s" / "sweep.csv")
    assert {"unserved_share_p50", "unserved_share_p95", "tco_multiplier_p50", "gpus", "feasible"} <= set(csv)


# --- charts ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("low,high,scale,top", [(0.002, 0.006, "linear", 1.0), (0.0004, 0.0009, "linear", 0.2),
                                                 (0.004, 0.3, "log", 100.0), (0.2, 0.9, "linear", 100.0)])
def test_share_axes_show_small_shares(low, high, scale, top) -> None:
    fig, ax = plt.subplots()
    share_axis(ax, low, high)
    assert ax.get_yscale() == scale and ax.get_ylim()[1] == top
    if scale == "log":
        assert ax.get_ylim()[0] <= 100 * low
    plt.close(fig)


def test_the_shipped_article_files_declare_the_article_fleet() -> None:
    root = Path(__file__).resolve().parents[1] / "experiments"
    for name in ("article_baseline.toml", "article_uncertain.toml"):
        exp = sim.load_experiment(root / name)
        fleet = next(o for o in exp.options if o.kind == "self_hosted").fleet
        assert fleet is not None and (fleet.gpu, fleet.gpus, fleet.tensor_parallel) == ("h100-sxm", 3, 2)
    doc = copy.deepcopy(sim.load_experiment(root / "article_breakeven.toml").raw)
    assert [o["name"] for o in doc["options"] if o["kind"] == "self_hosted"][0] == "Article fleet: 3x H100"
