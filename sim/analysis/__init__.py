"""Analyses of a Result: percentile bands, P(cheapest), budget risk, TCO multiplier, claims."""

#: the package's modules (import the one you need: none is loaded here)
__all__ = ["bands", "cheapest", "claims", "compare", "correlations", "quantiles", "risk", "sensitivity", "summary"]
