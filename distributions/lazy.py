"""scipy, loaded on first use: importing scipy.stats takes ~0.4 s, and validating a file or
drawing from the common families never needs it."""

from __future__ import annotations

from typing import Any


def stats() -> Any:
    """scipy.stats."""
    from scipy import stats as module

    return module


def special() -> Any:
    """scipy.special."""
    from scipy import special as module

    return module


__all__ = ["special", "stats"]
