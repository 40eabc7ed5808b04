"""Number formatting shared by tables and charts."""

from __future__ import annotations

import math


def money(x: float) -> str:
    """$12,345 (cents below $1,000)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if x < 0:
        return "−" + money(-x)
    if abs(x) < 1000:
        return f"${x:,.2f}"
    return f"${x:,.0f}"


def pct(p: float, se: float | None = None) -> str:
    text = f"{100 * p:.1f}%"
    return f"{text} ± {100 * se:.1f}" if se is not None else text


def ratio(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.2f}×"


def tick_money(x: float, _pos: object = None) -> str:
    """Axis tick label: dollars with thousands separators."""
    if abs(x) >= 100 or x == 0:
        return f"${x:,.0f}"
    return f"${x:,.2f}".rstrip("0").rstrip(".")
