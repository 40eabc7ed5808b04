"""Reports: CSVs, charts, report.md and a self-contained report.html, written atomically."""
