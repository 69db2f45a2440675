"""Batch re-clustering: every report from its stored vector, swapped in one transaction, one run at a time.

Cluster identity is stable: new groups inherit the id of the old cluster they overlap most, so statuses,
squad links and decisions survive. Product owners' decisions are constraints: reports of a pinned cluster,
of a spam or duplicate one, and reports a product owner moved, merged or split off by hand, stay where they are.
"""

from __future__ import annotations

import contextlib
import pickle
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from irritants.clustering import (
    ClusterTerms,
    Mean,
    TfidfEncoder,
    centroids_of,
    cluster_terms,
    cluster_vectors,
    representatives,
    title,
)
from irritants.clustering.merging import SAME_IRRITANT_THRESHOLD, merge_close_groups
from irritants.clusters import engine
from irritants.clusters.describing import TITLE_SOURCES, demarche_and_place
from irritants.clusters.models import Cluster, EncoderState, ReportVector, Support
from irritants.clusters.report_status import sync_report_statuses
from irritants.db import utcnow
from irritants.errors import IrritantsError
from irritants.intake.models import Report
from irritants.intake.moderation import public_text
from irritants.intake.redaction import redact
from irritants.locks import LockBusy, one_at_a_time
from irritants.progress import Progress, no_progress
from irritants.settings import ClusteringEncoder, ClusteringSettings
from irritants.status import StatusKind

RECLUSTER_LOCK = "recluster"
_BATCH = 2000
KEYWORD_SAMPLE = 300


class ReclusterRunning(IrritantsError):
    status, slug, title = 409, "recluster-running", "Un regroupement est déjà en cours"


@dataclass
class ReclusterResult:
    """What a batch run changed."""

    reports: int
    clusters: int
    kept: int
    created: int
    emptied: int
    vectorised: int


@contextlib.contextmanager
def exclusive_run(session: Session) -> Iterator[None]:
    """Only one batch run at a time, on any machine: the lock of ``session``'s transaction (the caller commits
    inside the block), taken before anything is written."""
    try:
        with one_at_a_time(session, RECLUSTER_LOCK, wait=False):
            yield
    except LockBusy as exc:
        raise ReclusterRunning("Un autre regroupement est en cours : réessayez quand il sera terminé.") from exc


def vectorise_missing(session: Session, clustering: ClusteringSettings, progress: Progress = no_progress) -> int:
    """Compute and store vectors of reports that have none (or another encoder's); returns how many."""
    if engine.encoder_kind(clustering) == ClusteringEncoder.TFIDF:
        return _refit_tfidf(session, clustering, progress)
    encoder = engine.current_encoder(session, clustering)
    assert encoder is not None
    missing = list(
        session.execute(
            select(Report.id, Report.description)
            .outerjoin(ReportVector, ReportVector.report_id == Report.id)
            .where((ReportVector.report_id.is_(None)) | (ReportVector.encoder != encoder.name))
            .order_by(Report.id)
        ).all()
    )
    total = len(missing)
    if not total:
        return 0
    # Every stage reports 0 before its work starts, then items as they are done: a progress bar's rate is honest.
    progress("vectors", 0, total)
    for start in range(0, total, 256):
        chunk = missing[start : start + 256]
        vectors = encoder.encode(
            [r.description for r in chunk],
            progress=lambda done, _n, start=start: progress("vectors", start + done, total),
        )
        for row, vector in zip(chunk, vectors, strict=True):
            engine.store_vector(session, row.id, encoder, vector)
        session.flush()
    return total


def _refit_tfidf(session: Session, clustering: ClusteringSettings, progress: Progress) -> int:
    # TF-IDF vectors depend on the corpus: refit on every report, then store the encoder for incremental use.
    rows = session.execute(select(Report.id, Report.description).order_by(Report.id)).all()
    if not rows:
        return 0
    progress("vectors", 0, len(rows))
    encoder = TfidfEncoder(seed=clustering.seed, min_df=2 if len(rows) > 50 else 1)
    encoder.fit([r.description for r in rows])
    vectors = encoder.encode([r.description for r in rows])
    session.execute(delete(ReportVector))
    payload = [
        {
            "report_id": r.id,
            "encoder": encoder.name,
            "dim": int(v.shape[0]),
            "vector": engine.to_bytes(v),
            "created_at": utcnow(),
        }
        for r, v in zip(rows, vectors, strict=True)
    ]
    for start in range(0, len(payload), _BATCH):
        session.execute(ReportVector.__table__.insert(), payload[start : start + _BATCH])
        progress("vectors", min(start + _BATCH, len(payload)), len(payload))
    state = session.get(EncoderState, encoder.name) or EncoderState(name=encoder.name)
    state.blob, state.fitted_at = pickle.dumps(encoder), utcnow()
    session.add(state)
    session.execute(update(Cluster).where(Cluster.encoder != encoder.name).values(encoder=encoder.name, centroid=None))
    return len(rows)


