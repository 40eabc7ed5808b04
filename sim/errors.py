"""Errors users see: every one names the file and the dotted path of the bad value."""

from __future__ import annotations


class ExperimentError(Exception):
    """One or more problems in an experiment file, each ``FILE: dotted.path: what is wrong``."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.file}: {path}: {msg}" if path else f"{self.file}: {msg}"
                for path, msg in self.problems]


def dotted(loc: tuple[object, ...] | list[object]) -> str:
    """('options', 1, 'costs', 0, 'monthly') -> 'options[1].costs[0].monthly'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part:
            out += f".{part}" if out else str(part)
    return out
