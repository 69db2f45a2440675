"""``background_jobs``: the durable queue of work that belongs to no row (a re-clustering, and any kind registered
later), one row per job with its state, attempts, next try, lease and result."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, str_enum, utcnow


class JobState(enum.StrEnum):
    """Where a job stands."""

    PENDING = "pending"
    """Waiting for a runner (from ``run_after`` on)."""
    RUNNING = "running"
    """Claimed by a runner until ``locked_until`` (its lease, renewed by heartbeats); taken again once it lapsed."""
    DONE = "done"
    """Finished; ``result`` says what it did."""
    FAILED = "failed"
    """Its last attempt failed; tried again from ``run_after`` (back-off)."""
    DEAD = "dead"
    """Given up after ``max_attempts``: kept for an operator (``irritants jobs retry ID`` puts it back)."""


#: States in which a job still has to run: a kind that runs one at a time has at most one job in them.
ACTIVE = (JobState.PENDING, JobState.RUNNING, JobState.FAILED)

_ACTIVE_SQL = "state IN ('pending', 'running', 'failed')"

STATE_LABELS: dict[JobState, str] = {
    JobState.PENDING: "En attente",
    JobState.RUNNING: "En cours",
    JobState.DONE: "Terminé",
    JobState.FAILED: "Échec, nouvel essai prévu",
    JobState.DEAD: "Abandonné",
}


class BackgroundJob(Base):
    """One job of a registered kind (``irritants.background.register_kind``), run at least once by a runner."""

    __tablename__ = "background_jobs"
    __table_args__ = (
        Index("ix_background_jobs_state_run_after", "state", "run_after"),
        # One active job per key across every machine: what makes « one re-clustering at a time » hold even when
        # two requests arrive together (the second insert fails, and the caller returns the first job).
        Index(
            "uq_background_jobs_active_key",
            "unique_key",
            unique=True,
            postgresql_where=text(_ACTIVE_SQL),
            sqlite_where=text(_ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[JobState] = mapped_column(str_enum(JobState, 10), default=JobState.PENDING)
    # What the kind needs to run (ids, options): never personal data.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unique_key: Mapped[str | None] = mapped_column(String(60))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    run_after: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The lease of the runner working on it: ``claimed_by`` (host and process) and a token of this claim only.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claim_token: Mapped[str | None] = mapped_column(String(32))
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # {"stage": "vectors", "done": 120, "total": 500}, written with the heartbeats.
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The exception's class and where it was raised: never its message, which may quote data.
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]
