"""Jobs run right after a report is committed: vectorise it and put it in a cluster."""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from irritants import jobs
from irritants.clusters import engine, stats
from irritants.db import get_db
from irritants.intake.models import Report
from irritants.settings import settings_of

log = logging.getLogger(__name__)
_ATTEMPTS = 3


BATCH_SIZE = 64


def on_report_accepted(sender: Flask, report_id: int, **_: object) -> None:
    """Signal receiver: wake the background worker (the report itself is the pending work)."""
    jobs.wake(sender)


def process_pending_batch(app: Flask) -> int:
    """Cluster up to BATCH_SIZE reports that have no cluster yet; returns how many were placed."""
    with get_db(app).read_sessions() as reader:
        ids = list(
            reader.scalars(select(Report.id).where(Report.cluster_id.is_(None)).order_by(Report.id).limit(BATCH_SIZE))
        )
    if not ids:
        return 0
    return process_report(app, *ids)


def process_report(app: Flask, *report_ids: int) -> int:
    """Assign reports to clusters and refresh those clusters' scores; retried on write conflicts."""
    database, settings = get_db(app), settings_of(app)
    with database.read_sessions() as reader:
        encoder = engine.current_encoder(reader, settings.clustering)
        if encoder is None:
            return 0  # TF-IDF not fitted yet: the first batch run will cluster these reports
        pending = list(
            reader.execute(
                select(Report.id, Report.description)
                .where(Report.id.in_(report_ids), Report.cluster_id.is_(None))
                .order_by(Report.id)
            ).all()
        )
    if not pending:
        return 0
    # Vectorise outside any write transaction: it is the slow part, and SQLite has a single writer.
    vectors = encoder.encode([row.description for row in pending])
    for attempt in range(1, _ATTEMPTS + 1):
        with database.session_scope() as session:
            try:
                touched = set()
                for row, vector in zip(pending, vectors, strict=True):
                    cluster = engine.place_report(session, encoder, row.id, vector)
                    if cluster is not None:
                        touched.add(cluster.id)
                session.flush()
                stats.refresh(session, settings.ranking.weights, touched)
                session.commit()
                return len(pending)
            except (StaleDataError, IntegrityError, OperationalError):
                session.rollback()
                engine.forget_indexes()  # they were patched with what was just rolled back
                if attempt == _ATTEMPTS:
                    log.warning("%s reports left for the next batch run", len(pending))
                    return 0
    return 0
