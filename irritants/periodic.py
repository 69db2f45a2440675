"""Periodic work: jobs that run once per period (a daily digest, a nightly check) across every process and machine.

A domain registers it from its ``init_app`` with ``register_daily``. The thread runner and the workers of
``irritants.jobs`` run it when due (``jobs.run_all``), once per period across every process and machine: the last
run is claimed in the table ``periodic_runs`` by a conditional UPDATE. Inline runners (tests) leave it to
``run_periodic`` called explicitly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import String, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, get_db, utcnow
from irritants.french import PARIS

log = logging.getLogger(__name__)

Work = Callable[[Flask], int]


_PERIODIC = "irritants.periodic"
DAY = dt.timedelta(days=1)


class PeriodicRun(Base):
    """When a periodic job last started (claimed), shared by every process and machine on the database."""

    __tablename__ = "periodic_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Periodic:
    """A periodic job: ``work(app)`` once per ``every``, or once a day from ``at_hour`` (Paris time)."""

    name: str
    work: Work
    at_hour: int | None = None
    every: dt.timedelta = DAY

    def since(self, now: dt.datetime) -> dt.datetime:
        """A run started at or after this moment counts as this period's."""
        if self.at_hour is None:
            return now - self.every
        local = now.astimezone(PARIS)
        slot = local.replace(hour=self.at_hour, minute=0, second=0, microsecond=0)
        if slot > local:
            slot -= DAY
        return slot.astimezone(dt.UTC)


def register_daily(
    app: Flask, name: str, work: Work, *, at_hour: int | None = None, every: dt.timedelta | None = None
) -> None:
    """Run ``work(app)`` once a day (from ``at_hour`` o'clock, Paris time, when given) or once per ``every``, by
    whichever runner comes first, once across every process and machine.

    From a domain's ``init_app``, e.g. a digest mailed each morning::

        periodic.register_daily(app, "agent-digest", send_digests, at_hour=7)

    ``work`` returns how much it did, like any job; when it raises, the period's claim is given back (the next
    runner's poll tries again). Give the feature a command to run it now, too (cron, tests).
    """
    if at_hour is not None and not 0 <= at_hour <= 23:
        raise ValueError("at_hour: 0 to 23")
    period = every or DAY
    if period <= dt.timedelta(0):
        raise ValueError("every: a positive duration")
    app.extensions.setdefault(_PERIODIC, {})[name] = Periodic(name, work, at_hour, period)


def periodic_jobs(app: Flask) -> dict[str, Periodic]:
    """The periodic jobs registered on ``app``, by name."""
    return dict(app.extensions.get(_PERIODIC, {}))


def run_periodic(app: Flask, *, now: dt.datetime | None = None) -> int:
    """Run each periodic job whose period has come and that no other process claimed; returns how many ran."""
    jobs = periodic_jobs(app)
    if not jobs:
        return 0
    now = now or utcnow()
    database = get_db(app)
    with database.read_sessions() as reader:
        last: dict[str, dt.datetime | None] = {
            name: at for name, at in reader.execute(select(PeriodicRun.name, PeriodicRun.last_run_at))
        }
    ran = 0
    for job in jobs.values():
        since = job.since(now)
        previous = last.get(job.name)
        if previous is not None and previous >= since:
            continue
        if not _claim_period(app, job.name, since, now):
            continue
        ran += 1
        try:
            with app.app_context():
                job.work(app)
        except Exception:
            log.exception("periodic job %r failed; it runs again at the next poll", job.name)
            _give_back(app, job.name, now, previous)
    return ran


def _claim_period(app: Flask, name: str, since: dt.datetime, now: dt.datetime) -> bool:
    with get_db(app).session_scope() as session:
        if session.get(PeriodicRun, name) is None:
            session.add(PeriodicRun(name=name, last_run_at=None))
            try:
                session.flush()
            except IntegrityError:  # another process inserted it first: its row is the one
                session.rollback()
        taken = session.execute(
            update(PeriodicRun)
            .where(PeriodicRun.name == name, or_(PeriodicRun.last_run_at.is_(None), PeriodicRun.last_run_at < since))
            .values(last_run_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
    return taken == 1


def _give_back(app: Flask, name: str, claimed: dt.datetime, previous: dt.datetime | None) -> None:
    with contextlib.suppress(Exception), get_db(app).session_scope() as session:
        session.execute(
            update(PeriodicRun)
            .where(PeriodicRun.name == name, PeriodicRun.last_run_at == claimed)
            .values(last_run_at=previous)
            .execution_options(synchronize_session=False)
        )
        session.commit()
