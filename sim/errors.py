"""Errors users see: every one names the file (or the flag) and the dotted path of the bad value."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

#: an echoed message longer than this is cut (a 50 MB value must not flood the terminal)
MAX_MESSAGE = 400
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def printable(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` safe to print: control and invisible characters escaped (no raw ESC sequence
    reaches a terminal), cut to ``limit`` characters."""
    out = []
    for ch in str(text):
        if unicodedata.category(ch) in _HIDDEN:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    joined = "".join(out)
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"


class ExperimentError(Exception):
    """One or more problems in an experiment file, each ``FILE: dotted.path: what is wrong``."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [printable(f"{self.file}: {path}: {msg}" if path else f"{self.file}: {msg}")
                for path, msg in self.problems]


class UsageError(Exception):
    """A bad command-line value or output path (exit 2); the message names the flag."""

    def lines(self) -> list[str]:
        return [printable(str(self))]


def dotted(loc: Sequence[object]) -> str:
    """('options', 1, 'costs', 0, 'monthly') -> 'options[1].costs[0].monthly'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part:
            out += f".{part}" if out else str(part)
    return out
