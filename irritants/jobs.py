"""Clustering of new reports right after their commit, off the request path.

The database is the queue: a report without a cluster is pending work, so a lost wake-up or a crashed
worker never loses anything (``irritants process-pending`` and every batch run catch up). Requests only
wake a worker:
- ``thread`` (embedded default): a low-priority thread inside each web process, woken by an in-memory event;
- ``worker`` (at scale): separate ``irritants worker`` processes, woken through a Redis list (one LPUSH);
- ``inline`` (tests): the work runs in the request, right after the commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from irritants.settings import JobsMode

log = logging.getLogger(__name__)
WAKE_KEY = "irritants:wake"
IDLE_POLL_SECONDS = 30.0
WAKE_INTERVAL_SECONDS = 0.5

Work = Callable[[Flask], int]


def _clustering_work(app: Flask) -> int:
    from irritants.clusters.jobs import process_pending_batch

    return process_pending_batch(app)


def drain(app: Flask, work: Work) -> int:
    """Run ``work`` until it reports nothing left; failures are logged, never raised."""
    total = 0
    while True:
        try:
            with app.app_context():
                done = work(app)
        except Exception:
            log.exception("background clustering failed; pending reports stay pending")
            return total
        total += done
        if not done:
            return total


class ThreadRunner:
    """One daemon thread per web process; only one process at a time works (a lock file)."""

    def __init__(self, app: Flask, work: Work = _clustering_work) -> None:
        self.app, self.work = app, work
        self.event = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.lock_path = Path(app.instance_path) / "jobs.lock"

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="irritants-jobs", daemon=True)
                self._thread.start()
        self.event.set()

    def _loop(self) -> None:
        # Background work must never slow the requests of the same process: lowest CPU priority.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            self.event.wait(IDLE_POLL_SECONDS)
            self.event.clear()
            with open(self.lock_path, "w") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # another process is already on it
                try:
                    drain(self.app, self.work)
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)


class InlineRunner:
    """Runs the work at once in the caller's thread (tests)."""

    def __init__(self, app: Flask, work: Work = _clustering_work) -> None:
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


def run_worker(app: Flask, url: str | None, work: Work = _clustering_work) -> None:
    """Loop of ``irritants worker``: work on every wake-up, and at least every IDLE_POLL_SECONDS."""
    redis = None
    if url:
        from redis import Redis

        redis = Redis.from_url(url)
    while True:
        drain(app, work)
        if redis is None:
            threading.Event().wait(IDLE_POLL_SECONDS)
            continue
        try:
            redis.blpop([WAKE_KEY], timeout=int(IDLE_POLL_SECONDS))
        except Exception:
            log.warning("Redis unavailable: polling the database instead")
            threading.Event().wait(IDLE_POLL_SECONDS)


def init_app(app: Flask) -> None:
    """Choose how new reports are clustered from ``JOBS_MODE`` (thread, worker, inline)."""
    mode = app.config["JOBS_MODE"]
    if mode == JobsMode.WORKER:
        runner: Any = RedisWaker(app, app.config["REDIS_URL"]) if app.config.get("REDIS_URL") else None
    elif mode == JobsMode.INLINE:
        runner = InlineRunner(app)
    else:
        runner = ThreadRunner(app)
    app.extensions["irritants.jobs"] = runner


def wake(app: Flask) -> None:
    """Tell the background worker that there is new work (cheap; never raises)."""
    runner = app.extensions.get("irritants.jobs")
    if runner is not None:
        runner.wake()
