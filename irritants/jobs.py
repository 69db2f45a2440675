"""Background work right after a commit: inline (tests), a thread in the web process (embedded default),
or Redis + RQ workers (at scale, ``irritants worker``). A lost job is never a lost report: the batch
commands pick up whatever was missed."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections.abc import Callable
from importlib import import_module
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)
QUEUE_NAME = "irritants"
BATCH_LIMIT = 64


def _resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def run_job(app: Flask, path: str, *args: Any) -> None:
    """Run a job function ``path(app, *args)``; failures are logged, never raised to the caller."""
    try:
        with app.app_context():
            _resolve(path)(app, *args)
    except Exception:
        log.exception("background job %s failed", path)


class ThreadRunner:
    """One daemon thread per process working through an in-memory queue."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.queue: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue(maxsize=10_000)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def enqueue(self, path: str, *args: Any) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="irritants-jobs", daemon=True)
                self._thread.start()
        try:
            self.queue.put_nowait((path, args))
        except queue.Full:
            log.warning("job queue full: %s deferred to the next batch run", path)

    def _work(self) -> None:
        # Background work must never slow the requests of the same process: lowest CPU priority.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        while True:
            path, args = self.queue.get()
            taken = 1
            if getattr(_resolve(path), "batchable", False):
                # Jobs of a batchable function are merged: one call for many reports is far cheaper.
                while taken < BATCH_LIMIT:
                    try:
                        other_path, other_args = self.queue.get_nowait()
                    except queue.Empty:
                        break
                    taken += 1
                    if other_path == path:
                        args = (*args, *other_args)
                    else:
                        run_job(self.app, other_path, *other_args)
            run_job(self.app, path, *args)
            for _ in range(taken):
                self.queue.task_done()

    def join(self) -> None:
        """Wait until every queued job has run (tests, shutdown)."""
        self.queue.join()


class InlineRunner:
    """Runs the job at once in the caller's thread (tests, CLI)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def enqueue(self, path: str, *args: Any) -> None:
        run_job(self.app, path, *args)

    def join(self) -> None:
        return None


class RedisRunner:
    """Hands jobs to RQ workers through Redis; falls back to the thread runner if Redis is down."""

    def __init__(self, app: Flask, url: str) -> None:
        from redis import Redis
        from rq import Queue

        self.app = app
        self.queue = Queue(QUEUE_NAME, connection=Redis.from_url(url))
        self.fallback = ThreadRunner(app)

    def enqueue(self, path: str, *args: Any) -> None:
        try:
            self.queue.enqueue("irritants.jobs.run_in_worker", path, *args, job_timeout=600)
        except Exception:
            log.warning("Redis unavailable: running %s in-process", path)
            self.fallback.enqueue(path, *args)

    def join(self) -> None:
        self.fallback.join()


_worker_app: Flask | None = None


def run_in_worker(path: str, *args: Any) -> None:
    """Entry point of RQ jobs: one app per worker process."""
    global _worker_app
    if _worker_app is None:
        from irritants import create_app

        _worker_app = create_app()
    run_job(_worker_app, path, *args)


def init_app(app: Flask) -> None:
    """Choose the runner from ``JOBS_MODE`` (inline, thread, redis)."""
    mode = app.config["JOBS_MODE"]
    if mode == "redis" and app.config.get("REDIS_URL"):
        runner: Any = RedisRunner(app, app.config["REDIS_URL"])
    elif mode == "inline":
        runner = InlineRunner(app)
    else:
        runner = ThreadRunner(app)
    app.extensions["irritants.jobs"] = runner


def enqueue(app: Flask, path: str, *args: Any) -> None:
    """Queue ``path(app, *args)`` to run after the current request."""
    app.extensions["irritants.jobs"].enqueue(path, *args)
