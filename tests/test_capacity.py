"""Capacity model: calibration within 2x, hand-computed sizing, monotonicity, KV ceiling,
provisioning (lock-in, overflow, spot), bad names and impossible SLOs."""

from __future__ import annotations

import copy
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.capacity.catalog import BYTES, Model, gpus, models
from sim.capacity.serving import SERVER, Replica, plan, under_load
from sim.capacity.throughput import EFF_BW, EFF_PREFILL, step_time
from sim.cli import main
from sim.loader import parse_experiment
from tests.conftest import to_toml

H100 = gpus()["h100-sxm"]


def _calibration() -> pd.DataFrame:
    path = resources.files("sim").joinpath("data/h100_calibration.csv")
    return pd.read_csv(Path(str(path)))


def _layer_model(row) -> Model:
    """The measured layer stacks: weights without embeddings, 80 or 32 layers, Llama-3 KV shape."""
    bytes_per = BYTES[row.dtype]
    layers = 80 if row.model == "llama3-70b" else 32
    hidden = 8192 if row.model == "llama3-70b" else 4096
    return Model(row.model, row.weight_GB / bytes_per, layers, hidden, 8, 128)


#: the fit's own band over the 56 measured decode rows (sim/capacity/throughput.py) and the four
#: prefill rows: the model may not leave it
DECODE_BAND, PREFILL_BAND = (0.59, 1.32), (0.90, 1.10)


def _decode_ratios() -> np.ndarray:
    """Modelled / measured step time of every decode row of the H100 calibration."""
    decode = _calibration().query("phase == 'decode'")
    ratios = []
    for row in decode.itertuples():
        model = _layer_model(row)
        assert model.kv_bytes_per_token("bf16") * row.batch * row.context == pytest.approx(row.kv_GB * 1e9)
        predicted = step_time(model, H100, row.dtype, model.kv_bytes_per_token("bf16"), 1, row.batch, row.context)
        ratios.append(float(predicted) * 1e3 / row.step_ms)
    return np.array(ratios)


def test_decode_model_within_the_fit_band_of_every_measurement() -> None:
    ratios = _decode_ratios()
    assert len(ratios) == 56
    assert DECODE_BAND[0] <= ratios.min() and ratios.max() <= DECODE_BAND[1], (ratios.min(), ratios.max())
    rows = _calibration()
    bf16_b1 = rows[(rows.phase == "decode") & (rows.model == "llama3-70b") & (rows.dtype == "bf16")
                   & (rows.batch == 1) & (rows.context == 1024)].iloc[0]
    assert bf16_b1.step_ms == pytest.approx(53.64, abs=0.01)  # bf16 batch 1 at 1k context: 54 ms a step


@pytest.mark.parametrize("error", [1.33, 1 / 1.33])
def test_a_third_off_in_effective_bandwidth_leaves_the_band(error: float, monkeypatch) -> None:
    import sim.capacity.throughput as throughput

    monkeypatch.setattr(throughput, "EFF_BW", EFF_BW * error)
    ratios = _decode_ratios()
    assert ratios.min() < DECODE_BAND[0] or ratios.max() > DECODE_BAND[1]


def test_prefill_model_within_its_band() -> None:
    rows = _calibration()
    for row in rows[rows.phase == "prefill"].itertuples():
        model = _layer_model(row)
        predicted = 2 * model.params_b * 1e9 * row.context / (H100.tflops(row.dtype) * 1e12 * EFF_PREFILL[row.dtype])
        assert PREFILL_BAND[0] <= predicted * 1e3 / row.step_ms <= PREFILL_BAND[1]


