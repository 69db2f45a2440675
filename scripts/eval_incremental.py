"""Incremental placement (a new report joins the nearest irritant above a threshold) on labelled dev sets.

Places the reports of each set one by one in a random order, with today's rule (raw cosine to the centroids) and
with a centred rule (cosine once the size-weighted mean of the centroids is subtracted from both sides) at several
thresholds, and prints the number of irritants made, NMI and ARI against the true labels and against the batch
product (``cluster_vectors`` on the whole set). Two starts: from an empty index (every report placed one by one), and
after a batch run on the first half (the realistic case: a batch run, then new reports arrive one by one); in the
second case the scores are over the whole set (batch groups of the first half, placed groups of the second).

Embeddings come from the per-text cache of the dev sets (~/.cache/irritants-bench/texts); nothing new is embedded
unless a set's texts are missing from it.

    .venv/bin/python scripts/eval_incremental.py --markdown
    .venv/bin/python scripts/eval_incremental.py --sets agnews/plain demo --raw 0.88 --centred 0.3 0.4 0.5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import dev_sets  # noqa: E402
from eval_merge_suggestions import embed  # noqa: E402

from irritants.clustering import ari, cluster_vectors, nmi  # noqa: E402
from irritants.clustering.incremental import CentroidIndex  # noqa: E402

DEFAULT_SETS = [f"{base}/{kind}" for kind in dev_sets.KINDS for base in dev_sets.BASES] + ["demo"]


def centred_sims(
    vector: np.ndarray, centroids: np.ndarray, sizes: np.ndarray, mean: np.ndarray | None = None
) -> np.ndarray:
    """Cosine of (vector − μ) with each (centroid − μ), μ the size-weighted mean of the centroids unless given."""
    if mean is None:
        weights = sizes.astype(np.float64)
        mean = (weights @ centroids) / max(float(weights.sum()), 1.0)
    raw = centroids @ vector
    towards = centroids @ mean
    norm_c = np.sqrt(np.maximum(1.0 - 2.0 * towards + mean @ mean, 0.0))
    norm_v = np.sqrt(max(float(vector @ vector - 2.0 * (vector @ mean) + mean @ mean), 0.0))
    dots = raw - towards - float(vector @ mean) + float(mean @ mean)
    return np.where(norm_c > 1e-6, dots / np.maximum(norm_c * norm_v, 1e-12), -1.0)


def place_all(
    vectors: np.ndarray,
    order: np.ndarray,
    index: CentroidIndex,
    groups: np.ndarray,
    rule: str,
    threshold: float,
    total: list,
) -> None:
    """Place vectors[order] one by one into index (groups[i] gets each one's irritant).

    Rules: ``raw`` (today's), ``centred`` (μ the size-weighted mean of the unit centroids), ``mean`` (μ the running
    mean of every vector seen: the batch run's, then each placed one)."""
    for i in order:
        vector = vectors[i].astype(np.float64)
        total[0] += vector
        total[1] += 1
        k = len(index)
        if k == 0:
            groups[i] = index.add(vectors[i])
            continue
        centroids = index.centroids.astype(np.float64)
        if rule == "raw":
            sims = centroids @ vector
        else:
            mean = total[0] / total[1] if rule == "mean" else None
            sims = centred_sims(vector, centroids, index.counts, mean)
        best = int(np.argmax(sims))
        groups[i] = index.add(vectors[i], best if sims[best] >= threshold else None)


def novel_split(labels: list[str], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the ``novel`` start: (batch rows, placed rows in order, is-new flag per row). A quarter of the labels (at
    least one) never appear before the batch run; the batch run sees half of the other labels' reports."""
    rng = np.random.default_rng(seed + 1)
    names = sorted(set(labels))
    new = set(rng.permutation(names)[: max(1, len(names) // 4)].tolist())
    is_new = np.array([label in new for label in labels])
    old_rows = rng.permutation(np.flatnonzero(~is_new))
    first = np.sort(old_rows[: old_rows.size // 2])
    rest = rng.permutation(np.concatenate([old_rows[old_rows.size // 2 :], np.flatnonzero(is_new)]))
    return first, rest, is_new


def run(
    vectors: np.ndarray,
    rule: str,
    threshold: float,
    seed: int,
    warm: np.ndarray | None,
    split: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Groups of every vector: placed one by one (warm None), or batch groups ``warm`` of the first rows (the first
    half of a random order, or ``split``'s first rows) then the others placed."""
    n = vectors.shape[0]
    order = np.random.default_rng(seed).permutation(n)
    if split is not None:
        order = np.concatenate(split)
    groups = np.full(n, -1, dtype=np.int64)
    if warm is None:
        index = CentroidIndex(vectors.shape[1])
        place_all(vectors, order, index, groups, rule, threshold, [np.zeros(vectors.shape[1]), 0])
    else:
        cut = split[0].size if split is not None else n // 2
        first, second = order[:cut], order[cut:]
        groups[first] = warm
        index = CentroidIndex.from_labels(vectors[first], warm)
        total = [vectors[first].astype(np.float64).sum(axis=0), len(first)]
        place_all(vectors, second, index, groups, rule, threshold, total)
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=dev_sets.DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoder", default="embedding", choices=("embedding", "tfidf"))
    parser.add_argument("--sets", nargs="*", default=DEFAULT_SETS, help="base/kind dev sets, or demo")
    parser.add_argument("--demo-rows", type=int, default=2000)
    parser.add_argument("--raw", nargs="*", type=float, default=[0.88], help="raw cosine thresholds (today's rule)")
    parser.add_argument("--centred", nargs="*", type=float, default=[0.3, 0.35, 0.4, 0.45, 0.5])
    parser.add_argument("--mean", nargs="*", type=float, default=[], help="thresholds, μ the running mean")
    parser.add_argument("--starts", nargs="*", default=["empty", "half"], choices=("empty", "half", "novel"))
    parser.add_argument("--markdown", action="store_true", help="end with the tables in Markdown")
    args = parser.parse_args()
    rules = [("raw", t) for t in args.raw] + [("centred", t) for t in args.centred] + [("mean", t) for t in args.mean]
    rows: dict[tuple[str, str, float, str], tuple[int, float, float, float, float]] = {}
    encoders: dict = {}
    caches: dict = {}
    label_counts: dict[str, int] = {}
    novel: dict[tuple[str, float, str], tuple[float, float]] = {}
    for name in args.sets:
        start = time.perf_counter()
        vectors, labels, _encoder_name = embed(name, encoders, caches, args)
        vectors = np.asarray(vectors, dtype=np.float32)
        batch = cluster_vectors(vectors, seed=args.seed)
        n = vectors.shape[0]
        order = np.random.default_rng(args.seed).permutation(n)
        warm = cluster_vectors(vectors[order[: n // 2]], seed=args.seed) if "half" in args.starts else None
        split = novel_split(labels, args.seed) if "novel" in args.starts else None
        novel_warm = cluster_vectors(vectors[split[0]], seed=args.seed) if split is not None else None
        truth = np.asarray(labels)
        label_counts[name] = len(set(labels))
        print(
            f"{name:22} n={n}, {len(set(labels))} labels; batch: {int(batch.max()) + 1} groups, "
            f"NMI {nmi(truth, batch):.3f}, ARI {ari(truth, batch):.3f}"
            + (f"; batch on half: {int(warm.max()) + 1} groups" if warm is not None else ""),
            flush=True,
        )
        rows["batch", name, 0.0, "-"] = (int(batch.max()) + 1, nmi(truth, batch), ari(truth, batch), 1.0, 1.0)
        for start_kind in args.starts:
            for rule, threshold in rules:
                if start_kind == "novel":
                    groups = run(vectors, rule, threshold, args.seed, novel_warm, split[:2])
                    fresh = groups > novel_warm.max()  # in an irritant made after the batch run
                    placed_old = np.zeros(n, dtype=bool)
                    placed_old[split[1]] = True
                    placed_old &= ~split[2]
                    novel[name, threshold, rule] = (float(fresh[split[2]].mean()), float(fresh[placed_old].mean()))
                else:
                    groups = run(vectors, rule, threshold, args.seed, warm if start_kind == "half" else None)
                row = (
                    int(np.unique(groups).size),
                    nmi(truth, groups),
                    ari(truth, groups),
                    nmi(batch, groups),
                    ari(batch, groups),
                )
                rows[start_kind, name, threshold, rule] = row
                extra = ""
                if start_kind == "novel":
                    share_new, share_old = novel[name, threshold, rule]
                    extra = f" | new labels in new irritants {share_new:.0%}, known labels {share_old:.0%}"
                print(
                    f"  {start_kind:5} {rule:7} {threshold:.2f}: {row[0]:5d} groups | true NMI {row[1]:.3f} "
                    f"ARI {row[2]:.3f} | batch NMI {row[3]:.3f} ARI {row[4]:.3f}{extra}",
                    flush=True,
                )
        print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)
    if args.markdown:
        for start_kind in args.starts:
            print(f"\nStart: {start_kind} — groups / NMI / ARI vs true labels (batch: whole set at once)\n")
            print("| jeu | labels | batch | " + " | ".join(f"{r} {t:.2f}" for r, t in rules) + " |")
            print("|---|---|---|" + "---|" * len(rules))
            for name in args.sets:
                b = rows["batch", name, 0.0, "-"]
                cells = [f"{b[0]} / {b[1]:.2f} / {b[2]:.2f}"]
                for rule, threshold in rules:
                    r = rows[start_kind, name, threshold, rule]
                    cell = f"{r[0]} / {r[1]:.2f} / {r[2]:.2f}"
                    if start_kind == "novel":
                        share_new, share_old = novel[name, threshold, rule]
                        cell += f" / {100 * share_new:.0f} % / {100 * share_old:.0f} %"
                    cells.append(cell)
                print(f"| {name} | {label_counts[name]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
