"""Errors that teach: when a value is not a number, show the two or three forms of the grammar
closest to what was written ("normal(0.1, 0.03)" -> the table and the interval it means)."""

from __future__ import annotations

import re

from distributions.numbers import parse_number

#: z of the 95th percentile: "A to B" is a 90% interval
Z95 = 1.6448536269514722

#: a function-call spelling: family(arg, arg, ...)
_CALL = re.compile(r"^\s*([A-Za-z_]+)\s*\((.*)\)\s*$")
#: a range written with a dash, an ellipsis or a tilde: 5M-7M, 5M – 7M, 5M..7M, 5M~7M
_RANGE = re.compile(r"^\s*(\S+?)\s*(?:-|–|—|\.\.|~)\s*(\S+)\s*$")

#: what a family's positional arguments most likely mean, and their key names
_POSITIONAL = {
    "normal": ("mean", "sd"), "lognormal": ("mean", "sd"), "gamma": ("mean", "sd"), "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"), "pert": ("low", "mode", "high"), "beta": ("alpha", "beta"),
    "poisson": ("lam",), "bernoulli": ("p",), "fixed": ("value",),
}
_ALIASES = {"norm": "normal", "gaussian": "normal", "lognorm": "lognormal", "log_normal": "lognormal",
            "unif": "uniform", "tri": "triangular", "betapert": "pert", "fixed": "fixed"}

GENERIC = ('write a number (2.5, "3M", "40%", "$5,100"), a 90% interval ("300 to 600") or a distribution '
           'table such as { dist = "pert", low = 300, mode = 420, high = 800 }')


def _toml(value: str) -> str:
    """A number as it may be written in TOML: bare when plain, quoted when it has a suffix."""
    return value if re.fullmatch(r"[+-]?[0-9]+\.?[0-9]*", value) else f'"{value}"'


def _short(x: float) -> str:
    """A number for a suggested interval: 3 significant digits, suffixed like the grammar's."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.3g}"


def _call_hint(family: str, args: list[str]) -> list[str]:
    family = _ALIASES.get(family.lower(), family.lower())
    keys = _POSITIONAL.get(family)
    if keys is None or len(args) != len(keys):
        return []
    pairs = ", ".join(f"{k} = {_toml(a)}" for k, a in zip(keys, args, strict=True))
    table = f'{{ dist = "{family}", {pairs} }}'
    forms = [f"the table {table}"]
    try:
        values = [parse_number(a) for a in args]
    except ValueError:
        return forms
    if keys == ("mean", "sd") and values[1] > 0:
        low, high = values[0] - Z95 * values[1], values[0] + Z95 * values[1]
        if family == "normal" or low > 0:
            near = "" if family == "normal" else "about "
            forms.append(f'{near}the 90% interval "{_short(low)} to {_short(high)}"')
    elif keys in (("low", "high"), ("low", "mode", "high")) and values[0] < values[-1]:
        forms.append(f'a 90% interval "{args[0]} to {args[-1]}" (a lognormal or normal, not a {family})')
    return forms


def teach(text: str) -> str:
    """The message for a string that is not a number: what was probably meant, in the grammar."""
    call = _CALL.match(text)
    if call:
        args = [a.strip() for a in call.group(2).split(",") if a.strip()]
        forms = _call_hint(call.group(1), args)
        if forms:
            return f'"{text}": not a number; a distribution is written as {" or as ".join(forms)}'
    spans = _RANGE.match(text)
    if spans and not text.strip().startswith("-"):
        low, high = spans.groups()
        try:
            parse_number(low), parse_number(high)
        except ValueError:
            pass
        else:
            return (f'"{text}": not a number; a range is written "{low} to {high}" (a 90% interval: P5 {low}, '
                    f'P95 {high}) or {{ dist = "uniform", low = {_toml(low)}, high = {_toml(high)} }}')
    return f'"{text}": not a number; {GENERIC}'


__all__ = ["GENERIC", "teach"]
