"""Incremental mode: a new report joins the nearest irritant when similar enough, or starts a new one."""

from __future__ import annotations

import numpy as np

# Cosine similarity to a cluster centroid above which a report joins it. Embedding similarities live in a
# narrow high band (e5: unrelated French reports ≈ 0.75–0.8), TF-IDF ones spread from 0 up: one value each.
DEFAULT_THRESHOLDS = {"embedding": 0.88, "tfidf": 0.45}


def default_threshold(encoder_name: str) -> float:
    """Joining threshold suited to an encoder, by the family its name starts with."""
    return DEFAULT_THRESHOLDS["tfidf" if encoder_name.startswith("tfidf") else "embedding"]


def _confidence(best: float, threshold: float) -> float:
    # 0.5 on the threshold (a coin toss), 1 when the similarity is as far from it as it can go.
    span = max(1.0 - threshold, 1e-6)
    return float(0.5 + 0.5 * min(1.0, abs(best - threshold) / span))


def assign(vector: np.ndarray, centroids: np.ndarray, *, threshold: float) -> tuple[int | None, float]:
    """Index of the nearest centroid if its cosine similarity reaches threshold, else None; with a confidence.

    Both inputs must be L2-normalised. The confidence (0.5–1) is how clearly the similarity clears, or
    misses, the threshold; a near tie with a second cluster caps it, since then the choice is arbitrary.
    """
    if centroids.shape[0] == 0:
        return None, 1.0
    sims = centroids @ np.asarray(vector, dtype=centroids.dtype)
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


class CentroidIndex:
    """Running means of cluster vectors, kept normalised for one matrix–vector product per query."""

    def __init__(self, dim: int, *, capacity: int = 1024) -> None:
        self.dim = dim
        self._sums = np.zeros((capacity, dim), dtype=np.float64)
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
        np.add.at(index._sums, labels[keep], vectors[keep].astype(np.float64))
        index._counts[:k] = np.bincount(labels[keep], minlength=k)
        index._size = k
        index._refresh(np.arange(k))
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

    def _refresh(self, rows: np.ndarray) -> None:
        sums = self._sums[rows]
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        self._unit[rows] = (sums / np.maximum(norms, 1e-12)).astype(np.float32)

    def _grow(self) -> None:
        capacity = self._sums.shape[0] * 2
        for name in ("_sums", "_unit", "_counts"):
            old = getattr(self, name)
            new = np.zeros((capacity, *old.shape[1:]), dtype=old.dtype)
            new[: old.shape[0]] = old
            setattr(self, name, new)

    def assign(self, vector: np.ndarray, *, threshold: float) -> tuple[int | None, float]:
        """Nearest cluster if similar enough (see `assign`), without changing the index."""
        return assign(vector, self.centroids, threshold=threshold)

    def add(self, vector: np.ndarray, cluster: int | None = None) -> int:
        """Add a vector to a cluster (a new one when cluster is None) and return the cluster index."""
        if cluster is None:
            if self._size == self._sums.shape[0]:
                self._grow()
            cluster = self._size
            self._size += 1
        elif not 0 <= cluster < self._size:
            raise IndexError(f"no cluster {cluster}")
        self._sums[cluster] += np.asarray(vector, dtype=np.float64)
        self._counts[cluster] += 1
        self._refresh(np.array([cluster]))
        return cluster

    def assign_and_add(self, vector: np.ndarray, *, threshold: float) -> tuple[int, bool, float]:
        """Incremental step: join or create, then update; returns (cluster, created, confidence)."""
        cluster, confidence = self.assign(vector, threshold=threshold)
        created = cluster is None
        return self.add(vector, cluster), created, confidence
