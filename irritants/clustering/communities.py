"""Communities of a nearest-neighbour graph, for the "graph" choice of k (kchoice.py).

As single-cell analysis groups cells: link each vector to its nearest neighbours, weight each link by how many
neighbours the two ends share (the Jaccard overlap of their neighbourhoods, as PhenoGraph does), and find the
communities of that graph by Louvain modularity optimisation. The number of communities comes out of the local
structure of the graph, not from one global score over a range of cuts. numpy and scipy only; deterministic
for a seed and a row order.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse


def knn_graph(x: np.ndarray, n_neighbors: int) -> sparse.csr_matrix:
    """Symmetric graph of the unit rows of x: i and j are linked when one is among the other's n_neighbors nearest
    (cosine); the weight is the Jaccard overlap of their neighbourhoods (each holding its own row)."""
    s = x.shape[0]
    k = min(n_neighbors, s - 1)
    if k < 1:
        return sparse.csr_matrix((s, s))
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(s), k)
    knn = sparse.csr_matrix((np.ones(s * k), (rows, nearest.ravel())), shape=(s, s))
    hood = knn + sparse.identity(s, format="csr")
    linked = ((knn + knn.T) > 0).astype(np.float64)
    shared = (hood @ hood.T).multiply(linked).tocsr()  # ≥ 1 on every link: the neighbour itself is shared
    shared.data = shared.data / (2.0 * (k + 1) - shared.data)
    shared.eliminate_zeros()
    return shared


def _local_moves(adj: sparse.csr_matrix, resolution: float, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Louvain's first phase: move nodes one at a time to the neighbouring community that most raises modularity,
    in a seeded random order, until no move helps; returns the communities and whether any node moved."""
    n = adj.shape[0]
    indptr, indices, weights = adj.indptr.tolist(), adj.indices.tolist(), adj.data.tolist()
    degree = np.asarray(adj.sum(axis=1)).ravel()
    total = float(degree.sum())
    if total <= 0:
        return np.arange(n), False
    scale = resolution / total
    degree_list = degree.tolist()
    comm = list(range(n))
    tot = list(degree_list)
    moved_any = False
    while True:
        moved = 0
        for i in rng.permutation(n).tolist():
            ci, ki = comm[i], degree_list[i]
            links: dict[int, float] = {}
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                if j != i:
                    links[comm[j]] = links.get(comm[j], 0.0) + weights[p]
            tot[ci] -= ki
            best, best_gain = ci, links.get(ci, 0.0) - scale * tot[ci] * ki
            for c, w in links.items():
                gain = w - scale * tot[c] * ki
                if gain > best_gain + 1e-12:
                    best, best_gain = c, gain
            tot[best] += ki
            if best != ci:
                comm[i] = best
                moved += 1
        if not moved:
            return np.asarray(comm), moved_any
        moved_any = True


def modularity(adj: sparse.csr_matrix, labels: np.ndarray, resolution: float = 1.0) -> float:
    """Newman's modularity of a partition of a weighted undirected graph (at a resolution)."""
    total = float(adj.sum())
    if total <= 0:
        return 0.0
    member = sparse.csr_matrix((np.ones(labels.shape[0]), (np.arange(labels.shape[0]), labels)))
    inside = member.T @ adj @ member
    tot = np.asarray(inside.sum(axis=1)).ravel()
    return float(inside.diagonal().sum() / total - resolution * ((tot / total) ** 2).sum())


def louvain(adj: sparse.csr_matrix, resolution: float = 1.0, seed: int = 0) -> np.ndarray:
    """Communities (labels 0..c-1) of a weighted undirected graph by the Louvain method (Blondel et al. 2008).

    Local moves, then each community becomes one node of a smaller graph (its inner links a self-loop), again
    until nothing moves. A higher resolution gives more, smaller communities.
    """
    rng = np.random.default_rng(seed)
    n = adj.shape[0]
    labels = np.arange(n)
    graph = sparse.csr_matrix(adj, dtype=np.float64)
    while graph.shape[0] > 1:
        comm, moved = _local_moves(graph, resolution, rng)
        if not moved:
            break
        comm = np.unique(comm, return_inverse=True)[1]
        labels = comm[labels]
        member = sparse.csr_matrix((np.ones(comm.shape[0]), (np.arange(comm.shape[0]), comm)))
        graph = (member.T @ graph @ member).tocsr()
    return np.unique(labels, return_inverse=True)[1]


def join_linked(adj: sparse.csr_matrix, labels: np.ndarray, share: float) -> np.ndarray:
    """Join communities while two of them send each other at least `share` of their links (normalised).

    Greedy, strongest pair first; the strength of A–B is the link weight between them over sqrt(degree A ×
    degree B), which depends neither on the number of nodes nor, for equal sizes, on the communities' size
    (modularity's merge test does: that is why it joins small themes in a large graph). Normalised by the
    smaller degree instead, a grown community absorbs its small neighbours one by one (measured: one group on
    wikit_fr/mixed). Labels 0..c-1 in the order of the first node of each.
    """
    labels = np.unique(labels, return_inverse=True)[1]
    c = int(labels.max()) + 1 if labels.size else 0
    member = sparse.csr_matrix((np.ones(labels.shape[0]), (np.arange(labels.shape[0]), labels)), shape=(len(labels), c))
    between = (member.T @ adj @ member).toarray()
    degree = between.sum(axis=1)
    parent = np.arange(c)
    links = between.copy()
    np.fill_diagonal(links, 0.0)
    while c > 1:
        scale = np.sqrt(np.outer(degree, degree))
        ratio = np.where(scale > 0, links / np.maximum(scale, 1e-12), 0.0)
        np.fill_diagonal(ratio, -1.0)
        a, b = divmod(int(np.argmax(ratio)), ratio.shape[0])
        if ratio[a, b] < share:
            break
        a, b = min(a, b), max(a, b)
        parent[parent == b] = a
        links[a] += links[b]
        links[:, a] += links[:, b]
        links[a, a] = 0.0
        links[b] = 0.0
        links[:, b] = 0.0
        degree[a] += degree[b]
        degree[b] = 0.0
    return np.unique(parent[labels], return_inverse=True)[1]
