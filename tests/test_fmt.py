"""The one formatter: every kind of number reads one way, and never as 2.319e+09, -0.0% or 0.0% ± 0.0."""

from __future__ import annotations

import math

import pytest

from sim import fmt


@pytest.mark.parametrize(("x", "text"), [
    (0, "$0.00"), (12.345, "$12.35"), (999.99, "$999.99"), (1000, "$1,000"), (159_300, "$159,300"),
    (-4500, "−$4,500"), (float("nan"), "n/a"), (None, "n/a")])
def test_money(x, text) -> None:
    assert fmt.money(x) == text


@pytest.mark.parametrize(("x", "text"), [
    (0, "0"), (0.35, "0.35"), (2.5, "2.5"), (950, "950"), (999.6, "1k"), (1000, "1k"), (10_600, "10.6k"),
    (183e6, "183M"), (2.319e9, "2.32B"), (2.3e9, "2.3B"), (1e9, "1B"), (4.2e12, "4.2T"), (6_996_238, "7M"),
    (-2.5e6, "−2.5M")])
def test_amounts_read_as_token_volumes(x, text) -> None:
    assert fmt.amount(x) == text
    assert "e+" not in fmt.amount(x) and "e-" not in fmt.amount(x)


@pytest.mark.parametrize(("x", "text"), [(950, "$950.00"), (12_345, "$12.3k"), (1.25e6, "$1.25M")])
def test_money_short(x, text) -> None:
    assert fmt.money_short(x) == text


@pytest.mark.parametrize(("x", "text"), [
    (0, "0%"), (1, "100%"), (0.0004, "< 0.1%"), (0.0053, "0.53%"), (0.384, "38.4%"), (0.9996, "> 99.9%"),
    (0.05, "5.0%")])
def test_shares(x, text) -> None:
    assert fmt.share(x) == text


def test_a_probability_of_zero_on_n_paths_is_not_a_certainty() -> None:
    assert fmt.prob(0.0, 0.0, n=1000) == "< 0.3%"  # rule of three: 3/n
    assert fmt.prob(1.0, 0.0, n=1000) == "> 99.7%"
    assert fmt.prob(0.0, 0.0, n=1_000_000) == "< 0.1%"  # never finer than the resolution
    assert fmt.prob(0.0, exact=True, n=1000) == "0%" and fmt.prob(1.0, exact=True, n=1000) == "100%"
    assert fmt.prob(0.624, 0.011, n=2000) == "62.4% ± 1.1"
    assert fmt.prob(0.0002, 0.0001, n=10_000) == "< 0.1%"  # no "0.0% ± 0.0"
    assert fmt.prob(0.5, 0.0001) == "50.0%"  # an error below the resolution is left out


@pytest.mark.parametrize(("before", "after", "text"), [
    (100, 100, "unchanged"), (100, 100.00001, "< 0.1%"), (100, 99.99999, "> −0.1%"), (100, 112.3, "+12.3%"),
    (100, 96, "−4.0%"), (0, 5, "from 0"), (float("nan"), 1, "n/a")])
def test_changes_never_read_minus_zero(before, after, text) -> None:
    assert fmt.change(before, after) == text


@pytest.mark.parametrize(("s", "text"), [
    (0.0, "< 0.1 s"), (0.04, "< 0.1 s"), (2.34, "2.3 s"), (65, "1 min 05 s"), (3725, "1 h 02 min")])
def test_durations(s, text) -> None:
    assert fmt.duration(s) == text


def test_ratio() -> None:
    assert fmt.ratio(2.6) == "2.60×" and fmt.ratio(math.nan) == "n/a"


def test_money_delta_signs_and_zero() -> None:
    from sim.fmt import money_delta

    assert money_delta(38366.2) == "+$38,366"
    assert money_delta(-1204.0) == "−$1,204"
    assert money_delta(0.0) == "unchanged"
    assert money_delta(float("nan")) == "n/a"
