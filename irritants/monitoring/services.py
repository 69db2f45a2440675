"""What waits, read from the database when /metrics is scraped: a handful of COUNT and MIN queries over indexed
columns, in the request's one read session."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from irritants.background import queue as background
from irritants.background.models import JobState
from irritants.db import utcnow
from irritants.exports.models import ExportRequest, ExportState
from irritants.intake.models import Moderation, Report
from irritants.notify.models import PendingNotice
from irritants.outbox.models import Delivery, OutboxMessage
from irritants.outbox.services import due
from irritants.periodic import PeriodicRun

#: Outbox states shown: a sent message is done (and purged after a while), so it is not counted.
OUTBOX_STATES = (Delivery.PENDING, Delivery.SENDING, Delivery.DEAD)
#: Export states shown: a ready file is done.
EXPORT_STATES = (ExportState.QUEUED, ExportState.RUNNING, ExportState.FAILED)
#: Background job states shown: done jobs are history.
JOB_STATES = (JobState.PENDING, JobState.RUNNING, JobState.FAILED, JobState.DEAD)
MAIL = "mail"


@dataclass(frozen=True)
class Backlog:
    """One reading of the queues."""

    unplaced: int = 0
    clustering_lag_seconds: float = 0.0
    awaiting_moderation: int = 0
    outbox: dict[tuple[str, str], int] = field(default_factory=dict)
    """Messages by (kind, status), every status of OUTBOX_STATES present for each kind seen (0 included)."""
    outbox_oldest_due_seconds: float = 0.0
    pending_notices: int = 0
    exports: dict[str, int] = field(default_factory=dict)
    """Export requests by state, every state of EXPORT_STATES present."""
    periodic_last_run: dict[str, float] = field(default_factory=dict)
    """Each periodic job's last start, Unix time."""
    background: dict[tuple[str, str], int] = field(default_factory=dict)
    """Background jobs (``background_jobs``) by (kind, state), every state of JOB_STATES present for each kind seen."""

    @property
    def mail_outbox_depth(self) -> int:
        return sum(self.outbox.get((MAIL, status.value), 0) for status in (Delivery.PENDING, Delivery.SENDING))


def read_backlog(session: Session, *, now: dt.datetime | None = None) -> Backlog:
    """The queues as the database has them now."""
    now = now or utcnow()
    unplaced, oldest = session.execute(
        select(func.count(), func.min(Report.created_at)).where(Report.cluster_id.is_(None))
    ).one()
    awaiting = session.scalar(select(func.count()).where(Report.moderation == Moderation.PENDING)) or 0
    outbox_rows = session.execute(
        select(OutboxMessage.kind, OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(OUTBOX_STATES))
        .group_by(OutboxMessage.kind, OutboxMessage.status)
    )
    outbox = {(kind, status.value): 0 for kind in (MAIL,) for status in OUTBOX_STATES}
    for kind, status, count in outbox_rows:
        for known in OUTBOX_STATES:
            outbox.setdefault((kind, known.value), 0)
        outbox[(kind, Delivery(status).value)] = count
    # Due since: its next attempt's time, or for a sender's lapsed claim, the end of that claim.
    due_since = case(
        (OutboxMessage.status == Delivery.SENDING, OutboxMessage.claimed_until), else_=OutboxMessage.next_attempt_at
    )
    oldest_due = session.scalar(select(func.min(due_since)).where(due(now)))
    notices = session.scalar(select(func.count()).select_from(PendingNotice)) or 0
    exports = {state.value: 0 for state in EXPORT_STATES}
    for state, count in session.execute(
        select(ExportRequest.state, func.count())
        .where(ExportRequest.state.in_(EXPORT_STATES))
        .group_by(ExportRequest.state)
    ):
        exports[ExportState(state).value] = count
    runs = session.execute(
        select(PeriodicRun.name, PeriodicRun.last_run_at).where(PeriodicRun.last_run_at.is_not(None))
    )
    background_jobs: dict[tuple[str, str], int] = {}
    for (kind, state), count in background.counts(session).items():
        for known in JOB_STATES:
            background_jobs.setdefault((kind, known.value), 0)
        if state != JobState.DONE:
            background_jobs[(kind, state)] = count
    return Backlog(
        unplaced=unplaced or 0,
        clustering_lag_seconds=_age(now, oldest),
        awaiting_moderation=awaiting,
        outbox=outbox,
        outbox_oldest_due_seconds=_age(now, oldest_due),
        pending_notices=notices,
        exports=exports,
        periodic_last_run={name: at.timestamp() for name, at in runs},
        background=background_jobs,
    )


def _age(now: dt.datetime, since: dt.datetime | None) -> float:
    if since is None:
        return 0.0
    if since.tzinfo is None:  # a MIN() over an aware column comes back naive from SQLite
        since = since.replace(tzinfo=dt.UTC)
    return max(0.0, (now - since).total_seconds())
