"""Enqueue, claim, run, retry: the life of a ``background_jobs`` row.

- **Enqueue** (in the caller's transaction, not committed): a kind that runs one at a time gives its jobs a
  ``unique_key``; a partial unique index over the active states makes a second active job impossible even when two
  machines insert at once, and ``enqueue`` then returns the job already there.
- **Claim** (a short transaction of its own): the oldest due job of a kind this process knows — pending or failed
  and due, or running with a lapsed lease (its runner died) — read ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (so
  runners pass each other's rows), under ``BEGIN IMMEDIATE`` on SQLite (claims take turns), then taken by a
  conditional UPDATE: ``attempts + 1``, a lease (``locked_until``) and a token of this claim.
- **Run**, outside any transaction of the queue, while a heartbeat thread renews the lease and writes the progress.
  A runner killed mid-run (SIGKILL, a machine lost) stops its heartbeats: once its lease lapses another runner
  takes the job again, as a new attempt.
- **Finish**: done with its result; or failed with the exception's class and place (never its message) and a next
  try after an exponential back-off; or dead after ``max_attempts``. The last writes only count if the claim is
  still the runner's (its token), so a runner that lost its lease never overwrites the one that took over.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from irritants.background.models import ACTIVE, BackgroundJob, JobState
from irritants.background.registry import JobKind, kinds
from irritants.db import Database, get_db, utcnow
from irritants.errors import IrritantsError, NotFoundError

log = logging.getLogger(__name__)
MAX_BACKOFF = dt.timedelta(hours=1)
RUNNER_LOST = "Runner lost: its lease lapsed (process killed or machine down)"


class RetryLater(Exception):
    """Raised by a job that cannot run now (a lock held elsewhere): tried again after ``seconds``, not counted as
    an attempt."""

    def __init__(self, seconds: float = 30.0) -> None:
        super().__init__(f"retry in {seconds:.0f} s")
        self.seconds = seconds


class JobNotRetryable(IrritantsError):
    status, slug, title = 409, "job-not-retryable", "Ce travail ne peut pas être relancé"


def runner_name() -> str:
    """Who claims: the machine and the process (``irritants jobs`` shows it for running jobs)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


# --- enqueue ------------------------------------------------------------------------------------------------


def active_job(session: Session, unique_key: str) -> BackgroundJob | None:
    """The job of ``unique_key`` that is pending, running or waiting for its next try, if any."""
    query = select(BackgroundJob).where(BackgroundJob.unique_key == unique_key, BackgroundJob.state.in_(ACTIVE))
    return session.scalars(query.limit(1)).first()


