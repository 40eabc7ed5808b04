"""What a pricer returns: named cost lines, each with its category and its monthly cost.

A line is named where it is priced and nowhere else: the engine reads names and categories from
the LineSet an option's pricer filled, so a line that appears only under some inputs (a cached-
input line, an overflow line) is always labelled by what priced it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: a monthly cost broadcastable to (months, n): a float, (1, n), (months, 1) or (months, n); kept
#: in its smallest shape so that fixed lines cost nothing to carry
Cost = npt.NDArray[np.float64] | float
#: per-month figures an option reports beside its cost (capacity, operations), each (months, n)
Metrics = dict[str, npt.NDArray[np.float64]]

CATEGORIES = ("gpu", "redundancy", "infra", "people", "software", "usage", "network", "other")


@dataclass(frozen=True)
class Line:
    item: str
    category: str
    cost: Cost


class LineSet:
    """An option's lines in the order they were priced; a second line of the same name is an error."""

    def __init__(self) -> None:
        self._lines: dict[str, Line] = {}

    def add(self, item: str, category: str, cost: Cost) -> None:
        if item in self._lines:
            raise ValueError(f"two cost lines are named {item!r}")
        if category not in CATEGORIES:
            raise ValueError(f"unknown cost category {category!r}")
        self._lines[item] = Line(item, category, cost)

    def extend(self, other: LineSet) -> None:
        for line in other:
            self.add(line.item, line.category, line.cost)

    def cost(self, item: str) -> Cost:
        return self._lines[item].cost

    def __iter__(self) -> Iterator[Line]:
        return iter(self._lines.values())

    def __len__(self) -> int:
        return len(self._lines)

    def __contains__(self, item: object) -> bool:
        return item in self._lines

    def names(self) -> list[tuple[str, str]]:
        """(item, category) of every line, in order."""
        return [(line.item, line.category) for line in self]

    def total(self, shape: tuple[int, int]) -> npt.NDArray[np.float64]:
        """The monthly cost of all lines together, (months, n)."""
        out = np.empty(shape)
        lines = iter(self)
        first = next(lines, None)
        np.add(0.0, 0.0 if first is None else first.cost, out=out)  # 0 + cost, as zeros += cost (-0.0 -> 0.0)
        for line in lines:
            out += line.cost
        return out


__all__ = ["CATEGORIES", "Cost", "Line", "LineSet", "Metrics"]
