"""Reports: CSVs, charts, report.md and a self-contained report.html, written atomically."""

#: the package's modules (import the one you need: none is loaded here)
__all__ = ["charts", "content", "document", "folder", "writer"]
