"""Batch mode: re-cluster every stored report vector from scratch, finding the number of irritants itself.

A rule of kchoice.py partitions a seeded sample (≤ DEFAULT_SAMPLE_SIZE vectors) and so fixes k; the sample
clusters' centroids then seed k-means on all the vectors (chosen by measurement, see scripts/eval_clustering.py
and docs/clustering.md). The k choice is quadratic in the sample only, k-means is linear in n. Soft keys
(administration, démarche) nudge reports that share them together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans, MiniBatchKMeans

from irritants.clustering.kchoice import DEFAULT_K_RULE, choose_partition
from irritants.clustering.merging import merge_close_groups
from irritants.clustering.merging import relabel as _relabel

Progress = Callable[[str], None]

DEFAULT_SOFT_WEIGHT = 0.1
DEFAULT_SAMPLE_SIZE = 3000
_KEY_DIM = 32
_FULL_KMEANS_UP_TO = 200_000
_HASH_CHUNK = 65_536


def _key_vector(key: str) -> np.ndarray:
    # Seeded by the key's text (not its rank among keys) so that input order cannot change it.
    seed = int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")
    vec = np.random.default_rng(seed).standard_normal(_KEY_DIM)
    return (vec / np.linalg.norm(vec)).astype(np.float32)


def _key_codes(column: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """Per row, 1 + the rank of its key among the sorted distinct keys (0 for none); and the key vectors.

    Ranks come from the keys' text, so the codes do not depend on the order of the rows.
    """
    keys = sorted({str(key) for key in column if key is not None})
    rank = {key: i + 1 for i, key in enumerate(keys)}
    codes = np.fromiter((0 if key is None else rank[str(key)] for key in column), dtype=np.int32, count=len(column))
    table = np.zeros((len(keys) + 1, _KEY_DIM), dtype=np.float32)
    for key, i in rank.items():
        table[i] = _key_vector(key)
    return codes, table


def _check_keys(vectors: np.ndarray, soft_keys: Sequence[Sequence[str | None]] | None) -> list[Sequence[str | None]]:
    columns = list(soft_keys or [])
    if any(len(col) != vectors.shape[0] for col in columns):
        raise ValueError("each soft key column needs one entry per vector")
    return columns


def with_soft_keys(
    vectors: np.ndarray,
    soft_keys: Sequence[Sequence[str | None]] | None,
    soft_weight: float = DEFAULT_SOFT_WEIGHT,
    *,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Append near-orthogonal key blocks so that sharing a key adds ≈ soft_weight to the cosine similarity.

    soft_keys holds one or more columns (e.g. administration, démarche), each with one key or None per row.
    A soft signal only: two reports with different administrations can still end up together. With ``order``
    the rows come out permuted by it. The result is written once, chunk by chunk: at a million reports a
    temporary copy of the matrix is more than a gigabyte.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    columns = _check_keys(vectors, soft_keys)
    if not columns or soft_weight <= 0:
        return vectors if order is None else vectors[order]
    n, dim = vectors.shape
    order = np.arange(n) if order is None else np.asarray(order)
    coded = [_key_codes(col) for col in columns]
    share = np.float32(np.sqrt(soft_weight / len(columns)))
    scale = np.float32(np.sqrt(1.0 - soft_weight))
    out = np.empty((n, dim + _KEY_DIM * len(columns)), dtype=np.float32)
    for start in range(0, n, _HASH_CHUNK):
        rows = order[start : start + _HASH_CHUNK]
        chunk = out[start : start + rows.shape[0]]
        np.multiply(vectors[rows], scale, out=chunk[:, :dim])
        for c, (codes, table) in enumerate(coded):
            np.multiply(table[codes[rows]], share, out=chunk[:, dim + c * _KEY_DIM : dim + (c + 1) * _KEY_DIM])
        chunk /= np.maximum(np.linalg.norm(chunk, axis=1, keepdims=True), 1e-12)
    return out


def canonical_order(vectors: np.ndarray, soft_keys: Sequence[Sequence[str | None]] | None = None) -> np.ndarray:
    """Permutation sorting rows by a hash of their bytes (then their keys): any input order gives the same sequence."""
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    words = data.view(np.uint32).reshape(data.shape[0], -1)
    rng = np.random.default_rng(0x1A2B3C)
    mult_a = rng.integers(1, 2**63, size=words.shape[1], dtype=np.uint64) | np.uint64(1)
    mult_b = rng.integers(1, 2**63, size=words.shape[1], dtype=np.uint64) | np.uint64(1)
    hash_a = np.empty(words.shape[0], dtype=np.uint64)
    hash_b = np.empty(words.shape[0], dtype=np.uint64)
    for start in range(0, words.shape[0], _HASH_CHUNK):
        chunk = words[start : start + _HASH_CHUNK].astype(np.uint64)
        hash_a[start : start + len(chunk)] = (chunk * mult_a).sum(axis=1)  # wraps mod 2**64, as intended
        hash_b[start : start + len(chunk)] = ((chunk ^ np.uint64(0x9E3779B9)) * mult_b).sum(axis=1)
    # Rows equal in both hashes and keys are (barring a 2**-128 accident) identical: their order does not matter.
    ties = [_key_codes(col)[0] for col in reversed(_check_keys(data, soft_keys))]
    return np.lexsort((*ties, hash_b, hash_a))


# Groups found with k unknown whose centred centroids have at least this cosine are merged (None: never).
DEFAULT_MERGE_THRESHOLD: float | None = None


def _centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    k = int(labels.max()) + 1
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, vectors)
    return (sums / np.bincount(labels, minlength=k)[:, None]).astype(np.float32)


def _kmeans(vectors: np.ndarray, k: int, init: np.ndarray | None, seed: int, max_iter: int) -> np.ndarray:
    if vectors.shape[0] <= _FULL_KMEANS_UP_TO:
        if init is None:
            model = KMeans(k, n_init=3, max_iter=max_iter, random_state=seed)
        else:
            model = KMeans(k, init=init, n_init=1, max_iter=max_iter, random_state=seed)
    else:
        # Beyond this size full Lloyd passes cost minutes; mini-batches converge close enough from a good seed.
        model = MiniBatchKMeans(
            k,
            init="k-means++" if init is None else init,
            n_init=1,
            batch_size=8192,
            max_iter=max_iter,
            max_no_improvement=5,
            random_state=seed,
        )
    return model.fit_predict(vectors).astype(np.int64)


def cluster_vectors(
    vectors: np.ndarray,
    *,
    seed: int = 0,
    n_clusters: int | None = None,
    soft_keys: Sequence[Sequence[str | None]] | None = None,
    soft_weight: float = DEFAULT_SOFT_WEIGHT,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    k_min: int = 2,
    k_max: int = 1000,
    max_iter: int = 50,
    progress: Progress | None = None,
    k_rule: str = DEFAULT_K_RULE,
    merge_threshold: float | None = DEFAULT_MERGE_THRESHOLD,
) -> np.ndarray:
    """Cluster L2-normalised vectors; labels 0..k-1 by decreasing size, k found unless n_clusters is given.

    Deterministic for a given seed and independent of the input order (rows are put in a canonical order
    first); soft_keys (administration, démarche…) pull together reports that share them, by soft_weight.
    With k found (n_clusters None) and merge_threshold set, groups whose centred centroids are that close
    (cosine) are merged afterwards (merge_close_groups), on the text vectors.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    n = vectors.shape[0]
    if vectors.ndim != 2:
        raise ValueError("vectors must be a 2-D array")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = canonical_order(vectors, soft_keys)
    data = with_soft_keys(vectors, soft_keys, soft_weight, order=order)
    if n_clusters is not None and n_clusters >= n:
        labels = np.arange(n)
    elif n_clusters == 1 or n < 4:
        labels = np.zeros(n, dtype=np.int64)
    else:
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.permutation(n)[: min(n, sample_size)])
        if progress:
            progress("sample")
        if n_clusters is None:
            # k is chosen on the texts alone: the soft-key blocks would make administrations look like clusters.
            sample_labels, _score = choose_partition(vectors[order[pick]], k_min=k_min, k_max=k_max, rule=k_rule)
            k = int(sample_labels.max()) + 1
            init = _centroids(data[pick], sample_labels) if k > 1 else None
        elif n_clusters <= pick.shape[0] // 2:
            # The Ward cut at k is a better seed than k-means++ restarts, and cheaper.
            tree = linkage(data[pick].astype(np.float64), method="ward")
            k, init = n_clusters, _centroids(data[pick], fcluster(tree, n_clusters, criterion="maxclust") - 1)
            if init.shape[0] != k:
                init = None
        else:
            k, init = n_clusters, None
        if progress:
            progress("kmeans")
        labels = _kmeans(data, k, init, seed, max_iter) if k > 1 else np.zeros(n, dtype=np.int64)
        if n_clusters is None and merge_threshold is not None and k > 1:
            labels = merge_close_groups(vectors[order], labels, merge_threshold)
    out = np.empty(n, dtype=np.int64)
    out[order] = _relabel(labels)
    return out


def centroids_of(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unit centroid of each cluster 0..k-1, ready for the incremental index."""
    sums = _centroids(np.asarray(vectors, dtype=np.float32), np.asarray(labels))
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