def recluster(
    session: Session,
    clustering: ClusteringSettings,
    *,
    seed: int,
    progress: Progress = no_progress,
    merge_threshold: float | None = SAME_IRRITANT_THRESHOLD,
) -> ReclusterResult:
    """Recompute every report's cluster from stored vectors and swap it in (the caller commits).

    Groups of one administration and one démarche whose centred centroids reach ``merge_threshold`` are then
    merged (one irritant told in several ways; None: never).
    """
    vectorised = vectorise_missing(session, clustering, progress)
    encoder = engine.current_encoder(session, clustering)
    assert encoder is not None
    rows = session.execute(
        select(
            Report.id,
            Report.description,
            Report.cluster_id,
            Report.cluster_locked,
            Report.administration_id,
            Report.procedure_id,
            Report.moderation_reasons,
            ReportVector.vector,
        )
        .join(ReportVector, ReportVector.report_id == Report.id)
        .where(ReportVector.encoder == encoder.name)
        .order_by(Report.id)
    ).all()
    if not rows:
        return ReclusterResult(0, 0, 0, 0, 0, vectorised)
    ids = np.array([r.id for r in rows], dtype=np.int64)
    vectors = np.vstack([engine.from_bytes(r.vector) for r in rows])
    old = np.array([r.cluster_id or 0 for r in rows], dtype=np.int64)
    # Decisions hold: pinned irritants keep their reports; spam and duplicates keep theirs and take no new ones.
    pinned = set(
        session.scalars(
            select(Cluster.id).where(Cluster.pinned | Cluster.status.in_((StatusKind.SPAM, StatusKind.DUPLICATE)))
        )
    )
    fixed = np.array([bool(r.cluster_locked and r.cluster_id) or (r.cluster_id in pinned) for r in rows])
    free = np.flatnonzero(~fixed)
    progress("clustering", 0, 1)
    keys = [
        [f"a{rows[i].administration_id}" for i in free],
        [f"p{rows[i].procedure_id}" if rows[i].procedure_id else None for i in free],
    ]
    labels = cluster_vectors(vectors[free], seed=seed, soft_keys=keys) if free.size else np.zeros(0, np.int64)
    if merge_threshold is not None and free.size:
        labels = merge_close_groups(vectors[free], labels, merge_threshold, keys=keys)
    progress("clustering", 1, 1)

    new_cluster = old.copy()
    mapping, created, kept = _match_identities(session, labels, old[free], pinned, encoder.name)
    new_cluster[free] = np.array([mapping[int(g)] for g in labels], dtype=np.int64)
    emptied = _retire_empty(session, set(int(c) for c in old if c) - set(int(c) for c in new_cluster))

    # Centroids, confidences, labels, keywords and excerpts of every non-empty cluster.
    order = np.argsort(new_cluster, kind="stable")
    unique_ids, starts, counts = np.unique(new_cluster[order], return_index=True, return_counts=True)
    members = {int(c): order[start : start + count] for c, start, count in zip(unique_ids, starts, counts, strict=True)}
    cluster_ids = sorted(members)
    local = np.empty(len(ids), dtype=np.int64)
    for position, cid in enumerate(cluster_ids):
        local[members[cid]] = position
    centroids = centroids_of(vectors, local)
    confidence = np.einsum("ij,ij->i", vectors, centroids[local])
    # Keywords are public: texts where personal data was found are redacted first.
    texts = [public_text(r.description, r.moderation_reasons) for r in rows]
    # Keywords from each cluster's most central reports only: the same terms, for a fraction of 100k texts.
    chosen = np.concatenate(
        [members[cid][np.argsort(-confidence[members[cid]], kind="stable")[:KEYWORD_SAMPLE]] for cid in cluster_ids]
    )
    chosen.sort()
    terms = cluster_terms([texts[i] for i in chosen], local[chosen], top_n=8)
    reps = representatives(vectors, local, per_cluster=2)
    clusters = {c.id: c for c in session.scalars(select(Cluster).where(Cluster.id.in_(cluster_ids)))}
    for position, cid in enumerate(cluster_ids):
        cluster = clusters[cid]
        found = terms.get(position) or ClusterTerms([], {})
        # A title a product owner wrote stays, and so do their keywords (unless there are none).
        if not cluster.label_locked or not cluster.keywords:
            cluster.keywords = list(found.keywords)
        if not cluster.label_locked:
            central = members[cid][np.argsort(-confidence[members[cid]], kind="stable")[:TITLE_SOURCES]]
            demarche, where = demarche_and_place(
                session, [rows[i].procedure_id for i in central], [rows[i].administration_id for i in central]
            )
            # Redacted before the title is cut, so no number split by the cut escapes the redaction.
            sources = [redact(texts[i]) for i in central]
            cluster.label = title(sources, found.weights, demarche=demarche, where=where, keywords=found.keywords)
        cluster.excerpt_report_ids = [int(ids[i]) for i in reps.get(position, [])]
        cluster.centroid = engine.to_bytes(centroids[position])
        cluster.encoder = encoder.name
    session.flush()
    progress("saving", 0, len(ids))
    payload = [
        {"rid": int(ids[i]), "cid": int(new_cluster[i]), "conf": round(float(confidence[i]), 4)}
        for i in range(len(ids))
    ]
    stmt = (
        update(Report.__table__)
        .where(Report.__table__.c.id == bindparam("rid"))
        .values(cluster_id=bindparam("cid"), cluster_confidence=bindparam("conf"))
    )
    for start in range(0, len(payload), _BATCH):
        session.connection().execute(stmt, payload[start : start + _BATCH])
        progress("saving", min(start + _BATCH, len(payload)), len(payload))
    # A report shows its irritant's status on the citizen's tracking page: it follows the report when it moves.
    sync_report_statuses(session)
    # The centre of the incremental placement's centred rule: the mean of every vector of the encoder.
    engine.store_mean(session, encoder.name, Mean.of(vectors))
    engine.forget_indexes()
    return ReclusterResult(len(ids), len(cluster_ids), kept, created, emptied, vectorised)


