"""Batch mode: re-cluster every stored report vector from scratch, finding the number of irritants itself.

Method (chosen by measurement, see scripts/eval_clustering.py): Ward linkage on a seeded sample gives every
candidate partition of the sample at once; the number of clusters is the cut with the best silhouette, where
clusters too small to be an irritant score 0; the sample clusters' centroids then seed k-means on all the
vectors. Ward and the silhouettes are quadratic in the sample only, k-means is linear in n.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score, silhouette_samples

from irritants.clustering.merging import merge_close_groups
from irritants.clustering.merging import relabel as _relabel

Progress = Callable[[str], None]
Trace = list[tuple[int, float, dict[str, float]]]

DEFAULT_SOFT_WEIGHT = 0.1
DEFAULT_SAMPLE_SIZE = 3000
# A cluster must hold this share of the sample to count when scoring a cut (tiny clusters inflate silhouettes).
_MIN_SHARE = 1 / 300
_MIN_CLUSTER = 4
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


def _candidate_ks(n: int, k_min: int, k_max: int) -> list[int]:
    hi = max(k_min, min(k_max, n // 2))
    return sorted({round(float(k)) for k in np.geomspace(k_min, hi, 40)} | {k_min, hi})


# How k is chosen (issue 10 measures them in docs/clustering.md): "silhouette", the product rule, takes the best
# size-aware silhouette over every Ward cut; "centred" does the same on the sample minus its mean direction;
# "floored" is "centred" that never cuts below k_floor(sample size); "stable" is "centred" that prefers a finer
# silhouette peak when it is about as reproducible over half-samples (the best measured, not the default yet:
# stackoverflow/uneven loses to "silhouette"). The others are kept for measurement.
K_RULES = ("silhouette", "centred", "floored", "toppc", "twoview", "stable")
DEFAULT_K_RULE = "silhouette"
# A sample of s reports is cut into at least ceil(sqrt(s / _FLOOR_DIV)) groups: 10 at 2,000, 13 at 3,000.
_FLOOR_DIV = 20
# "twoview": the view without the first axis must score this share of the centred view's best to win
# (measured: 0.62–1.12 where it should win, 0.11 on two clean themes; docs/clustering.md).
_VIEW_RATIO = 0.5
# "stable": on the centred sample, the best-silhouette cut, unless a finer local peak of the silhouette curve
# (at least _STAB_SIL_SHARE of the best) is at least _STAB_SHARE as stable: stability is the agreement (ARI) of
# the Ward cuts at k of two disjoint halves of the sample, each extended to the whole sample by its nearest
# centroid, averaged over _STAB_PAIRS random splittings (docs/clustering.md).
_STAB_PAIRS = 3
_STAB_SHARE = 0.8
_STAB_SIL_SHARE = 0.5
_STAB_SEED = 0x5EED
# Groups found with k unknown whose centred centroids have at least this cosine are merged (None: never).
DEFAULT_MERGE_THRESHOLD: float | None = None


def k_floor(s: int, k_min: int = 2) -> int:
    """Fewest groups a sample of s vectors may be cut into under the "floored" rule."""
    return max(k_min, math.ceil(math.sqrt(s / _FLOOR_DIV)))


def _view(sample: np.ndarray, drop_top: int) -> np.ndarray:
    """The sample minus its mean direction and its drop_top first principal axes, rows of unit length."""
    x = sample.astype(np.float64)
    x = x - x.mean(axis=0)
    if drop_top:
        top = np.linalg.svd(x, full_matrices=False)[2][:drop_top]
        x -= (x @ top.T) @ top
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _cuts(
    x: np.ndarray, k_min: int, k_max: int, min_cluster: int
) -> list[tuple[int, np.ndarray, float, dict[str, float]]]:
    """Every candidate Ward cut of x: (k, labels 0..k-1, size-aware silhouette, details)."""
    s = x.shape[0]
    tree = linkage(x, method="ward")
    # 1 - dot rather than pdist's cosine: a text with no usable word has a zero vector, where pdist gives NaN.
    dist = np.clip(1.0 - x @ x.T, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    out = []
    for k in _candidate_ks(s, k_min, k_max):
        labels = fcluster(tree, k, criterion="maxclust")
        if np.unique(labels).shape[0] < 2:
            continue
        sil = silhouette_samples(dist, labels, metric="precomputed")
        raw = float(sil.mean())
        small = np.bincount(labels)[labels] < min_cluster
        sil[small] = 0.0
        out.append((k, labels - 1, float(sil.mean()), {"silhouette": raw, "in_small": float(small.mean())}))
    return out


def _best_cut(
    x: np.ndarray, k_min: int, k_max: int, min_cluster: int, trace: Trace | None, view: int
) -> tuple[np.ndarray, float]:
    best_labels, best_score = np.zeros(x.shape[0], dtype=np.int64), 0.0
    for k, labels, score, details in _cuts(x, k_min, k_max, min_cluster):
        if trace is not None:
            trace.append((k, score, {"view": float(view), **details}))
        if score > best_score:
            best_labels, best_score = labels, score
    return best_labels, best_score


def _nearest(x: np.ndarray, part: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row of x labelled by the nearest (Euclidean, as Ward) centroid of part's clusters."""
    k = int(labels.max()) + 1
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], np.arange(k))
    cents = np.add.reduceat(part[order], starts, axis=0) / np.bincount(labels, minlength=k)[:, None]
    return np.argmax(x @ cents.T * 2.0 - (cents * cents).sum(axis=1), axis=1)


