"""Deterministic durability checks: nothing acknowledged is lost, nothing retried is duplicated,
and an unavailable database answers 503, never 201."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from irritants import events
from irritants.db import get_db
from irritants.intake.models import Report
from irritants.referential import cache as reference_cache
from tests.conftest import report_payload
from tests.web.test_report_form import fill


def _count(app) -> int:
    with app.app_context(), get_db(app).session_scope() as s:
        return s.scalar(select(func.count()).select_from(Report))


class _Outage:
    """Makes every statement matching ``needle`` fail as if the database went away."""

    def __init__(self, engine, needle: str = "") -> None:
        self.engine, self.needle = engine, needle.lower()

    def _fail(self, conn, cursor, statement, parameters, context, executemany):
        if self.needle in statement.lower():
            raise OperationalError(statement, parameters, Exception("server closed the connection unexpectedly"))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._fail)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._fail)


def test_database_down_gives_503_problem_and_nothing_is_stored(app, client):
    with _Outage(get_db(app).engine):
        response = client.post("/api/v1/reports", json=report_payload(), headers={"Idempotency-Key": "k-outage"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"]
    assert _count(app) == 0
    retry = client.post("/api/v1/reports", json=report_payload(), headers={"Idempotency-Key": "k-outage"})
    assert retry.status_code == 201
    assert _count(app) == 1


def test_failure_while_inserting_loses_nothing_and_retry_creates_once(app, client):
    key = str(uuid.uuid4())
    with _Outage(get_db(app).engine, "insert into reports"):
        failed = client.post("/api/v1/reports", json=report_payload(), headers={"Idempotency-Key": key})
    assert failed.status_code == 503
    ok = client.post("/api/v1/reports", json=report_payload(), headers={"Idempotency-Key": key})
    again = client.post("/api/v1/reports", json=report_payload(), headers={"Idempotency-Key": key})
    assert ok.status_code == again.status_code == 201
    assert ok.get_json()["reference"] == again.get_json()["reference"]
    assert _count(app) == 1


def test_crash_after_commit_before_answer_then_retry_returns_the_same_report(app, client):
    key = str(uuid.uuid4())

    def crash(sender, **kwargs):
        raise RuntimeError("worker killed after commit")

    events.report_accepted.connect(crash)
    try:
        lost_answer = client.post("/api/v1/reports", json=report_payload(), headers={"Idempotency-Key": key})
    finally:
        events.report_accepted.disconnect(crash)
    assert lost_answer.status_code == 500
    assert _count(app) == 1  # committed before anything was answered
    retry = client.post("/api/v1/reports", json=report_payload(), headers={"Idempotency-Key": key})
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert _count(app) == 1


def test_web_form_shows_a_french_503_page_when_the_database_is_down(app, client):
    # The form's lists, once read, are kept a while per process (referential.cache): with them at hand the form is
    # still served; here nothing is kept yet, so the page needs the database it cannot reach.
    reference_cache.invalidate()
    with _Outage(get_db(app).engine):
        response = client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 503
    assert "indisponible" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/readyz"])
def test_readiness_fails_when_the_database_is_down(app, client, path):
    with _Outage(get_db(app).engine):
        response = client.get(path)
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_a_rate_limited_route_answers_its_own_retry_after_when_the_database_is_down(make_app):
    # Flask-Limiter used to rewrite Retry-After to the end of its window (60) on every response of the route.
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SUBMIT="3 per minute")
    client = app.test_client()
    filled = fill(client)
    with _Outage(get_db(app).engine):
        api = client.post("/api/v1/reports", json=report_payload())
        form = client.post("/", data=filled)
    assert (api.status_code, api.headers["Retry-After"]) == (503, "5")
    assert api.headers["X-RateLimit-Limit"] == "3"  # the limiter's own headers stay
    assert (form.status_code, form.headers["Retry-After"]) == (503, "5")
    created = client.post("/api/v1/reports", json=report_payload())
    assert created.status_code == 201
    assert "Retry-After" not in created.headers  # nothing to retry
    limited = client.post("/api/v1/reports", json=report_payload())
    assert limited.status_code == 429 and 0 < int(limited.headers["Retry-After"]) <= 60
