"""The radix-histogram selection finds exactly the elements np.partition does, whatever the data:
ties, signed zeros, infinities, float64 values that round to one float32, a constant bulk."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis import selection
from sim.analysis.quantiles import row_percentiles
from sim.analysis.selection import MIN_LENGTH, order_keys, select, sorted_select, stable_argsort, strategy, usable
from tests.conftest import test_seed


def _data(kind: str, rng: np.random.Generator, rows: int, n: int) -> np.ndarray:
    if kind == "lognormal":
        return rng.lognormal(5, 2, (rows, n))
    if kind == "normal":
        return rng.normal(0, 1, (rows, n))
    if kind == "ties":
        return rng.integers(-3, 4, (rows, n)).astype(float)
    if kind == "signed zeros":
        return np.where(rng.random((rows, n)) < 0.5, 0.0, -0.0) + rng.integers(0, 2, (rows, n))
    if kind == "infinities":
        a = rng.normal(0, 1e-30, (rows, n))
        a[:, :5], a[:, 5:9] = np.inf, -np.inf
        return a
    if kind == "one float32 bucket":
        return 1e6 + rng.normal(0, 1e-6, (rows, n))
    a = np.full((rows, n), 7.0)  # a constant bulk with a few outliers
    a[:, ::97] = rng.normal(size=a[:, ::97].shape)
    return a


KINDS = ["lognormal", "normal", "ties", "signed zeros", "infinities", "one float32 bucket", "constant bulk"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", KINDS)
def test_select_equals_partition(kind: str, dtype) -> None:  # noqa: ANN001
    rng = np.random.default_rng(test_seed(17))
    for _ in range(3):
        rows, n = int(rng.integers(1, 5)), int(rng.integers(MIN_LENGTH, 3 * MIN_LENGTH))
        a = _data(kind, rng, rows, n).astype(dtype)
        ranks = np.unique(np.concatenate([[0, n - 1], rng.integers(0, n, size=int(rng.integers(1, 12)))]))
        assert np.array_equal(select(a, ranks), np.partition(a, ranks, axis=1)[:, ranks])
        assert np.array_equal(sorted_select(a, ranks), np.partition(a, ranks, axis=1)[:, ranks])


@pytest.mark.parametrize("kind", ["lognormal", "ties", "signed zeros", "infinities", "constant bulk"])
def test_percentiles_are_bit_identical_whichever_method_the_machine_picks(kind: str, monkeypatch) -> None:  # noqa: ANN001
    """The sort and the histogram choose the same order statistics, so the bands (and the CSVs)
    do not depend on which one this machine's timing picked; a zero comes out +0.0 either way."""
    rng = np.random.default_rng(test_seed(23))
    a = _data(kind, rng, 3, MIN_LENGTH + 7).astype(np.float32)
    levels = [5, 25, 50, 75, 95]
    got = {}
    for method in ("histogram", "sort"):
        monkeypatch.setattr(selection, "FORCED", method)
        got[method] = row_percentiles(a, levels)
    assert got["histogram"].tobytes() == got["sort"].tobytes()
    assert not np.signbit(got["sort"][got["sort"] == 0]).any()


