"""Write a report folder atomically: build in a temporary sibling folder, then swap it in."""

from __future__ import annotations

import platform
import time
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.progress import Progress, quiet
from sim.report.chart_set import charts_drawn
from sim.report.content import build_document
from sim.report.document import to_html, to_markdown
from sim.report.folder import output_folder

if TYPE_CHECKING:
    from sim.study import Study

MONEY_METRICS = ("monthly_cost", "cumulative_cost", "line:")


def _round_values(bands: pd.DataFrame) -> pd.DataFrame:
    """Money to cents (values come from float32 storage); ratios to 6 significant digits."""
    out = bands.copy()
    money = out.metric.str.startswith(MONEY_METRICS)
    out.loc[money, "value"] = out.loc[money, "value"].round(2)
    other = ~money
    out.loc[other, "value"] = [float(f"{v:.6g}") for v in out.loc[other, "value"]]
    return out


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("tcosim", "numpy", "scipy", "pandas", "simpy", "matplotlib", "pydantic"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def manifest(study: Study, wall_time: float | None) -> dict[str, object]:
    result = study.result
    exp = result.experiment
    return {
        "kind": "run",
        "tool_version": _versions()["tcosim"],
        "experiment": exp.experiment.name,
        "experiment_file": exp.source,
        "experiment_sha256": exp.sha256,
        "seed": result.seed,
        "paths": result.paths,
        "horizon_months": result.months,
        "engine": "numpy-vectorized",
        "ops_engine": result.ops_engine,
        "ops_des_events": result.ops_events,
        "workers": result.workers,
        "chunk_paths": result.chunk_paths,
        "line_bands": result.line_bands,
        "library_versions": _versions(),
        "wall_time_s": None if wall_time is None else round(wall_time, 3),
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write_tables(study: Study, folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    result = study.result
    bands = study.percentiles()
    _round_values(bands).to_csv(folder / "percentiles.csv", index=False)
    summary = study.summary()
    summary.to_csv(folder / "summary.csv", index=False, float_format="%.10g")
    lines = [{"option": o.name, "line": ln.item, "category": ln.category, "month": m + 1,
              "mean": round(float(ln.mean_by_month[m]), 4)}
             for o in result.options for ln in o.lines for m in range(result.months)]
    pd.DataFrame(lines).to_csv(folder / "line_means.csv", index=False)
    study.sensitivity().to_csv(folder / "sensitivity.csv", index=False, float_format="%.10g")
    if len(study.switches()):
        study.switches().to_csv(folder / "switch.csv", index=False, float_format="%.10g")
    if len(result.options) >= 2:
        study.value_of_information().to_csv(folder / "voi.csv", index=False, float_format="%.10g")
    if study.scenarios:
        study.scenario_table().to_csv(folder / "scenarios.csv", index=False, float_format="%.10g")
    if result.experiment.correlations:
        study.correlations().to_csv(folder / "correlations.csv", index=False, float_format="%.10g")
    return bands, summary


def write_report(study: Study, out_dir: Path, wall_time: float | None = None,
                 progress: Progress | None = None, started: float | None = None) -> Path:
    """Write every report file to ``out_dir`` (replacing only a previous report of ours); an
    interrupted or failed write leaves the previous report intact and no temporary folder.
    ``started`` (a time.perf_counter() reading) makes the stated simulation and analysis time run
    from it to the last table written, in place of ``wall_time``."""
    progress = progress or quiet()
    info = manifest(study, wall_time)
    with output_folder(out_dir, info) as tmp:
        progress.stage("charts", "charts")
        # with several workers the first charts are drawn while the tables (sensitivity, value of
        # information) are computed and written
        with charts_drawn(study, study.percentiles(), tmp / "charts", progress) as charts:
            _, summary = write_tables(study, tmp)
            if started is not None:
                wall_time = time.perf_counter() - started
                info["wall_time_s"] = round(wall_time, 3)
        progress.stage("writing")
        doc = build_document(study, summary, charts, wall_time)
        (tmp / "report.md").write_text(to_markdown(doc), encoding="utf-8")
        title = f"tcosim report: {study.name}"
        (tmp / "report.html").write_text(to_html(doc, tmp, title), encoding="utf-8")
    return Path(out_dir)
