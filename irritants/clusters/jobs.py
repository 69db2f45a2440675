"""The clustering job: put each new report in an irritant, shared safely by any number of workers.

A batch goes through three steps, so that N workers (``irritants worker`` processes, web processes' threads) never
encode the same report twice nor create twin irritants:

1. **Claim** (a short write transaction): up to BATCH_SIZE pending reports — no cluster, and nobody's live claim —
   get a lease, ``reports.claimed_until = now + CLAIM_SECONDS``. On PostgreSQL they are read ``FOR UPDATE SKIP
   LOCKED``, so concurrent claimers pass each other's rows instead of waiting for them; on SQLite the claim's
   ``BEGIN IMMEDIATE`` makes claims take turns. A lease rather than row locks held until the placement: the
   encoding (the slow part, ≈ 50 ms a report with the embedding model) then runs outside any transaction, and a
   worker that dies loses nothing — its claim expires and another worker takes the reports again.
2. **Encode**, outside any transaction.
3. **Place** (one write transaction) under ``one_at_a_time(session, "clustering")``: the centroids are read fresh
   inside the lock, so a worker sees the irritants another one has just created; each report joins the nearest
   or starts one (``engine.place_report``), its status follows (``sync_report_statuses``, same transaction), the
   touched irritants are re-scored, and the transaction commits. A write conflict retries the placement with the
   same vectors; a placement that gives up gives its claims back.

Each batch logs one INFO line with the encoded report ids, and one with the placement turn's start and end (wall
clock), which is what ``tests/integration/test_shared_workers.py`` counts.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from typing import Any

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from irritants import jobs
from irritants.clustering import Encoder
from irritants.clusters import engine, stats, vectors
from irritants.db import Database, get_db, utcnow
from irritants.events import report_accepted, reports_imported
from irritants.intake.models import Report
from irritants.locks import one_at_a_time
from irritants.progress import Progress, no_progress
from irritants.settings import settings_of

log = logging.getLogger(__name__)
_ATTEMPTS = 3
BATCH_SIZE = 64
CLAIM_SECONDS = 300.0
"""A claim's lease: many times the encoding of a batch (64 long texts ≈ 10 s on 2 busy cores); after it, the
reports of a worker that died are taken again."""
PLACEMENT_LOCK = "clustering"


def init_app(app: Flask) -> None:
    """Plug the clustering job in: every runner runs it, and every accepted report wakes the runner."""
    jobs.register(app, "clustering", process_pending_batch)
    report_accepted.connect(on_report_accepted, sender=app, weak=False)
    reports_imported.connect(on_reports_imported, sender=app, weak=False)


def on_report_accepted(sender: Flask, report_id: int, **_: object) -> None:
    """Signal receiver: wake the background worker (the report itself is the pending work)."""
    jobs.wake(sender)


def on_reports_imported(sender: Flask, progress: Progress = no_progress, **_: object) -> int:
    """Signal receiver: compute the imported reports' vectors in bulk (resumable), then wake the placement."""
    count = vectors.embed_missing_for(sender, progress=progress)
    jobs.wake(sender)
    return count


def process_pending_batch(app: Flask) -> int:
    """Claim, encode and place up to BATCH_SIZE reports that have no cluster yet; returns how many it handled."""
    return _process(app, None)


def process_report(app: Flask, *report_ids: int) -> int:
    """Claim, encode and place these reports (those still pending and unclaimed); retried on write conflicts."""
    return _process(app, report_ids)


def _process(app: Flask, report_ids: Sequence[int] | None) -> int:
    database, settings = get_db(app), settings_of(app)
    with database.read_sessions() as reader:
        encoder = engine.current_encoder(reader, settings.clustering)
    if encoder is None:
        return 0  # TF-IDF not fitted yet: the first batch run will cluster these reports
    pending = _claim(database, report_ids, jobs.batch_size(app, BATCH_SIZE))
    if not pending:
        return 0
    # Vectorise outside any transaction: it is the slow part, and SQLite has a single writer. Reports whose vector
    # is already stored (an import computes them in bulk: clusters/vectors.py) are not encoded again.
    with database.read_sessions() as reader:
        stored = engine.stored_vectors(reader, encoder, [row.id for row in pending])
    todo = [row for row in pending if row.id not in stored]
    if todo:
        stored.update(zip((row.id for row in todo), encoder.encode([row.description for row in todo]), strict=True))
        log.info("encoded %d reports: %s", len(todo), ",".join(str(row.id) for row in todo))
    vectors = [stored[row.id] for row in pending]
    if not _place(app, database, encoder, pending, vectors):
        _release(database, [row.id for row in pending])
        log.warning("%s reports left for the next batch run", len(pending))
        return 0
    return len(pending)


def _claim(database: Database, report_ids: Sequence[int] | None, limit: int = BATCH_SIZE) -> list[Any]:
    """Lease up to ``limit`` pending reports to this worker (committed); returns their ids and texts."""
    now = utcnow()
    with database.session_scope() as session:
        query = (
            select(Report.id)
            .where(
                Report.cluster_id.is_(None),
                or_(Report.claimed_until.is_(None), Report.claimed_until < now),
            )
            .order_by(Report.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises claims
        )
        if report_ids is not None:
            query = query.where(Report.id.in_(report_ids))
        ids = list(session.scalars(query))
        if not ids:
            return []
        session.execute(
            update(Report)
            .where(Report.id.in_(ids))
            .values(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
            .execution_options(synchronize_session=False)
        )
        rows = list(
            session.execute(select(Report.id, Report.description).where(Report.id.in_(ids)).order_by(Report.id))
        )
        session.commit()
    return rows


def _release(database: Database, ids: list[int]) -> None:
    """Give back the claims of reports that could not be placed, so that the next run takes them at once."""
    try:
        with database.session_scope() as session:
            engine.release_claims(session, ids)
            session.commit()
    except OperationalError:
        log.warning("claims of %s reports kept until their lease ends", len(ids))


def _place(app: Flask, database: Database, encoder: Encoder, pending: list[Any], vectors: Any) -> bool:
    """Place encoded reports in one transaction under the placement lock; False once every attempt failed."""
    weights = settings_of(app).ranking.weights
    for _attempt in range(_ATTEMPTS):
        with database.session_scope() as session:
            try:
                # Taken before the transaction writes anything (on SQLite: before its write turn).
                with one_at_a_time(session, PLACEMENT_LOCK):
                    started = time.time()
                    engine.centroid_index(session, encoder, fresh=True)  # what other workers just placed
                    touched, placed = set(), 0
                    for row, vector in zip(pending, vectors, strict=True):
                        cluster = engine.place_report(session, encoder, row.id, vector)
                        if cluster is not None:
                            touched.add(cluster.id)
                            placed += 1
                    session.flush()
                    stats.refresh(session, weights, touched)
                    # Logged before the commit, which ends the lock on PostgreSQL: turns never seem to overlap.
                    log.info("placement turn %.6f %.6f: %d reports placed", started, time.time(), placed)
                    session.commit()
                return True
            except (StaleDataError, IntegrityError, OperationalError):
                session.rollback()
                engine.forget_indexes()  # they were patched with what was just rolled back
    return False
