"""What vector a long report should get (issue 10): e5 reads 512 tokens at most, the encoder cuts at 2,000 characters.

On the long dev sets (scripts/dev_sets.py), each text is embedded three ways and clustered the same way:

- ``head2000``: the first 2,000 characters, as the encoder does today (≈ 512 tokens);
- ``head500``: the first 500 characters only (4× cheaper to embed: the speed question of issue 10);
- ``chunks500``: the whole text cut into pieces of ≤ 500 characters on word boundaries, each embedded, the
  vectors averaged and re-normalised (reads everything, costs as much as the text is long).

For each: NMI / ARI / ACC with k given (k-means seeded by Ward, the cleanest view of the vectors' quality) and
with k found (the product rule and --rule), and the number of texts embedded. Vectors are cached per text in
~/.cache/irritants-bench/texts like the dev sets, so a second run takes seconds.

    .venv/bin/python scripts/eval_long_texts.py --sets agnews/long wikit_fr/long --rule silhouette stable
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

from irritants.clustering import cluster_vectors, get_encoder, l2_normalise, scores  # noqa: E402
from irritants.clustering.kchoice import DEFAULT_K_RULE, K_RULES  # noqa: E402

CHUNK = 500
VARIANTS = ("head2000", "head500", "chunks500")


def pieces(text: str, size: int = CHUNK) -> list[str]:
    """The text (spaces collapsed) cut into consecutive pieces of at most ``size`` characters on word boundaries."""
    words = text.split()
    out: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > size:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return [p[:size] for p in out] or ["."]


def head(text: str, size: int) -> str:
    return pieces(text, size)[0]


def vectors_of(variant: str, texts: list[str], cache: dev_sets.TextCache, encoder) -> tuple[np.ndarray, int]:
    if variant == "head2000":
        return cache.embed(encoder, texts), len(texts)
    if variant == "head500":
        return cache.embed(encoder, [head(t, CHUNK) for t in texts]), len(texts)
    parts = [pieces(t) for t in texts]
    flat = [p for ps in parts for p in ps]
    vecs = cache.embed(encoder, flat)
    out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
    start = 0
    for i, ps in enumerate(parts):
        out[i] = vecs[start : start + len(ps)].mean(axis=0)
        start += len(ps)
    return l2_normalise(out), len(flat)


def fmt(s: dict[str, float]) -> str:
    return f"{100 * s['nmi']:.1f} / {100 * s['ari']:.1f} / {100 * s['acc']:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="*", default=[f"{b}/long" for b in dev_sets.BASES])
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--rule", nargs="*", default=[DEFAULT_K_RULE], choices=K_RULES)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    encoder = get_encoder("embedding")
    cache = dev_sets.TextCache(encoder.name)
    print(f"{'set':22} {'vector':10} {'texts embedded':>14} | {'k given NMI ARI ACC':>20} | k found per rule")
    for name in args.sets:
        base, kind = name.split("/")
        ds = dev_sets.build(base, kind, seed=args.seed)
        k_true = len(set(ds.labels))
        over = sum(len(t) > 2000 for t in ds.texts) / len(ds.texts)
        print(
            f"{name}: {len(ds.texts)} texts, median {np.median([len(t) for t in ds.texts]):.0f} chars, "
            f"{100 * over:.0f} % over 2,000",
            flush=True,
        )
        for variant in args.variants:
            start = time.perf_counter()
            vecs, embedded = vectors_of(variant, ds.texts, cache, encoder)
            given = scores(ds.labels, cluster_vectors(vecs, seed=args.seed, n_clusters=k_true))
            row = f"{name:22} {variant:10} {embedded:14d} | {fmt(given):>20} |"
            for rule in args.rule:
                found = cluster_vectors(vecs, seed=args.seed, k_rule=rule)
                row += f" {rule} {found.max() + 1} groups {fmt(scores(ds.labels, found))} |"
            print(row + f" {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
