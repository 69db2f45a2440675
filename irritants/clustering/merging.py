"""After the batch: merging groups that are one irritant.

The batch finds groups of reports worded alike; on the demo backlog one irritant told in several ways (« la CAF me
réclame un trop-perçu », « j'ai reçu un courrier disant que je dois rembourser ») comes out as several groups, one
per way of telling it. Two such groups are merged when their centroids are close — cosine taken on the vectors
minus their mean: raw e5 centroids all sit at 0.8–1 — and, when the reports carry them, when the groups' majority
keys (administration, démarche) are the same: that guard keeps neighbouring blockages of different démarches
apart (docs/clustering.md, « Merging groups that are one irritant »).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

# Groups of one administration and one démarche whose centred centroids reach this cosine are merged after every
# batch run (measured on the demo backlog by scripts/eval_demo_backlog.py; None: never).
SAME_IRRITANT_THRESHOLD: float | None = 0.2


def relabel(labels: np.ndarray) -> np.ndarray:
    """Number clusters 0..k-1 by decreasing size, ties by first position, so numbering is reproducible."""
    uniq, first, counts = np.unique(labels, return_index=True, return_counts=True)
    ranking = np.lexsort((first, -counts))
    mapping = np.empty(uniq.shape[0], dtype=np.int64)
    mapping[ranking] = np.arange(uniq.shape[0])
    return mapping[np.searchsorted(uniq, labels)]


def majority_keys(labels: np.ndarray, keys: Sequence[Sequence[str | None]], k: int) -> list[tuple[str | None, ...]]:
    """Per group 0..k-1, the most frequent value of each key column (None counts as a value; ties: smallest)."""
    counts: list[list[Counter]] = [[Counter() for _ in keys] for _ in range(k)]
    for c, column in enumerate(keys):
        for group, key in zip(labels.tolist(), column, strict=True):
            counts[group][c][key] += 1
    return [
        tuple(
            min(found.items(), key=lambda kv: (-kv[1], kv[0] is not None, str(kv[0])))[0] if found else None
            for found in per_group
        )
        for per_group in counts
    ]


def merge_close_groups(
    vectors: np.ndarray,
    labels: np.ndarray,
    threshold: float,
    *,
    keys: Sequence[Sequence[str | None]] | None = None,
) -> np.ndarray:
    """Labels where groups whose centroids are closer than threshold (cosine, centred) are one group.

    Centroids are taken on the vectors minus their mean (every e5 vector shares a large common direction,
    which squeezes raw centroid cosines into 0.8–1). The closest pair is merged first and its centroid
    recomputed (size-weighted), until no pair reaches threshold. With ``keys`` (columns of one key or None per
    row, e.g. administration and démarche) only groups with the same majority key in every column may merge,
    and a majority of None (no démarche given) matches nothing. Groups come out numbered 0..k-1 by decreasing
    size, as from cluster_vectors.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size == 0:
        return labels.copy()
    k = int(labels.max()) + 1
    x = vectors - vectors.mean(axis=0)
    sums = np.zeros((k, x.shape[1]))
    np.add.at(sums, labels, x)
    unit = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    sims = unit @ unit.T
    allowed = np.ones((k, k), dtype=bool)
    if keys:
        # Merging two groups with the same majority keys keeps those majorities: the mask stays true as groups grow.
        majority = majority_keys(labels, keys, k)
        for c in range(len(keys)):
            values = [m[c] for m in majority]
            known = np.array([v is not None for v in values])
            codes = np.unique(np.array([str(v) for v in values]), return_inverse=True)[1]
            allowed &= (codes[:, None] == codes[None, :]) & known[:, None] & known[None, :]
    sims[~allowed] = -np.inf
    np.fill_diagonal(sims, -np.inf)
    parent = np.arange(k)
    alive = np.bincount(labels, minlength=k) > 0
    sims[~alive, :] = -np.inf
    sims[:, ~alive] = -np.inf
    while True:
        flat = int(np.argmax(sims))
        a, b = divmod(flat, k)
        if sims[a, b] < threshold:
            break
        a, b = min(a, b), max(a, b)
        parent[parent == b] = a
        sums[a] += sums[b]
        unit[a] = sums[a] / max(float(np.linalg.norm(sums[a])), 1e-12)
        sims[b, :] = sims[:, b] = -np.inf
        sims[a, :] = sims[:, a] = np.where(allowed[a], unit @ unit[a], -np.inf)
        sims[a, a] = -np.inf
        gone = (parent != np.arange(k)) | ~alive
        sims[a, gone] = sims[gone, a] = -np.inf
    return relabel(parent[labels])
