"""The engine: exact degenerate cases, hand-computed lines, reproducibility, common random numbers."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim.analysis.quantiles import row_percentiles
from sim.loader import parse_experiment
from sim.scenario import BLOCK_PATHS
from tests.conftest import BASE, EXPERIMENTS, fixed_doc, test_seed


def test_article_baseline_is_exact() -> None:
    exp = sim.load_experiment(EXPERIMENTS / "article_baseline.toml")
    res = sim.run(exp)
    bands = res.percentiles()
    selfhost = bands[(bands.option == "Self-hosted Llama 3.3 70B")]
    monthly = selfhost[selfhost.metric == "monthly_cost"]
    assert len(monthly) == 12 * 5
    assert (monthly.value == 13275).all()
    cumulative = selfhost[selfhost.metric == "cumulative_cost"].sort_values(["percentile", "month"])
    assert (cumulative.value.to_numpy() == np.tile(13275.0 * np.arange(1, 13), 5)).all()
    assert (selfhost[selfhost.metric == "tco_multiplier"].value == 13275 / 5100).all()
    gpt = bands[(bands.option == "GPT-4o") & (bands.metric == "monthly_cost")]
    assert (gpt.value == 5 * 2.5 * 30 + 1 * 10 * 30).all()  # $675, as the article says
    totals = {o.name: o.totals for o in res.options}
    assert np.all(totals["Claude Opus"] == 54000.0)
    assert res.prob_cheapest()["Gemini 2.5 Flash"] == (1.0, 0.0)


def test_article_claims_are_checked() -> None:
    from sim.analysis.claims import check_claims

    res = sim.run(sim.load_experiment(EXPERIMENTS / "article_baseline.toml"), paths=10)
    verdicts = {(c.claim.option, c.claim.metric): c for c in check_claims(res)}
    assert verdicts[("GPT-4o", "monthly_cost")].supported
    assert verdicts[("Self-hosted Llama 3.3 70B", "tco_multiplier")].supported  # 2.603 vs 2.6
    sonnet = verdicts[("Claude 3.5 Sonnet", "daily_cost")]
    assert not sonnet.supported and sonnet.median == pytest.approx(30.0, rel=1e-7)  # 5x$3 + 1x$15
    together = verdicts[("Together Llama 3.3 70B", "monthly_cost")]
    assert together.median == pytest.approx(162.0, rel=1e-7)  # 6M x $0.90 x 30, not $405


def _run(doc: dict, **kw) -> sim.Result:
    return sim.run(parse_experiment(doc), **kw)


def _lines(res: sim.Result, option: str) -> dict[str, np.ndarray]:
    return {ln.item: ln.by_month for ln in res.option(option).lines}


def test_hand_computed_lines() -> None:
    doc = fixed_doc(months=4)
    doc["options"][1]["costs"] = [
        {"item": "gpu", "category": "gpu", "gpus": 2, "hourly_price": 2.5, "hours_per_month": 730},
        {"item": "standby", "share_of": "gpu", "share": 0.5},
        {"item": "mlops", "fte": 0.2, "annual_cost": 240_000},
        {"item": "tokens", "per_million_tokens": 0.01},
        {"item": "egress", "per_gb": 0.09, "bytes_per_token": 4, "tokens": "output"},
        {"item": "setup", "monthly": 1000, "start_month": 2, "end_month": 3},
    ]
    res = _run(doc, paths=7)
    lines = _lines(res, "self")
    assert np.all(lines["gpu"] == 3650)
    assert np.all(lines["standby"] == 1825)
    assert np.all(lines["mlops"] == 4000)
    assert np.allclose(lines["tokens"], 6e6 * 30 * 0.01 / 1e6)
    assert np.allclose(lines["egress"], 1e6 * 30 * 4 / 1e9 * 0.09)
    assert np.array_equal(lines["setup"][:, 0], np.array([0, 1000, 1000, 0]))
    assert np.allclose(res.option("self").totals, 4 * (3650 + 1825 + 4000 + 1.8 + 0.0108) + 2000)


def test_api_cached_batch_and_trend_by_hand() -> None:
    doc = fixed_doc(months=13)
    doc["options"][0].update(cached_input_share=0.4, cached_input_per_million=1.25, batch_share=0.5,
                             batch_discount=0.5, annual_price_change="-20%")
    res = _run(doc, paths=3)
    lines = _lines(res, "api")
    batch = 1 - 0.5 * 0.5
    trend = 0.8 ** (np.arange(13) / 12)
    np.testing.assert_allclose(lines["input tokens"][:, 0], 150e6 * 0.6 * 2.5 / 1e6 * batch * trend, rtol=1e-6)
    np.testing.assert_allclose(lines["cached input tokens"][:, 0], 150e6 * 0.4 * 1.25 / 1e6 * batch * trend, rtol=1e-6)
    np.testing.assert_allclose(lines["output tokens"][:, 0], 30e6 * 10 / 1e6 * batch * trend, rtol=1e-6)


@pytest.mark.slow
def test_price_cuts_mean_matches_closed_form() -> None:
    doc = fixed_doc(months=25)
    doc["options"][0]["price_cuts"] = {"rate_per_year": 1.2, "size": 0.25}
    res = _run(doc, paths=40_000, seed=test_seed(1))
    month1 = 5 * 2.5 * 30 + 10 * 30
    mult = res.option("api").by_month.astype(np.float64) / month1
    # N ~ Poisson(1.2 (t-1)/12) cuts of 25% each: E[0.75^N] = exp(-1.2 (t-1)/12 * 0.25)
    expected = np.exp(-1.2 * np.arange(25) / 12 * 0.25)
    se = mult.std(axis=1) / math.sqrt(mult.shape[1])
    assert np.all(np.abs(mult.mean(axis=1) - expected) <= 4.5 * se + 1e-6)


@pytest.mark.slow
def test_events_line_mean() -> None:
    doc = fixed_doc(months=24)
    doc["options"][1]["costs"].append({"item": "upgrades", "events_per_year": 2.5,
                                       "cost_per_event": {"dist": "uniform", "low": 8000, "high": 16000}})
    res = _run(doc, paths=20_000, seed=test_seed(1))
    totals = next(ln for ln in res.option("self").lines if ln.item == "upgrades").totals
    expected = 2.5 * 2 * 12_000  # rate x years x mean cost
    assert abs(totals.mean() - expected) < 4.5 * totals.std() / math.sqrt(totals.size)


@pytest.mark.slow
def test_growth_is_exact_when_fixed_and_mean_preserving_when_noisy() -> None:
    res = _run(fixed_doc(months=12, monthly_growth="4%"), paths=5)
    month1 = 5 * 2.5 * 30 + 10 * 30
    np.testing.assert_allclose(res.option("api").by_month[:, 0], month1 * 1.04 ** np.arange(12), rtol=1e-6)
    noisy = _run(fixed_doc(months=12, monthly_growth="4%", growth_volatility=0.1), paths=40_000, seed=test_seed(1))
    cost = noisy.option("api").by_month.astype(np.float64)
    se = cost.std(axis=1) / math.sqrt(cost.shape[1])
    assert np.all(np.abs(cost.mean(axis=1) - month1 * 1.04 ** np.arange(12)) <= 4.5 * se + 1e-3)
    assert cost[-1].std() > 0


def _same_array(x: np.ndarray | None, y: np.ndarray | None) -> bool:
    return (x is None and y is None) or (x is not None and y is not None and np.array_equal(x, y))


def _assert_same(a: sim.Result, b: sim.Result) -> None:
    """Every per-path array, every mean and every input the same to the bit."""
    for x, y in zip(a.options, b.options, strict=True):
        for field in ("by_month", "totals", "worst_month", "months_over_budget", "gpu_totals"):
            assert _same_array(getattr(x, field), getattr(y, field)), (x.name, field)
        assert x.metrics.keys() == y.metrics.keys()
        assert all(np.array_equal(x.metrics[k], y.metrics[k]) for k in x.metrics), x.name
        for lx, ly in zip(x.lines, y.lines, strict=True):
            assert np.array_equal(lx.mean_by_month, ly.mean_by_month)
            assert np.array_equal(lx.totals, ly.totals)
            assert _same_array(lx.by_month, ly.by_month), (x.name, lx.item)
    assert _same_array(a.result.tokens, b.result.tokens)
    assert a.inputs.keys() == b.inputs.keys()
    assert all(np.array_equal(a.inputs[k], b.inputs[k]) for k in a.inputs)


def test_results_do_not_depend_on_chunking_or_workers() -> None:
    """Workers store their chunks in shared memory: every array comes out as one process makes it
    (the article's checked fleet keeps monthly tokens; line bands keep per-line months)."""
    exp = sim.load_experiment(EXPERIMENTS / "article_uncertain.toml")
    paths = 3 * BLOCK_PATHS + 123  # a partial last block
    ref = sim.run(exp, paths=paths, chunk_paths=BLOCK_PATHS, line_bands=True)
    assert ref.result.tokens is not None and any(o.months_over_budget is not None for o in ref.options)
    _assert_same(ref, sim.run(exp, paths=paths, chunk_paths=3 * BLOCK_PATHS, line_bands=True))
    for workers in (2, 3):
        _assert_same(ref, sim.run(exp, paths=paths, chunk_paths=BLOCK_PATHS, workers=workers, line_bands=True))


def test_with_workers_the_first_chunk_is_one_block_and_every_worker_gets_a_chunk() -> None:
    from sim.engine import chunk_plan

    five = 4 * BLOCK_PATHS + 100  # five seed blocks, the last partial
    assert chunk_plan(five, 4 * BLOCK_PATHS) == [range(0, 4), range(4, 5)]
    assert chunk_plan(five, 4 * BLOCK_PATHS, workers=2) == [range(0, 1), range(1, 3), range(3, 5)]
    assert chunk_plan(five, 4 * BLOCK_PATHS, workers=8) == [range(0, 1)] + [range(b, b + 1) for b in range(1, 5)]
    assert chunk_plan(BLOCK_PATHS, 4 * BLOCK_PATHS, workers=2) == [range(0, 1)]  # one block: no workers
    many = chunk_plan(40 * BLOCK_PATHS, 4 * BLOCK_PATHS, workers=2)
    assert many[:2] == [range(0, 1), range(1, 5)] and many[-1] == range(37, 40) and len(many) == 11


def test_auto_workers_are_one_per_cpu_within_the_blocks_and_the_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim import engine, parallel
    from sim.memory import BASELINE_BYTES, USABLE_SHARE, estimate

    exp = sim.load_experiment(EXPERIMENTS / "article_uncertain.toml")
    monkeypatch.setattr(parallel, "cpus", lambda: 8)
    monkeypatch.setattr(engine, "available_bytes", lambda: 1e12)
    chunk = 4 * BLOCK_PATHS
    assert engine.auto_workers_for(exp, 100_000, False, False, chunk) == 8  # one per CPU
    assert engine.auto_workers_for(exp, 3 * BLOCK_PATHS, False, False, chunk) == 2  # blocks after the first
    assert engine.auto_workers_for(exp, 100, False, False, chunk) == 1
    one = estimate(exp, False, False, 1, chunk)
    per_worker = one.fixed - BASELINE_BYTES
    # memory for the result and exactly three workers' chunks: three
    room = one.bytes(100_000) + 2 * per_worker + 1.0
    monkeypatch.setattr(engine, "available_bytes", lambda: room / USABLE_SHARE)
    assert engine.auto_workers_for(exp, 100_000, False, False, chunk) == 3
    assert sim.run(exp, paths=3 * BLOCK_PATHS, workers="auto").result.workers == 2
    with pytest.raises(ValueError, match='workers must be "auto" or a whole number >= 1, got 0'):
        sim.run(exp, paths=10, workers=0)


def test_same_seed_same_numbers_other_seed_other_numbers(base_doc) -> None:
    a, b = _run(base_doc, seed=5), _run(base_doc, seed=5)
    _assert_same(a, b)
    c = _run(base_doc, seed=6)
    assert not np.array_equal(a.option("self").totals, c.option("self").totals)


def test_common_random_numbers_pair_options(base_doc) -> None:
    doc = copy.deepcopy(base_doc)
    doc["options"].append({"name": "api x2", "kind": "api", "input_per_million": 5.0, "output_per_million": 20.0})
    res = _run(doc, paths=3000)
    np.testing.assert_allclose(res.option("api x2").totals, 2 * res.option("api").totals, rtol=1e-12)
    p = res.prob_cheapest()
    assert p["api x2"] == (0.0, 0.0)


def test_adding_an_option_leaves_other_draws_alone(base_doc) -> None:
    ref = _run(base_doc, paths=2000)
    doc = copy.deepcopy(base_doc)
    doc["options"].append({"name": "other", "kind": "self_hosted", "costs": [{"item": "x", "monthly": "1 to 2"}]})
    more = _run(doc, paths=2000)
    assert np.array_equal(ref.option("self").totals, more.option("self").totals)


@pytest.mark.slow
def test_prob_cheapest_against_closed_form() -> None:
    doc = {"experiment": {"name": "pc", "horizon_months": 1, "paths": 20_000, "seed": test_seed(9)},
           "workload": {"input_tokens_per_day": 0, "output_tokens_per_day": 0},
           "options": [{"name": "fixed", "kind": "self_hosted", "costs": [{"item": "a", "monthly": 100}]},
                       {"name": "risky", "kind": "self_hosted", "costs": [{"item": "b", "monthly": "50 to 150"}]}]}
    res = _run(doc)
    p, se = res.prob_cheapest()["risky"]
    mu, sigma = (math.log(50) + math.log(150)) / 2, (math.log(150) - math.log(50)) / (2 * 1.6448536269514722)
    expected = stats.norm.cdf((math.log(100) - mu) / sigma)
    assert abs(p - expected) < 4.5 * se
    assert se == pytest.approx(math.sqrt(p * (1 - p) / 20_000))


def test_budget_risk_and_var() -> None:
    doc = fixed_doc(months=3)
    doc["budget"] = {"monthly": 10_000, "total": 30_000}
    summary = _run(doc, paths=50).summary().set_index("option")
    assert summary.loc["self", "p_any_month_over_budget"] == 1.0
    assert summary.loc["self", "expected_months_over_budget"] == 3.0
    assert summary.loc["self", "p_total_over_budget"] == 1.0
    assert summary.loc["api", "p_any_month_over_budget"] == 0.0
    assert summary.loc["self", "var95"] == summary.loc["self", "cvar95"] == 3 * 13275


def test_worst_month_and_months_over_budget_read_the_kept_monthly_costs() -> None:
    """worst_month is by_month's maximum and months_over_budget counts by_month's months above the
    budget, bit for bit (the monthly fan, the safe budget and the budget risk read one array)."""
    doc = fixed_doc(months=6, input_tokens_per_day="3M to 8M", monthly_growth="0% to 10%")
    doc["budget"] = {"monthly": 700.37}
    res = _run(doc, paths=4000).result
    for opt in res.options:
        assert opt.worst_month is not None and opt.worst_month.dtype == np.float32
        assert np.array_equal(opt.worst_month, opt.by_month.max(axis=0))
        assert np.array_equal(opt.months_over_budget, (opt.by_month > np.float32(700.37)).sum(axis=0))
    over = res.options[0].months_over_budget  # the API's bill ($675 a month at the fixed volume)
    assert over.min() == 0 and over.max() == 6 and ((over > 0) & (over < 6)).any()


def test_percentile_ci_covers_truth() -> None:
    from sim.analysis.quantiles import percentile_ci

    sample = np.random.default_rng(4).lognormal(0, 1, 10_001)
    est, lo, hi = percentile_ci(sample, [5, 50, 95])
    np.testing.assert_allclose(est, np.percentile(sample, [5, 50, 95]), rtol=1e-12)
    truth = stats.lognorm(1).ppf([0.05, 0.5, 0.95])
    assert np.all(lo <= truth) and np.all(truth <= hi)
    assert np.all(lo < est) and np.all(est < hi)


def test_binom_ppf_by_hand() -> None:
    """Binomial(3, 1/2): CDF 1/8, 4/8, 7/8, 1, so q = 0.5 is reached at k = 1 (a CDF meeting q
    exactly counts), q just above 0.5 at k = 2, q = 1/8 at 0."""
    from sim.analysis.quantiles import binom_ppf

    assert [binom_ppf(q, 3, 0.5) for q in (0.1, 0.125, 0.5, 0.5000001, 0.875, 0.9)] == [0, 0, 1, 2, 2, 3]
    assert binom_ppf(0.3, 10, 0.0) == 0 and binom_ppf(0.3, 10, 1.0) == 10


@pytest.mark.parametrize("n", [1, 7, 100, 10_001, 100_000, 2_000_000])
def test_binom_ppf_matches_scipy(n: int) -> None:
    """The order-statistic ranks of the percentile CIs, computed without scipy.stats, are scipy's
    (away from q equal to a CDF value exactly, where scipy's own answer depends on rounding)."""
    from sim.analysis.quantiles import binom_ppf

    for p in (0.001, 0.05, 0.25, 0.5, 0.9, 0.95, 0.999):
        for q in (0.0005, 0.025, 0.05, 0.95, 0.975, 0.9995):
            assert binom_ppf(q, n, p) == int(stats.binom.ppf(q, n, p)), (q, n, p)


def test_row_percentiles_match_numpy() -> None:
    arr = np.random.default_rng(1).normal(size=(6, 1001))
    arr[2] = 7.0  # a constant row takes the fast path
    got = row_percentiles(arr, [5, 25, 50, 75, 95])
    np.testing.assert_allclose(got, np.percentile(arr, [5, 25, 50, 75, 95], axis=1), rtol=1e-12)
    assert np.all(got[:, 2] == 7.0)


def test_line_bands_can_be_turned_off() -> None:
    doc = copy.deepcopy(BASE)
    doc["experiment"]["line_bands"] = False
    res = _run(doc)
    assert all(ln.by_month is None for o in res.options for ln in o.lines)
    assert not any(res.percentiles().metric.str.startswith("line:"))


def test_run_can_override_the_file_s_line_bands_without_changing_a_total() -> None:
    """A sweep point asks for no line bands whatever the file says ("auto" keeps them at this size)."""
    from sim.engine import run

    exp = parse_experiment(copy.deepcopy(BASE))
    kept, dropped = run(exp, paths=500, seed=3), run(exp, paths=500, seed=3, line_bands=False)
    assert kept.line_bands and not dropped.line_bands
    assert all(ln.by_month is None for o in dropped.options for ln in o.lines)
    for a, b in zip(kept.options, dropped.options, strict=True):
        np.testing.assert_array_equal(a.totals, b.totals)
        np.testing.assert_array_equal(a.by_month, b.by_month)


def test_market_inputs_are_shared_across_options() -> None:
    doc = fixed_doc(months=6)
    doc["market"] = {"h100": {"process": "mean_reverting", "start": "2 to 3.5", "long_run": 2.2,
                              "half_life_months": 9, "volatility": 0.3},
                     "salary": "180k to 280k"}
    doc["options"][1]["costs"] = [{"item": "gpu", "category": "gpu", "gpus": 2, "hourly_price": "market.h100"},
                                  {"item": "eng", "fte": 0.2, "annual_cost": "market.salary"}]
    doc["options"].append({"name": "self x2", "kind": "self_hosted", "costs": [
        {"item": "gpu", "category": "gpu", "gpus": 4, "hourly_price": "market.h100"},
        {"item": "eng", "fte": 0.4, "annual_cost": "market.salary"}]})
    res = _run(doc, paths=1000)
    np.testing.assert_allclose(res.option("self x2").totals, 2 * res.option("self").totals, rtol=1e-12)
    assert {"market.h100.start", "market.salary"} <= set(res.inputs)
    assert res.option("self").totals.std() > 0


@pytest.mark.parametrize("field,value,market,message", [
    ("hourly_price", "market.nope", {}, '"market.nope" is not defined in [market] (have: none defined)'),
    ("gpus", "market.h100", {"h100": {"process": "trend", "start": 2, "annual_change": 0}},
     "market.h100 is a process; this field takes one value per path"),
    ("hourly_price", "market.x", {"x": "-1 to 3"},
     "can be below 0 (its P5 is -1): use a lognormal (0 < A < B) or clip = [0, ...]"),
])
def test_bad_market_references(field, value, market, message) -> None:
    doc = fixed_doc()
    doc["market"] = market
    doc["options"][1]["costs"][0] = {"item": "GPU", "gpus": 2, "hourly_price": 2.5, field: value}
    with pytest.raises(sim.ExperimentError) as info:
        parse_experiment(doc, "x.toml")
    assert info.value.lines() == [f"x.toml: options[1].costs[0].{field}: {message}"]


def test_market_reference_not_allowed_per_event() -> None:
    doc = fixed_doc()
    doc["market"] = {"c": 5}
    doc["options"][1]["costs"].append({"item": "ev", "events_per_year": 2, "cost_per_event": "market.c"})
    with pytest.raises(sim.ExperimentError, match=r"cost_per_event: a \[market\] reference is not allowed here"):
        parse_experiment(doc, "x.toml")
