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

Periodic work (a daily digest, a nightly check) lives in ``irritants.periodic``: ``run_all`` runs it too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from flask import Flask

from irritants.config import REDIS_TIMEOUTS
from irritants.db import get_db
from irritants.locks import LockBusy, one_at_a_time
from irritants.outages import Outage
from irritants.periodic import Work, run_periodic
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

        self.redis = Redis.from_url(url, **REDIS_TIMEOUTS)
        self.last = 0.0
        self.outage = Outage(log, "Redis")

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
            self.outage.failed("new work waits for the workers' next poll of the database")
        else:
            self.outage.answered()


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
    outage = Outage(log, "Redis")
    wait = max(1, round(poll_seconds))
    if url:
        from redis import Redis

        # The read waits for BLPOP's own timeout, and a little more; a Redis that stops answering frees it then.
        redis = Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUTS["socket_connect_timeout"], socket_timeout=wait + 5
        )
    stop = stop or threading.Event()
    while not stop.is_set():
        drain(app, work)
        if redis is None:
            stop.wait(poll_seconds)
            continue
        try:
            redis.blpop([WAKE_KEY], timeout=wait)
        except Exception:
            outage.failed(f"polling the database every {poll_seconds:g} s instead")
            stop.wait(poll_seconds)
        else:
            outage.answered()


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
