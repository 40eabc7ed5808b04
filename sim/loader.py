"""Read an experiment file: size and nesting limits, TOML, the schema (every problem listed as
``FILE: dotted.path: what is wrong``), catalog prices, then the semantic checks."""

from __future__ import annotations

import copy
import difflib
import hashlib
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sim.catalog import resolve_cheapest, resolve_prices
from sim.config import ALL_FIELDS, INTERNAL_FIELDS, Experiment
from sim.errors import ExperimentError, dotted
from sim.validate import problems

#: an experiment file is text someone wrote; beyond this it is not one (and would be copied into reports)
MAX_FILE_BYTES = 4 * 1024 * 1024
#: tables and arrays nested deeper than this are refused before anything recurses into them
MAX_DEPTH = 24


def _too_deep(node: object, depth: int = 0) -> list[object] | None:
    """The location of the first value nested deeper than MAX_DEPTH, or None."""
    if depth > MAX_DEPTH:
        return []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found = _too_deep(child, depth + 1)
        if found is not None:
            return [key, *found]
    return None


#: the option kinds (pydantic's discriminator tags, dropped from error locations)
OPTION_KINDS = ("api", "self_hosted", "staged")

#: pydantic's bound errors -> (symbol, ctx key): "must be > 0, got -5"
_BOUNDS = {"greater_than": (">", "gt"), "greater_than_equal": (">=", "ge"), "less_than": ("<", "lt"),
           "less_than_equal": ("<=", "le")}


def _format(err: ErrorDetails) -> tuple[str, str]:
    loc = list(err["loc"])
    # drop the discriminator tag pydantic inserts after options[i]
    loc = [p for k, p in enumerate(loc) if not (k > 0 and isinstance(loc[k - 1], int) and p in OPTION_KINDS)]
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "spec":
        path = dotted(loc)
        sub = ctx.get("subpath", "")
        if sub:
            path = f"{path}{'' if sub.startswith('[') else '.'}{sub}"
        return path, ctx["message"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        near = difflib.get_close_matches(key, ALL_FIELDS, n=1)
        hint = f' (did you mean "{near[0]}"?)' if near else ""
        return dotted(loc), f"unknown key{hint}"
    if kind == "missing":
        return dotted(loc), "required field is missing"
    if kind == "union_tag_invalid":
        return dotted([*loc, "kind"]), (f'unknown option kind {ctx.get("tag")!r} '
                                        '(expected "api", "self_hosted" or "staged")')
    if kind == "union_tag_not_found":
        return dotted([*loc, "kind"]), 'required: kind = "api", "self_hosted" or "staged"'
    if kind == "finite_number":
        return dotted(loc), "must be a finite number (not nan or inf)"
    if kind in _BOUNDS:
        symbol, key = _BOUNDS[kind]
        given = err["input"]
        shown = format(given, ".12g") if isinstance(given, float) else repr(given)  # 2e+15, not 2000000000000000.0
        return dotted(loc), f"must be {symbol} {ctx[key]:g}, got {shown}"
    return dotted(loc), err["msg"].removeprefix("Value error, ")


def parse_experiment(data: dict[str, Any], source: str = "<memory>", base_dir: Path | None = None) -> Experiment:
    """Validate a parsed TOML document; raise ExperimentError listing every problem."""
    deep = _too_deep(data)
    if deep is not None:
        raise ExperimentError(source, [(dotted(deep[:3]), f"nested more than {MAX_DEPTH} levels deep")])
    internal = [key for key in INTERNAL_FIELDS if key in data]
    if internal:
        raise ExperimentError(source, [(key, "unknown key") for key in internal])
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError(source, list(dict.fromkeys(_format(e) for e in exc.errors()))) from None
    exp.source = source
    exp.raw = copy.deepcopy(data)
    exp.base_dir = str(base_dir) if base_dir is not None else ""
    resolve_prices(exp, base_dir=base_dir or Path.cwd())
    found = problems(exp)
    if found:
        raise ExperimentError(source, found)
    resolve_cheapest(exp)
    return exp


def load_experiment(path: str | Path) -> Experiment:
    """Read, parse and validate an experiment file (TOML), resolving catalog prices."""
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ExperimentError(name, [("", f"the file is {size / 2**20:,.1f} MiB; an experiment file is at most "
                                             f"{MAX_FILE_BYTES // 2**20} MiB")])
        raw = path.read_bytes()
    except OSError as exc:
        raise ExperimentError(name, [("", f"cannot read file: {exc.strerror}")]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ExperimentError(name, [("", f"not valid TOML: {exc}")]) from None
    except RecursionError:
        raise ExperimentError(name, [("", "not valid TOML: nested too deeply")]) from None
    exp = parse_experiment(data, name, path.parent)
    exp.sha256 = hashlib.sha256(raw).hexdigest()
    return exp
