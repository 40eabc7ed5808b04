"""``[[correlations]]``: rank correlations between sampled inputs named by dotted path, grouped
into matrices (connected inputs), checked, and imposed per seed block with Iman-Conover."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from distributions import Distribution, Fixed, Process
from distributions.correlation import check_psd
from sim.config import Experiment
from sim.specs import Ref


@dataclass(frozen=True)
class CorrelationGroup:
    keys: tuple[str, ...]  # scenario keys (dotted paths; market references resolved)
    dists: tuple[Distribution, ...]
    matrix: np.ndarray
    tag: str  # names the stream of this group's Iman-Conover scores


_TOKEN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")
#: tables whose numbers are settings of the run, not inputs drawn or priced
_NOT_INPUTS = ("experiment", "claims", "correlations")


def lookup(exp: Experiment, path: str) -> tuple[str, Distribution | Process]:
    """Dotted path -> (the key the scenario draws it under, its spec); a plain number of the schema
    (a count, a month) comes back as Fixed. ValueError if the path names no numeric input."""
    node: object = exp
    parts = path.split(".")
    if parts[0] == "market":
        if len(parts) != 2 or parts[1] not in exp.market:
            raise ValueError(f'"{path}" is not defined in [market]')
        node = exp.market[parts[1]]
    else:
        for part in parts:
            match = _TOKEN.match(part)
            if match is None or not hasattr(node, match.group(1)) or match.group(1) in _NOT_INPUTS:
                raise ValueError(f'"{path}" names no input of this experiment')
            node = getattr(node, match.group(1))
            if match.group(2) is not None:
                idx = int(match.group(2))
                if not isinstance(node, list) or idx >= len(node):
                    raise ValueError(f'"{path}" names no input of this experiment')
                node = node[idx]
    key = path
    if isinstance(node, Ref):
        key, node = node.key, exp.market[node.name]
    if isinstance(node, Distribution | Process):
        return key, node
    if isinstance(node, int | float) and not isinstance(node, bool):
        return key, Fixed(float(node))
    raise ValueError(f'"{path}" is not a numeric input')


def resolve(exp: Experiment, path: str) -> tuple[str, Distribution]:
    """Dotted path -> (key, distribution) of an input drawn once per path and not fixed: what a
    rank correlation can apply to. ValueError otherwise."""
    key, node = lookup(exp, path)
    if isinstance(node, Process):
        raise ValueError(f'"{path}" is a process; correlations apply to inputs drawn once per path')
    if node.is_fixed:
        raise ValueError(f'"{path}" is fixed: there is nothing to correlate')
    return key, node


def build_groups(exp: Experiment) -> list[CorrelationGroup]:
    """Connected inputs -> one matrix each. Raises ValueError (with the index of the entry at
    fault as ``.index`` where one is to blame)."""
    entries = exp.correlations
    if not entries:
        return []
    resolved: dict[str, tuple[str, Distribution]] = {}
    pairs: dict[tuple[str, str], float] = {}
    for i, entry in enumerate(entries):
        keys = []
        for field in ("a", "b"):
            path = getattr(entry, field)
            try:
                resolved[path] = resolve(exp, path)
            except ValueError as exc:
                raise CorrelationError(i, field, str(exc)) from None
            keys.append(resolved[path][0])
        if keys[0] == keys[1]:
            raise CorrelationError(i, "b", "an input cannot be correlated with itself")
        pair = (min(keys), max(keys))
        if pair in pairs:
            raise CorrelationError(i, "b", "this pair is already given")
        pairs[pair] = entry.rank_correlation
    dists = {key: dist for key, dist in resolved.values()}
    groups = _components(list(dists), list(pairs))
    out = []
    for g, keys in enumerate(groups):
        index = {k: j for j, k in enumerate(keys)}
        matrix = np.eye(len(keys))
        for (a, b), rho in pairs.items():
            if a in index:
                matrix[index[a], index[b]] = matrix[index[b], index[a]] = rho
        try:
            check_psd(matrix)
        except ValueError as exc:
            raise CorrelationError(None, None, f"{', '.join(keys)}: {exc}") from None
        out.append(CorrelationGroup(tuple(keys), tuple(dists[k] for k in keys), matrix, f"correlations[{g}]"))
    return out


def _components(nodes: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for n in nodes:
        groups.setdefault(find(n), []).append(n)
    return [sorted(g) for g in groups.values()]


class CorrelationError(ValueError):
    """A problem with the [[correlations]] entries; ``index`` and ``field`` locate it when one entry
    is to blame."""

    def __init__(self, index: int | None, field: str | None, message: str) -> None:
        super().__init__(message)
        self.index, self.field, self.message = index, field, message
