"""Periodic jobs run once per period across processes (the claim is a conditional UPDATE of periodic_runs); the
thread runner and the workers wake on their own, so work due later (a mail's send_after, a daily job) gets done
without any request."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from irritants import jobs, periodic
from irritants.db import get_db, utcnow
from irritants.outbox import services
from irritants.outbox.models import Delivery, OutboxMessage
from irritants.outbox.services import Mail
from irritants.periodic import PeriodicRun, register_daily, run_periodic


class Counter:
    def __init__(self, fail: int = 0) -> None:
        self.calls, self.fail = 0, fail

    def __call__(self, app: Any) -> int:
        self.calls += 1
        if self.calls <= self.fail:
            raise RuntimeError("échec")
        return 1


def test_a_daily_job_runs_once_a_day_across_processes(make_app: Any) -> None:
    first, second = bare_app(make_app), bare_app(make_app)  # two processes on one database
    a, b = Counter(), Counter()
    register_daily(first, "digest", a)
    register_daily(second, "digest", b)
    now = utcnow()
    assert run_periodic(first, now=now) == 1
    assert run_periodic(second, now=now + dt.timedelta(hours=3)) == 0
    assert run_periodic(first, now=now + dt.timedelta(hours=23)) == 0
    assert run_periodic(second, now=now + dt.timedelta(days=1, minutes=1)) == 1
    assert (a.calls, b.calls) == (1, 1)


def bare_app(make_app: Any) -> Any:
    """An app without the periodic jobs the domains register (the daily digest...): only the test's own run."""
    app = make_app()
    app.extensions[periodic._PERIODIC].clear()
    return app


def test_a_daily_job_at_an_hour_runs_from_that_hour_paris_time(make_app: Any) -> None:
    app = bare_app(make_app)
    work = Counter()
    register_daily(app, "morning", work, at_hour=7)
    # 06:30 in Paris in winter is 05:30 UTC.
    day = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    assert run_periodic(app, now=day.replace(hour=5, minute=30)) == 1  # never ran: catches up
    assert run_periodic(app, now=day.replace(hour=5, minute=50)) == 0  # 06:50 Paris: same period
    assert run_periodic(app, now=day.replace(hour=6, minute=1)) == 1  # 07:01 Paris: today's run
    assert run_periodic(app, now=day.replace(hour=22)) == 0
    assert work.calls == 2


def test_a_failing_periodic_job_gives_its_period_back(make_app: Any) -> None:
    app = bare_app(make_app)
    work = Counter(fail=1)
    register_daily(app, "fragile", work, every=dt.timedelta(hours=6))
    now = utcnow()
    assert run_periodic(app, now=now) == 1
    assert run_periodic(app, now=now + dt.timedelta(seconds=1)) == 1  # given back: tried again
    assert run_periodic(app, now=now + dt.timedelta(seconds=2)) == 0
    with get_db(app).read_sessions() as session:
        last = session.scalar(select(PeriodicRun.last_run_at).where(PeriodicRun.name == "fragile"))
    assert last == now + dt.timedelta(seconds=1)


def test_register_daily_refuses_an_impossible_hour(make_app: Any) -> None:
    with pytest.raises(ValueError, match="at_hour"):
        register_daily(make_app(), "bad", Counter(), at_hour=24)


def _queue_due_soon(app: Any, seconds: float) -> int:
    with get_db(app).session_scope() as session:
        message = services.queue_mail(
            session,
            Mail(to="plus-tard@example.org", subject="Plus tard", text="Bonjour"),
            topic="test",
            send_after=utcnow() + dt.timedelta(seconds=seconds),
        )
        session.commit()
    return message.id


def _wait_until_sent(app: Any, message_id: int, timeout: float = 20.0) -> Delivery:
    deadline = time.monotonic() + timeout
    while True:
        with get_db(app).read_sessions() as session:
            status = session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id))
        if status is Delivery.SENT or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_the_thread_runner_sends_a_mail_due_later_without_any_request(make_app: Any) -> None:
    app = make_app(JOBS_MODE="thread")
    runner = app.extensions["irritants.jobs"]
    runner.poll, runner.quiet = 0.2, 0.0
    message_id = _queue_due_soon(app, 1.0)
    jobs.wake(app)  # the first request starts the thread; nothing wakes it after that
    assert _wait_until_sent(app, message_id) is Delivery.SENT


def test_the_worker_sends_a_mail_due_later_on_its_poll(make_app: Any) -> None:
    app = make_app(JOBS_MODE="worker")
    message_id = _queue_due_soon(app, 1.0)
    stop = threading.Event()
    worker = threading.Thread(target=jobs.run_worker, args=(app, None), kwargs={"poll_seconds": 0.2, "stop": stop})
    worker.start()
    try:
        assert _wait_until_sent(app, message_id) is Delivery.SENT
    finally:
        stop.set()
        worker.join(10)
