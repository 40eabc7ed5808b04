"""Hypothesis properties: cost monotone in price; percentiles ordered; never negative or NaN."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.loader import parse_experiment

PRICE = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)
POSITIVE = st.floats(min_value=0.01, max_value=1e4, allow_nan=False)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _interval(lo: float, width: float) -> str:
    return f"{lo!r} to {lo * (1 + width)!r}"


def _doc(p_in, p_out, volume_lo, width, growth, monthly_lo, horizon) -> dict:
    return {
        "experiment": {"name": "prop", "horizon_months": horizon, "paths": 200, "seed": 11},
        "workload": {"input_tokens_per_day": _interval(volume_lo, width),
                     "output_tokens_per_day": _interval(volume_lo / 5, width),
                     "monthly_growth": growth, "growth_volatility": 0.05},
        "options": [
            {"name": "api", "kind": "api", "input_per_million": p_in, "output_per_million": p_out,
             "annual_price_change": "-40% to -5%"},
            {"name": "self", "kind": "self_hosted", "costs": [
                {"item": "gpu", "category": "gpu", "gpus": 2, "hourly_price": _interval(2.0, width)},
                {"item": "ops", "monthly": _interval(monthly_lo, width)},
                {"item": "upgrades", "events_per_year": 2.5, "cost_per_event": "8k to 16k"},
            ]},
        ],
    }


@SETTINGS
@given(p=PRICE, bump=st.floats(min_value=0.0, max_value=50.0), volume=POSITIVE)
def test_api_cost_is_monotone_in_price(p: float, bump: float, volume: float) -> None:
    import sim

    low = sim.run(parse_experiment(_doc(p, p, volume * 1e3, 0.5, 0.01, 100.0, 6)))
    high = sim.run(parse_experiment(_doc(p + bump, p + bump, volume * 1e3, 0.5, 0.01, 100.0, 6)))
    # the same seed means the same paths: a higher price never lowers any path's total
    assert np.all(high.option("api").totals >= low.option("api").totals)
    assert np.array_equal(high.option("self").totals, low.option("self").totals)


@SETTINGS
@given(p_in=PRICE, p_out=PRICE, volume=POSITIVE, width=st.floats(min_value=0.01, max_value=5.0),
       growth=st.floats(min_value=-0.2, max_value=0.2), monthly=POSITIVE,
       horizon=st.integers(min_value=1, max_value=24))
def test_percentiles_ordered_finite_and_non_negative(p_in, p_out, volume, width, growth, monthly, horizon) -> None:
    import sim

    res = sim.run(parse_experiment(_doc(p_in, p_out, volume * 1e3, width, growth, monthly, horizon)))
    bands = res.percentiles()
    assert np.isfinite(bands.value).all()
    assert (bands.value >= 0).all()
    wide = bands.pivot_table(index=["option", "metric", "month"], columns="percentile", values="value")
    ordered = wide[[5, 25, 50, 75, 95]].to_numpy()
    assert np.all(np.diff(ordered, axis=1) >= 0)
    for opt in res.options:
        assert np.isfinite(opt.totals).all() and (opt.totals >= 0).all()
