"""Report vectors, incremental assignment of new reports, and the in-memory centroid index used for
"similar irritants" while a citizen types."""

from __future__ import annotations

import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from irritants import events
from irritants.clustering import (
    ClusterTerms,
    Encoder,
    Mean,
    cluster_terms,
    default_threshold,
    place,
    placement_rule,
    title,
)
from irritants.clusters import loading
from irritants.clusters.loading import encoder_kind
from irritants.clusters.models import Cluster, EncoderMean, EncoderState, ReportVector
from irritants.clusters.report_status import sync_report_statuses
from irritants.db import utcnow
from irritants.errors import ServiceUnavailable
from irritants.intake.models import Report
from irritants.intake.redaction import redact
from irritants.referential.models import Administration, Procedure
from irritants.settings import ClusteringEncoder, ClusteringSettings
from irritants.status import StatusKind

_tfidf_cache: dict[str, tuple[Any, Encoder]] = {}
INDEX_REFRESH_SECONDS = 3.0
SIMILAR_MAX_CHARS = 160
HIDDEN_STATUSES = (StatusKind.SPAM, StatusKind.DUPLICATE)


class EncoderNotReady(ServiceUnavailable):
    """The text encoder of this process is still loading (a few seconds after a start)."""

    slug, title = "suggestions-not-ready", "Suggestions pas encore prêtes"
    retry_after = 2


def current_encoder(session: Session, clustering: ClusteringSettings, *, wait: bool = True) -> Encoder | None:
    """The process-wide encoder; for TF-IDF the one fitted by the last batch run (None before any).

    With ``wait=False`` a model still loading gives None at once (loading goes on in the background), so a
    request never waits for it.
    """
    if encoder_kind(clustering) == ClusteringEncoder.EMBEDDING:
        return loading.loader.get(clustering.embedding_threads, wait=wait)
    state = session.scalar(select(EncoderState).order_by(EncoderState.fitted_at.desc()).limit(1))
    if state is None:
        return None
    key = str(session.get_bind().url)
    cached = _tfidf_cache.get(key)
    if cached is None or cached[0] != state.fitted_at:
        cached = (state.fitted_at, pickle.loads(state.blob))  # noqa: S301 - written by this service only
        _tfidf_cache[key] = cached
    return cached[1]


def to_bytes(vector: np.ndarray) -> bytes:
    """Stored form of a vector."""
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    """Vector from its stored form."""
    return np.frombuffer(blob, dtype=np.float32)


def stored_vectors(session: Session, encoder: Encoder, report_ids: Sequence[int]) -> dict[int, np.ndarray]:
    """The vectors of ``encoder`` already stored for these reports, by report id."""
    rows = session.execute(
        select(ReportVector.report_id, ReportVector.vector).where(
            ReportVector.report_id.in_(list(report_ids)), ReportVector.encoder == encoder.name
        )
    )
    return {row.report_id: from_bytes(row.vector) for row in rows}


def release_claims(session: Session, report_ids: Sequence[int]) -> None:
    """Give back the clustering job's leases on these reports (those still waiting for a cluster)."""
    session.execute(
        update(Report)
        .where(Report.id.in_(list(report_ids)), Report.cluster_id.is_(None))
        .values(claimed_until=None)
        .execution_options(synchronize_session=False)
    )


def store_vector(session: Session, report_id: int, encoder: Encoder, vector: np.ndarray) -> None:
    """Insert or replace a report's vector."""
    row = session.get(ReportVector, report_id) or ReportVector(report_id=report_id)
    row.encoder, row.dim, row.vector = encoder.name, int(vector.shape[0]), to_bytes(vector)
    session.add(row)


def store_mean(session: Session, encoder_name: str, mean: Mean) -> None:
    """Insert or replace the mean of an encoder's vectors (a batch run's, or once a placement counted its vector)."""
    row = session.get(EncoderMean, encoder_name) or EncoderMean(encoder=encoder_name)
    row.dim, row.vector, row.count = int(mean.vector.shape[0]), to_bytes(mean.vector), int(mean.count)
    session.add(row)