def test_hand_computed_replica_plan() -> None:
    """Llama 3.1 8B bf16 on one H100, 1000 in / 200 out, 50 ms per output token: every quantity of
    the plan from the step formula by hand (sim/capacity/serving.py)."""
    rep = Replica(models()["llama-3.1-8b"], H100, "bf16", "bf16", 1)
    p = plan(rep, 1000.0, 200.0, 0.0, 0.050, math.inf, 256, 1.0)
    kv = 2 * 32 * 8 * 128 * 2  # bytes per token
    weights = 8.03e9 * 2
    room = (80e9 - weights - SERVER.workspace_gb * 1e9) * SERVER.kv_share
    assert p.kv_sequences == math.floor(room / (1200 * kv)) == 342  # (80 - 16.06 - 4) GB x 0.9 / 157 MB
    bw, fl = 3.35e12 * SERVER.eff_bw, 989e12 * SERVER.eff_mm
    fixed = weights / bw + 32 * SERVER.layer_s  # one GPU: no all-reduce
    per_prefill_token = (2 * 8.03e9 + 2 * 32 * 4096 * 1000) / fl  # GEMMs + prefill attention
    per_seq = 1100 * kv / bw + 2 * 8.03e9 / fl + per_prefill_token * 1000 / 200  # its decode, its prompt's share
    assert p.slo_batch == math.floor((0.050 - fixed) / per_seq)
    assert p.batch == min(p.kv_sequences, p.slo_batch, 256)
    assert p.tpot_s == pytest.approx(fixed + per_seq * p.batch, rel=1e-12)
    prefill = fixed + (p.batch - 1) * (1100 * kv / bw + 2 * 8.03e9 / fl) + 1000 * per_prefill_token
    rate = p.batch / (prefill + 199 * p.tpot_s)
    assert p.seconds_per_output_token == pytest.approx((prefill + 199 * p.tpot_s) / (200 * p.batch), rel=1e-6)
    assert rate > 0 and p.idle_ttft_s == pytest.approx(fixed + 1000 * per_prefill_token, rel=1e-12)


def test_tighter_slo_never_more_capacity_and_kv_ceiling_holds() -> None:
    rep = Replica(models()["llama-3.3-70b"], H100, "fp8", "bf16", 2)
    last = math.inf
    for slo in (0.2, 0.1, 0.06, 0.04, 0.03):
        p = plan(rep, 2000.0, 500.0, 0.0, slo, math.inf, 512, 1.0)
        assert float(p.output_tokens_per_s) <= last + 1e-9
        last = float(p.output_tokens_per_s)
        assert p.batch <= p.kv_sequences
        assert p.batch * 2500 * rep.kv_per_token <= rep.kv_room()
        assert p.tpot_s <= slo + 1e-12 or p.batch == 1


def test_a_ttft_slo_lowers_the_batch_until_it_is_met() -> None:
    rep = Replica(models()["llama-3.3-70b"], H100, "fp8", "fp8", 2)
    loose = plan(rep, 5000.0, 500.0, 0.0, 0.1, math.inf, 256, 1.0)
    tight = plan(rep, 5000.0, 500.0, 0.0, 0.1, 0.6, 256, 1.0)
    assert tight.batch < loose.batch and tight.ttft_s <= 0.6 < loose.ttft_s
    assert under_load(rep, 5000.0, 500.0, tight.batch + 1).ttft_s > 0.6  # the largest batch that meets it


def _cap_doc(tokens_per_day: float = 50e6, **prov) -> dict:
    return {
        "experiment": {"name": "cap", "horizon_months": 12, "paths": 200, "seed": 5, "days_per_month": 30},
        "workload": {"input_tokens_per_day": tokens_per_day, "output_tokens_per_day": tokens_per_day / 5},
        "options": [
            {"name": "api", "kind": "api", "input_per_million": 0.9, "output_per_million": 0.9},
            {"name": "self", "kind": "self_hosted",
             "capacity": {"model": "llama-3.1-8b", "gpu": "h100-sxm", "precision": "bf16", "prompt_tokens": 1000,
                          "server_speedup": 1.0, "peak_to_average": 2.0, "burst_factor": 1.0,
                          "utilization_cap": 1.0, "spare_replicas": 1},
             "provisioning": {"policy": "on_demand", "hourly_price": 2.0, **prov}},
        ],
    }


def test_sizing_by_hand() -> None:
    res = sim.run(parse_experiment(_cap_doc(2e9))).result
    rep = Replica(models()["llama-3.1-8b"], H100, "bf16", "bf16", 1)
    p = plan(rep, 1000.0, 200.0, 0.0, 0.05, 2.0, 256, 1.0)
    requests = 2e9 / 86400 / 1000  # a day's prompts of 1000 tokens, per second
    load = requests * 200 * float(p.seconds_per_output_token)  # replica-seconds per second
    replicas = math.ceil(load * 2.0 - 1e-9) + 1  # peak 2x, burst 1, cap 100%, one spare
    gpus_path = res.option("self").metrics["gpus"]
    assert np.all(gpus_path == replicas)
    assert np.all(res.option("self").by_month == np.float32(replicas * 720 * 2.0))
    np.testing.assert_allclose(res.option("self").metrics["utilization"], load / replicas, rtol=1e-5)


