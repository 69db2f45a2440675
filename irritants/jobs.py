"""Background jobs, off the request path: the runners, and the registry of the jobs they run.

A domain registers its jobs from its ``init_app`` (``register(app, "clustering", process_pending_batch)``); this
module imports no domain. A job is a function ``job(app) -> int`` that does one batch of its work and returns how
much it did (0: nothing left). The database is the queue: a report without a cluster is pending work, so a lost
wake-up or a crashed worker never loses anything (``irritants process-pending`` and every batch run catch up).
Requests only wake a runner, which runs every registered job until none has anything left:
- ``thread`` (embedded default): a low-priority thread inside each web process, woken by an in-memory event;
  one web process at a time works (``one_at_a_time(engine, "jobs-thread", wait=False)``);
- ``worker`` (at scale): separate ``irritants worker`` processes, woken through a Redis list (one LPUSH) or
  polling; any number of them may run: each job shares its work safely between them (see the clustering's);
- ``inline`` (tests): the work runs in the request, right after the commit.

Periodic work (a daily digest, a nightly check) registers with ``register_daily``: the thread runner and the
workers run it when due, once per period across every process and machine (the last run is claimed in the table
``periodic_runs`` by a conditional UPDATE). Inline runners (tests) leave it to ``run_periodic`` called explicitly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import String, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, get_db, utcnow
from irritants.french import PARIS
from irritants.locks import LockBusy, one_at_a_time
from irritants.settings import JobsMode

log = logging.getLogger(__name__)
WAKE_KEY = "irritants:wake"
IDLE_POLL_SECONDS = 30.0
WAKE_INTERVAL_SECONDS = 0.5
QUIET_SECONDS = 0.3
"""The thread runner starts a batch once its process has served no request for this long..."""
MAX_DEFER_SECONDS = 20.0
"""...or once the work has waited this long: under a sustained burst, clustering still moves on, batch by batch."""

THREAD_LOCK = "jobs-thread"
BUSY_RETRY_SECONDS = 1.0
"""A web process whose thread found the work taken by another process tries again after this long at the soonest."""
THREAD_BATCH = 8
"""In a web process a batch stays small: once started it runs to its end, sharing the process (and its interpreter
lock) with the requests that arrive meanwhile; 8 texts take a fraction of a second to encode."""

Work = Callable[[Flask], int]
_REGISTRY = "irritants.jobs.registry"


def register(app: Flask, name: str, work: Work) -> None:
    """Add a background job to ``app``: every runner calls ``work(app)`` (one batch) until it returns 0."""
    app.extensions.setdefault(_REGISTRY, {})[name] = work


def registered(app: Flask) -> dict[str, Work]:
    """The jobs registered on ``app``, by name."""
    return dict(app.extensions.get(_REGISTRY, {}))


def run_registered(app: Flask) -> int:
    """One batch of every registered job; a failing job is logged and the others still run."""
    total = 0
    for name, work in registered(app).items():
        try:
            total += work(app)
        except Exception:
            log.exception("background job %r failed; its pending work stays pending", name)
    return total


# --- periodic work -------------------------------------------------------------------------------------------------

_PERIODIC = "irritants.jobs.periodic"
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

        jobs.register_daily(app, "agent-digest", send_digests, at_hour=7)

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


def run_all(app: Flask) -> int:
    """What the thread runner and the workers run: one batch of every job, and the periodic jobs that are due."""
    return run_registered(app) + run_periodic(app)


def drain(app: Flask, work: Work = run_registered, *, batches: int | None = None) -> int:
    """Run ``work`` until it reports nothing left (or ``batches`` times); failures are logged, never raised."""
    total = 0
    while batches is None or batches > 0:
        if batches is not None:
            batches -= 1
        try:
            with app.app_context():
                done = work(app)
        except Exception:
            log.exception("background work failed; pending work stays pending")
            return total
        total += done
        if not done:
            return total
    return total


Exclusive = Callable[[], AbstractContextManager[Any]]


def database_lock(app: Flask, name: str = THREAD_LOCK) -> Exclusive:
    """A lock, for the whole of a drain, shared by every process on ``app``'s database (raises LockBusy)."""
    return lambda: one_at_a_time(get_db(app).engine, name, wait=False)


