"""The web process's background thread yields to requests, and cannot be starved by them (irritants/jobs.py)."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

from flask import Flask

from irritants.jobs import ThreadRunner


class CountingWork:
    """Stands for the clustering: each call is one batch; returns how many reports it placed."""

    def __init__(self, batches: list[int]) -> None:
        self.batches = list(batches)
        self.calls = 0
        self.done = threading.Event()

    def __call__(self, app: Flask) -> int:
        self.calls += 1
        placed = self.batches.pop(0) if self.batches else 0
        if not placed:
            self.done.set()
        return placed


def _app(tmp_path: Path) -> Flask:
    return Flask(__name__, instance_path=str(tmp_path))


def test_the_thread_waits_for_a_lull_in_requests_before_working(tmp_path: Path) -> None:
    work = CountingWork([3, 0])
    runner = ThreadRunner(_app(tmp_path), work, quiet=60.0, max_defer=60.0)
    runner.note_request()
    runner.wake()
    time.sleep(0.5)
    assert work.calls == 0  # its process served a request less than a minute ago

    runner.last_request = 0.0  # the process has been quiet for a long time
    assert work.done.wait(10.0)
    assert work.calls == 2


def test_a_sustained_load_cannot_starve_the_work(tmp_path: Path) -> None:
    work = CountingWork([2, 2, 2, 0])
    runner = ThreadRunner(_app(tmp_path), work, quiet=60.0, max_defer=0.2)
    runner.last_request = time.monotonic() + 3600  # requests never stop
    started = time.monotonic()
    runner.wake()
    assert work.done.wait(10.0)
    assert time.monotonic() - started >= 0.2
    assert work.calls == 4  # once overdue, batches follow one another until nothing is left


def test_every_request_of_the_app_is_noted(tmp_path: Path) -> None:
    app = _app(tmp_path)
    app.config.update(JOBS_MODE="thread")
    from irritants import jobs

    jobs.init_app(app)
    app.add_url_rule("/ping", "ping", lambda: "pong")
    runner = app.extensions["irritants.jobs"]
    before = time.monotonic()
    try:
        assert app.test_client().get("/ping").status_code == 200
        assert runner.last_request >= before
    finally:
        jobs.stop(app)  # this bare app has no database for the thread's lock


def test_a_web_process_takes_small_batches_and_a_worker_large_ones(tmp_path: Path) -> None:
    from irritants import jobs

    threaded = _app(tmp_path)
    threaded.config.update(JOBS_MODE="thread")
    jobs.init_app(threaded)
    assert jobs.batch_size(threaded, 64) == jobs.THREAD_BATCH < 64  # once started, a batch runs to its end
    assert jobs.batch_size(threaded, 4) == 4
    jobs.stop(threaded)

    worker = _app(tmp_path / "worker")
    worker.config.update(JOBS_MODE="worker", REDIS_URL=None)
    jobs.init_app(worker)
    assert jobs.batch_size(worker, 64) == 64


def test_a_stopped_thread_ends_after_its_batch_and_takes_no_other(tmp_path: Path) -> None:
    started, finish = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_batch(app: Flask) -> int:
        calls.append(1)
        started.set()
        finish.wait(10)
        return 1  # there would be more to do

    runner = ThreadRunner(_app(tmp_path), slow_batch, quiet=0.0, max_defer=0.0)
    runner.wake()
    assert started.wait(10)
    stopper = threading.Thread(target=runner.stop)
    stopper.start()
    finish.set()
    stopper.join(10)
    assert runner._thread is not None and not runner._thread.is_alive()
    assert calls == [1]


def test_a_process_that_finds_the_work_taken_asks_again_at_most_once_a_second(tmp_path: Path) -> None:
    from contextlib import contextmanager

    from irritants.locks import LockBusy

    attempts: list[float] = []

    @contextmanager
    def taken():
        attempts.append(time.monotonic())
        raise LockBusy("jobs-thread")
        yield

    runner = ThreadRunner(_app(tmp_path), CountingWork([]), quiet=0.0, max_defer=0.0, exclusive=taken)
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:  # every request wakes it
        runner.wake()
        time.sleep(0.01)
    runner.stop()
    assert 2 <= len(attempts) <= 4
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(attempts))
