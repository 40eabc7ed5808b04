"""Analyses of a Result: percentile bands, P(cheapest), budget risk, TCO multiplier, claims."""
