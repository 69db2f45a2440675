"""Precision of the merge suggestions (« Irritants qui se ressemblent ») on labelled dev sets.

For each set (scripts/dev_sets.py; the plain short sets by default): cluster the texts as the product does (k not
given), take each group's unit centroid and size, list the suggested pairs (irritants.clustering.suggestions) at
several thresholds, and count a pair as right when its two groups have the same majority label (they are one
irritant that the clustering split). Prints, per threshold and set, the number of pairs and that share (precision),
and how many of the groups pairs that share a majority label were found (recall), then the sets pooled.

Embeddings come from the per-text cache of the dev sets (~/.cache/irritants-bench/texts), filled on first use.

    .venv/bin/python scripts/eval_merge_suggestions.py                        # e5 embeddings, plain sets
    .venv/bin/python scripts/eval_merge_suggestions.py --encoder tfidf --thresholds 0.4 0.5 0.6 0.7
    .venv/bin/python scripts/eval_merge_suggestions.py --speed                # timing at 5,000 irritants only
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import dev_sets  # noqa: E402

from irritants.clustering import centroids_of, cluster_vectors, get_encoder  # noqa: E402
from irritants.clustering.suggestions import similar_pairs, suggest_threshold  # noqa: E402

DEFAULT_SETS = [f"{base}/plain" for base in dev_sets.BASES]
EMBEDDING_THRESHOLDS = [0.86, 0.88, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96]
TFIDF_THRESHOLDS = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]


def majority_labels(labels: list[str], groups: np.ndarray) -> list[str]:
    """The most common true label of each group 0..k-1 (ties: the first in sorted order)."""
    counts: dict[int, Counter] = {}
    for label, group in zip(labels, groups.tolist(), strict=True):
        counts.setdefault(group, Counter())[label] += 1
    return [min(counts[g].items(), key=lambda item: (-item[1], item[0]))[0] for g in range(int(groups.max()) + 1)]


def true_pairs(majority: list[str]) -> int:
    """Pairs of groups sharing a majority label: what perfect suggestions would list."""
    return sum(n * (n - 1) // 2 for n in Counter(majority).values())


def chance(shape: tuple[int, int, int, int]) -> float:
    """Precision of a pair of groups drawn at random (the base rate a suggestion must beat)."""
    groups, true = shape[2], shape[3]
    return true / (groups * (groups - 1) / 2) if groups > 1 else 0.0


def embed(name: str, encoders: dict, caches: dict, args: argparse.Namespace) -> tuple[np.ndarray, list[str]]:
    base, kind = name.split("/")
    ds = dev_sets.build(base, kind, args.data_dir, args.seed)
    if args.encoder == "tfidf":
        encoder = get_encoder("tfidf", language="french" if ds.language == "fr" else "english")
        return encoder.encode(ds.texts), ds.labels
    encoder = encoders.setdefault("embedding", get_encoder("embedding"))
    cache = caches.setdefault(encoder.name, dev_sets.TextCache(encoder.name))
    return cache.embed(encoder, ds.texts), ds.labels


def speed(n: int, dim: int, seed: int) -> None:
    """Time similar_pairs on n unit vectors made of tight themes (so that pairs exist), as on a year's backlog."""
    rng = np.random.default_rng(seed)
    themes = rng.normal(size=(max(n // 10, 1), dim))
    vectors = themes[rng.integers(0, themes.shape[0], n)] * 3 + rng.normal(size=(n, dim))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    sizes = rng.integers(1, 200, n)
    threshold = float(np.quantile(vectors[:500] @ vectors.T, 0.999))  # ≈ 0.1 % of pairs, i.e. thousands
    similar_pairs(vectors[:100], sizes[:100], threshold=threshold)  # warm-up (BLAS threads)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        pairs = similar_pairs(vectors, sizes, threshold=threshold)
        runs.append(time.perf_counter() - start)
    print(
        f"similar_pairs: {n} irritants × {dim} dimensions, {len(pairs)} pairs above {threshold:.3f}: "
        f"median {1000 * float(np.median(runs)):.0f} ms, best {1000 * min(runs):.0f} ms (5 runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=dev_sets.DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoder", default="embedding", choices=("embedding", "tfidf"))
    parser.add_argument("--sets", nargs="*", default=DEFAULT_SETS, help="base/kind dev sets")
    parser.add_argument("--thresholds", nargs="*", type=float, help="cosine thresholds (default: per encoder)")
    parser.add_argument("--speed", action="store_true", help="only time similar_pairs at --speed-n irritants")
    parser.add_argument("--speed-n", type=int, default=5000)
    parser.add_argument("--speed-dim", type=int, default=384)
    parser.add_argument("--markdown", action="store_true", help="end with the table in Markdown (docs/clustering.md)")
    args = parser.parse_args()
    if args.speed:
        speed(args.speed_n, args.speed_dim, args.seed)
        return
    thresholds = sorted(args.thresholds or (TFIDF_THRESHOLDS if args.encoder == "tfidf" else EMBEDDING_THRESHOLDS))
    product = suggest_threshold("tfidf" if args.encoder == "tfidf" else "embedding")

    # per threshold: per set (pairs, right, true pairs found); per set: groups, true pairs
    found: dict[float, dict[str, tuple[int, int]]] = {t: {} for t in thresholds}
    shape: dict[str, tuple[int, int, int, int]] = {}
    encoders: dict = {}
    caches: dict = {}
    for name in args.sets:
        vectors, labels = embed(name, encoders, caches, args)
        start = time.perf_counter()
        groups = cluster_vectors(vectors, seed=args.seed)
        centroids = centroids_of(vectors, groups)
        sizes = np.bincount(groups)
        majority = majority_labels(labels, groups)
        pairs = similar_pairs(centroids, sizes, threshold=thresholds[0])
        wall = time.perf_counter() - start
        shape[name] = (len(labels), len(set(labels)), len(sizes), true_pairs(majority))
        print(f"{name}: n={len(labels)}, {len(set(labels))} labels, {len(sizes)} groups, "
              f"{true_pairs(majority)} pairs of groups share a majority label ({wall:.0f} s)", flush=True)  # fmt: skip
        for t in thresholds:
            chosen = [p for p in pairs if p.similarity >= t]
            right = sum(majority[p.keep] == majority[p.merge] for p in chosen)
            found[t][name] = (len(chosen), right)

    print(f"\n{'threshold':>9} | {'set':24} | {'pairs':>5} | {'precision':>9} | {'recall':>6} | chance")
    table = []
    for t in thresholds:
        pooled_pairs = pooled_right = pooled_true = 0
        for name in shape:
            count, right = found[t][name]
            true = shape[name][3]
            pooled_pairs, pooled_right, pooled_true = pooled_pairs + count, pooled_right + right, pooled_true + true
            precision = f"{100 * right / count:8.1f}%" if count else "       —"
            recall = f"{100 * right / true:5.1f}%" if true else "    —"
            base = 100 * chance(shape[name])
            print(f"{t:9.2f} | {name:24} | {count:5d} | {precision:>9} | {recall:>6} | {base:5.1f}%")
        precision = 100 * pooled_right / pooled_pairs if pooled_pairs else float("nan")
        recall = 100 * pooled_right / pooled_true if pooled_true else float("nan")
        mark = " ← product" if abs(t - product) < 1e-9 else ""
        print(f"{t:9.2f} | {'all sets':24} | {pooled_pairs:5d} | {precision:8.1f}% | {recall:5.1f}%{mark}")
        cells = " | ".join(
            f"{found[t][n][0]} ({100 * found[t][n][1] / found[t][n][0]:.0f} %)" if found[t][n][0] else "0"
            for n in shape
        )
        label = f"{t:.2f}{' (produit)' if mark else ''}"
        table.append(f"| {label} | {cells} | {pooled_pairs} | {precision:.1f} % | {recall:.1f} % |")
    if args.markdown:
        names = " | ".join(f"{n} : paires (précision)" for n in shape)
        print(f"\n| seuil | {names} | paires, tous jeux | précision | rappel |")
        print("|---|" + "---|" * len(shape) + "---|---|---|")
        print("\n".join(table))
        print("| au hasard | " + " | ".join(f"{100 * chance(shape[n]):.0f} %" for n in shape) + " | | | |")


if __name__ == "__main__":
    main()