class ThreadRunner:
    """One daemon thread per web process; with ``exclusive`` (a lock shared by the processes, given by
    ``init_app``), only one process at a time works.

    Background work yields to requests: encoding a report costs more CPU than accepting it, so during a burst the
    thread waits until its process has been quiet for ``quiet`` seconds, and never longer than ``max_defer``
    since the work became due. Nothing waits in memory: the database is the queue.
    """

    def __init__(
        self,
        app: Flask,
        work: Work = run_all,
        *,
        quiet: float = QUIET_SECONDS,
        max_defer: float = MAX_DEFER_SECONDS,
        exclusive: Exclusive | None = None,
        poll: float = IDLE_POLL_SECONDS,
    ) -> None:
        self.app, self.work = app, work
        self.quiet, self.max_defer, self.poll = quiet, max_defer, poll
        self.exclusive: Exclusive = exclusive or contextlib.nullcontext
        self.event = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.last_request = 0.0
        self._stopping = False

    def stop(self, timeout: float = 10.0) -> None:
        """Let the thread finish its batch and end (tests, before the database goes away)."""
        self._stopping = True
        self.event.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def note_request(self) -> None:
        """Called at the start of every request of this process (one clock read); the first one starts the thread,
        which from then on also wakes every IDLE_POLL_SECONDS (messages due later, periodic jobs)."""
        self.last_request = time.monotonic()
        if self._thread is None:
            self.wake()

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="irritants-jobs", daemon=True)
                self._thread.start()
        self.event.set()

    def _wait_for_quiet(self, due: float) -> None:
        while not self._stopping:
            now = time.monotonic()
            idle = now - self.last_request
            if idle >= self.quiet or now - due >= self.max_defer:
                return
            time.sleep(min(self.quiet - idle, due + self.max_defer - now, 0.1))

    def _loop(self) -> None:
        # Background work must never slow the requests of the same process: lowest CPU priority.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        while not self._stopping:
            self.event.wait(self.poll)
            self.event.clear()
            if self._stopping:
                return
            due = time.monotonic()
            try:
                with self.exclusive():
                    self._drain_between_requests(due)
            except LockBusy:
                # Another process is on it and drains what this one accepts too: ask again a little later, not at
                # every request (on PostgreSQL each attempt is a round trip).
                time.sleep(BUSY_RETRY_SECONDS)
            except Exception:
                log.exception("background thread: lock unavailable; the work waits for the next wake-up")

    def _drain_between_requests(self, due: float) -> None:
        # One batch at a time, each started in a lull, until nothing is left; once the work is overdue, batches
        # follow one another (at the thread's low priority) so that a sustained load cannot starve it.
        while not self._stopping:
            self._wait_for_quiet(due)
            if self._stopping or not drain(self.app, self.work, batches=1):
                return


class InlineRunner:
    """Runs the work at once in the caller's thread (tests)."""

    def __init__(self, app: Flask, work: Work = run_registered) -> None:
        self.app, self.work = app, work

    def wake(self) -> None:
        drain(self.app, self.work)


class RedisWaker:
    """Wakes ``irritants worker`` processes through Redis; a Redis outage only delays the work."""

    def __init__(self, app: Flask, url: str) -> None:
        from redis import Redis

        self.redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.last = 0.0

    def wake(self) -> None:
        # The worker drains every pending report when woken: one wake-up per interval is enough.
        now = time.monotonic()
        if now - self.last < WAKE_INTERVAL_SECONDS:
            return
        self.last = now
        try:
            # One pending wake-up is enough: keep the list at most one element long.
            self.redis.pipeline(transaction=False).lpush(WAKE_KEY, 1).ltrim(WAKE_KEY, 0, 0).execute()
        except Exception:
            log.warning("Redis unavailable: new reports wait for the worker's next poll")


def run_worker(
    app: Flask,
    url: str | None,
    work: Work = run_all,
    *,
    poll_seconds: float = IDLE_POLL_SECONDS,
    stop: threading.Event | None = None,
) -> None:
    """Loop of ``irritants worker``: work on every wake-up, and at least every ``poll_seconds`` (until ``stop``)."""
    redis = None
    if url:
        from redis import Redis

        redis = Redis.from_url(url)
    stop = stop or threading.Event()
    while not stop.is_set():
        drain(app, work)
        if redis is None:
            stop.wait(poll_seconds)
            continue
        try:
            redis.blpop([WAKE_KEY], timeout=max(1, round(poll_seconds)))
        except Exception:
            log.warning("Redis unavailable: polling the database instead")
            stop.wait(poll_seconds)


def init_app(app: Flask) -> None:
    """Choose how registered jobs run from ``JOBS_MODE`` (thread, worker, inline)."""
    mode = app.config["JOBS_MODE"]
    if mode == JobsMode.WORKER:
        runner: Any = RedisWaker(app, app.config["REDIS_URL"]) if app.config.get("REDIS_URL") else None
    elif mode == JobsMode.INLINE:
        runner = InlineRunner(app)
    else:
        runner = ThreadRunner(app, exclusive=database_lock(app))
    app.extensions["irritants.jobs"] = runner
    if isinstance(runner, ThreadRunner):
        app.before_request(runner.note_request)


def stop(app: Flask) -> None:
    """Stop ``app``'s background thread, if it has one, once its current batch is done."""
    runner = app.extensions.get("irritants.jobs")
    if isinstance(runner, ThreadRunner):
        runner.stop()


def batch_size(app: Flask, default: int) -> int:
    """How many items a job should take in one batch under this app's runner (smaller in a web process's thread)."""
    return min(default, THREAD_BATCH) if isinstance(app.extensions.get("irritants.jobs"), ThreadRunner) else default


def wake(app: Flask) -> None:
    """Tell the background worker that there is new work (cheap; never raises)."""
    runner = app.extensions.get("irritants.jobs")
    if runner is not None:
        runner.wake()
