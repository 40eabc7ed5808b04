"""`tcosim compare BEFORE AFTER`: the headline numbers of two reports side by side (e.g. before
and after a change to the experiment), from their summary.csv files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.errors import UsageError

HEADLINE = ("mean", "total_p5", "total_p50", "total_p95", "p_cheapest", "var95", "cvar95",
            "p_any_month_over_budget", "p_total_over_budget", "tco_multiplier_p50",
            "safe_monthly_budget_p90", "safe_total_budget_p90")


def load_summary(folder: Path) -> pd.DataFrame:
    """A report's summary.csv, or a UsageError saying why it cannot be read."""
    path = Path(folder) / "summary.csv"
    if not path.is_file():
        raise UsageError(f"{folder}: no summary.csv (is it a tcosim report folder?)")
    try:
        table = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable summary table ({type(exc).__name__}: {exc})") from None
    if "option" not in table.columns or not len(table):
        raise UsageError(f"{path}: not a tcosim summary (no \"option\" column or no rows)")
    if table.option.duplicated().any():
        raise UsageError(f"{path}: an option appears twice; not a tcosim summary")
    return table


@dataclass
class Comparison:
    table: pd.DataFrame  # option, figure, before, after, difference, relative
    only_before: list[str]
    only_after: list[str]


def _number(frame: pd.DataFrame, figure: str) -> float:
    if not len(frame) or figure not in frame:
        return float("nan")
    value = pd.to_numeric(frame[figure], errors="coerce").iloc[0]
    return float(value)


def compare(before: Path, after: Path) -> Comparison:
    """Long table over the options both reports hold; options on one side only are listed.
    Raises UsageError when no option is in common (nothing can be compared)."""
    a, b = load_summary(before), load_summary(after)
    common = [o for o in a.option if o in set(b.option)]
    only_before = [str(o) for o in a.option if o not in set(b.option)]
    only_after = [str(o) for o in b.option if o not in set(a.option)]
    if not common:
        raise UsageError(f"nothing to compare: no option is in both reports (before: {', '.join(only_before)}; "
                         f"after: {', '.join(only_after)})")
    rows = []
    for option in common:
        ra, rb = a[a.option == option], b[b.option == option]
        for figure in HEADLINE:
            va, vb = _number(ra, figure), _number(rb, figure)
            if pd.isna(va) and pd.isna(vb):
                continue
            diff = vb - va
            rows.append({"option": option, "figure": figure, "before": va, "after": vb, "difference": diff,
                         "relative": diff / va if va != 0.0 and not pd.isna(va) else float("nan")})
    columns = ["option", "figure", "before", "after", "difference", "relative"]
    return Comparison(pd.DataFrame(rows, columns=columns), only_before, only_after)