def _mean_with(session: Session, encoder: Encoder, index: CentroidIndex, vector: np.ndarray) -> Mean:
    """The encoder's stored mean once ``vector`` is counted, stored. Before any (an instance upgraded with irritants
    and no batch run since), it starts from the irritants' centroids, weighted by size."""
    row = session.get(EncoderMean, encoder.name)
    if row is not None and row.dim == vector.shape[0]:
        mean = Mean(from_bytes(row.vector), row.count)
    elif index.ids.size and int(index.sizes.sum()) > 0:
        weights = index.sizes.astype(np.float64)
        mean = Mean((weights @ index.matrix / weights.sum()).astype(np.float32), int(weights.sum()))
    else:
        mean = None
    mean = Mean(np.asarray(vector, dtype=np.float32), 1) if mean is None else mean.add(vector)
    store_mean(session, encoder.name, mean)
    return mean


@dataclass
class CentroidIndex:
    """Unit centroids of visible clusters, kept per process and refreshed when clusters change."""

    encoder: str = ""
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.float32))
    admin: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    generation: tuple[Any, ...] = ()
    checked_at: float = 0.0


_indexes: dict[str, CentroidIndex] = {}


def centroid_index(session: Session, encoder: Encoder, *, fresh: bool = False) -> CentroidIndex:
    """The centroid index for ``encoder``, re-read from the database when clusters changed.

    Checked at most every INDEX_REFRESH_SECONDS, unless ``fresh``: then checked now, in ``session``'s transaction
    (the placement does so under its lock, so that it sees the irritants other workers just created).
    """
    key = f"{session.get_bind().url}|{encoder.name}"
    index = _indexes.get(key)
    now = time.monotonic()
    if index is not None and not fresh and now - index.checked_at < INDEX_REFRESH_SECONDS:
        return index
    generation = tuple(
        session.execute(
            select(func.count(Cluster.id), func.max(Cluster.updated_at)).where(Cluster.encoder == encoder.name)
        ).one()
    )
    if index is not None and index.generation == generation:
        index.checked_at = now
        return index
    rows = session.execute(
        select(Cluster.id, Cluster.centroid, Cluster.main_administration_id, Cluster.size)
        .where(Cluster.encoder == encoder.name, Cluster.centroid.is_not(None), Cluster.status.not_in(HIDDEN_STATUSES))
        .order_by(Cluster.id)
    ).all()
    matrix = np.vstack([from_bytes(r.centroid) for r in rows]) if rows else np.zeros((0, encoder.dim), np.float32)
    index = CentroidIndex(
        encoder=encoder.name,
        ids=np.array([r.id for r in rows], dtype=np.int64),
        matrix=matrix,
        admin=np.array([r.main_administration_id or 0 for r in rows], dtype=np.int64),
        sizes=np.array([r.size or 0 for r in rows], dtype=np.int64),
        generation=generation,
        checked_at=now,
    )
    _indexes[key] = index
    return index


def forget_indexes() -> None:
    """Drop cached indexes (after a batch run in this process)."""
    _indexes.clear()


