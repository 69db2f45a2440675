"""How many irritants: the choice of k for the batch, on a sample of the report vectors.

Each rule returns a partition of the sample (labels 0..k-1); the batch (batch.cluster_vectors) seeds k-means on
every vector with its clusters' centroids. The rules and their measurements are in docs/clustering.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import HDBSCAN
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_samples

from irritants.clustering.communities import join_linked, knn_graph, louvain, modularity

Trace = list[tuple[int, float, dict[str, float]]]

# A cluster must hold this share of the sample to count when scoring a cut (tiny clusters inflate silhouettes).
_MIN_SHARE = 1 / 300
_MIN_CLUSTER = 4


def _candidate_ks(n: int, k_min: int, k_max: int) -> list[int]:
    hi = max(k_min, min(k_max, n // 2))
    return sorted({round(float(k)) for k in np.geomspace(k_min, hi, 40)} | {k_min, hi})


# How k is chosen (issue 10 measures them in docs/clustering.md): "silhouette", the product rule, takes the best
# size-aware silhouette over every Ward cut; "centred" does the same on the sample minus its mean direction;
# "floored" is "centred" that never cuts below k_floor(sample size); "stable" is "centred" that prefers a finer
# silhouette peak when it is about as reproducible over half-samples (the best measured, not the default yet:
# stackoverflow/uneven loses to "silhouette"). "graph" takes the Louvain communities of the centred sample's
# nearest-neighbour graph (communities.py); "hdbscan" the HDBSCAN clusters of a PCA reduction of the centred
# sample, its noise joined to the nearest cluster; "graphfloor" is "centred" that never cuts below the graph's
# communities divided by GRAPH_FLOOR_RATIO; "guarded" is "silhouette" unless that is a two-way split (the
# collapse of issue 10) while the graph finds at least GUARD_COMMUNITIES communities: then the graph's
# communities (no collapse, as many rows at goal as "silhouette", but agnews/uneven loses). The others than
# "silhouette" are kept for measurement (docs/clustering.md).
K_RULES = (
    "silhouette",
    "centred",
    "floored",
    "toppc",
    "twoview",
    "stable",
    "graph",
    "hdbscan",
    "graphfloor",
    "guarded",
)
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
# "graph": neighbours per vector and Louvain resolution (docs/clustering.md); communities smaller than the
# min_cluster of the silhouette rules join the nearest larger one. With GRAPH_JOIN set, communities whose links
# to each other reach that share are joined first (communities.join_linked; measured, not used).
GRAPH_NEIGHBORS = 15
GRAPH_RESOLUTION = 1.0
GRAPH_JOIN: float | None = None
_GRAPH_SEED = 0x6EAF
GRAPH_FLOOR_RATIO = 2.0
GUARD_COMMUNITIES = 4
# "hdbscan": PCA dimensions and smallest cluster (BERTopic's default min_cluster_size is 10).
HDBSCAN_DIMS = 10
HDBSCAN_MIN_SIZE = 10


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


def _absorb_small(x: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Labels 0..k-1 where the rows of groups under min_size (or labelled -1) join the nearest larger group."""
    counts = np.bincount(labels[labels >= 0], minlength=1)
    keep = np.flatnonzero(counts >= min_size)
    if keep.shape[0] < 2:
        return np.zeros(x.shape[0], dtype=np.int64)
    kept = np.isin(labels, keep)
    out = np.empty(x.shape[0], dtype=np.int64)
    out[kept] = np.searchsorted(keep, labels[kept])
    if not kept.all():
        out[~kept] = _nearest(x[~kept], x[kept], out[kept])
    return out


def _graph_cut(x: np.ndarray, min_cluster: int, trace: Trace | None) -> tuple[np.ndarray, float]:
    """Louvain communities of the nearest-neighbour graph of x; small ones join the nearest large one."""
    graph = knn_graph(x, GRAPH_NEIGHBORS)
    found = louvain(graph, GRAPH_RESOLUTION, seed=_GRAPH_SEED)
    if GRAPH_JOIN is not None:
        found = join_linked(graph, found, GRAPH_JOIN)
    labels = _absorb_small(x, found, min_cluster)
    score = modularity(graph, labels, GRAPH_RESOLUTION)
    if trace is not None:
        trace.append((int(labels.max()) + 1, score, {"communities": float(found.max() + 1)}))
    return labels, score


