"""Precision of the merge suggestions (« Irritants qui se ressemblent ») on labelled dev sets.

For each set (scripts/dev_sets.py; the plain short sets by default), group the texts as the product does — a batch
run (k not given) and the incremental placement of reports one by one, the two ways live irritants are made —, take
each irritant's unit centroid and size, list the suggested pairs (irritants.clustering.suggestions, centred cosine)
at several thresholds, and count a pair as right when its two irritants have the same majority label (one irritant
that the clustering split). Prints, per threshold and set, the number of pairs, that share (precision), how many of
the pairs sharing a majority label were found (recall), how many of the 5 best pairs are right (what the backlog
shows first), then the sets pooled; « chance » is the precision of a pair drawn at random.

Embeddings come from the per-text cache of the dev sets (~/.cache/irritants-bench/texts), filled on first use.

    .venv/bin/python scripts/eval_merge_suggestions.py --markdown             # e5, plain, uneven sets and demo
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
from eval_clustering import load_demo  # noqa: E402

from irritants.clustering import centroids_of, cluster_vectors, get_encoder  # noqa: E402
from irritants.clustering.incremental import CentroidIndex, place_all  # noqa: E402
from irritants.clustering.suggestions import (  # noqa: E402
    CLOSENESS,
    CLOSENESS_STEP,
    MUTUAL_RANK,
    centred,
    closeness,
    similar_pairs,
    suggest_threshold,
)

DEFAULT_SETS = [f"{base}/{kind}" for kind in ("plain", "uneven") for base in dev_sets.BASES] + ["demo"]
THRESHOLDS = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]


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


def embed(name: str, encoders: dict, caches: dict, args: argparse.Namespace) -> tuple[np.ndarray, list[str], str]:
    """Vectors, labels and encoder name of a dev set (e5 vectors from the shared per-text cache)."""
    if name == "demo":  # the demo catalogue's French reports, labelled by the irritant each was generated from
        texts, labels, _ = load_demo(args.demo_rows, args.seed + 7)
        language = "fr"
    else:
        base, kind = name.split("/")
        ds = dev_sets.build(base, kind, args.data_dir, args.seed)
        texts, labels, language = ds.texts, ds.labels, ds.language
    if args.encoder == "tfidf":
        encoder = get_encoder("tfidf", language="french" if language == "fr" else "english")
        return encoder.encode(texts), labels, encoder.name
    encoder = encoders.setdefault("embedding", get_encoder("embedding"))
    cache = caches.setdefault(encoder.name, dev_sets.TextCache(encoder.name))
    return cache.embed(encoder, texts), labels, encoder.name


def speed(n: int, dim: int, seed: int, mutual: int) -> None:
    """Time similar_pairs on n unit vectors made of tight themes (so that pairs exist), as on a year's backlog."""
    rng = np.random.default_rng(seed)
    themes = rng.normal(size=(max(n // 10, 1), dim))
    vectors = themes[rng.integers(0, themes.shape[0], n)] * 3 + rng.normal(size=(n, dim))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    sizes = rng.integers(1, 200, n)
    sample = centred(vectors, sizes)
    threshold = float(np.quantile(sample[:500] @ sample.T, 0.999))  # ≈ 0.1 % of pairs, i.e. thousands
    similar_pairs(sample[:100], sizes[:100], threshold=threshold, mutual=mutual)  # warm-up (BLAS threads)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        pairs = similar_pairs(centred(vectors, sizes), sizes, threshold=threshold, mutual=mutual)
        runs.append(time.perf_counter() - start)
    print(
        f"centred + similar_pairs (mutual={mutual}): {n} irritants × {dim} dimensions, "
        f"{len(pairs)} pairs above {threshold:.3f}: "
        f"median {1000 * float(np.median(runs)):.0f} ms, best {1000 * min(runs):.0f} ms (5 runs)"
    )


def groups_of(vectors: np.ndarray, mode: str, encoder_name: str, seed: int) -> np.ndarray:
    """The irritants the product would hold: a batch run (``irritants recluster``), or reports placed one by one in
    a random order by the product's incremental loop from an empty start (``place_all``: the centred rule on the
    running mean)."""
    if mode == "batch":
        return cluster_vectors(vectors, seed=seed)
    order = np.random.default_rng(seed).permutation(vectors.shape[0])
    groups = np.zeros(vectors.shape[0], dtype=np.int64)
    groups[order], _ = place_all(CentroidIndex(vectors.shape[1]), vectors[order], encoder_name=encoder_name)
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=dev_sets.DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoder", default="embedding", choices=("embedding", "tfidf"))
    parser.add_argument("--sets", nargs="*", default=DEFAULT_SETS, help="base/kind dev sets, or demo")
    parser.add_argument("--demo-rows", type=int, default=2000)
    parser.add_argument("--modes", nargs="*", default=["batch", "incremental"], choices=("batch", "incremental"))
    parser.add_argument("--thresholds", nargs="*", type=float, help="centred cosine thresholds")
    parser.add_argument("--raw", action="store_true", help="compare raw centroids, not centred ones (for contrast)")
    parser.add_argument("--mutual", type=int, default=MUTUAL_RANK, help="each among the other's k nearest (0: off)")
    parser.add_argument("--speed", action="store_true", help="only time similar_pairs at --speed-n irritants")
    parser.add_argument("--speed-n", type=int, default=5000)
    parser.add_argument("--speed-dim", type=int, default=384)
    parser.add_argument("--markdown", action="store_true", help="end with the table in Markdown (docs/clustering.md)")
    args = parser.parse_args()
    if args.speed:
        speed(args.speed_n, args.speed_dim, args.seed, args.mutual)
        return
    thresholds = sorted(args.thresholds or THRESHOLDS)
    product = suggest_threshold("tfidf" if args.encoder == "tfidf" else "embedding")

    # (mode, set) -> suggested pairs at the lowest threshold as (similarity, right), and the shape of the set
    found: dict[tuple[str, str], list[tuple[float, bool]]] = {}
    shape: dict[tuple[str, str], tuple[int, int, int, int]] = {}
    encoders: dict = {}
    caches: dict = {}
    for name in args.sets:
        vectors, labels, encoder_name = embed(name, encoders, caches, args)
        for mode in args.modes:
            start = time.perf_counter()
            groups = groups_of(vectors, mode, encoder_name, args.seed)
            sizes = np.bincount(groups)
            centroids = centroids_of(vectors, groups)
            compared = centroids if args.raw else centred(centroids, sizes)
            majority = majority_labels(labels, groups)
            pairs = similar_pairs(compared, sizes, threshold=thresholds[0], mutual=args.mutual)
            found[mode, name] = [(p.similarity, majority[p.keep] == majority[p.merge]) for p in pairs]
            shape[mode, name] = (len(labels), len(set(labels)), len(sizes), true_pairs(majority))
            print(
                f"{mode:11} {name:22} n={len(labels)}, {len(set(labels))} labels, {len(sizes)} irritants, "
                f"{true_pairs(majority)} pairs of them share a majority label "
                f"(chance {100 * chance(shape[mode, name]):.1f} %; {time.perf_counter() - start:.0f} s)",
                flush=True,
            )

    def cell(pairs: list[tuple[float, bool]], t: float) -> tuple[int, int]:
        chosen = [right for sim, right in pairs if sim >= t]
        return len(chosen), sum(chosen)

    print(f"\n{'mode':11} {'threshold':>9} | {'set':22} | {'pairs':>5} | {'precision':>9} | {'recall':>6} | top 5")
    table = []
    for mode in args.modes:
        keys = [key for key in found if key[0] == mode]
        for t in thresholds:
            pooled = [0, 0, 0]
            cells = []
            for key in keys:
                count, right = cell(found[key], t)
                true = shape[key][3]
                pooled = [pooled[0] + count, pooled[1] + right, pooled[2] + true]
                top = [r for sim, r in found[key] if sim >= t][:5]
                precision = f"{100 * right / count:8.1f}%" if count else "       —"
                recall = f"{100 * right / true:5.1f}%" if true else "    —"
                print(
                    f"{mode:11} {t:9.2f} | {key[1]:22} | {count:5d} | {precision} | {recall:>6} | {sum(top)}/{len(top)}"
                )
                cells.append(f"{count} ({100 * right / count:.0f} %)" if count else "0")
            precision = 100 * pooled[1] / pooled[0] if pooled[0] else float("nan")
            recall = 100 * pooled[1] / pooled[2] if pooled[2] else float("nan")
            mark = " ← product" if abs(t - product) < 1e-9 else ""
            print(f"{mode:11} {t:9.2f} | {'all sets':22} | {pooled[0]:5d} | {precision:8.1f}% | {recall:5.1f}%{mark}")
            label = f"{t:.2f}{' (produit)' if mark else ''}"
            table.append(
                f"| {mode} | {label} | {' | '.join(cells)} | {pooled[0]} | {precision:.1f} % | {recall:.1f} % |"
            )
    print(f"\nBy the words the pages show (threshold {product}, steps of {CLOSENESS_STEP}): pairs, precision")
    for mode in args.modes:
        line = f"{mode:11}"
        for word in CLOSENESS:
            flags = [
                right
                for key in found
                if key[0] == mode
                for sim, right in found[key]
                if sim >= product and closeness(sim, product) == word
            ]
            share = f"{100 * sum(flags) / len(flags):.0f} %" if flags else "—"
            line += f" | {word}: {len(flags)}, {share}"
        print(line)
    if args.markdown:
        names = " | ".join(n for m, n in found if m == args.modes[0])
        print(f"\n| regroupement | seuil | {names} | paires, tous jeux | précision | rappel |")
        print("|---|---|" + "---|" * len(args.sets) + "---|---|---|")
        print("\n".join(table))
        for mode in args.modes:
            chances = " | ".join(f"{100 * chance(shape[k]):.0f} %" for k in found if k[0] == mode)
            print(f"| {mode} | au hasard | {chances} | | | |")


if __name__ == "__main__":
    main()
