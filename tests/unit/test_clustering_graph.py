"""The nearest-neighbour graph, its Louvain communities and the "graph" and "hdbscan" choices of k."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from irritants.clustering import ari, cluster_vectors, kchoice, nmi
from irritants.clustering.communities import join_linked, knn_graph, louvain, modularity
from tests.unit.test_clustering import blobs, dominant_axis_blobs, nested_blobs


def ring_of_cliques(n_cliques: int, size: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Cliques of `size` nodes, each joined to the next by one edge: the textbook modularity example."""
    n = n_cliques * size
    dense = np.zeros((n, n))
    for c in range(n_cliques):
        block = slice(c * size, (c + 1) * size)
        dense[block, block] = 1.0
        a, b = c * size, ((c + 1) % n_cliques) * size + 1
        dense[a, b] = dense[b, a] = 1.0
    np.fill_diagonal(dense, 0.0)
    return sparse.csr_matrix(dense), np.repeat(np.arange(n_cliques), size)


def test_louvain_finds_the_cliques_of_a_ring():
    graph, truth = ring_of_cliques(8, 6)
    labels = louvain(graph, seed=0)
    assert labels.max() + 1 == 8 and ari(truth, labels) == pytest.approx(1.0)
    assert modularity(graph, labels) == pytest.approx(modularity(graph, truth))
    assert modularity(graph, labels) > modularity(graph, truth // 2)  # pairs of cliques score lower


def test_louvain_resolution_sets_the_scale():
    graph, _ = ring_of_cliques(8, 6)
    assert louvain(graph, resolution=0.05, seed=0).max() + 1 < 8  # a low resolution joins neighbouring cliques
    assert louvain(graph, resolution=1.0, seed=0).max() + 1 == 8


def test_modularity_of_two_separate_triangles():
    graph, truth = ring_of_cliques(2, 3)
    dense = graph.toarray()
    dense[0, 4] = dense[4, 0] = dense[3, 1] = dense[1, 3] = 0.0  # cut the two links between the triangles
    graph = sparse.csr_matrix(dense)
    assert modularity(graph, truth) == pytest.approx(0.5)
    assert modularity(graph, np.zeros(6, dtype=np.int64)) == pytest.approx(0.0)


def test_knn_graph_is_symmetric_and_weighted_by_shared_neighbours():
    vectors, truth = blobs([30, 30, 30], dim=16, spread=0.1)
    graph = knn_graph(vectors.astype(np.float64), 10)
    assert abs(graph - graph.T).max() == pytest.approx(0.0)
    assert graph.diagonal().max() == 0.0
    assert (np.diff(graph.indptr) >= 10).all()  # each row keeps at least its own 10 nearest
    assert graph.data.min() > 0.0 and graph.data.max() <= 1.0
    # Within a blob the neighbourhoods overlap: no link leaves its blob when blobs are well apart.
    rows, cols = graph.nonzero()
    assert (truth[rows] == truth[cols]).all()


def test_graph_rule_finds_nested_themes_and_three_families_where_the_silhouette_collapses():
    for vectors, truth in (nested_blobs(seed=0), nested_blobs(seed=1), nested_blobs(n_super=3, seed=0)):
        assert cluster_vectors(vectors, seed=0, k_rule="silhouette").max() + 1 <= 3  # the collapse of issue 10
        labels = cluster_vectors(vectors, seed=0, k_rule="graph")
        assert labels.max() + 1 == len(set(truth)) and ari(truth, labels) > 0.95


def test_graph_rule_does_not_collapse_along_a_dominant_direction():
    vectors, truth = dominant_axis_blobs()
    labels = cluster_vectors(vectors, seed=0, k_rule="graph")
    assert labels.max() + 1 >= 8 and nmi(truth, labels) > 0.7
    # Mostly each theme's two halves along the axis; a few reports land with a neighbouring theme.
    purity = sum(np.bincount(truth[labels == g]).max() for g in range(labels.max() + 1)) / truth.shape[0]
    assert purity > 0.9


@pytest.mark.parametrize("rule", ["graph", "hdbscan"])
def test_graph_and_hdbscan_rules_keep_two_clean_themes_and_few_even_ones(rule):
    for sizes in ([60, 40], [40, 30, 30, 25, 20]):
        vectors, truth = blobs(sizes, dim=32, spread=0.05)
        labels = cluster_vectors(vectors, seed=0, k_rule=rule)
        assert labels.max() + 1 == len(sizes) and ari(truth, labels) == pytest.approx(1.0)


def test_graph_rule_folds_communities_too_small_to_be_an_irritant():
    vectors, _ = blobs([60, 60, 2], dim=32, spread=0.05)  # two stray reports far from both themes
    labels, _ = kchoice.choose_partition(vectors, rule="graph", min_cluster=4)
    assert labels.max() + 1 == 2 and np.bincount(labels).min() >= 60


def test_graph_rule_traces_its_communities():
    vectors, _ = nested_blobs(seed=0)
    trace: list = []
    labels, score = kchoice.choose_partition(vectors, rule="graph", trace=trace)
    (k, traced, details), *rest = trace
    assert not rest and k == labels.max() + 1 and traced == score and 0.5 < score < 1.0
    assert details["communities"] >= k


def test_join_linked_joins_communities_that_share_links_whatever_their_size():
    graph, truth = ring_of_cliques(8, 6)
    halves = truth * 2 + (np.arange(truth.shape[0]) % 6 >= 3)  # each clique cut in two halves of 3
    joined = join_linked(graph, halves, 0.3)
    assert joined.max() + 1 == 8 and ari(truth, joined) == pytest.approx(1.0)
    # The cliques send one link of their 32 to each neighbour (≈ 3 %): above that share they stay apart; below it
    # they join in pairs, and a pair (one link of 64 to each side) does not go on absorbing its neighbours.
    assert join_linked(graph, truth, 0.05).max() + 1 == 8
    pairs = join_linked(graph, truth, 0.02)
    assert pairs.max() + 1 == 4 and np.bincount(pairs).tolist() == [12, 12, 12, 12]


def test_guarded_rule_is_the_silhouette_unless_it_splits_in_two_where_the_graph_sees_more():
    for sizes in ([40, 30, 30, 25, 20], [60, 40]):  # no two-way split, or two themes the graph agrees with
        vectors, _ = blobs(sizes, dim=32, spread=0.05)
        assert np.array_equal(
            cluster_vectors(vectors, seed=0, k_rule="guarded"), cluster_vectors(vectors, seed=0, k_rule="silhouette")
        )
    vectors, truth = nested_blobs(seed=0)  # the silhouette's 2 groups against the graph's 20 communities
    labels = cluster_vectors(vectors, seed=0, k_rule="guarded")
    assert labels.max() + 1 == 20 and ari(truth, labels) > 0.95


def test_the_product_rule_never_collapses_nested_themes_nor_a_dominant_direction():
    # cluster_vectors without k_rule is what recluster runs: the two collapses of issue 10 must not come back.
    # (Three far-apart families of themes still come out as 3 groups: the guard looks at two-way splits only.)
    for seed in (0, 1):
        vectors, truth = nested_blobs(seed=seed)
        labels = cluster_vectors(vectors, seed=0)
        assert labels.max() + 1 >= 15 and ari(truth, labels) > 0.9
    vectors, truth = dominant_axis_blobs()
    labels = cluster_vectors(vectors, seed=0)
    assert labels.max() + 1 >= 8 and nmi(truth, labels) > 0.7
    assert cluster_vectors(vectors, seed=0, k_rule="silhouette").max() + 1 == 2  # what it replaced
