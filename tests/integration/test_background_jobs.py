"""The durable queue of background jobs: claimed once across runners, retried with back-off, dead after its
attempts, taken again when its runner's lease lapses, one active job per one-at-a-time kind, and ``irritants jobs``
showing and retrying it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from irritants.background import queue
from irritants.background.models import BackgroundJob, JobState
from irritants.background.registry import JobKind, register_kind
from irritants.db import get_db, utcnow
from tests.conftest import module_app


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from module_app(database_url, tmp_path_factory)


@pytest.fixture(autouse=True)
def _empty_queue(app: Flask) -> Iterator[None]:
    yield
    with get_db(app).session_scope() as session:
        session.execute(delete(BackgroundJob))
        session.commit()


class Work:
    """A job body that records its calls and fails its first ``fail`` attempts."""

    def __init__(self, fail: int = 0, result: dict[str, Any] | None = None) -> None:
        self.calls: list[int] = []
        self.fail, self.result = fail, result or {"ok": 1}
        self._lock = threading.Lock()

    def __call__(self, app: Flask, context: queue.JobContext) -> dict[str, Any]:
        with self._lock:
            self.calls.append(context.job_id)
            failing = len(self.calls) <= self.fail
        context.progress("étape", 1, 2)
        if failing:
            raise RuntimeError("jean.dupont@example.org a cassé le travail")  # a message never stored
        return self.result


def kind(app: Flask, work: Work, **options: Any) -> JobKind:
    registered = JobKind(name=options.pop("name", "test-kind"), run=work, **options)
    register_kind(app, registered)
    return registered


def queued(app: Flask, registered: JobKind, **options: Any) -> tuple[int, bool]:
    with get_db(app).session_scope() as session:
        job, created = queue.enqueue(session, registered, {"n": 1}, **options)
        session.commit()
        return job.id, created


def read(app: Flask, job_id: int) -> BackgroundJob:
    with get_db(app).read_sessions() as session:
        job = session.get(BackgroundJob, job_id)
        assert job is not None
        return job


def test_a_queued_job_runs_once_and_keeps_its_result(app: Flask) -> None:
    work = Work(result={"reports": 3})
    job_id, created = queued(app, kind(app, work))
    assert created
    assert queue.run_next(app) == 1
    assert queue.run_next(app) == 0
    job = read(app, job_id)
    assert (job.state, job.attempts, job.result, job.claim_token) == (JobState.DONE, 1, {"reports": 3}, None)
    assert job.progress == {"stage": "étape", "done": 1, "total": 2}
    assert job.finished_at is not None and work.calls == [job_id]


def test_a_failing_job_is_retried_after_a_back_off_then_dead_and_its_error_names_no_data(app: Flask) -> None:
    registered = kind(app, Work(fail=5), max_attempts=2, backoff=dt.timedelta(seconds=30))
    job_id, _ = queued(app, registered)
    assert queue.run_next(app) == 1
    job = read(app, job_id)
    assert (job.state, job.attempts) == (JobState.FAILED, 1)
    assert dt.timedelta(seconds=25) < job.run_after - utcnow() <= dt.timedelta(seconds=30)
    assert job.last_error.startswith("RuntimeError at tests/") is False  # only the project's frames are named
    assert job.last_error.startswith("RuntimeError") and "example.org" not in job.last_error
    assert queue.run_next(app) == 0, "not before its next try"
    assert queue.run_next(app, now=utcnow() + dt.timedelta(seconds=31)) == 1
    job = read(app, job_id)
    assert (job.state, job.attempts) == (JobState.DEAD, 2)
    assert queue.run_next(app, now=utcnow() + dt.timedelta(days=1)) == 0, "a dead job stays dead"


def test_back_off_doubles_up_to_an_hour() -> None:
    registered = JobKind(name="k", run=Work(), backoff=dt.timedelta(seconds=30))
    assert [queue.backoff(registered, n).total_seconds() for n in (1, 2, 3, 9)] == [30, 60, 120, 3600]


def test_jobs_lists_dead_work_and_retry_puts_it_back(app: Flask) -> None:
    work = Work(fail=1)
    job_id, _ = queued(app, kind(app, work, max_attempts=1))
    queue.run_next(app)
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["jobs"])
    assert listing.exit_code == 0, listing.output
    assert f"n° {job_id}  test-kind" in listing.output and "abandonné" in listing.output
    assert "RuntimeError" in listing.output and "example.org" not in listing.output
    assert "Signalements en attente d'un irritant" in listing.output and "Messages" in listing.output
    retried = runner.invoke(args=["jobs", "retry", str(job_id)])
    assert retried.exit_code == 0, retried.output
    # Put back with its attempts at 0, and the runner woken (in tests, inline: it has run already).
    job = read(app, job_id)
    assert (job.state, job.attempts, work.calls) == (JobState.DONE, 1, [job_id, job_id])
    again = runner.invoke(args=["jobs", "retry", str(job_id)])
    assert again.exit_code == 1 and "seul un travail abandonné ou en échec se relance" in again.output
    assert runner.invoke(args=["jobs", "retry", "999999"]).exit_code == 1


def test_a_one_at_a_time_kind_has_one_active_job_and_a_second_request_gets_it(app: Flask) -> None:
    registered = kind(app, Work(), name="single", one_at_a_time=True)
    first, created = queued(app, registered)
    second, created_again = queued(app, registered)
    assert created and not created_again and second == first
    queue.run_next(app)
    third, created = queued(app, registered)
    assert created and third != first, "once done, a new one may be asked for"


def test_concurrent_requests_of_a_one_at_a_time_kind_make_one_job(app: Flask) -> None:
    registered = kind(app, Work(), name="single", one_at_a_time=True)
    ids: list[int] = []
    barrier = threading.Barrier(4)

    def ask() -> None:
        barrier.wait()
        ids.append(queued(app, registered)[0])

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1 and len(ids) == 4
    with get_db(app).read_sessions() as session:
        assert len(list(session.scalars(select(BackgroundJob.id)))) == 1


def test_runners_on_several_threads_run_every_job_exactly_once(app: Flask) -> None:
    work = Work()
    registered = kind(app, work)
    ids = [queued(app, registered)[0] for _ in range(12)]

    def runner() -> None:
        while queue.run_next(app):
            pass

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(work.calls) == Counter(ids)
    assert {read(app, i).state for i in ids} == {JobState.DONE}


def test_a_job_whose_runner_died_is_taken_again_once_its_lease_lapsed(app: Flask) -> None:
    registered = kind(app, Work(), lease=dt.timedelta(minutes=2), heartbeat=dt.timedelta(seconds=30))
    job_id, _ = queued(app, registered)
    # A runner claims it and dies before finishing (nothing after the claim is written).
    claimed = queue._claim(get_db(app), {registered.name: registered}, utcnow())
    assert claimed is not None and claimed.job_id == job_id
    assert queue.run_next(app) == 0, "its lease still holds"
    assert queue.run_next(app, now=utcnow() + dt.timedelta(minutes=3)) == 1
    job = read(app, job_id)
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    assert job.last_error == queue.RUNNER_LOST


def test_a_job_whose_runner_died_at_its_last_attempt_is_dead(app: Flask) -> None:
    registered = kind(app, Work(), max_attempts=1, lease=dt.timedelta(minutes=2), heartbeat=dt.timedelta(seconds=30))
    job_id, _ = queued(app, registered)
    assert queue._claim(get_db(app), {registered.name: registered}, utcnow()) is not None
    assert queue.run_next(app, now=utcnow() + dt.timedelta(minutes=3)) == 0
    job = read(app, job_id)
    assert (job.state, job.last_error) == (JobState.DEAD, queue.RUNNER_LOST)


def test_heartbeats_renew_the_lease_and_write_the_progress(app: Flask) -> None:
    registered = kind(app, Work(), lease=dt.timedelta(seconds=2), heartbeat=dt.timedelta(seconds=1))
    job_id, _ = queued(app, registered)
    context = queue._claim(get_db(app), {registered.name: registered}, utcnow())
    assert context is not None
    before = read(app, job_id).locked_until
    context.progress("vectors", 5, 10)
    queue.Heartbeat(get_db(app), context, registered).beat()
    job = read(app, job_id)
    assert job.locked_until > before and job.progress == {"stage": "vectors", "done": 5, "total": 10}
    assert not context.lost.is_set()
    # Another runner took it over (its lease had lapsed): this one's heartbeat says it lost the claim.
    with get_db(app).session_scope() as session:
        session.get(BackgroundJob, job_id).claim_token = "someone-else"
        session.commit()
    queue.Heartbeat(get_db(app), context, registered).beat()
    assert context.lost.is_set()


def test_a_job_that_cannot_run_now_is_put_back_without_spending_an_attempt(app: Flask) -> None:
    def busy(app: Flask, context: queue.JobContext) -> None:
        raise queue.RetryLater(60)

    job_id, _ = queued(app, kind(app, busy, max_attempts=1))  # type: ignore[arg-type]
    assert queue.run_next(app) == 1
    job = read(app, job_id)
    assert (job.state, job.attempts) == (JobState.PENDING, 0)
    assert job.run_after > utcnow() + dt.timedelta(seconds=50)


def test_runners_leave_kinds_their_app_does_not_know(app: Flask) -> None:
    registered = JobKind(name="unknown-here", run=Work())
    job_id, _ = queued(app, registered)
    assert queue.run_next(app) == 0
    assert read(app, job_id).state == JobState.PENDING


def test_a_long_job_keeps_its_lease_through_its_heartbeats(app: Flask) -> None:
    started = threading.Event()

    def slow(app: Flask, context: queue.JobContext) -> dict[str, Any]:
        context.progress("étape", 1, 2)
        started.set()
        time.sleep(2.5)
        return {"ok": 1}

    registered = kind(app, slow, lease=dt.timedelta(seconds=2), heartbeat=dt.timedelta(seconds=1))  # type: ignore[arg-type]
    job_id, _ = queued(app, registered)
    runner = threading.Thread(target=queue.run_next, args=(app,))
    runner.start()
    assert started.wait(30)
    time.sleep(2.2)  # longer than the lease: only the heartbeats keep it
    assert queue.run_next(app) == 0, "a live runner's job is not taken again"
    assert read(app, job_id).progress == {"stage": "étape", "done": 1, "total": 2}
    runner.join(30)
    job = read(app, job_id)
    assert (job.state, job.attempts) == (JobState.DONE, 1)
