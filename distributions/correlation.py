"""Iman-Conover: impose a rank correlation on independently drawn samples while keeping each
marginal exactly (the values are only reordered). Iman & Conover (1982), "A distribution-free
approach to inducing rank correlation among input variables"."""

from __future__ import annotations

import numpy as np
from numpy.random import Generator

import distributions.lazy as lazy


def check_psd(matrix: np.ndarray, tol: float = 1e-10) -> float:
    """Smallest eigenvalue; raise ValueError if the matrix is not a valid correlation matrix."""
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or not np.allclose(m, m.T):
        raise ValueError("a correlation matrix must be square and symmetric")
    if not np.allclose(np.diag(m), 1.0) or np.any(np.abs(m) > 1 + tol):
        raise ValueError("correlations must lie in [-1, 1] with ones on the diagonal")
    smallest = float(np.linalg.eigvalsh(m).min())
    if smallest < -tol:
        raise ValueError(f"the correlation matrix is not positive semi-definite (smallest eigenvalue "
                         f"{smallest:.3f}): some asked correlations contradict each other")
    return smallest


def _sqrt(matrix: np.ndarray) -> np.ndarray:
    """A square root R with R R^T = matrix (works for semi-definite matrices too)."""
    values, vectors = np.linalg.eigh(matrix)
    return np.asarray(vectors * np.sqrt(np.clip(values, 0.0, None)), dtype=float)


def iman_conover(samples: np.ndarray, rank_corr: np.ndarray, rng: Generator) -> np.ndarray:
    """Reorder each column of ``samples`` (n x k) so their rank correlation approaches
    ``rank_corr`` (k x k). Each output column is a permutation of its input column."""
    n, k = samples.shape
    if k < 2 or n < 3:
        return samples.copy()
    scores = lazy.special().ndtri(np.arange(1, n + 1) / (n + 1))
    m = np.column_stack([rng.permutation(scores) for _ in range(k)])
    # Pearson correlation of normal scores that gives the asked Spearman correlation
    target = 2.0 * np.sin(np.pi * np.asarray(rank_corr, dtype=float) / 6.0)
    np.fill_diagonal(target, 1.0)
    current = np.corrcoef(m, rowvar=False)
    t = m @ np.linalg.inv(_sqrt(current)).T @ _sqrt(target).T
    out = np.empty_like(samples, dtype=float)
    for j in range(k):
        ranks = np.argsort(np.argsort(t[:, j], kind="stable"), kind="stable")
        out[:, j] = np.sort(samples[:, j], kind="stable")[ranks]
    return out