def _match_identities(
    session: Session, labels: np.ndarray, old: np.ndarray, pinned: set[int], encoder_name: str
) -> tuple[dict[int, int], int, int]:
    """Give each new group the id of the old cluster it shares most reports with (greedy, largest first)."""
    overlap: Counter[tuple[int, int]] = Counter()
    for group, previous in zip(labels.tolist(), old.tolist(), strict=True):
        if previous and previous not in pinned:
            overlap[(group, previous)] += 1
    group_sizes = Counter(labels.tolist())
    old_sizes = Counter(c for c in old.tolist() if c)
    mapping: dict[int, int] = {}
    used: set[int] = set()
    # Deterministic: by overlap, then by smaller ids.
    for (group, previous), shared in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0])):
        if group in mapping or previous in used:
            continue
        # Keep the identity only when the old cluster is really continued (half of either side).
        if shared * 2 >= min(group_sizes[group], old_sizes[previous]):
            mapping[group] = previous
            used.add(previous)
    kept = len(mapping)
    created = 0
    for group in sorted(group_sizes):
        if group not in mapping:
            cluster = Cluster(label="", encoder=encoder_name)
            session.add(cluster)
            session.flush()
            mapping[group] = cluster.id
            created += 1
    return mapping, created, kept


def _retire_empty(session: Session, cluster_ids: set[int]) -> int:
    """Clusters left without reports: delete untouched ones, keep those carrying decisions (size 0)."""
    if not cluster_ids:
        return 0
    retired = 0
    supported = set(session.scalars(select(Support.cluster_id).where(Support.cluster_id.in_(cluster_ids))))
    for cluster in session.scalars(select(Cluster).where(Cluster.id.in_(cluster_ids))):
        untouched = cluster.status == StatusKind.NEW and not cluster.pinned and not cluster.label_locked
        if untouched and cluster.id not in supported:
            session.delete(cluster)
            retired += 1
    session.flush()
    return retired