def stability(
    x: np.ndarray, ks: Sequence[int], *, pairs: int = _STAB_PAIRS, seed: int = _STAB_SEED
) -> dict[int, float]:
    """Per k, how well the Ward cuts at k of two disjoint random halves of x agree on all of x (mean ARI).

    Each half's cut labels every row of x by its nearest centroid; the ARI of the two labellings is 1 when the
    partition at k is a property of the data, near 0 when it is drawn by the sample's noise. A k above a
    tenth of x is not scored (each half holds s/2 rows: cuts that fine are mostly pairs and singletons).
    """
    s = x.shape[0]
    rng = np.random.default_rng(seed)
    agree: dict[int, list[float]] = {k: [] for k in ks}
    for _ in range(pairs):
        perm = rng.permutation(s)
        halves = [np.sort(perm[: s // 2]), np.sort(perm[s // 2 :])]
        trees = [linkage(x[h], method="ward") for h in halves]
        for k in ks:
            if k < 2 or k > s // 10:
                continue
            a, b = (
                _nearest(x, x[h], fcluster(t, k, criterion="maxclust") - 1) for h, t in zip(halves, trees, strict=True)
            )
            agree[k].append(float(adjusted_rand_score(a, b)))
    return {k: float(np.mean(v)) for k, v in agree.items() if v}


def _stable_cut(
    x: np.ndarray, k_min: int, k_max: int, min_cluster: int, trace: Trace | None, view: int
) -> tuple[np.ndarray, float]:
    """The best-silhouette cut, unless a finer silhouette peak is about as stable over half-samples.

    A collapse is a coarse cut along one dominant direction (length, register, a family of themes) whose
    silhouette dwarfs the themes' cut; the themes' cut is still a local peak of the silhouette curve, and it
    is as reproducible as the coarse one, where the fine cuts of noise (the slow rise of the curve at large k)
    are not. Only the peaks at least _STAB_SIL_SHARE as good as the best are resampled.
    """
    cuts = _cuts(x, k_min, k_max, min_cluster)
    if not cuts:
        return np.zeros(x.shape[0], dtype=np.int64), 0.0
    scores = [c[2] for c in cuts]
    best = int(np.argmax(scores))
    peaks = [
        i
        for i in range(best + 1, len(cuts))
        if scores[i] >= _STAB_SIL_SHARE * scores[best]
        and scores[i] >= scores[i - 1]
        and (i + 1 == len(cuts) or scores[i] >= scores[i + 1])
    ]
    stab = stability(x.astype(np.float32), [cuts[i][0] for i in [best, *peaks]]) if peaks else {}
    if trace is not None:
        for k, _, score, details in cuts:
            trace.append((k, score, {"view": float(view), **details, "stability": stab.get(k, float("nan"))}))
    chosen = best
    for i in peaks:
        if cuts[i][0] in stab and stab[cuts[i][0]] >= _STAB_SHARE * stab.get(cuts[best][0], 1.0):
            chosen = i
    return cuts[chosen][1], cuts[chosen][2]


def choose_partition(
    sample: np.ndarray,
    *,
    k_min: int = 2,
    k_max: int = 1000,
    min_cluster: int | None = None,
    rule: str = DEFAULT_K_RULE,
    trace: Trace | None = None,
) -> tuple[np.ndarray, float]:
    """Best Ward cut of a sample by size-aware silhouette; returns (sample labels, score).

    "silhouette" (the product rule) scores cuts on the vectors as they are. "centred" first removes the
    sample's mean direction; "toppc" also its first principal axis; "floored" is "centred" without the cuts
    below k_floor(s); "twoview" keeps the finer of the centred and "toppc" best cuts if it scores at least
    _VIEW_RATIO as well; "stable" is "centred" unless a finer peak of the silhouette curve is as stable over
    half-samples (_stable_cut). All but the first are measured in docs/clustering.md; none is the default yet.
    ``trace`` receives (k, score, details) for every candidate cut; under "stable" the details also hold the
    stability of the resampled cuts (NaN for the others).
    """
    if rule not in K_RULES:
        raise ValueError(f"unknown rule {rule!r}")
    s = sample.shape[0]
    if s < 4:
        return np.zeros(s, dtype=np.int64), 0.0
    min_cluster = min_cluster or max(_MIN_CLUSTER, round(s * _MIN_SHARE))
    if rule == "silhouette":
        return _best_cut(sample.astype(np.float64), k_min, k_max, min_cluster, trace, 0)
    if rule == "floored":
        k_min = min(max(k_min, k_floor(s, k_min)), s // 2, k_max)
    if rule == "stable":
        return _stable_cut(_view(sample, 0), k_min, k_max, min_cluster, trace, 0)
    views = {"centred": (0,), "floored": (0,), "toppc": (1,), "twoview": (0, 1)}[rule]
    cuts = [_best_cut(_view(sample, drop), k_min, k_max, min_cluster, trace, drop) for drop in views]
    # The finer cut wins if it scores at least _VIEW_RATIO of the centred one (else, on data with nothing left
    # once the first axis is gone — two clean themes — the noise's fine cut would win).
    best = cuts[0]
    for labels, score in cuts[1:]:
        if labels.max() > best[0].max() and score >= _VIEW_RATIO * cuts[0][1]:
            best = (labels, score)
    return best


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
