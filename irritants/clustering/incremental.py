"""Incremental mode: a new report joins the nearest irritant when similar enough, or starts a new one.

:func:`place` is the one rule, used in production (``clusters/engine.place_report``) and by :class:`CentroidIndex`
(tests, benchmark, ``scripts/eval_incremental.py``): join the nearest centroid when its similarity reaches the
threshold, else start a new one; a joined centroid becomes the running mean of unit vectors, re-normalised.

Which similarity, and which threshold, is :func:`placement_rule`'s choice. Raw e5 vectors all share one large
direction (unrelated French reports have a cosine of 0.75–0.9), so a raw threshold either joins everything or
nothing depending on the texts; the embedding family compares vectors once *centred* — minus the mean of every
vector of the encoder (:class:`Mean`, stored by each batch run and updated by each placement) — which keeps what
sets irritants apart. TF-IDF cosines already spread from 0: they are compared raw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Raw cosine similarity to a centroid above which a report joins it: the TF-IDF family's placement, the embedding
# family's until its mean is known, and the floor of the "similar irritants" search (raw e5 similarities live in a
# narrow high band: unrelated French reports ≈ 0.75–0.8; TF-IDF ones spread from 0 up).
DEFAULT_THRESHOLDS = {"embedding": 0.88, "tfidf": 0.45}
# Centred cosine (see :func:`centred_similarities`) above which a report joins an irritant, embedding family.
# Calibrated with scripts/eval_incremental.py on the dev sets and the demo, both starts (docs/clustering.md).
CENTRED_THRESHOLD = 0.2
# Vectors a mean must average before the centred rule uses it; before, the raw rule (cold start: docs/clustering.md).
MIN_MEAN_COUNT = 1


def default_threshold(encoder_name: str) -> float:
    """Raw joining threshold suited to an encoder, by the family its name starts with."""
    return DEFAULT_THRESHOLDS[_family(encoder_name)]


def _family(encoder_name: str) -> str:
    return "tfidf" if encoder_name.startswith("tfidf") else "embedding"


@dataclass(frozen=True)
class Mean:
    """The mean of ``count`` vectors of one encoder (not normalised): the centre of the centred rule."""

    vector: np.ndarray
    count: int

    @classmethod
    def of(cls, vectors: np.ndarray) -> Mean:
        """Mean of the rows of ``vectors`` (what a batch run stores)."""
        vectors = np.asarray(vectors, dtype=np.float64)
        return cls(vectors.mean(axis=0).astype(np.float32), int(vectors.shape[0]))

    def add(self, vector: np.ndarray) -> Mean:
        """The mean once ``vector`` is counted too (what each placement stores)."""
        total = np.asarray(self.vector, dtype=np.float64) * self.count + np.asarray(vector, dtype=np.float64)
        return Mean((total / (self.count + 1)).astype(np.float32), self.count + 1)


def placement_rule(
    encoder_name: str,
    mean: Mean | None,
    *,
    centred_threshold: float = CENTRED_THRESHOLD,
    min_count: int = MIN_MEAN_COUNT,
    raw_threshold: float | None = None,
) -> tuple[float, np.ndarray | None]:
    """(threshold, centre) of :func:`place` for an encoder: centred on ``mean`` for the embedding family once the mean
    averages ``min_count`` vectors, else the raw rule (centre None). The keywords are for calibration only."""
    if _family(encoder_name) == "embedding" and mean is not None and mean.count >= min_count:
        return centred_threshold, np.asarray(mean.vector, dtype=np.float32)
    return (default_threshold(encoder_name) if raw_threshold is None else raw_threshold), None


def centred_similarities(vector: np.ndarray, centroids: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Cosine of (vector − mean) with each (centroid − mean); −1 for a centroid on the mean (no direction).

    ``centroids`` are unit rows and ``vector`` is unit: the products are expanded (two matrix–vector products), so no
    centred copy of the centroids is made.
    """
    vector = np.asarray(vector, dtype=np.float32)
    mean = np.asarray(mean, dtype=np.float32)
    if centroids.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    raw = (centroids @ vector).astype(np.float64)
    towards = (centroids @ mean).astype(np.float64)
    mean_sq = float(mean.astype(np.float64) @ mean.astype(np.float64))
    vector_mean = float(vector.astype(np.float64) @ mean.astype(np.float64))
    norm_c = np.sqrt(np.maximum(1.0 - 2.0 * towards + mean_sq, 0.0))
    norm_v = np.sqrt(max(1.0 - 2.0 * vector_mean + mean_sq, 0.0))
    dots = raw - towards - vector_mean + mean_sq
    return np.where(norm_c * norm_v > 1e-6, dots / np.maximum(norm_c * norm_v, 1e-12), -1.0)


