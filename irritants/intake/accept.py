"""The one path of a new report, for the public form and the API alike.

The door validates what was sent with ``report_schema()`` (which also cleans the text and checks the references),
then calls ``accept_report``: insert — a replay of the same idempotency key gives back the first report —, commit,
then wake the clustering. Each door keeps its own edge: CSRF token and fill time for the form, the
``Idempotency-Key`` header for the API. This is the transaction boundary both views share (services never commit).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.exc import OperationalError

from irritants import events
from irritants.db import get_session
from irritants.errors import ValidationFailed
from irritants.intake import services
from irritants.intake.models import Source
from irritants.intake.schemas import ReportCreateSchema
from irritants.intake.services import Submission

#: SQLSTATEs of a transaction the database chose to abort while another went on (PostgreSQL's deadlock victim,
#: a serialization failure): nothing of it was recorded and the same work can simply run again.
RETRIABLE_SQLSTATES = frozenset({"40P01", "40001"})


def _unknown_references(data: dict[str, Any]) -> dict[str, list[str]]:
    return services.reference_errors(get_session(), data)


def report_schema() -> ReportCreateSchema:
    """What a new report must be, unknown administrations, démarches, départements and canals included."""
    return ReportCreateSchema(references=_unknown_references)


def accept_report(
    data: dict[str, Any], *, source: Source, idempotency_key: str | None, person_key: str | None = None
) -> Submission:
    """Record a validated report and commit it, then wake the clustering (not for a replay): the one submit path."""
    config = current_app.config
    db = get_session()
    for attempt in (1, 2):
        try:
            submission = services.submit_report(
                db,
                data,
                source=source,
                secret_key=config["SECRET_KEY"],
                retention_days=config["CONTACT_RETENTION_DAYS"],
                idempotency_key=idempotency_key,
                person_key=person_key,
            )
            db.commit()
            break
        except ValidationFailed:
            db.rollback()
            raise
        except OperationalError as error:
            # A deadlock victim once more rather than a 503 for the citizen; a second failure is a real outage.
            if attempt == 2 or getattr(error.orig, "sqlstate", None) not in RETRIABLE_SQLSTATES:
                raise
            db.rollback()
    if submission.created:
        events.report_accepted.send(
            current_app._get_current_object(), report_id=submission.report_id, source=source.value
        )
    return submission
