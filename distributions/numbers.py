"""Numbers as people write them in experiment files: 3M, 2.5k, 1.2B, 40%, $5,100."""

from __future__ import annotations

import math
import re

_SUFFIX = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "%": 0.01}
_NUMBER = re.compile(r"^\s*([+-]?)\s*\$?\s*([0-9][0-9,_]*\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+)\s*([kKMB%]?)\s*$")


def parse_number(value: object) -> float:
    """Convert an int, float or suffixed string to a finite float; raise ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r}: expected a number, got a boolean")
    if isinstance(value, int | float):
        out = float(value)
    elif isinstance(value, str):
        match = _NUMBER.match(value)
        if not match:
            raise ValueError(f'"{value}": not a number (write e.g. 2.5, "3M", "40%", "2k")')
        sign, digits, suffix = match.groups()
        out = float(digits.replace(",", "").replace("_", "")) * _SUFFIX[suffix]
        out = -out if sign == "-" else out
    else:
        raise ValueError(f"expected a number, got {type(value).__name__}")
    if not math.isfinite(out):
        raise ValueError(f"{value!r}: must be a finite number")
    return out