@pytest.mark.parametrize("volumes", [(1e6, 5e8, 2e9, 8e9, 3e10)])
def test_more_tokens_never_fewer_gpus(volumes) -> None:
    previous = np.zeros(12)
    for v in volumes:
        gpus_v = sim.run(parse_experiment(_cap_doc(v)), paths=1).option("self").metrics["gpus"][:, 0]
        assert np.all(gpus_v >= previous)
        previous = gpus_v
    assert previous[0] > 2  # the largest volume needs more than the minimum fleet


def _reserved_doc(**prov) -> dict:
    doc = _cap_doc(0.0)
    doc["options"][1]["provisioning"] = {"policy": "reserved", "gpus": 4, "reserved_price": 2.0,
                                         "hourly_price": 3.0, "term_months": 12, **prov}
    return doc


def test_reservation_with_zero_traffic_costs_its_full_term() -> None:
    res = sim.run(parse_experiment(_reserved_doc()))
    self_ = res.option("self")
    assert np.all(self_.totals == 4 * 720 * 2.0 * 12)
    assert np.all(self_.metrics["utilization"] == 0.0)
    assert np.all(self_.metrics["gpus"] == 4)


def test_a_reservation_shorter_than_a_year_has_no_catalog_discount() -> None:
    """The catalog sources 1- and 3-year discounts only: a 6-month term locks the on-demand price
    at signing ($3.00 here) and renews at the then-market price, with no discount; 12 months takes
    the 1-year class, 35 months still 1-year, 36 the 3-year."""
    from sim.capacity.provisioning import reserved_class

    assert [reserved_class(m) for m in (1, 6, 11, 12, 35, 36, 60)] == \
        [None, None, None, "reserved_1y", "reserved_1y", "reserved_3y", "reserved_3y"]
    doc = _reserved_doc(term_months=6, after_term="renew")
    del doc["options"][1]["provisioning"]["reserved_price"]
    lines = {ln.item: ln for ln in sim.run(parse_experiment(doc), paths=2).option("self").lines}
    assert np.all(lines["GPU compute (reserved)"].totals == 4 * 720 * 3.0 * 6)
    assert np.all(lines["GPU compute (renewed)"].totals == 4 * 720 * 3.0 * 6)


def test_early_termination_fee_and_after_term() -> None:
    doc = _reserved_doc(early_termination={"month": 4, "fee_share": 0.5})
    res = sim.run(parse_experiment(doc), paths=3)
    lines = {ln.item: ln for ln in res.option("self").lines}
    assert np.all(lines["GPU compute (reserved)"].totals == 4 * 720 * 2.0 * 4)
    assert np.all(lines["Early termination fee"].totals == 0.5 * 4 * 720 * 2.0 * 8)
    # after month 4 the (zero-traffic) service runs its minimum fleet on demand: 1 + 1 spare replica
    assert np.all(lines["GPU compute (on-demand)"].totals == 2 * 720 * 3.0 * 8)
    doc = _reserved_doc(term_months=6, after_term="renew", renewal_discount=0.25)
    doc["experiment"]["horizon_months"] = 12
    lines = {ln.item: ln for ln in sim.run(parse_experiment(doc), paths=2).option("self").lines}
    assert np.all(lines["GPU compute (renewed)"].totals == 4 * 720 * 3.0 * 0.75 * 6)


def test_hybrid_with_no_gpus_sends_everything_to_the_api() -> None:
    doc = _cap_doc(1e8)
    doc["options"][1]["provisioning"] = {"policy": "hybrid", "gpus": 0, "reserved_price": 2.0,
                                         "overflow": "api"}
    res = sim.run(parse_experiment(doc), paths=5)
    overflow = next(ln for ln in res.option("self").lines if ln.item == "Overflow to api")
    np.testing.assert_allclose(overflow.totals, res.option("api").totals, rtol=1e-12)
    assert np.all(res.option("self").metrics["unserved_tokens"] == 0)


def test_spot_preemption_leaves_tokens_unserved_without_overflow() -> None:
    doc = _cap_doc(3e10, spot_discount=0.4, preempted_fraction=0.3)
    doc["options"][1]["provisioning"]["policy"] = "spot"
    doc["options"][1]["capacity"]["spare_replicas"] = 0
    res = sim.run(parse_experiment(doc), paths=5)
    self_ = res.option("self")
    assert self_.metrics["unserved_tokens"].max() > 0
    replicas = self_.metrics["gpus"][:, 0]
    np.testing.assert_allclose(self_.by_month[:, 0], replicas * 720 * 2.0 * 0.6, rtol=1e-6)


