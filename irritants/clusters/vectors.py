"""Reports' stored vectors computed in bulk: after an import, before a re-clustering; resumable, never twice.

The vectors of many reports (a year of an administration's reports: 100,000) are computed in chunks, each
committed as soon as it is encoded: stopping (Ctrl-C, an error) loses at most the chunk being encoded, and the
next run starts from the reports that still have no vector — nothing is encoded twice. (A killed process cannot
give its lease back: the reports it was encoding are taken again when the lease ends, ``CLAIM_SECONDS``.)

While a chunk is encoded, its reports that wait for a cluster are leased with the clustering job's claim
(``reports.claimed_until``), so a web process's background thread or an ``irritants worker`` running meanwhile
does not encode them too; once their vectors are stored the claim is given back and the job places them with the
stored vector.

On several cores, texts are encoded by one process per core with one thread each: on 2 cores that gives
≈ 1.25× the texts per second of one process using both cores (the model's threads synchronise at every layer;
``scripts/bench_embedding.py`` measures it).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

import numpy as np
from flask import Flask
from sqlalchemy import func, or_, select, update

from irritants.clustering import Encoder
from irritants.clusters import engine
from irritants.clusters.models import ReportVector
from irritants.db import Database, get_db, utcnow
from irritants.intake.models import Report
from irritants.progress import Progress, no_progress
from irritants.settings import ClusteringEncoder, settings_of

CHUNK = 256
"""Reports encoded then committed together: ≈ 10–25 s of encoding on 2 cores, the most a stop can lose."""
PARALLEL_FROM = 1000
"""Below this many texts, starting one model per core costs more than it saves."""
CLAIM_SECONDS = 600.0


def missing_count(database: Database, encoder_name: str) -> int:
    """How many reports have no vector of this encoder."""
    with database.read_sessions() as session:
        return int(
            session.scalar(
                select(func.count(Report.id))
                .outerjoin(ReportVector, ReportVector.report_id == Report.id)
                .where(or_(ReportVector.report_id.is_(None), ReportVector.encoder != encoder_name))
            )
            or 0
        )


def _take_chunk(database: Database, encoder_name: str, after: int, size: int) -> list[tuple[int, str]]:
    """The next reports without this encoder's vector (ids above ``after``), leased if they wait for a cluster.

    Reports another worker holds a live claim on are skipped: that worker encodes them."""
    now = utcnow()
    with database.session_scope() as session:
        rows = list(
            session.execute(
                select(Report.id, Report.description)
                .outerjoin(ReportVector, ReportVector.report_id == Report.id)
                .where(
                    Report.id > after,
                    or_(ReportVector.report_id.is_(None), ReportVector.encoder != encoder_name),
                    or_(Report.claimed_until.is_(None), Report.claimed_until < now),
                )
                .order_by(Report.id)
                .limit(size)
                .with_for_update(of=Report, skip_locked=True)
            )
        )
        if rows:
            session.execute(
                update(Report)
                .where(Report.id.in_([r.id for r in rows]), Report.cluster_id.is_(None))
                .values(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
                .execution_options(synchronize_session=False)
            )
        session.commit()
    return [(r.id, r.description) for r in rows]


def _store(database: Database, encoder: Encoder, ids: Sequence[int], vectors: np.ndarray | None) -> None:
    """Store a chunk's vectors (none when its encoding stopped) and give its claims back, in one committed
    transaction."""
    with database.session_scope() as session:
        if vectors is not None:
            for report_id, vector in zip(ids, vectors, strict=True):
                engine.store_vector(session, report_id, encoder, vector)
            session.flush()
        engine.release_claims(session, ids)
        session.commit()


# ------------------------------------------------------------------ one model per core, in child processes

_child_encoder: Encoder | None = None


def _start_child(max_chars: int) -> None:
    global _child_encoder
    from irritants.clustering import EmbeddingEncoder

    _child_encoder = EmbeddingEncoder(threads=1, max_chars=max_chars)


def _encode_in_child(texts: list[str]) -> np.ndarray:
    assert _child_encoder is not None
    return _child_encoder.encode(texts)


@contextmanager
def _encoding(encoder: Encoder, processes: int) -> Iterator[Callable[[list[list[str]]], Iterator[np.ndarray]]]:
    """A function that encodes several lists of texts, in ``processes`` child processes when more than one."""
    max_chars = getattr(encoder, "max_chars", None)
    if processes <= 1 or max_chars is None:
        yield lambda parts: (encoder.encode(part) for part in parts)
        return
    # "spawn": the model's OpenMP threads do not survive a fork, and children must not share the parent's
    # database connections.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_start_child, initargs=(max_chars,)) as pool:
        yield lambda parts: pool.map(_encode_in_child, parts)


def embed_missing(
    app: Flask,
    encoder: Encoder,
    *,
    processes: int | None = None,
    progress: Progress = no_progress,
) -> int:
    """Compute and store the vector of every report that has none of ``encoder``'s; returns how many.

    Committed chunk by chunk (resumable); ``processes`` defaults to one per core for large runs."""
    database = get_db(app)
    total = missing_count(database, encoder.name)
    progress("vectors", 0, total)
    if not total:
        return 0
    if processes is None:
        processes = (os.cpu_count() or 1) if total >= PARALLEL_FROM else 1
    done, after = 0, 0
    with _encoding(encoder, processes) as encode_parts:
        while True:
            chunk = _take_chunk(database, encoder.name, after, CHUNK * max(1, processes))
            if not chunk:
                break
            ids = [report_id for report_id, _ in chunk]
            texts = [text for _, text in chunk]
            size = -(-len(texts) // max(1, processes))
            parts = [texts[lo : lo + size] for lo in range(0, len(texts), size)]
            try:
                vectors = np.vstack(list(encode_parts(parts)))
            except BaseException:
                _store(database, encoder, ids, None)  # stopped (Ctrl-C) or failed: taken again at once
                raise
            _store(database, encoder, ids, vectors)
            done += len(chunk)
            after = ids[-1]
            progress("vectors", min(done, total), total)
    return done


def embed_missing_for(app: Flask, **options: object) -> int:
    """``embed_missing`` with the configured embedding encoder; 0 for TF-IDF (its vectors need a corpus fit)."""
    clustering = settings_of(app).clustering
    if engine.encoder_kind(clustering) != ClusteringEncoder.EMBEDDING:
        return 0
    with get_db(app).read_sessions() as session:
        encoder = engine.current_encoder(session, clustering)
    assert encoder is not None
    options.setdefault("processes", clustering.embedding_processes or None)
    return embed_missing(app, encoder, **options)  # type: ignore[arg-type]