def place_report(session: Session, encoder: Encoder, report_id: int, vector: np.ndarray) -> Cluster | None:
    """Store a report's vector and put it in the nearest cluster, or a new one (the caller commits).

    The rule is the pure core's (``clustering.place``, centred on the encoder's stored mean: ``placement_rule``),
    applied to this process's centroid index: the caller makes it fresh (``centroid_index(..., fresh=True)``) under
    the placement lock before a batch, which also serialises the mean's updates.
    """
    report = session.get(Report, report_id)
    if report is None or report.cluster_id is not None:
        return None
    store_vector(session, report.id, encoder, vector)
    index = centroid_index(session, encoder)
    threshold, centre = placement_rule(encoder.name, _mean_with(session, encoder, index, vector))
    placement = place(vector, index.matrix, index.sizes, threshold=threshold, mean=centre)
    cluster = session.get(Cluster, int(index.ids[placement.cluster])) if placement.cluster is not None else None
    new_cluster = cluster is None
    if cluster is None:
        # Label and keywords are public: redact before cutting, so no number split by the cut escapes.
        text = redact(report.description)
        terms = cluster_terms([text], np.zeros(1, dtype=np.int64), top_n=6).get(0) or ClusterTerms([], {})
        procedure = session.get(Procedure, report.procedure_id) if report.procedure_id else None
        administration = session.get(Administration, report.administration_id)
        cluster = Cluster(
            label=title(
                [text],
                terms.weights,
                demarche=procedure.name if procedure is not None else None,
                where=(administration.acronym or administration.name) if administration is not None else None,
                keywords=terms.keywords,
            ),
            keywords=list(terms.keywords),
            excerpt_report_ids=[report.id],
            encoder=encoder.name,
            centroid=to_bytes(vector),
            size=0,
            main_administration_id=report.administration_id,
        )
        session.add(cluster)
        session.flush()
    else:
        cluster.centroid = to_bytes(placement.centroid)
        cluster.size = placement.size
        cluster.updated_at = utcnow()
    report.cluster_id = cluster.id
    report.cluster_confidence = round(float(placement.confidence), 4)
    session.flush()
    sync_report_statuses(session, report_ids=[report.id])  # what the citizen's tracking page shows
    events.report_placed.send(session, report_id=report.id, cluster_id=cluster.id, new_cluster=new_cluster)
    _remember(session, encoder, index, cluster)
    return cluster


def _remember(session: Session, encoder: Encoder, index: CentroidIndex, cluster: Cluster) -> None:
    # Patch this process's index rather than re-reading every centroid for each placed report; a new object,
    # so a request reading the old one meanwhile never sees ids and rows out of step. The caller forgets the
    # indexes if its transaction rolls back.
    centroid = from_bytes(cluster.centroid)
    hit = np.flatnonzero(index.ids == cluster.id)
    if hit.size:
        matrix, sizes = index.matrix.copy(), index.sizes.copy()
        matrix[hit[0]], sizes[hit[0]] = centroid, cluster.size
        ids, admin = index.ids, index.admin
    else:
        matrix = np.vstack([index.matrix.reshape(-1, centroid.shape[0]), centroid])
        ids = np.append(index.ids, cluster.id)
        admin = np.append(index.admin, cluster.main_administration_id or 0)
        sizes = np.append(index.sizes, cluster.size)
    key = f"{session.get_bind().url}|{encoder.name}"
    _indexes[key] = replace(index, ids=ids, matrix=matrix, admin=admin, sizes=sizes)


@dataclass(frozen=True)
class Suggestion:
    """One similar cluster for a text being typed."""

    cluster_id: int
    similarity: float


def similar(
    session: Session,
    clustering: ClusteringSettings,
    text: str,
    *,
    administration_id: int | None = None,
    limit: int = 5,
    min_similarity: float | None = None,
) -> list[Suggestion]:
    """Top clusters for a text: cosine to centroids, a small bonus when the administration matches."""
    encoder = current_encoder(session, clustering, wait=False)
    if encoder is None:
        if encoder_kind(clustering) == ClusteringEncoder.EMBEDDING:
            # Not "nothing is similar": the model is loading; the caller says so and when to ask again.
            raise EncoderNotReady("La recherche d'irritants semblables démarre : réessayez dans quelques secondes.")
        return []  # TF-IDF never fitted: there is no irritant to compare with yet
    index = centroid_index(session, encoder)
    if index.ids.size == 0:
        return []
    # The opening of a text says what it is about; bounding it bounds the embedding time of each keystroke pause.
    vector = encoder.encode([text[:SIMILAR_MAX_CHARS]])[0]
    sims = index.matrix @ vector
    if administration_id:
        sims = sims + 0.03 * (index.admin == administration_id)
    floor = min_similarity if min_similarity is not None else default_threshold(encoder.name) - 0.08
    top = np.argsort(-sims, kind="stable")[: limit * 3]
    out = [Suggestion(int(index.ids[i]), round(float(sims[i]), 4)) for i in top if sims[i] >= floor]
    return out[:limit]
