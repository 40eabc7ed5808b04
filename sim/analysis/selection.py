"""Exact order statistics of many long rows at once, by a radix histogram: each value's top 16
bits (of an order-preserving integer key) are counted per row in one pass, the bucket holding each
wanted rank is found from the counts, and only the values in those buckets are searched. The
answer is the element np.partition would put at each rank; on 36 x 100,000 values at 10 ranks it
takes ~32 ms (float32) and ~41 ms (float64) against ~72 ms for np.partition (this 2-core VM,
numpy 2.4).

Where numpy sorts with SIMD (x86-simd-sort on AVX-512 CPUs: 36 x 100,000 float32 in 8.6 ms, the
measurement in issue 14) one ``np.sort`` per row beats the histogram; where it does not (this VM:
91 ms) the histogram wins. :func:`strategy` times both once per process on a small sample and
picks the faster; the values are the same either way (both give the exact order statistics)."""

from __future__ import annotations

import time

import numpy as np

#: histogram buckets per row: the top 16 bits of the key
BUCKETS = 1 << 16
#: rows shorter than this go to np.partition (the histogram's fixed cost would dominate)
MIN_LENGTH = 20_000


def order_keys(arr: np.ndarray) -> np.ndarray:
    """uint32 keys in the order of float32 values (sign-magnitude -> offset binary): negative
    values have every bit flipped, others only the sign bit; -0.0 sorts just below 0.0."""
    u = arr.view(np.uint32)
    return u ^ ((np.uint32(0) - (u >> 31)) | np.uint32(1 << 31))


def _buckets(arr: np.ndarray) -> np.ndarray:
    """int32 (rows, n): row * BUCKETS + the top 16 bits of each value's order key, computed in one
    buffer (as order_keys(...) >> 16 plus the row offsets, without a temporary per operation)."""
    narrow = arr if arr.dtype == np.float32 else arr.astype(np.float32)
    u = np.ascontiguousarray(narrow).view(np.uint32)
    key = u >> 31
    np.subtract(np.uint32(0), key, out=key)
    key |= np.uint32(1 << 31)
    key ^= u
    key >>= 16
    bucket = key.view(np.int32)  # below 2^16: the same number as int32
    bucket += (np.arange(arr.shape[0], dtype=np.int32) * BUCKETS)[:, None]
    return bucket


def select(arr: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """(rows, len(ranks)): the element of rank ``ranks[j]`` (0-based, ascending) of each row of a
    2-D float32/float64 array without NaN, equal to np.partition(arr, ranks, axis=1)[:, ranks].
    Buckets come from the values rounded to float32 (rounding keeps order, so every value in a
    bucket lies between those of the buckets around it); the exact value is chosen among the
    bucket's members in the array's own precision."""
    rows, n = arr.shape
    bucket = _buckets(arr)
    cum = np.cumsum(np.bincount(bucket.ravel(), minlength=rows * BUCKETS).reshape(rows, BUCKETS), axis=1)
    held = np.stack([np.searchsorted(cum[i], ranks, side="right") for i in range(rows)])  # (rows, ranks)
    wanted = np.zeros(rows * BUCKETS, dtype=bool)
    wanted[(held + np.arange(rows)[:, None] * BUCKETS).ravel()] = True
    mask = wanted[bucket]
    values, members = arr[mask], bucket[mask]
    starts = np.concatenate([[0], np.cumsum(np.count_nonzero(mask, axis=1))])
    out = np.empty((rows, len(ranks)), dtype=arr.dtype)
    for i in range(rows):  # a loop over rows (months), each over a few thousand candidates
        v, b = values[starts[i]:starts[i + 1]], members[starts[i]:starts[i + 1]]
        below = np.where(held[i] > 0, cum[i, np.maximum(held[i] - 1, 0)], 0)  # values in lower buckets
        for j, (where, rank) in enumerate(zip(held[i], ranks, strict=True)):
            seg = v[b == where + i * BUCKETS]
            k = int(rank - below[j])
            out[i, j] = np.partition(seg, k)[k]
    return out


def sorted_select(arr: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The same elements as :func:`select`, by one np.sort per row (fast where numpy sorts with SIMD)."""
    return np.sort(arr, axis=1)[:, ranks]


#: "histogram" or "sort" to force a method (tests, benchmarks); None: measured once per dtype
FORCED: str | None = None
_CHOSEN: dict[str, str] = {}
#: the timing sample: rows x values (long enough for the histogram, short enough to cost little)
PROBE = (2, 100_000)
#: the sort must beat the histogram by this factor on the sample (a SIMD sort wins by ~3x, so a
#: margin keeps timing noise from flipping the choice on a machine where they are close)
MARGIN = 1.5


def strategy(dtype: np.dtype) -> str:
    """"sort" or "histogram", whichever selects ranks from ``dtype`` rows faster on this machine:
    each is timed once on the same uniform sample (~25 ms for both dtypes, once per process)."""
    if FORCED is not None:
        return FORCED
    key = np.dtype(dtype).name
    if key not in _CHOSEN:
        sample = np.random.default_rng(0).random(PROBE, dtype=np.dtype(dtype).type)
        ranks = np.array([PROBE[1] // 20, PROBE[1] // 2, PROBE[1] - PROBE[1] // 20])
        took = {}
        for name, method in (("histogram", select), ("sort", sorted_select)):
            t0 = time.perf_counter()
            method(sample, ranks)
            took[name] = time.perf_counter() - t0
        _CHOSEN[key] = "sort" if took["sort"] * MARGIN < took["histogram"] else "histogram"
    return _CHOSEN[key]


def select_fastest(arr: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """:func:`select` or :func:`sorted_select`, whichever :func:`strategy` found faster here."""
    return sorted_select(arr, ranks) if strategy(arr.dtype) == "sort" else select(arr, ranks)


def usable(arr: np.ndarray, nan_free: bool | None = None) -> bool:
    """Whether :func:`select` applies: long float32/float64 rows without NaN (``nan_free``: the
    caller has already checked, e.g. from the rows' minima)."""
    return (arr.ndim == 2 and arr.shape[1] >= MIN_LENGTH and arr.dtype in (np.float32, np.float64)
            and (not np.isnan(arr).any() if nan_free is None else nan_free))


def stable_argsort(x: np.ndarray) -> np.ndarray:
    """np.argsort(x, kind="stable") of a 1-D array, from numpy's default sort (a SIMD quicksort
    where the CPU has one: 100,000 float64 in 1.6 ms against 9.6 ms stable, this VM): equal
    values, which it may leave in any order, get their indices back in ascending order. With a
    NaN (whose order numpy's sorts disagree on) it is the stable sort itself."""
    order = np.argsort(x)
    ordered = x[order]
    n = ordered.size
    if n < 2:
        return order
    if ordered.dtype.kind == "f" and np.isnan(ordered[-1]):  # NaN sorts last
        return np.argsort(x, kind="stable")
    tied = ordered[1:] == ordered[:-1]
    if not tied.any():
        return order
    starts = np.ones(n, dtype=bool)
    starts[1:] = ~tied
    keys = (np.cumsum(starts, dtype=np.int64) - 1) * n + order  # (run of equal values, index)
    keys.sort()
    return keys % n


__all__ = ["FORCED", "order_keys", "select", "select_fastest", "sorted_select", "stable_argsort", "strategy",
           "usable"]
