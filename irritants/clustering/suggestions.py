"""Merge suggestions: pairs of irritants whose centroids are so close that they are probably one irritant.

Pure: unit centroids (rows, in age order, oldest first) and sizes in, pairs out, best first. The backlog shows the
best pairs among every open irritant; an irritant's page the pairs it is in.

Centroids are compared once *centred* (:func:`centred`): minus the mean of all of them, weighted by size. Raw e5
centroids all share one large direction (any two irritants' centroids have a cosine of 0.9 or more), so a raw
cosine ranks pairs no better than chance; the centred cosine keeps what sets irritants apart. The thresholds are
calibrated on labelled sets by ``scripts/eval_merge_suggestions.py`` (``docs/clustering.md`` keeps the table).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Centred cosine of two centroids from which a pair is suggested, per encoder family (see module docstring).
DEFAULT_SUGGEST_THRESHOLDS = {"embedding": 0.45, "tfidf": 0.45}
# A pair is suggested only when each irritant is among the other's MUTUAL_RANK nearest: on the dev sets this took the
# precision of the pairs from 34 % to about 50 % (1: about 60 %, but an irritant split in three then shows one pair).
MUTUAL_RANK = 2
MUTUAL_TOLERANCE = 1e-6
CLOSENESS_STEP = 0.1  # each step above the threshold, one word closer (see closeness)
BLOCK_ROWS = 1024  # rows of the similarity matrix computed at once: 1024 × 5,000 float32 ≈ 20 MB


def suggest_threshold(encoder_name: str) -> float:
    """Suggestion threshold suited to an encoder, by the family its name starts with."""
    return DEFAULT_SUGGEST_THRESHOLDS["tfidf" if encoder_name.startswith("tfidf") else "embedding"]


@dataclass(frozen=True)
class Pair:
    """Two rows that look like one irritant: ``keep`` would survive a merge (the larger, then the older), ``merge``
    would go into it."""

    keep: int
    merge: int
    similarity: float


def centred(centroids: np.ndarray, sizes: np.ndarray | None = None) -> np.ndarray:
    """Unit centroids minus their size-weighted mean (≈ the mean of every report), re-normalised: what
    :func:`similar_pairs` compares. Centre once over every irritant that could be compared,
    then pick rows, so that a pair's similarity does not depend on who asks."""
    matrix = np.asarray(centroids, dtype=np.float64)
    if not matrix.shape[0]:
        return matrix.astype(np.float32)
    weights = _sizes(sizes, matrix.shape[0]).astype(np.float64)
    weights = weights if weights.sum() > 0 else np.ones_like(weights)
    shifted = matrix - (weights @ matrix) / weights.sum()
    return (shifted / np.maximum(np.linalg.norm(shifted, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _oriented(first: np.ndarray, second: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # The larger survives; on equal sizes the older (lower row).
    low, high = np.minimum(first, second), np.maximum(first, second)
    swap = sizes[high] > sizes[low]
    return np.where(swap, high, low), np.where(swap, low, high)


def _sizes(sizes: np.ndarray | None, n: int) -> np.ndarray:
    if sizes is None:
        return np.ones(n, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    if sizes.shape != (n,):
        raise ValueError(f"sizes must have one value per centroid ({n}), not shape {sizes.shape}")
    return sizes


def _ordered(keep: np.ndarray, merge: np.ndarray, sims: np.ndarray, sizes: np.ndarray, limit: int | None) -> list[Pair]:
    # Best first; ties by the larger pair, then by rows (deterministic).
    order = np.lexsort((merge, keep, -(sizes[keep] + sizes[merge]), -sims))
    if limit is not None:
        order = order[: max(int(limit), 0)]
    return [Pair(int(keep[i]), int(merge[i]), float(sims[i])) for i in order]


def similar_pairs(
    centroids: np.ndarray,
    sizes: np.ndarray | None = None,
    *,
    threshold: float,
    mutual: int = 0,
    limit: int | None = None,
    block: int = BLOCK_ROWS,
) -> list[Pair]:
    """Every pair of rows whose cosine similarity reaches ``threshold``, best first (at most ``limit``); with
    ``mutual`` = k, only pairs where each row is among the other's k nearest rows.

    ``centroids``: unit rows (centred ones, see :func:`centred`), one per irritant, oldest first. Computed by
    blocks of rows, so memory stays at ``block × n``: against the rows after them (the upper triangle, half the
    products), or against every row when ``mutual`` needs each row's nearest ones.
    """
    matrix = np.asarray(centroids, dtype=np.float32)
    n = matrix.shape[0]
    sizes = _sizes(sizes, n)
    k = min(max(int(mutual), 0), max(n - 1, 0))
    kth = np.full(n, -np.inf, dtype=np.float32)  # each row's k-th highest similarity to another row
    firsts, seconds, sims = [], [], []
    for lo in range(0, n, max(int(block), 1)):
        hi = min(lo + block, n)
        start = 0 if k else lo  # columns compared: every row, or those from row lo on
        scores = matrix[lo:hi] @ matrix[start:].T
        above = scores >= threshold
        if k:
            scores[np.arange(hi - lo), np.arange(lo, hi)] = -np.inf  # a row is not its own neighbour
            above[np.arange(hi - lo), np.arange(lo, hi)] = False
            # Only rows in a pair need their k-th value (a partner's own row has the pair too: it is symmetric).
            involved = np.nonzero(above.any(axis=1))[0]
            if involved.size:
                kth[lo + involved] = np.partition(scores[involved], -k, axis=1)[:, -k]
        rows, cols = np.nonzero(above)
        upper = cols + start > rows + lo  # each pair once, never a row with itself
        rows, cols = rows[upper], cols[upper]
        firsts.append(rows + lo)
        seconds.append(cols + start)
        sims.append(scores[rows, cols])
    if not n:
        return []
    first, second, sim = np.concatenate(firsts), np.concatenate(seconds), np.concatenate(sims)
    if k:
        # Within float rounding: the two rows' products were computed apart.
        both = (sim >= kth[first] - MUTUAL_TOLERANCE) & (sim >= kth[second] - MUTUAL_TOLERANCE)
        first, second, sim = first[both], second[both], sim[both]
    keep, merge = _oriented(first, second, sizes)
    return _ordered(keep, merge, sim.astype(np.float64), sizes, limit)


CLOSENESS = ("très proches", "proches", "assez proches")


def closeness(similarity: float, threshold: float, step: float = CLOSENESS_STEP) -> str:
    """How close a suggested pair is, in words: « assez proches » from the threshold, « proches » one step above,
    « très proches » two steps above (the precision measured rises with each, see docs/clustering.md)."""
    if similarity >= threshold + 2 * step:
        return CLOSENESS[0]
    if similarity >= threshold + step:
        return CLOSENESS[1]
    return CLOSENESS[2]