def enqueue(
    session: Session,
    kind: JobKind,
    payload: dict[str, Any] | None = None,
    *,
    created_by_id: int | None = None,
    run_after: dt.datetime | None = None,
) -> tuple[BackgroundJob, bool]:
    """Queue a job of ``kind`` (not committed); for a kind that runs one at a time, the active job when there is
    one. Returns the job and whether it is new. Wake the runners once committed (``jobs.wake``)."""
    key = kind.name if kind.one_at_a_time else None
    if key is not None and (existing := active_job(session, key)) is not None:
        return existing, False
    now = utcnow()
    job = BackgroundJob(
        kind=kind.name,
        state=JobState.PENDING,
        payload=payload or {},
        unique_key=key,
        attempts=0,
        max_attempts=kind.max_attempts,
        run_after=run_after or now,
        created_by_id=created_by_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        # Another machine queued the same kind between our read and our insert: theirs is the one.
        existing = active_job(session, key) if key is not None else None
        if existing is None:
            raise
        return existing, False
    return job, True


def get_job(session: Session, job_id: int, *, kind: str | None = None) -> BackgroundJob:
    """A job by id (of ``kind`` when given), or NotFoundError."""
    job = session.get(BackgroundJob, job_id)
    if job is None or (kind is not None and job.kind != kind):
        raise NotFoundError("Travail introuvable.")
    return job


def latest(session: Session, kind: str) -> BackgroundJob | None:
    """The most recent job of ``kind``."""
    query = select(BackgroundJob).where(BackgroundJob.kind == kind).order_by(BackgroundJob.id.desc()).limit(1)
    return session.scalars(query).first()


def retry(session: Session, job_id: int) -> BackgroundJob:
    """Put a dead (or failed) job back in the queue with its attempts at 0 (not committed)."""
    job = get_job(session, job_id)
    if job.state not in (JobState.DEAD, JobState.FAILED):
        raise JobNotRetryable(f"Le travail n° {job.id} est « {job.state_label} » : seul un travail abandonné ou en "
                              "échec se relance.")  # fmt: skip
    try:
        with session.begin_nested():
            job.state, job.attempts, job.run_after = JobState.PENDING, 0, utcnow()
            job.claimed_by = job.claim_token = job.locked_until = None
            job.finished_at = None
    except IntegrityError as exc:
        session.expire(job)
        raise JobNotRetryable(
            f"Un autre travail « {job.kind} » est déjà en attente ou en cours : il ne peut y en avoir qu'un à la fois."
        ) from exc
    return job


# --- reading ------------------------------------------------------------------------------------------------


def jobs_in(session: Session, states: Sequence[JobState], *, limit: int = 50) -> list[BackgroundJob]:
    """Jobs in ``states``, oldest first (``irritants jobs``)."""
    query = select(BackgroundJob).where(BackgroundJob.state.in_(states)).order_by(BackgroundJob.id).limit(limit)
    return list(session.scalars(query))


def counts(session: Session) -> dict[tuple[str, str], int]:
    """How many jobs by (kind, state)."""
    rows = session.execute(
        select(BackgroundJob.kind, BackgroundJob.state, func.count()).group_by(BackgroundJob.kind, BackgroundJob.state)
    )
    return {(kind, JobState(state).value): count for kind, state, count in rows}


def claimable(now: dt.datetime) -> Any:
    """Jobs a runner may take at ``now``: due (pending or failed), or running on a lapsed lease."""
    return or_(
        and_(BackgroundJob.state.in_((JobState.PENDING, JobState.FAILED)), BackgroundJob.run_after <= now),
        and_(BackgroundJob.state == JobState.RUNNING, BackgroundJob.locked_until < now),
    )


# --- claim, run, finish -------------------------------------------------------------------------------------


@dataclass
class JobContext:
    """What a running job is handed: its id, payload and attempt, and ``progress(stage, done, total)``."""

    job_id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    created_by_id: int | None
    token: str
    latest_progress: dict[str, Any] | None = None
    lost: threading.Event = field(default_factory=threading.Event)

    def progress(self, stage: str, done: int, total: int) -> None:
        """Where the job is; written with the next heartbeat (a Progress callable, as long commands take)."""
        self.latest_progress = {"stage": stage, "done": int(done), "total": int(total)}


def _claim(database: Database, registry: dict[str, JobKind], now: dt.datetime) -> JobContext | None:
    # Looked for first in a read transaction: every runner asks at every wake-up, and on SQLite a write transaction
    # would take the database's one writer turn just to find nothing.
    with database.read_sessions() as reader:
        due = select(BackgroundJob.id).where(claimable(now), BackgroundJob.kind.in_(list(registry))).limit(1)
        if reader.scalar(due) is None:
            return None
    with database.session_scope() as session:
        while True:
            row = session.execute(
                select(
                    BackgroundJob.id,
                    BackgroundJob.kind,
                    BackgroundJob.state,
                    BackgroundJob.attempts,
                    BackgroundJob.max_attempts,
                )
                .where(claimable(now), BackgroundJob.kind.in_(list(registry)))
                .order_by(BackgroundJob.run_after, BackgroundJob.id)
                .limit(1)
                .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's BEGIN IMMEDIATE serialises claims
            ).first()
            if row is None:
                session.commit()
                return None
            lost = row.state == JobState.RUNNING
            if lost and row.attempts >= row.max_attempts:
                _set(session, row.id, claimable(now), state=JobState.DEAD, last_error=RUNNER_LOST, finished_at=now,
                     claim_token=None, locked_until=None)  # fmt: skip
                log.error("background job %s given up: its runner was lost at its last attempt", row.id)
                continue
            token = uuid.uuid4().hex
            kind = registry[row.kind]
            values: dict[str, Any] = {
                "state": JobState.RUNNING,
                "attempts": BackgroundJob.attempts + 1,
                "claimed_by": runner_name(),
                "claim_token": token,
                "locked_until": now + kind.lease,
                "heartbeat_at": now,
                "started_at": now,
                "progress": None,
            }
            if lost:
                values["last_error"] = RUNNER_LOST
                log.warning("background job %s taken again: its runner's lease lapsed", row.id)
            if not _set(session, row.id, claimable(now), **values):
                continue  # taken meanwhile (only possible on SQLite without the turn): look again
            job = session.get(BackgroundJob, row.id)
            assert job is not None
            session.refresh(job)
            context = JobContext(job.id, job.kind, dict(job.payload or {}), job.attempts, job.created_by_id, token)
            session.commit()
            return context


def _set(session: Session, job_id: int, *where: Any, **values: Any) -> bool:
    statement = update(BackgroundJob).where(BackgroundJob.id == job_id, *where).values(**values)
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount == 1


def _mine(context: JobContext) -> Any:
    return and_(BackgroundJob.claim_token == context.token, BackgroundJob.state == JobState.RUNNING)


class Heartbeat:
    """A thread renewing a running job's lease and writing its progress every ``kind.heartbeat`` seconds."""

    def __init__(self, database: Database, context: JobContext, kind: JobKind) -> None:
        self.database, self.context, self.kind = database, context, kind
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=f"irritants-job-{context.job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(self.kind.heartbeat.total_seconds() + 30)

    def beat(self) -> None:
        """Renew the lease once (and write the progress); marks the context lost when the claim is no longer ours."""
        now = utcnow()
        with self.database.session_scope() as session:
            mine = _set(
                session,
                self.context.job_id,
                _mine(self.context),
                locked_until=now + self.kind.lease,
                heartbeat_at=now,
                progress=self.context.latest_progress,
            )
            session.commit()
        if not mine:
            self.context.lost.set()

    def _loop(self) -> None:
        while not self.stop.wait(self.kind.heartbeat.total_seconds()):
            try:
                self.beat()
            except Exception:
                log.warning("background job %s: heartbeat not written, tried again", self.context.job_id)


def error_summary(exc: BaseException) -> str:
    """The exception's class and the last place of the project it went through: no message (it may quote data)."""
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        marker = frame.filename.rfind("/irritants/")
        if marker >= 0:
            where = f" at {frame.filename[marker + 1 :]}:{frame.lineno} ({frame.name})"
            break
    return f"{type(exc).__name__}{where}"[:300]


def backoff(kind: JobKind, attempts: int) -> dt.timedelta:
    """How long a job waits after its ``attempts``-th failure: the kind's base, doubled each time, at most 1 h."""
    return min(kind.backoff * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def run_next(app: Flask, *, now: dt.datetime | None = None) -> int:
    """Claim and run one due job of a kind registered on ``app``; returns 1 when one ran (0: nothing due)."""
    registry = kinds(app)
    if not registry:
        return 0
    database = get_db(app)
    context = _claim(database, registry, now or utcnow())
    if context is None:
        return 0
    kind = registry[context.kind]
    log.info("background job %s (%s) started, attempt %s", context.job_id, context.kind, context.attempt)
    try:
        with Heartbeat(database, context, kind), app.app_context():
            result = kind.run(app, context)
    except RetryLater as exc:
        _end(database, context, state=JobState.PENDING, attempts=BackgroundJob.attempts - 1,
             run_after=utcnow() + dt.timedelta(seconds=exc.seconds))  # fmt: skip
        log.info("background job %s (%s) put back: it cannot run now", context.job_id, context.kind)
    except Exception as exc:
        summary = error_summary(exc)
        if context.attempt >= _max_attempts(database, context):
            _end(database, context, state=JobState.DEAD, last_error=summary, finished_at=utcnow())
            log.exception("background job %s (%s) given up after %s attempts", context.job_id, context.kind,
                          context.attempt)  # fmt: skip
        else:
            wait = backoff(kind, context.attempt)
            _end(database, context, state=JobState.FAILED, last_error=summary, run_after=utcnow() + wait)
            log.exception("background job %s (%s) failed, tried again in %.0f s", context.job_id, context.kind,
                          wait.total_seconds())  # fmt: skip
    else:
        _end(database, context, state=JobState.DONE, result=result or {}, progress=context.latest_progress,
             finished_at=utcnow())  # fmt: skip
        log.info("background job %s (%s) done", context.job_id, context.kind)
    return 1


def _max_attempts(database: Database, context: JobContext) -> int:
    with database.read_sessions() as session:
        return session.scalar(select(BackgroundJob.max_attempts).where(BackgroundJob.id == context.job_id)) or 1


def _end(database: Database, context: JobContext, **values: Any) -> None:
    with database.session_scope() as session:
        mine = _set(session, context.job_id, _mine(context), claim_token=None, locked_until=None, **values)
        session.commit()
    if not mine:
        log.warning("background job %s: its claim was taken over meanwhile; this run's outcome is not recorded",
                    context.job_id)  # fmt: skip
