"""/metrics through the real app and database: only for the bearer of IRRITANTS_METRICS_TOKEN, requests counted by
route (never the raw path) and status, reports by door, and the queues as the database has them."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from prometheus_client.parser import text_string_to_metric_families

from irritants.background.models import BackgroundJob, JobState
from irritants.config import ConfigurationError, load_config
from irritants.db import get_db, utcnow
from irritants.exports.models import ExportRequest, ExportState
from irritants.intake.models import Moderation
from irritants.notify.models import PendingNotice
from irritants.outbox import services as outbox
from irritants.outbox.models import Delivery
from irritants.periodic import PeriodicRun
from tests.conftest import make_cluster, make_report, make_user, report_payload
from tests.web.test_report_form import fill

TOKEN = "metrics-token-for-the-suite-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app(make_app):
    return make_app(METRICS_TOKEN=TOKEN)


def scrape(client) -> dict[tuple[str, frozenset], float]:
    """The samples of one scrape: (name, labels) → value."""
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


# --- who may read it -----------------------------------------------------------------------------------------------


def test_without_a_token_there_is_no_metrics_route(make_app):
    app = make_app()
    client = app.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=BEARER).status_code == 404
    assert "/metrics" not in {rule.rule for rule in app.url_map.iter_rules()}


def test_a_missing_token_is_a_401_problem_with_a_bearer_challenge(client):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert response.get_json()["status"] == 401
    assert "irritants_" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", TOKEN, f"Token {TOKEN}"],
    ids=["one-short", "one-long", "empty", "basic", "no-scheme", "other-scheme"],
)
def test_a_wrong_token_is_a_401_that_says_so(client, authorization):
    response = client.get("/metrics", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics", error="invalid_token"'
    assert "irritants_" not in response.get_data(as_text=True)


def test_the_right_token_gets_the_prometheus_text_never_cached(client):
    response = client.get("/metrics", headers={"Authorization": f"bearer  {TOKEN} "})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert "# TYPE irritants_http_requests_total counter" in body
    assert "# TYPE irritants_http_request_duration_seconds histogram" in body


def test_a_short_token_stops_the_start(monkeypatch):
    monkeypatch.setenv("IRRITANTS_METRICS_TOKEN", "too-short")
    with pytest.raises(ConfigurationError, match="IRRITANTS_METRICS_TOKEN"):
        load_config({"ENV": "testing"})


# --- requests --------------------------------------------------------------------------------------------------------


def test_requests_are_counted_by_route_method_and_status_never_by_raw_path(client):
    before = scrape(client)
    for _ in range(3):
        assert client.get("/mentions-legales").status_code == 200
    assert client.get("/irritants/987654").status_code == 404
    assert client.get("/nulle-part/secret-path-42").status_code == 404
    assert client.open("/mentions-legales", method="BREW").status_code == 405
    after = scrape(client)

    def moved(**labels: str) -> float:
        return value(after, "irritants_http_requests_total", **labels) - value(
            before, "irritants_http_requests_total", **labels
        )

    assert moved(route="/mentions-legales", method="GET", status="200") == 3
    assert moved(route="/irritants/<int:cluster_id>", method="GET", status="404") == 1
    assert moved(route="unmatched", method="GET", status="404") == 1
    assert moved(route="unmatched", method="other", status="405") == 1
    # The scrape before is counted too, under its own route.
    assert moved(route="/metrics", method="GET", status="200") == 1
    labels = {v for (_, pairs) in after for (_, v) in pairs}
    assert not {v for v in labels if "secret-path" in v or "987654" in v or "BREW" in v}


def test_each_request_is_timed_in_the_latency_histogram(client):
    before = scrape(client)
    for _ in range(4):
        client.get("/mentions-legales")
    after = scrape(client)
    name = "irritants_http_request_duration_seconds"
    labels = {"route": "/mentions-legales", "method": "GET"}
    assert value(after, f"{name}_count", **labels) - value(before, f"{name}_count", **labels) == 4
    assert value(after, f"{name}_sum", **labels) > value(before, f"{name}_sum", **labels)
    infinite = value(after, f"{name}_bucket", **labels, le="+Inf")
    assert infinite == value(after, f"{name}_count", **labels)
    assert value(after, f"{name}_bucket", **labels, le="10.0") <= infinite


def test_reports_accepted_are_counted_by_door_and_replays_are_not(app, client):
    before = scrape(client)
    assert client.post("/", data=fill(client)).status_code == 303
    key = {"Idempotency-Key": "metrics-replay-1"}
    assert client.post("/api/v1/reports", json=report_payload(), headers=key).status_code == 201
    assert client.post("/api/v1/reports", json=report_payload(), headers=key).status_code in (200, 201)
    assert client.post("/api/v1/reports", json=report_payload(description="court")).status_code == 422
    after = scrape(client)
    name = "irritants_reports_accepted_total"
    assert value(after, name, source="web") - value(before, name, source="web") == 1
    assert value(after, name, source="api") - value(before, name, source="api") == 1
    assert (name, frozenset({("source", "open311")})) in after  # shown at 0 before the first one


# --- queues read from the database -------------------------------------------------------------------------------


def test_the_queue_gauges_are_what_the_database_holds(app, client):
    now = utcnow()
    with app.app_context(), get_db(app).session_scope() as s:
        make_cluster(s, reports=2)  # placed: not pending work
        oldest = make_report(s)
        oldest.created_at = now - dt.timedelta(hours=2)
        make_report(s)
        make_report(s, moderation=Moderation.PENDING)
        for status in (Delivery.PENDING, Delivery.PENDING, Delivery.DEAD, Delivery.SENT):
            message = outbox.queue(s, "mail", {}, topic="test")
            message.status = status
        late = outbox.queue(s, "webhook", {}, topic="webhook")
        late.next_attempt_at = now - dt.timedelta(minutes=30)
        agent = make_user(s, "manager")
        for state in (ExportState.QUEUED, ExportState.FAILED, ExportState.FAILED, ExportState.READY):
            s.add(ExportRequest(requested_by_id=agent.id, what="reports", format="csv", filters={}, state=state))
        cluster = make_cluster(s, "Autre irritant", reports=1)
        s.add(PendingNotice(cluster_id=cluster.id, status=cluster.status))
        s.merge(PeriodicRun(name="metrics-test-job", last_run_at=dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)))
        for state in (JobState.PENDING, JobState.DEAD, JobState.DEAD, JobState.DONE):
            s.add(BackgroundJob(kind="recluster", state=state, payload={}, attempts=0, max_attempts=3))
        s.commit()

    samples = scrape(client)
    assert value(samples, "irritants_reports_unplaced") == 3
    lag = value(samples, "irritants_clustering_lag_seconds")
    assert 2 * 3600 <= lag < 2 * 3600 + 120
    assert value(samples, "irritants_reports_awaiting_moderation") == 1
    assert value(samples, "irritants_outbox_messages", kind="mail", status="pending") == 2
    assert value(samples, "irritants_outbox_messages", kind="mail", status="dead") == 1
    assert ("irritants_outbox_messages", frozenset({("kind", "mail"), ("status", "sending")})) in samples
    assert value(samples, "irritants_outbox_messages", kind="webhook", status="pending") == 1
    assert value(samples, "irritants_mail_outbox_depth") == 2
    assert 30 * 60 <= value(samples, "irritants_outbox_oldest_due_seconds") < 32 * 60
    assert value(samples, "irritants_pending_status_notices") == 1
    assert value(samples, "irritants_export_requests", state="queued") == 1
    assert value(samples, "irritants_export_requests", state="failed") == 2
    assert value(samples, "irritants_export_requests", state="running") == 0
    assert ("irritants_export_requests", frozenset({("state", "ready")})) not in samples
    assert value(samples, "irritants_background_jobs", kind="recluster", state="pending") == 1
    assert value(samples, "irritants_background_jobs", kind="recluster", state="dead") == 2
    assert ("irritants_background_jobs", frozenset({("kind", "recluster"), ("state", "running")})) in samples
    assert ("irritants_background_jobs", frozenset({("kind", "recluster"), ("state", "done")})) not in samples
    last_run = value(samples, "irritants_periodic_job_last_run_timestamp_seconds", job="metrics-test-job")
    assert last_run == dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC).timestamp()


def test_with_nothing_waiting_the_gauges_are_zero(client):
    samples = scrape(client)
    for name in (
        "irritants_reports_unplaced",
        "irritants_clustering_lag_seconds",
        "irritants_mail_outbox_depth",
        "irritants_outbox_oldest_due_seconds",
    ):
        assert value(samples, name) == 0
        assert not math.isnan(value(samples, name))
