"""Golden summaries: each shipped experiment at GOLDEN_PATHS paths and its own seed, as summary.csv
(tests/goldens/<experiment>.summary.csv). A change that moves a number shows up as a failing test;
when the change is meant, regenerate them and commit the new files with the change:

    python -m tests.golden
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import sim

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"
GOLDENS = Path(__file__).resolve().parent / "goldens"
GOLDEN_PATHS = 1000


def golden_summary(experiment: Path) -> pd.DataFrame:
    """The summary table of one shipped experiment, as a report would write it."""
    study = sim.run(sim.load_experiment(experiment), paths=GOLDEN_PATHS)
    return study.summary()


def path_for(experiment: Path) -> Path:
    return GOLDENS / f"{experiment.stem}.summary.csv"


def main() -> int:
    GOLDENS.mkdir(exist_ok=True)
    for experiment in sorted(EXPERIMENTS.glob("*.toml")):
        golden_summary(experiment).to_csv(path_for(experiment), index=False, float_format="%.12g")
        print(f"wrote {path_for(experiment).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
