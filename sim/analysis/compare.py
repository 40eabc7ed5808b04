"""`tcosim compare BEFORE AFTER`: the headline numbers of two reports side by side (e.g. before
and after a change to the experiment), from their summary.csv files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HEADLINE = ("mean", "total_p5", "total_p50", "total_p95", "p_cheapest", "var95", "cvar95",
            "p_any_month_over_budget", "p_total_over_budget", "tco_multiplier_p50",
            "safe_monthly_budget_p90", "safe_total_budget_p90")


def load_summary(folder: Path) -> pd.DataFrame:
    path = Path(folder) / "summary.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no summary.csv (is it a tcosim report folder?)")
    return pd.read_csv(path)


def compare(before: Path, after: Path) -> pd.DataFrame:
    """Long table: option, figure, before, after, difference, relative (after / before - 1)."""
    a, b = load_summary(before), load_summary(after)
    rows = []
    for option in dict.fromkeys([*a.option, *b.option]):
        ra, rb = a[a.option == option], b[b.option == option]
        for figure in HEADLINE:
            va = float(ra[figure].iloc[0]) if len(ra) and figure in ra else float("nan")
            vb = float(rb[figure].iloc[0]) if len(rb) and figure in rb else float("nan")
            if pd.isna(va) and pd.isna(vb):
                continue
            diff = vb - va
            rows.append({"option": option, "figure": figure, "before": va, "after": vb, "difference": diff,
                         "relative": diff / va if va not in (0.0,) and not pd.isna(va) else float("nan")})
    return pd.DataFrame(rows)
