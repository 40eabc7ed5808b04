"""Names people give things (options, cost lines, scenarios): printable, bounded, and unique after
case-folding, Unicode normalisation and look-alike letters, so two names a reader cannot tell
apart never name two things. Long free text (descriptions) is capped where it is shown."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Annotated, Protocol, TypeVar

from pydantic import AfterValidator

MAX_NAME = 80
#: an experiment name becomes a folder name: portable characters, bounded length
MAX_FOLDER_NAME = 64
#: characters of a description shown in reports (the rest is cut, and the report says so)
MAX_TEXT_SHOWN = 2000
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_FOLDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

#: Cyrillic and Greek letters that render like Latin ones (Unicode TR39 confusables, the common
#: subset): "GPТ-4o" with a Cyrillic Т must clash with "GPT-4o".
_LOOKALIKE = str.maketrans({
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ɡ": "g",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ϲ": "c", "ℓ": "l",
})


def _hidden(text: str, allowed: str = "") -> str | None:
    for ch in text:
        if unicodedata.category(ch) in _HIDDEN and ch not in allowed:
            return f"U+{ord(ch):04X}"
    return None


def check_name(value: str) -> str:
    """A name: stripped, non-blank, at most MAX_NAME characters, no control or invisible characters."""
    text = value.strip()
    if not text:
        raise ValueError("must not be blank")
    bad = _hidden(text)
    if bad:
        raise ValueError(f"contains a control or invisible character ({bad}); use printable text")
    if len(text) > MAX_NAME:
        raise ValueError(f"is {len(text)} characters long; at most {MAX_NAME}")
    return text


def check_folder_name(value: str) -> str:
    """The experiment name, which names the report folder."""
    if not _FOLDER.fullmatch(value):
        raise ValueError(f'"{value}": use letters, digits, ".", "_" and "-" only, starting with a letter or digit '
                         "(it names the report folder)")
    if len(value) > MAX_FOLDER_NAME:
        raise ValueError(f"is {len(value)} characters long; at most {MAX_FOLDER_NAME} (it names the report folder)")
    return value


def check_text(value: str) -> str:
    """Free text: any length (reports show the first MAX_TEXT_SHOWN characters), printable but for
    line breaks and tabs."""
    bad = _hidden(value, allowed="\n\t\r")
    if bad:
        raise ValueError(f"contains a control or invisible character ({bad}); use printable text")
    return value


def shown(text: str, limit: int = MAX_TEXT_SHOWN) -> str:
    """``text`` cut for display, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (cut: {len(text):,} characters in the file)"


def name_key(name: str) -> str:
    """What a reader sees: NFKC-normalised, case-folded, look-alikes mapped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", name).casefold().translate(_LOOKALIKE)
    return " ".join(text.split())


def clashes(names: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of distinct names that read the same (name_key), in order of appearance."""
    seen: dict[str, str] = {}
    out = []
    for name in names:
        key = name_key(name)
        if key in seen:
            out.append((seen[key], name))
        else:
            seen[key] = name
    return out


def clash_message(what: str, pairs: list[tuple[str, str]]) -> str:
    a, b = pairs[0]
    if a == b:
        return f"{what} must be unique; repeated: {a}"
    return f"{what} must be unique ignoring case and look-alike characters; “{a}” and “{b}” read the same"


class _Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=_Named)


def find(items: Iterable[T], name: str) -> T:
    """The item called ``name`` (options of an experiment or of a result; KeyError if none)."""
    for item in items:
        if item.name == name:
            return item
    raise KeyError(name)


Name = Annotated[str, AfterValidator(check_name)]
FolderName = Annotated[str, AfterValidator(check_folder_name)]
Text = Annotated[str, AfterValidator(check_text)]
