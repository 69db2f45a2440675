"""Jobs run right after a report is committed: vectorise it and put it in a cluster."""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from irritants import jobs
from irritants.db import get_db
from irritants.intake.models import Report
from irritants.triage import engine, stats

log = logging.getLogger(__name__)
_ATTEMPTS = 3


def on_report_accepted(sender: Flask, report_id: int, **_: object) -> None:
    """Signal receiver: queue the clustering of a newly committed report."""
    jobs.enqueue(sender, "irritants.triage.jobs.process_report", report_id)


def process_report(app: Flask, report_id: int) -> None:
    """Assign one report to a cluster and refresh that cluster's score; retried on write conflicts."""
    weights = stats.weights_from_config(app.config["RANKING_WEIGHTS"])
    for attempt in range(1, _ATTEMPTS + 1):
        with get_db(app).session_scope() as session:
            report = session.get(Report, report_id)
            if report is None or report.cluster_id is not None:
                return
            try:
                cluster = engine.assign_report(session, app.config, report)
                if cluster is not None:
                    session.flush()
                    stats.refresh(session, weights, [cluster.id])
                session.commit()
                return
            except (StaleDataError, IntegrityError, OperationalError):
                session.rollback()
                if attempt == _ATTEMPTS:
                    log.warning("report %s left for the next batch run after %s attempts", report_id, attempt)
                    return
