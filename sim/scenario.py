"""A Scenario is the sampled world for one chunk of paths: every input drawn by its config path.

Seeding: one root ``SeedSequence(seed)``. Paths are cut into fixed blocks of BLOCK_PATHS; block b
is the root's child b, and each input (keyed by its dotted config path) gets its own grandchild
stream ``spawn_key = (b, crc32(path))``. So a draw depends only on the seed, the block and the
input's name: never on chunk size, worker count, or which other inputs exist. Options that read the
same key read the same numbers (common random numbers).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
from numpy.random import PCG64, Generator, SeedSequence

from distributions import Distribution, Fixed, Process
from sim.specs import Ref

#: Paths per seed block: the unit of reproducibility. Changing it changes every stream.
BLOCK_PATHS = 2048


def block_sizes(paths: int) -> list[int]:
    """Sizes of the seed blocks covering ``paths`` paths (the last may be partial)."""
    full, rest = divmod(paths, BLOCK_PATHS)
    return [BLOCK_PATHS] * full + ([rest] if rest else [])


class Scenario:
    """Inputs for the paths of blocks ``blocks`` (a contiguous range) of a run."""

    def __init__(self, seed: int, blocks: range, paths_total: int, months: int,
                 market: dict[str, Distribution | Process] | None = None, correlations: list | None = None,
                 shocks: dict | None = None) -> None:
        sizes = block_sizes(paths_total)
        self.seed = seed
        self.blocks = blocks
        self.sizes = [sizes[b] for b in blocks]
        self.n = sum(self.sizes)
        self.months = months
        #: per-path draws of every uncertain scalar input and process parameter, by dotted path
        self.inputs: dict[str, np.ndarray] = {}
        self._cache: dict[str, np.ndarray] = {}
        self.market = market or {}
        self.groups = {key: group for group in correlations or [] for key in group.keys}
        #: stress-scenario shocks by key (sim.stress.Window lists); empty in the base case
        self.shocks = shocks or {}

    def rng(self, key: str, block: int) -> Generator:
        ss = SeedSequence(self.seed, spawn_key=(block, zlib.crc32(key.encode("utf-8"))))
        return Generator(PCG64(ss))

    def draw(self, key: str, fn: Callable[[Generator, int], np.ndarray]) -> np.ndarray:
        """Call ``fn(rng, size)`` per block with that block's stream for ``key``; concatenate."""
        return self.draw_rows(key, lambda rng, rows: fn(rng, rows.stop - rows.start))

    def draw_rows(self, key: str, fn: Callable[[Generator, slice], np.ndarray]) -> np.ndarray:
        """Like ``draw``, but ``fn`` gets the block's rows of this chunk (to index per-path inputs).
        Draws are path-major: the first axis of each block's array is its paths."""
        if key not in self._cache:
            parts, start = [], 0
            for b, size in zip(self.blocks, self.sizes, strict=True):
                parts.append(fn(self.rng(key, b), slice(start, start + size)))
                start += size
            self._cache[key] = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
        return self._cache[key]

    def block_slices(self) -> list[slice]:
        """Each seed block's paths within this chunk."""
        edges = np.cumsum([0, *self.sizes])
        return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]

    def _resolve(self, key: str, spec: Distribution | Process | Ref) -> tuple[str, Distribution | Process]:
        """A [market] reference reads the named input's stream (one draw shared by every user)."""
        if isinstance(spec, Ref):
            return spec.key, self.market[spec.name]
        return key, spec

    def shocked(self, value, *keys: str):
        """``value`` with any stress shocks on these keys applied (month windows -> (months, n))."""
        for key in keys:
            for window in self.shocks.get(key, ()):
                value = window.apply(value, self.months, self.n)
        return value

    def scalar(self, key: str, dist: Distribution | Ref) -> np.ndarray | float:
        """One draw per path, shape (n,); a plain float for a fixed input (broadcasts anywhere)."""
        field = key
        key, spec = self._resolve(key, dist)
        assert isinstance(spec, Distribution), f"{field} takes one value per path (checked at validation)"
        if self.shocks and (field in self.shocks or key in self.shocks):
            value = self._scalar(key, spec)
            return self.shocked(value if isinstance(value, float) else value[None, :], field, key)[0]
        return self._scalar(key, spec)

    def _scalar(self, key: str, dist: Distribution) -> np.ndarray | float:
        if isinstance(dist, Fixed):
            return dist.value
        if key in self.groups and key not in self._cache:
            self._draw_group(self.groups[key])
        values = self.draw(key, dist.sample)
        self.inputs[key] = values
        return values

    def _draw_group(self, group) -> None:
        """Draw a correlated group's inputs from their own streams, then reorder them jointly per
        seed block (Iman-Conover): each marginal is exactly what it would be uncorrelated."""
        from distributions.correlation import iman_conover

        parts = []
        for b, size in zip(self.blocks, self.sizes, strict=True):
            raw = np.column_stack([dist.sample(self.rng(key, b), size)
                                   for key, dist in zip(group.keys, group.dists, strict=True)])
            parts.append(iman_conover(raw, group.matrix, self.rng(group.tag, b)))
        joint = np.concatenate(parts, axis=0)
        for j, key in enumerate(group.keys):
            self._cache[key] = joint[:, j]

    def series(self, key: str, spec: Distribution | Process) -> np.ndarray | float:
        """A value per month and path, month-major: (months, n) for a process, (1, n) for a scalar
        drawn per path, or a float when fixed. Every shape broadcasts against (months, n)."""
        field = key
        key, spec = self._resolve(key, spec)
        if self.shocks and (field in self.shocks or key in self.shocks):
            return self.shocked(self._series(key, spec), field, key)
        return self._series(key, spec)

    def _series(self, key: str, spec: Distribution | Process) -> np.ndarray | float:
        if isinstance(spec, Process):
            months = self.months
            names: list[str] = []

            def sample(rng: Generator, size: int) -> np.ndarray:
                draw = spec.sample(rng, size, months)
                names[:] = list(draw.params)
                return np.column_stack([draw.values, *draw.params.values()])

            packed = self.draw(key, sample)
            for j, name in enumerate(names):
                self.inputs[f"{key}.{name}"] = packed[:, months + j]
            return np.ascontiguousarray(packed[:, :months].T)
        value = self._scalar(key, spec)
        return value if isinstance(value, float) else value[None, :]