def test_size_for_is_deterministic_across_workers() -> None:
    exp = sim.load_experiment(Path(__file__).resolve().parents[1] / "experiments" / "reservation_lockin.toml")
    a = sim.run(exp, paths=9000)
    b = sim.run(exp, paths=9000, workers=2, chunk_paths=8192)
    assert a.result.reserved_gpus == b.result.reserved_gpus and a.result.reserved_gpus
    for x, y in zip(a.options, b.options, strict=True):
        assert np.array_equal(x.totals, y.totals)
        for k in x.metrics:
            assert np.array_equal(x.metrics[k], y.metrics[k])


BAD = [
    (("capacity", "model"), "llama-9", 'options[1].capacity.model: "llama-9" is not in the model catalog'),
    (("capacity", "gpu"), "b300", 'options[1].capacity.gpu: "b300" is not in the GPU catalog'),
    (("capacity", "tpot_slo_ms"), 1, "options[1].capacity.tpot_slo_ms: no batch meets 1 ms per output token"),
    (("capacity", "ttft_slo_ms"), 1, "options[1].capacity.ttft_slo_ms: a median prompt takes"),
    (("capacity", "model"), "llama-3.1-405b", "options[1].capacity.tensor_parallel: llama-3.1-405b in bf16 needs"),
    (("provisioning", "overflow"), "nobody", 'options[1].provisioning.overflow: "nobody" names no API option'),
    (("provisioning", "policy"), "leased", "options[1].provisioning.policy: Input should be"),
    (("provisioning", "gpus"), 4, 'options[1].provisioning: gpus and size_for apply to reserved capacity'),
]


@pytest.mark.parametrize("path,value,message", BAD, ids=[b[2].split(":")[0] + str(i) for i, b in enumerate(BAD)])
def test_bad_capacity_input_exits_2(path, value, message, tmp_path: Path, capsys) -> None:
    doc = copy.deepcopy(_cap_doc())
    doc["options"][1][path[0]][path[1]] = value
    f = tmp_path / "cap.toml"
    f.write_text(to_toml(doc))
    assert main(["run", str(f), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{f}: {message}" in err, err
    assert not (tmp_path / "out").exists()


def test_a100_has_no_fp8(tmp_path: Path) -> None:
    doc = _cap_doc()
    doc["options"][1]["capacity"].update(gpu="a100-80gb", precision="fp8")
    doc["options"][1]["provisioning"]["hourly_price"] = 1.5
    with pytest.raises(sim.ExperimentError, match=r"capacity.precision: a100-80gb has no FP8 tensor cores"):
        parse_experiment(doc, "x.toml")


def test_capacity_command_prints_the_median_plan(capsys) -> None:
    exp = Path(__file__).resolve().parents[1] / "experiments" / "capacity_70b.toml"
    assert main(["capacity", str(exp), "--paths", "300"]) == 0
    out = capsys.readouterr().out
    assert "the median path of 300" in out and "GPUs needed" in out and "$/M tokens" in out
    assert out.count("\n") > 24


def test_capacity_metrics_in_percentiles() -> None:
    res = sim.run(parse_experiment(_cap_doc(1e9)), paths=300)
    metrics = set(res.percentiles().query("option == 'self'").metric)
    assert {"gpus", "utilization", "unserved_tokens", "overflow_cost", "gpus_needed"} <= metrics


def test_uncertain_spot_and_renewal_discounts() -> None:
    doc = _cap_doc(3e10, spot_discount="30% to 50%", preempted_fraction="2% to 10%")
    doc["options"][1]["provisioning"]["policy"] = "spot"
    res = sim.run(parse_experiment(doc), paths=400)
    discount = res.inputs["options[1].provisioning.spot_discount"]
    gpus_used = res.option("self").metrics["gpus"].astype(np.float64)
    np.testing.assert_allclose(res.option("self").by_month, gpus_used * 720 * 2.0 * (1 - discount), rtol=1e-6)
    doc = _reserved_doc(term_months=6, after_term="renew", renewal_discount="10% to 30%")
    res = sim.run(parse_experiment(doc), paths=50)
    renewed = next(ln for ln in res.option("self").lines if ln.item == "GPU compute (renewed)")
    disc = res.inputs["options[1].provisioning.renewal_discount"]
    np.testing.assert_allclose(renewed.totals, 4 * 720 * 3.0 * (1 - disc) * 6, rtol=1e-12)