def _hdbscan_cut(x: np.ndarray, trace: Trace | None) -> tuple[np.ndarray, float]:
    """HDBSCAN clusters of a PCA reduction of x, its noise joined to the nearest cluster (as BERTopic's UMAP +
    HDBSCAN, without UMAP); the score is the share of rows HDBSCAN did not call noise."""
    dims = min(HDBSCAN_DIMS, x.shape[0] - 1, x.shape[1])
    reduced = PCA(dims, random_state=0).fit_transform(x)
    found = HDBSCAN(min_cluster_size=HDBSCAN_MIN_SIZE, copy=True).fit_predict(reduced)
    labels = _absorb_small(x, found, 1)
    score = float((found >= 0).mean())
    if trace is not None:
        trace.append((int(labels.max()) + 1, score, {"clusters": float(found.max() + 1), "noise": 1.0 - score}))
    return labels, score


def choose_partition(
    sample: np.ndarray,
    *,
    k_min: int = 2,
    k_max: int = 1000,
    min_cluster: int | None = None,
    rule: str = DEFAULT_K_RULE,
    trace: Trace | None = None,
) -> tuple[np.ndarray, float]:
    """A partition of the sample by the rule; returns (sample labels 0..k-1, the rule's score).

    "silhouette" (the product rule) takes the Ward cut of best size-aware silhouette on the vectors as they are.
    "centred" first removes the sample's mean direction; "toppc" also its first principal axis; "floored" is
    "centred" without the cuts below k_floor(s); "twoview" keeps the finer of the centred and "toppc" best cuts
    if it scores at least _VIEW_RATIO as well; "stable" is "centred" unless a finer peak of the silhouette curve
    is as stable over half-samples (_stable_cut); "graph" and "hdbscan" are not Ward cuts (_graph_cut, score the
    modularity; _hdbscan_cut, score the share not called noise); "graphfloor" and "guarded" combine "graph" with
    the silhouette (K_RULES). All but the first are measured in docs/clustering.md; none is the default yet.
    ``trace`` receives (k, score, details) for every candidate cut (the graph's partition too); under "stable"
    the details also hold the stability of the resampled cuts (NaN for the others).
    """
    if rule not in K_RULES:
        raise ValueError(f"unknown rule {rule!r}")
    s = sample.shape[0]
    if s < 4:
        return np.zeros(s, dtype=np.int64), 0.0
    min_cluster = min_cluster or max(_MIN_CLUSTER, round(s * _MIN_SHARE))
    if rule == "silhouette":
        return _best_cut(sample.astype(np.float64), k_min, k_max, min_cluster, trace, 0)
    if rule == "guarded":
        found = _best_cut(sample.astype(np.float64), k_min, k_max, min_cluster, trace, 0)
        if found[0].max() + 1 != 2:
            return found
        graph = _graph_cut(_view(sample, 0), min_cluster, trace)
        return graph if graph[0].max() + 1 >= GUARD_COMMUNITIES else found
    if rule == "floored":
        k_min = min(max(k_min, k_floor(s, k_min)), s // 2, k_max)
    if rule == "stable":
        return _stable_cut(_view(sample, 0), k_min, k_max, min_cluster, trace, 0)
    if rule == "graph":
        return _graph_cut(_view(sample, 0), min_cluster, trace)
    if rule == "hdbscan":
        return _hdbscan_cut(_view(sample, 0), trace)
    if rule == "graphfloor":
        communities = int(_graph_cut(_view(sample, 0), min_cluster, trace)[0].max()) + 1
        k_min = min(max(k_min, math.ceil(communities / GRAPH_FLOOR_RATIO)), s // 2, k_max)
    views = {"centred": (0,), "floored": (0,), "toppc": (1,), "twoview": (0, 1), "graphfloor": (0,)}[rule]
    cuts = [_best_cut(_view(sample, drop), k_min, k_max, min_cluster, trace, drop) for drop in views]
    # The finer cut wins if it scores at least _VIEW_RATIO of the centred one (else, on data with nothing left
    # once the first axis is gone — two clean themes — the noise's fine cut would win).
    best = cuts[0]
    for labels, score in cuts[1:]:
        if labels.max() > best[0].max() and score >= _VIEW_RATIO * cuts[0][1]:
            best = (labels, score)
    return best
