"""Merging groups that are one irritant (irritants/clustering/merging.py): centred centroid cosine, guarded by the
groups' majority administration and démarche."""

from __future__ import annotations

import numpy as np
import pytest

from irritants.clustering import ari
from irritants.clustering.merging import majority_keys, merge_close_groups, relabel
from tests.unit.test_clustering import blobs


def over_split(seed: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Four themes of 40 vectors, each cut in two arbitrary halves: (vectors, truth, the 8 halves)."""
    vectors, truth = blobs([40, 40, 40, 40], dim=32, spread=0.05, seed=seed)
    return vectors, truth, truth * 2 + (np.arange(len(truth)) % 2)


def test_merge_joins_the_halves_of_an_over_split_theme_and_keeps_distinct_ones():
    vectors, truth, over = over_split()
    merged = merge_close_groups(vectors, over, threshold=0.8)
    assert merged.max() + 1 == 4 and ari(truth, merged) == pytest.approx(1.0)
    assert np.bincount(merged).tolist() == [40, 40, 40, 40]
    # A threshold above every pair keeps the groups as they are; one below any cosine joins them all.
    assert ari(over, merge_close_groups(vectors, over, threshold=0.9999)) == pytest.approx(1.0)
    assert merge_close_groups(vectors, over, threshold=-2.0).max() == 0


def test_with_keys_only_groups_of_the_same_administration_and_demarche_merge():
    vectors, truth, over = over_split()
    # Themes 0 and 1 at the CAF for the RSA, theme 2 at the CAF for the prime d'activité, theme 3 at the ANTS.
    admin = np.array(["caf", "caf", "caf", "ants"])[truth].tolist()
    demarche = np.array(["rsa", "rsa", "prime", "rsa"])[truth].tolist()
    merged = merge_close_groups(vectors, over, threshold=-2.0, keys=[admin, demarche])
    # Even at a threshold every pair reaches, a merge never crosses an administration or a démarche.
    assert ari(np.array([0, 0, 1, 2])[truth], merged) == pytest.approx(1.0)
    # At a real threshold the halves of each theme join, and the two RSA themes stay apart.
    assert ari(truth, merge_close_groups(vectors, over, threshold=0.8, keys=[admin, demarche])) == pytest.approx(1.0)


def test_the_guard_follows_each_groups_majority_and_an_unknown_demarche_matches_nothing():
    vectors, truth, over = over_split()
    admin = ["caf"] * len(truth)
    demarche: list[str | None] = np.array(["rsa", "prime", "aah", "apl"])[truth].tolist()
    # One report of each half of theme 0 says another démarche: the halves' majority is still the RSA.
    first = np.flatnonzero(truth == 0)[:2]
    for i in first:
        demarche[i] = "prime"
    # Theme 3's reports give no démarche: its halves are never merged, not even together.
    for i in np.flatnonzero(truth == 3):
        demarche[i] = None
    merged = merge_close_groups(vectors, over, threshold=0.8, keys=[admin, demarche])
    assert merged.max() + 1 == 5
    assert np.unique(merged[truth == 0]).shape[0] == 1
    assert np.unique(merged[truth == 3]).shape[0] == 2


def test_majority_keys_are_the_most_frequent_value_per_group_and_column():
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    keys = [["a", "a", "b", "c", "c", "c", "c"], [None, None, "p", "q", "r", "q", "r"]]
    # Group 1's démarche is a tie between q and r: the smaller wins, so the result never depends on row order.
    assert majority_keys(labels, keys, 2) == [("a", None), ("c", "q")]


def test_relabel_numbers_groups_by_decreasing_size_then_first_position():
    assert relabel(np.array([7, 3, 3, 9, 9, 7, 3])).tolist() == [1, 0, 0, 2, 2, 1, 0]
