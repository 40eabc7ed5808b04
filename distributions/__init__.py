"""Sampling layer: distributions and month-by-month processes (numpy + scipy only)."""

from distributions.base import Clipped, Distribution
from distributions.continuous import (
    Beta,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
)
from distributions.discrete import Bernoulli, Empirical, Poisson
from distributions.mixture import Mixture
from distributions.numbers import parse_number
from distributions.processes import (
    GBM,
    Jumps,
    MeanReverting,
    Process,
    ProcessDraw,
    Trend,
    compound_poisson,
)
from distributions.spec import FAMILIES, PROCESSES, Spec, SpecError, parse_distribution, parse_spec
from distributions.transforms import LogOneMinus, LogOnePlus

__all__ = [
    "Bernoulli", "Beta", "Clipped", "Distribution", "Empirical", "FAMILIES", "Fixed", "GBM", "Gamma", "Jumps",
    "LogNormal", "LogOneMinus", "LogOnePlus", "MeanReverting", "Mixture", "Normal", "PROCESSES", "Pert",
    "Poisson", "Process", "ProcessDraw", "Spec", "SpecError", "Trend", "Triangular", "Uniform",
    "compound_poisson", "parse_distribution", "parse_number", "parse_spec",
]