def test_the_method_is_measured_once_per_dtype_and_can_be_forced(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(selection, "_CHOSEN", {})
    first = strategy(np.dtype(np.float32))
    assert first in ("histogram", "sort") and {"float32": first} == selection._CHOSEN
    selection._CHOSEN["float32"] = "sort" if first == "histogram" else "histogram"  # cached: not re-timed
    assert strategy(np.dtype(np.float32)) != first
    monkeypatch.setattr(selection, "FORCED", "sort")
    assert strategy(np.dtype(np.float64)) == "sort" and "float64" not in selection._CHOSEN


def test_order_keys_sort_like_the_floats() -> None:
    x = np.array([-np.inf, -3.5, -1e-30, -0.0, 0.0, 1e-30, 2.0, np.inf], dtype=np.float32)
    keys = order_keys(x)
    assert np.all(np.diff(keys.astype(np.int64)) > 0)


def test_percentiles_of_long_rows_match_numpy_and_short_rows_take_partition() -> None:
    rng = np.random.default_rng(test_seed(19))
    arr = rng.lognormal(8, 1, (5, 50_001)).astype(np.float32)
    assert usable(arr) and not usable(arr[:, :100]) and not usable(np.where(arr > 1e9, np.nan, arr) * np.nan)
    levels = [2.5, 5, 25, 50, 75, 95, 97.5]
    np.testing.assert_allclose(row_percentiles(arr, levels),  # numpy interpolates from the upper side above 0.5
                               np.percentile(arr.astype(np.float64), levels, axis=1), rtol=1e-12)


@pytest.mark.parametrize("cells", [7, 1 << 16, 1 << 22])
def test_cumulative_bands_in_blocks_equal_those_of_the_full_cumsum(cells: int, monkeypatch) -> None:  # noqa: ANN001
    """The running total built a block of months at a time adds the same float32 values in the same
    order as np.cumsum(dtype=float64): the percentiles are identical, not close."""
    import sim.analysis.quantiles as quantiles

    monkeypatch.setattr(quantiles, "BLOCK_CELLS", cells)
    x = np.random.default_rng(test_seed(23)).lognormal(5, 1, (13, 25_000)).astype(np.float32)
    levels = [5, 25, 50, 75, 95]
    assert np.array_equal(quantiles.cumulative_percentiles(x, levels),
                          quantiles.row_percentiles(np.cumsum(x, axis=0, dtype=np.float64), levels))


def test_bucket_ids_are_the_top_16_bits_of_the_order_keys_plus_the_row_offset() -> None:
    from sim.analysis.selection import BUCKETS, _buckets

    rng = np.random.default_rng(test_seed(29))
    for dtype in (np.float32, np.float64):
        a = _data("signed zeros", rng, 3, 50).astype(dtype) * rng.normal(size=(3, 50)).astype(dtype)
        keys = order_keys(a.astype(np.float32)) >> 16
        expected = keys.astype(np.int64) + np.arange(3)[:, None] * BUCKETS
        assert np.array_equal(_buckets(a), expected)


@pytest.mark.parametrize("method", ["histogram", "sort"])
def test_long_rows_constant_varying_and_with_nan_take_their_own_paths(method: str, monkeypatch) -> None:  # noqa: ANN001
    """A constant row is returned exactly, varying rows match numpy, and a row holding NaN gets the
    order statistics np.partition gives (the histogram sends it there; the sort puts NaN last, as
    np.partition does), whatever the other rows of the block are."""
    monkeypatch.setattr(selection, "FORCED", method)
    rng = np.random.default_rng(test_seed(37))
    arr = rng.lognormal(3, 1, (4, MIN_LENGTH + 11))
    arr[1] = 2.5
    arr[2, 5] = -np.inf
    arr[3, 7] = np.nan
    levels = [5, 50, 95]
    got = row_percentiles(arr, levels)
    np.testing.assert_allclose(got[:, :3], np.percentile(arr[:3], levels, axis=1), rtol=1e-12)
    assert np.all(got[:, 1] == 2.5)
    n = arr.shape[1]
    h = (n - 1) * np.array(levels) / 100
    lo = np.floor(h).astype(int)
    part = np.partition(arr[3], np.unique(np.concatenate([lo, lo + 1])))
    np.testing.assert_array_equal(got[:, 3], part[lo] + (part[lo + 1] - part[lo]) * (h - lo))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stable_argsort_equals_numpys_stable_sort(kind: str, dtype) -> None:  # noqa: ANN001
    rng = np.random.default_rng(test_seed(23))
    for n in (0, 1, 2, 257, 30_000):
        x = _data(kind, rng, 1, n)[0].astype(dtype)
        got = stable_argsort(x)
        assert got.dtype == np.intp
        np.testing.assert_array_equal(got, np.argsort(x, kind="stable"))


def test_stable_argsort_puts_tied_indices_in_ascending_order_and_falls_back_with_nan() -> None:
    # 0.0 and -0.0 are equal: their indices stay in order, as in a stable sort
    np.testing.assert_array_equal(stable_argsort(np.array([2.0, 0.0, -0.0, 1.0, 0.0, 2.0])), [1, 2, 4, 3, 0, 5])
    with_nan = np.array([np.nan, 1.0, np.nan, 1.0, 0.5])
    np.testing.assert_array_equal(stable_argsort(with_nan), [4, 1, 3, 0, 2])
    ints = np.random.default_rng(test_seed(29)).integers(0, 5, 10_000)
    np.testing.assert_array_equal(stable_argsort(ints), np.argsort(ints, kind="stable"))


def test_percentiles_of_a_sorted_sample_are_read_off_and_equal_those_of_the_sample() -> None:
    from sim.analysis.quantiles import ordered_percentiles, percentile_ci, tail_mean

    rng = np.random.default_rng(test_seed(41))
    levels = [2.5, 5, 50, 90, 95, 97.5]
    for n in (1, 2, 101, MIN_LENGTH + 3):
        x = rng.lognormal(5, 2, n)
        ordered = np.sort(x)
        assert ordered_percentiles(ordered, levels).tobytes() == row_percentiles(x[None, :], levels)[:, 0].tobytes()
        for got, want in zip(percentile_ci(x, levels, ordered=ordered), percentile_ci(x, levels), strict=True):
            assert got.tobytes() == want.tobytes()
        assert tail_mean(x, 95.0, ordered) == tail_mean(x, 95.0)
