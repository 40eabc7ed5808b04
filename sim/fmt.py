"""The one formatter for numbers people read: money, amounts and token volumes, shares, estimated
probabilities, relative changes, ratios and durations. Every command, report and chart uses these,
so a figure reads the same wherever it appears (no "2.319e+09", no "-0.0%", no "0.0% ± 0.0")."""

from __future__ import annotations

import math

#: the finest share shown: below it a share reads "< 0.1%"
SHARE_RESOLUTION = 0.001

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def money(x: float | None) -> str:
    """$12,345 (cents below $1,000); a negative amount with a minus sign."""
    if _missing(x):
        return "n/a"
    assert x is not None
    if x < 0:
        return "−" + money(-x)
    if abs(x) < 1000:
        return f"${x:,.2f}"
    return f"${x:,.0f}"


def money_delta(x: float | None) -> str:
    """A signed difference in dollars: "+$38,366", "−$1,204", or "unchanged" when exactly zero."""
    if _missing(x):
        return "n/a"
    assert x is not None
    if x == 0:
        return "unchanged"
    return ("+" if x > 0 else "") + money(x)


def money_short(x: float | None) -> str:
    """$950, $12.3k, $1.25M: money in three significant digits, for charts and one-line summaries."""
    if _missing(x):
        return "n/a"
    assert x is not None
    if x < 0:
        return "−" + money_short(-x)
    if x < 1000:
        return money(x)
    return "$" + amount(x)


def amount(x: float | None, digits: int = 3) -> str:
    """A compact count or volume: 950, 10.6k, 183M, 2.32B (``digits`` significant digits, trailing
    zeros dropped); numbers below 1,000 keep up to ``digits`` significant digits (0.35, 2.5, 12)."""
    if _missing(x):
        return "n/a"
    assert x is not None
    if x < 0:
        return "−" + amount(-x, digits)
    if x == 0:
        return "0"
    for scale, suffix in _SUFFIXES:
        if x >= scale * (1 - 0.5 * 10.0 ** -digits):
            return _sig(x / scale, digits) + suffix
    return _sig(x, digits)


def _sig(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits, without an exponent or trailing zeros."""
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def share(x: float | None) -> str:
    """A known fraction (of cost, of tokens, of time) as a percentage with one decimal, "38.4%", or
    two significant digits below 1%, "0.53%"; exactly 0 and 1 read "0%" and "100%"; below the
    resolution "< 0.1%" (never "0.0%")."""
    if _missing(x):
        return "n/a"
    assert x is not None
    if x < 0:
        return "−" + share(-x)
    if x == 0:
        return "0%"
    if x == 1:
        return "100%"
    if x < SHARE_RESOLUTION / 2:
        return f"< {100 * SHARE_RESOLUTION:g}%"
    if 1 - SHARE_RESOLUTION / 2 < x < 1:
        return f"> {100 - 100 * SHARE_RESOLUTION:g}%"
    if x >= 10:
        return f"{100 * x:,.0f}%"
    if x < 0.01:
        return f"{_sig(100 * x, 2)}%"
    return f"{100 * x:.1f}%"


def prob(p: float | None, se: float | None = None, n: int | None = None, exact: bool = False) -> str:
    """A probability estimated on ``n`` paths, with its standard error when known: "62.4% ± 1.1".

    A share of 0 or 1 over n paths is not a certainty: it reads "< 0.3%" (the rule-of-three 95%
    upper bound, 3/n, or the 0.1% resolution if finer) unless ``exact`` (every path is the same,
    so the answer is known). A standard error below the resolution is left out."""
    if _missing(p):
        return "n/a"
    assert p is not None
    if p in (0.0, 1.0):
        if exact or n is None:
            return "0%" if p == 0 else "100%"
        bound = max(SHARE_RESOLUTION, 3.0 / n)
        text = _sig(100 * bound, 2)
        return f"< {text}%" if p == 0 else f"> {_sig(100 - 100 * bound, 3)}%"
    text = share(p)
    if se is not None and se >= SHARE_RESOLUTION / 2 and not text.startswith(("<", ">")):
        text += f" ± {100 * se:.1f}"
    return text


def change(before: float | None, after: float | None) -> str:
    """The relative change from ``before`` to ``after``: "+12.3%", "−4.0%"; "unchanged" when it rounds
    to nothing; "new" from zero; "n/a" when a side is missing."""
    if _missing(before) or _missing(after):
        return "n/a"
    assert before is not None and after is not None
    if after == before:
        return "unchanged"
    if before == 0:
        return "from 0"
    rel = (after - before) / abs(before)
    if abs(rel) < 0.0005:
        return "< 0.1%" if rel > 0 else "> −0.1%"
    sign = "+" if rel > 0 else "−"
    return f"{sign}{100 * abs(rel):,.1f}%"


def ratio(x: float | None) -> str:
    """2.60×."""
    return "n/a" if _missing(x) else f"{x:.2f}×"


def duration(seconds: float | None) -> str:
    """How long something took: "< 0.1 s", "2.3 s", "4 min 05 s", "1 h 02 min"."""
    if _missing(seconds):
        return "n/a"
    assert seconds is not None
    if seconds < 0.05:
        return "< 0.1 s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def tick_money_compact(x: float) -> str:
    """Axis tick label in compact units: $2.5k, $250k, −$1.5M."""
    return ("−" if x < 0 else "") + "$" + amount(abs(x))


def tick_money(x: float, _pos: object = None) -> str:
    """Axis tick label: $950, $4,000, then compact from $10k ($250k, $1.5M) so that ticks on a
    log axis or a narrow panel do not run into each other."""
    if abs(x) >= 10_000:
        return tick_money_compact(x)
    if abs(x) >= 100 or x == 0:
        return f"${x:,.0f}"
    return f"${x:,.2f}".rstrip("0").rstrip(".")


def tick_amount(x: float, _pos: object = None) -> str:
    """Axis tick label for counts and volumes: 10M, 2.5B, 0.5."""
    return amount(x)


__all__ = ["SHARE_RESOLUTION", "amount", "change", "duration", "money", "money_delta", "money_short", "prob",
           "ratio", "share", "tick_amount", "tick_money", "tick_money_compact"]
