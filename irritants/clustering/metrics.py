"""Clustering quality against known labels: accuracy after Hungarian matching, NMI, ARI."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def _codes(labels: Sequence[object] | np.ndarray) -> np.ndarray:
    return np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)[1]


def contingency(truth: Sequence[object] | np.ndarray, predicted: Sequence[object] | np.ndarray) -> np.ndarray:
    """Counts of items per (true class, predicted cluster)."""
    t, p = _codes(truth), _codes(predicted)
    if len(t) != len(p):
        raise ValueError("truth and predicted must have the same length")
    table = np.zeros((t.max(initial=-1) + 1, p.max(initial=-1) + 1), dtype=np.int64)
    np.add.at(table, (t, p), 1)
    return table


def accuracy(truth: Sequence[object] | np.ndarray, predicted: Sequence[object] | np.ndarray) -> float:
    """Share of items whose cluster maps to their class under the best one-to-one matching (Hungarian)."""
    table = contingency(truth, predicted)
    if table.size == 0:
        return 1.0
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / table.sum())


def nmi(truth: Sequence[object] | np.ndarray, predicted: Sequence[object] | np.ndarray) -> float:
    """Normalised mutual information (arithmetic mean normalisation, as in the literature)."""
    return float(normalized_mutual_info_score(_codes(truth), _codes(predicted)))


def ari(truth: Sequence[object] | np.ndarray, predicted: Sequence[object] | np.ndarray) -> float:
    """Adjusted Rand index."""
    return float(adjusted_rand_score(_codes(truth), _codes(predicted)))


def scores(truth: Sequence[object] | np.ndarray, predicted: Sequence[object] | np.ndarray) -> dict[str, float]:
    """NMI, ACC and ARI in one dictionary."""
    return {"nmi": nmi(truth, predicted), "acc": accuracy(truth, predicted), "ari": ari(truth, predicted)}
