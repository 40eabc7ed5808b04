"""GPU markets that move both ways: falls in the processes (closed-form means), the default process
against the dated history's large moves, and provider-consistent tiers (a default reservation is
never dearer than on-demand at signing, on every path, for every GPU, class and term)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from distributions import GBM, Fixed, Jumps, MeanReverting, SpecError, parse_distribution, parse_spec
from sim.gpu_market import (
    MOVES,
    PROVIDER_CLASSES,
    TIERS,
    default_process,
    discount_range,
    history,
    history_moves,
    move_probabilities,
    on_demand_range,
)
from sim.loader import parse_experiment
from tests.conftest import test_seed

GPUS = ("h100-sxm", "h200", "a100-80gb", "l40s")


def _rng(k: int = 0) -> np.random.Generator:
    return np.random.default_rng(test_seed(11 + k))


@pytest.mark.parametrize("process", [
    GBM(Fixed(2.0), Fixed(0.05), Fixed(0.2), Jumps(Fixed(0.3), Fixed(0.4)), Jumps(Fixed(0.6), Fixed(0.3), -1)),
    MeanReverting(Fixed(2.5), Fixed(2.0), Fixed(9.0), Fixed(0.15), Jumps(Fixed(0.35), Fixed(0.3)),
                  Jumps(Fixed(0.55), Fixed(0.3), -1)),
], ids=["gbm", "mean_reverting"])
def test_falls_move_the_mean_as_the_closed_form_says(process) -> None:
    """E[value] with rises and falls against the sample mean, within 4 standard errors per month."""
    n, months = 40_000, 25
    values = process.sample(_rng(), n, months).values
    se = values.std(axis=0) / math.sqrt(n)
    assert np.all(np.abs(values.mean(axis=0) - process.mean(months)) <= 4 * se + 1e-12)
    without = type(process)(**{k: v for k, v in vars(process).items() if k != "falls"}).mean(months)
    assert process.mean(months)[-1] < without[-1]  # falls pull the mean down


def test_a_fall_takes_its_share_off_by_hand() -> None:
    """A fall of exactly 30% at rate 12/year happens about once a month: the median path of a
    GBM without volatility loses 30% per fall, log value = k log(0.7) after k falls."""
    proc = GBM(Fixed(10.0), Fixed(0.0), Fixed(0.0), None, Jumps(Fixed(12.0), Fixed(0.3), -1))
    draw = proc.sample(_rng(1), 2_000, 13)
    falls = np.round(np.log(draw.values[:, -1] / 10.0) / math.log(0.7))
    np.testing.assert_allclose(draw.values[:, -1], 10.0 * 0.7 ** falls, rtol=1e-9)
    assert abs(falls.mean() - 12.0) < 4 * math.sqrt(12.0 / 2_000)  # Poisson(12) over the year


@pytest.mark.parametrize("size,message", [("50% to 120%", "falls.size is the share a fall takes off"),
                                          ("-10% to 20%", "falls.size is the share a fall takes off")])
def test_a_fall_cannot_take_everything(size, message) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec({"process": "gbm", "start": 2, "volatility": 0.1, "falls": {"rate_per_year": 1, "size": size}})


def test_falls_parse_from_toml_tables() -> None:
    proc = parse_spec({"process": "mean_reverting", "start": "2 to 3", "long_run": 2, "half_life_months": 9,
                       "volatility": 0.15, "falls": {"rate_per_year": 0.5, "size": "15% to 45%"}})
    assert isinstance(proc, MeanReverting) and proc.falls is not None and proc.falls.direction == -1
    with pytest.raises(SpecError, match="falls needs size"):
        parse_spec({"process": "gbm", "start": 2, "volatility": 0.1, "falls": {"rate_per_year": 1}})


def test_the_history_is_dated_sourced_and_shows_the_moves() -> None:
    rows = history()
    assert len(rows) >= 10 and all(r.source for r in rows)
    assert rows[0].month <= "2023-03" and rows[-1].month >= "2026-06"
    found = history_moves()
    assert all(found[m.name] for m in MOVES), found  # every move happened at least once since 2023


def test_the_default_process_reproduces_the_history_s_large_moves() -> None:
    """The old default (mean reversion with upward jumps only) gave 0.04% and 2% for the two falls;
    the history shows each within 40 months. The calibrated default: each move on 30-60% of
    36-month paths (docs/reference.md quotes the figures)."""
    values = default_process("h100-sxm", "gpu_cloud").sample(_rng(2), 20_000, 36).values
    p = move_probabilities(values)
    band = {"a fall of 30% or more within two months": (0.40, 0.65),
            "a fall of 50% or more within 24 months": (0.25, 0.50),
            "a rise of 35% or more within six months": (0.35, 0.60)}
    for name, (low, high) in band.items():
        assert low <= p[name] <= high, (name, p[name])
    ratio = values[:, -1] / values[:, 0]
    assert 0.6 < np.median(ratio) < 0.9 and np.quantile(ratio, 0.95) > 1.0  # drifts down, yet rises on some paths


def test_move_probabilities_by_hand() -> None:
    values = np.array([[10, 10, 6.9, 7, 7, 7, 7],     # -31% in one month
                       [10, 10, 10, 10, 10, 10, 10],  # flat
                       [10, 8, 7.1, 10, 14, 14, 14]])  # -29% over two months; +97% within 6 from 7.1
    p = move_probabilities(values.astype(float))
    assert p["a fall of 30% or more within two months"] == pytest.approx(1 / 3)
    assert p["a rise of 35% or more within six months"] == pytest.approx(1 / 3)
    assert p["a fall of 50% or more within 24 months"] == 0.0


def test_the_price_catalog_is_consistent() -> None:
    for gpu in GPUS:
        assert on_demand_range(gpu, "gpu_cloud") is not None and on_demand_range(gpu, "hyperscaler") is not None
        if on_demand_range(gpu, "marketplace"):
            assert on_demand_range(gpu, "marketplace")[1] <= on_demand_range(gpu, "hyperscaler")[0] + 1e-9
    for cls in PROVIDER_CLASSES:
        for tier in TIERS:
            low, high = discount_range(cls, tier)
            assert 0 <= low <= high < 1
        assert discount_range(cls, "reserved_3y")[1] >= discount_range(cls, "reserved_1y")[1]  # longer, deeper


def _reserved_doc(gpu: str, cls: str, term: int, policy: str = "reserved") -> dict:
    prov = {"policy": policy, "provider_class": cls}
    if policy == "reserved":
        prov.update(gpus=8, term_months=term)
    return {"experiment": {"name": "r", "horizon_months": 2 * term, "paths": 3000, "seed": test_seed(4),
                           "days_per_month": 30},
            "workload": {"input_tokens_per_day": 1e6, "output_tokens_per_day": 2e5},
            "options": [{"name": "api", "kind": "api", "input_per_million": 1, "output_per_million": 1},
                        {"name": "self", "kind": "self_hosted", "provisioning": {**prov, "hours_per_month": 720},
                         "capacity": {"model": "llama-3.1-8b", "gpu": gpu, "spare_replicas": 0}}]}


@pytest.mark.parametrize("cls", PROVIDER_CLASSES)
@pytest.mark.parametrize("term", [12, 36])
@pytest.mark.parametrize("gpu", GPUS)
def test_a_default_reservation_is_never_dearer_than_on_demand_at_signing(gpu, cls, term) -> None:
    if on_demand_range(gpu, cls) is None:
        pytest.skip(f"the catalog has no {cls} price for {gpu}")
    res = sim.run(parse_experiment(_reserved_doc(gpu, cls, term))).result
    at_signing = res.inputs[f"catalog.{gpu}.{cls}.on_demand.start"]
    reserved = next(ln for ln in res.option("self").lines if ln.item == "GPU compute (reserved)")
    locked = reserved.totals / (8 * 720 * term)  # $/GPU-hour paid over the term
    tier = "reserved_3y" if term >= 36 else "reserved_1y"
    off = res.inputs[f"catalog.{cls}.{tier}.discount"]
    assert np.all(locked <= at_signing * (1 + 1e-6)), "a reservation dearer than on-demand at signing"
    np.testing.assert_allclose(locked, at_signing * (1 - off), rtol=1e-5)
    low, high = discount_range(cls, tier)
    assert np.all(off >= 0) and np.all(off < 1)
    assert np.quantile(off, 0.05) == pytest.approx(low, rel=0.1) and np.quantile(off, 0.95) == pytest.approx(
        high, rel=0.1)


def test_spot_is_a_discount_on_the_same_path_s_on_demand_price() -> None:
    doc = _reserved_doc("h100-sxm", "gpu_cloud", 12, policy="spot")
    doc["options"].append({**doc["options"][1], "name": "od",
                           "provisioning": {"policy": "on_demand", "hours_per_month": 720}})
    res = sim.run(parse_experiment(doc)).result
    spot, od = res.option("self"), res.option("od")
    off = res.inputs["catalog.gpu_cloud.spot.discount"]
    per_gpu_spot = spot.lines[0].totals / spot.metrics["gpus"].sum(axis=0) / 720
    per_gpu_od = od.lines[0].totals / od.metrics["gpus"].sum(axis=0) / 720
    ratio = per_gpu_spot / per_gpu_od  # same GPUs each month: the same market path, less the discount
    np.testing.assert_allclose(ratio, 1 - off, rtol=1e-4)


def test_a_class_the_catalog_does_not_price_is_refused(tmp_path) -> None:
    doc = _reserved_doc("l40s", "marketplace", 12, policy="on_demand")
    with pytest.raises(sim.ExperimentError, match=r"options\[1\]\.provisioning\.hourly_price: the GPU price catalog "
                                                  r'has no marketplace price for l40s: give hourly_price or '
                                                  r'provider_class = "hyperscaler"'):
        parse_experiment(doc, "x.toml")


def test_parse_distribution_of_the_default_ranges() -> None:
    start = default_process("h100-sxm", "gpu_cloud").start
    assert start.ppf(0.05) == pytest.approx(2.23, rel=1e-6) and start.ppf(0.95) == pytest.approx(3.00, rel=1e-6)
    assert parse_distribution("2.23 to 3.0").ppf(0.5) == pytest.approx(math.sqrt(2.23 * 3.0))