def _confidence(best: float, threshold: float) -> float:
    # 0.5 on the threshold (a coin toss), 1 when the similarity is as far from it as it can go.
    span = max(1.0 - threshold, 1e-6)
    return float(0.5 + 0.5 * min(1.0, abs(best - threshold) / span))


def assign(
    vector: np.ndarray, centroids: np.ndarray, *, threshold: float, mean: np.ndarray | None = None
) -> tuple[int | None, float]:
    """Index of the nearest centroid if its cosine similarity reaches threshold, else None; with a confidence.

    Both inputs must be L2-normalised; with a ``mean``, the similarity is the centred one
    (:func:`centred_similarities`). The confidence (0.5–1) is how clearly the similarity clears, or misses, the
    threshold; a near tie with a second cluster caps it, since then the choice is arbitrary.
    """
    if centroids.shape[0] == 0:
        return None, 1.0
    if mean is None:
        sims = centroids @ np.asarray(vector, dtype=centroids.dtype)
    else:
        sims = centred_similarities(vector, centroids, mean)
    best_index = int(np.argmax(sims))
    best = float(sims[best_index])
    if best < threshold:
        return None, _confidence(best, threshold)
    confidence = _confidence(best, threshold)
    if sims.shape[0] > 1:
        second = float(np.partition(sims, -2)[-2])
        if second >= threshold:
            confidence = min(confidence, _confidence(threshold + (best - second), threshold))
    return best_index, confidence


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float64)
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


def joined_centroid(centroid: np.ndarray, size: int, vector: np.ndarray) -> np.ndarray:
    """Unit centroid of a cluster of ``size`` vectors (unit centroid ``centroid``) once ``vector`` joins it.

    The running mean of unit vectors, re-normalised: cheap, and order-independent enough between batch runs.
    """
    return _unit(np.asarray(centroid, dtype=np.float64) * max(int(size), 1) + np.asarray(vector, dtype=np.float64))


@dataclass(frozen=True)
class Placement:
    """Where a vector goes: ``cluster`` (a row of the centroids) or a new cluster when None."""

    cluster: int | None
    confidence: float
    """How clearly it belongs (see :func:`assign`); 1 for a new cluster, which holds only this vector."""
    centroid: np.ndarray
    """The unit centroid of that cluster once the vector is in it."""
    size: int
    """The number of vectors in that cluster once the vector is in it."""

    @property
    def created(self) -> bool:
        return self.cluster is None


def place(
    vector: np.ndarray,
    centroids: np.ndarray,
    sizes: np.ndarray,
    *,
    threshold: float,
    mean: np.ndarray | None = None,
) -> Placement:
    """The incremental rule: join the nearest centroid if it reaches ``threshold``, else start a new cluster.

    ``centroids`` are unit rows, ``sizes`` their numbers of vectors, ``vector`` is unit; with a ``mean`` the
    similarity is centred on it (threshold and mean: :func:`placement_rule`).
    """
    cluster, confidence = assign(vector, centroids, threshold=threshold, mean=mean)
    if cluster is None:
        return Placement(None, 1.0, _unit(vector), 1)
    size = max(int(sizes[cluster]), 1)
    return Placement(cluster, confidence, joined_centroid(centroids[cluster], size, vector), size + 1)


