"""The re-clustering as a background job: asked from the back-office or ``POST /api/v1/triage/recluster``, run by a
worker, one at a time across every machine.

One at a time twice over: the kind allows one active job (a second request gets the job already queued or running),
and the run itself takes the re-clustering lock (``recluster.exclusive_run``), which ``irritants recluster`` takes
too; a job that finds it held is put back for later without counting an attempt. The swap is one transaction: a run
killed midway leaves the previous clustering as it was, and its job is taken again once its lease lapses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from irritants.background.models import BackgroundJob
from irritants.background.queue import JobContext, RetryLater, enqueue, get_job, latest
from irritants.background.registry import JobKind
from irritants.clusters import recluster, stats, vectors
from irritants.db import get_db
from irritants.progress import Progress, no_progress
from irritants.settings import settings_of

KIND = "recluster"
BUSY_RETRY_SECONDS = 60.0


def reclustered(app: Flask, *, seed: int | None = None, progress: Progress = no_progress) -> dict[str, int]:
    """Vectors first (committed chunk by chunk: an interrupted run keeps them), then every report re-clustered and
    swapped in one transaction under the re-clustering lock; what changed (raises ReclusterRunning when held)."""
    settings = settings_of(app)
    computed = vectors.embed_missing_for(app, progress=progress)
    with get_db(app).session_scope() as session, recluster.exclusive_run(session):
        clustering = settings.clustering
        seed = clustering.seed if seed is None else seed
        result = recluster.recluster(session, clustering, seed=seed, progress=progress)
        stats.refresh(session, settings.ranking.weights)
        session.commit()
    return {**asdict(result), "vectorised": computed + result.vectorised}


def run(app: Flask, context: JobContext) -> dict[str, Any]:
    """The job: ``reclustered`` with the job's progress; put back for later while another run holds the lock."""
    try:
        return reclustered(app, progress=context.progress)
    except recluster.ReclusterRunning as exc:
        raise RetryLater(BUSY_RETRY_SECONDS) from exc


RECLUSTER = JobKind(
    name=KIND,
    run=run,
    label="Regroupement des signalements",
    max_attempts=3,
    backoff=dt.timedelta(seconds=30),
    # The swap is one transaction: on SQLite the heartbeats wait for it, so the lease outlasts a long run.
    lease=dt.timedelta(minutes=30),
    heartbeat=dt.timedelta(seconds=5),
    one_at_a_time=True,
)


def request_recluster(session: Session, agent_id: int | None) -> tuple[BackgroundJob, bool]:
    """Queue a re-clustering (not committed), or return the one already queued or running; and whether it is new."""
    return enqueue(session, RECLUSTER, created_by_id=agent_id)


def recluster_job(session: Session, job_id: int) -> BackgroundJob:
    """A re-clustering job by id (NotFoundError for any other id)."""
    return get_job(session, job_id, kind=KIND)


def latest_recluster(session: Session) -> BackgroundJob | None:
    """The most recent re-clustering job, if any."""
    return latest(session, KIND)