class CentroidIndex:
    """Unit centroids and sizes of clusters, grown and updated by :func:`place`, for one matrix–vector product per
    query."""

    def __init__(self, dim: int, *, capacity: int = 1024) -> None:
        self.dim = dim
        self._unit = np.zeros((capacity, dim), dtype=np.float32)
        self._counts = np.zeros(capacity, dtype=np.int64)
        self._size = 0

    @classmethod
    def from_labels(cls, vectors: np.ndarray, labels: np.ndarray) -> CentroidIndex:
        """Index of the clusters of a batch run (labels 0..k-1; negative labels are ignored)."""
        labels = np.asarray(labels)
        k = int(labels.max(initial=-1)) + 1
        index = cls(vectors.shape[1], capacity=max(k, 16))
        keep = labels >= 0
        sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
        np.add.at(sums, labels[keep], vectors[keep].astype(np.float64))
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        index._unit[:k] = (sums / np.maximum(norms, 1e-12)).astype(np.float32)
        index._counts[:k] = np.bincount(labels[keep], minlength=k)
        index._size = k
        return index

    def __len__(self) -> int:
        return self._size

    @property
    def centroids(self) -> np.ndarray:
        """(k, dim) float32 unit centroids (a view: copy it before keeping it)."""
        return self._unit[: self._size]

    @property
    def counts(self) -> np.ndarray:
        """Number of vectors per cluster."""
        return self._counts[: self._size]

    def _grow(self) -> None:
        capacity = self._unit.shape[0] * 2
        for name in ("_unit", "_counts"):
            old = getattr(self, name)
            new = np.zeros((capacity, *old.shape[1:]), dtype=old.dtype)
            new[: old.shape[0]] = old
            setattr(self, name, new)

    def assign(
        self, vector: np.ndarray, *, threshold: float, mean: np.ndarray | None = None
    ) -> tuple[int | None, float]:
        """Nearest cluster if similar enough (see `assign`), without changing the index."""
        return assign(vector, self.centroids, threshold=threshold, mean=mean)

    def add(self, vector: np.ndarray, cluster: int | None = None) -> int:
        """Add a vector to a cluster (a new one when cluster is None) and return the cluster index."""
        if cluster is None:
            return self._keep(None, Placement(None, 1.0, _unit(vector), 1))
        if not 0 <= cluster < self._size:
            raise IndexError(f"no cluster {cluster}")
        size = max(int(self._counts[cluster]), 1)
        joined = joined_centroid(self._unit[cluster], size, vector)
        return self._keep(cluster, Placement(cluster, 1.0, joined, size + 1))

    def assign_and_add(
        self, vector: np.ndarray, *, threshold: float, mean: np.ndarray | None = None
    ) -> tuple[int, bool, float]:
        """Incremental step (:func:`place`): join or create, then update; returns (cluster, created, confidence)."""
        placement = place(vector, self.centroids, self.counts, threshold=threshold, mean=mean)
        return self._keep(placement.cluster, placement), placement.created, placement.confidence

    def _keep(self, cluster: int | None, placement: Placement) -> int:
        if cluster is None:
            if self._size == self._unit.shape[0]:
                self._grow()
            cluster = self._size
            self._size += 1
        self._unit[cluster] = placement.centroid
        self._counts[cluster] = placement.size
        return cluster


def place_all(
    index: CentroidIndex,
    vectors: np.ndarray,
    *,
    encoder_name: str,
    mean: Mean | None = None,
    centred: bool = True,
    **rule: float,
) -> tuple[np.ndarray, Mean | None]:
    """Place the rows of ``vectors`` one by one into ``index`` as production does (count each in the mean, then
    :func:`placement_rule`, then :func:`place`); returns each row's cluster and the mean at the end.

    ``mean`` is the one a batch run stored (None: an empty start); ``centred=False`` never keeps a mean (the raw
    rule throughout); ``rule`` passes calibration keywords on to :func:`placement_rule`.
    """
    groups = np.empty(vectors.shape[0], dtype=np.int64)
    for row, vector in enumerate(vectors):
        if centred:
            mean = Mean(np.asarray(vector, dtype=np.float32), 1) if mean is None else mean.add(vector)
        threshold, centre = placement_rule(encoder_name, mean if centred else None, **rule)
        groups[row], _, _ = index.assign_and_add(vector, threshold=threshold, mean=centre)
    return groups, mean
