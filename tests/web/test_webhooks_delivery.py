"""Webhooks delivered end to end: a change through the API queues its delivery in the change's transaction, the
outbox sends it to a real HTTP receiver on 127.0.0.1 that checks the signature with docs/webhooks.md's function,
and the delivery log tells what happened (retries, redirects, refusals, a rotated secret, 410 Gone)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select, update

from irritants.auth.api_tokens import create_token
from irritants.auth.models import User
from irritants.auth.services import agent_for
from irritants.db import get_db, utcnow
from irritants.intake.models import Report
from irritants.outbox import sender
from irritants.outbox.models import OutboxMessage
from irritants.squads.backlog import create_item
from irritants.status import StatusKind
from irritants.triage import services as triage
from irritants.webhooks.models import WebhookEndpoint
from tests.conftest import make_cluster, make_squad, make_user, report_payload
from tests.integration.test_clustering_service import THEMES, clusters_by_theme, post_reports, run
from tests.webhook_receiver import Receiver, verify_signature

ALL = ["irritant.status_changed", "irritant.report_added", "item.state_changed"]


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def hooked(make_app, receiver) -> dict[str, Any]:
    """An app that may reach 127.0.0.1, a squad with an irritant and an item, and an endpoint for every event."""
    receiver.received.clear()
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True)
    with get_db(app).session_scope() as s:
        squad, other = make_squad(s, "Rendez-vous prefecture"), make_squad(s, "Aides au logement")
        po = make_user(s, "product_owner", squads=[squad])
        cluster = make_cluster(s, "Rendez-vous introuvables en préfecture", squad_id=squad.id, status="planned")
        item = create_item(s, None, squad.id, title="Créneaux du samedi", cluster_ids=[cluster.id])
        _, raw = create_token(s, po, "outil")
        s.commit()
        world = {"app": app, "squad": squad.id, "other": other.id, "slug": squad.slug, "cluster": cluster.id,
                 "item": item.id, "po": po.id, "auth": {"Authorization": f"Bearer {raw}"}}  # fmt: skip
    client = app.test_client()
    made = client.post(
        f"/api/v1/squads/{world['slug']}/webhooks", json={"url": receiver.url, "events": ALL}, headers=world["auth"]
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    receiver.secret = made.get_json()["secret"]
    return world | {"client": client, "endpoint": made.get_json()["id"]}


def deliver(app) -> sender.Tally:
    return sender.send_due(app, worker_id="test")


def log(world) -> list[dict[str, Any]]:
    url = f"/api/v1/squads/{world['slug']}/webhooks/{world['endpoint']}/deliveries"
    response = world["client"].get(url, headers=world["auth"])
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def change_status(world, to: str = "in_progress") -> None:
    response = world["client"].post(
        f"/api/v1/triage/clusters/{world['cluster']}/status",
        json={"to": to, "public_note": "Les créneaux du samedi arrivent."},
        headers=world["auth"],
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def item_done(world) -> None:
    response = world["client"].patch(f"/api/v1/items/{world['item']}", json={"state": "done"}, headers=world["auth"])
    assert response.status_code == 200, response.get_data(as_text=True)


def due_now(app) -> None:
    """The back-off's wait, over: what a later run of the runner finds (no sleeping in tests)."""
    with get_db(app).session_scope() as s:
        s.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        s.commit()


def test_a_status_change_is_delivered_signed_as_documented_with_its_log(hooked, receiver):
    change_status(hooked)
    assert deliver(hooked["app"]).sent == 1
    [got] = receiver.received
    assert got.verified, "the documented verifier refused the signature"
    body = json.loads(got.body)
    assert got.headers["X-Irritants-Event"] == body["event"] == "irritant.status_changed"
    assert got.headers["X-Irritants-Delivery"] == body["id"]
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert set(body) == {"id", "event", "created_at", "data"}
    data = body["data"]
    assert (data["before"], data["after"], data["public_note"]) == (
        "planned",
        "in_progress",
        "Les créneaux du samedi arrivent.",
    )
    assert data["irritant"]["id"] == hooked["cluster"] and data["irritant"]["status"] == "in_progress"
    assert data["irritant"]["title"] == "Rendez-vous introuvables en préfecture"
    assert data["squad"] == {"id": hooked["squad"], "slug": hooked["slug"]}
    assert "personne ne répond" not in got.body.decode()  # no report text
    [entry] = log(hooked)
    assert (entry["id"], entry["event"], entry["state"], entry["attempts"]) == (body["id"], body["event"], "sent", 1)
    assert entry["status_code"] == 200 and entry["duration_ms"] is not None and entry["sent_at"]
    assert [t["status_code"] for t in entry["tries"]] == [200]


def test_an_item_state_change_is_delivered(hooked, receiver):
    item_done(hooked)
    deliver(hooked["app"])
    events = {json.loads(r.body)["event"]: json.loads(r.body) for r in receiver.received}
    assert all(r.verified for r in receiver.received)
    body = events["item.state_changed"]
    assert (body["data"]["before"], body["data"]["after"]) == ("todo", "done")
    assert body["data"]["item"]["title"] == "Créneaux du samedi"
    assert body["data"]["item"]["irritant_ids"] == [hooked["cluster"]]


def report_id(app, reference: str) -> tuple[int, int | None]:
    with get_db(app).session_scope() as s:
        report = s.scalars(select(Report).where(Report.reference == reference)).one()
        return report.id, report.cluster_id


def test_a_report_placed_in_the_squads_irritant_and_one_moved_there_are_delivered(hooked, receiver):
    app, client = hooked["app"], hooked["client"]
    refs = post_reports(client, per_theme=3)
    run(app, "recluster")  # the irritants placement compares new reports with
    [cluster_id] = clusters_by_theme(app, refs)["rsa"]
    first_id, _ = report_id(app, refs["rsa"][0])
    with get_db(app).session_scope() as s:
        triage.assign_squad(s, agent_for(s, s.get(User, hooked["po"])), cluster_id, hooked["squad"])
        s.commit()
    receiver.received.clear()
    new = client.post("/api/v1/reports", json=report_payload(description=THEMES["rsa"].format(n=7))).get_json()
    new_id, placed_in = report_id(app, new["reference"])  # placed inline (testing), right after its commit
    assert placed_in == cluster_id
    moved = client.post(
        f"/api/v1/triage/reports/{first_id}/move", json={"to_cluster_id": hooked["cluster"]}, headers=hooked["auth"]
    )
    assert moved.status_code == 200, moved.get_data(as_text=True)
    deliver(app)
    assert all(r.verified for r in receiver.received)
    added = [json.loads(r.body) for r in receiver.received if r.headers["X-Irritants-Event"] == "irritant.report_added"]
    assert [(b["data"]["how"], b["data"]["irritant"]["id"], b["data"]["report"]["id"]) for b in added] == [
        ("placed", cluster_id, new_id),
        ("moved", hooked["cluster"], first_id),
    ]
    assert added[0]["data"]["report"]["administration"] == "caf"
    assert added[0]["data"]["irritant"]["url"] == f"http://irritants.test/irritants/{cluster_id}"
    # No report text: the report is described by its facts (the irritant's public title may echo its reports' words).
    reports = [b["data"]["report"] for b in added]
    assert {key for r in reports for key in r} == {
        "id", "created_at", "administration", "procedure", "territory", "channel", "severity"
    }  # fmt: skip
    assert "RSA à la CAF" not in json.dumps(reports, ensure_ascii=False)


def test_a_failed_delivery_is_retried_with_the_same_id_and_body_then_delivered(hooked, receiver):
    receiver.answer(500)
    change_status(hooked)
    tally = deliver(hooked["app"])
    assert (tally.sent, tally.retried) == (0, 1)
    [entry] = log(hooked)
    assert (entry["state"], entry["attempts"], entry["status_code"], entry["last_error"]) == (
        "pending",
        1,
        500,
        "HTTP 500",
    )
    assert entry["next_attempt_at"] > entry["created_at"]
    assert deliver(hooked["app"]).total == 0  # not due yet: the back-off holds it
    due_now(hooked["app"])
    assert deliver(hooked["app"]).sent == 1
    first, second = receiver.received
    assert (first.answered, second.answered) == (500, 200)
    assert first.body == second.body and first.headers["X-Irritants-Delivery"] == second.headers["X-Irritants-Delivery"]
    assert second.verified
    [entry] = log(hooked)
    assert (entry["state"], entry["attempts"]) == ("sent", 2)
    assert [t["status_code"] for t in entry["tries"]] == [200, 500]


def test_a_redirect_is_not_followed_and_is_retried(hooked, receiver):
    receiver.answer(307, location=receiver.url.replace("/hooks/irritants", "/ailleurs"))
    change_status(hooked)
    assert deliver(hooked["app"]).retried == 1
    assert [r.path for r in receiver.received] == ["/hooks/irritants"]
    [entry] = log(hooked)
    assert entry["status_code"] == 307 and "redirection non suivie" in entry["last_error"]


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "bouclage"),
        ("localhost", "machine elle-même"),
        ("[::1]", "bouclage"),
        ("10.20.30.40", "privée"),
        ("169.254.169.254", "lien-local"),
    ],
)
def test_without_the_setting_private_and_loopback_addresses_are_refused_at_delivery(
    hooked, make_app, receiver, host, why
):
    change_status(hooked)
    port = receiver.url.split(":")[2].split("/")[0]
    with get_db(hooked["app"]).session_scope() as s:
        # Stored as an older version of the rules, or a name that resolves elsewhere now: the check at delivery holds.
        s.get(WebhookEndpoint, hooked["endpoint"]).url = f"https://{host}:{port}/hooks/irritants"
        s.commit()
    strict = make_app(WEBHOOK_ALLOW_PRIVATE=False)  # the same database, as production would see it
    assert deliver(strict).retried == 1
    assert receiver.received == []
    [entry] = log(hooked)
    assert entry["status_code"] is None and why in entry["last_error"] and "refusée" in entry["last_error"]


def test_after_a_rotation_every_try_is_signed_with_the_new_secret(hooked, receiver):
    receiver.answer(503)
    change_status(hooked)
    deliver(hooked["app"])  # signed with the first secret, refused by the receiver
    old = receiver.secret
    rotated = hooked["client"].post(
        f"/api/v1/squads/{hooked['slug']}/webhooks/{hooked['endpoint']}/secret", headers=hooked["auth"]
    )
    receiver.secret = rotated.get_json()["secret"]
    due_now(hooked["app"])
    deliver(hooked["app"])  # the retry of the older delivery
    item_done(hooked)
    deliver(hooked["app"])  # a new one
    first, retry, new = receiver.received
    assert verify_signature(old, first.body, first.headers["X-Irritants-Signature"])
    for got in (retry, new):
        assert got.verified
        assert not verify_signature(old, got.body, got.headers["X-Irritants-Signature"])


def test_410_gone_suspends_the_endpoint_and_gives_up(hooked, receiver):
    receiver.answer(410)
    change_status(hooked)
    assert deliver(hooked["app"]).dead == 1
    with get_db(hooked["app"]).session_scope() as s:
        endpoint = s.get(WebhookEndpoint, hooked["endpoint"])
        assert not endpoint.active and "410" in endpoint.disabled_reason
    item_done(hooked)
    assert deliver(hooked["app"]).total == 0  # a suspended endpoint is sent nothing more
    assert len(receiver.received) == 1


def test_a_suspended_endpoints_pending_delivery_gives_up(hooked, receiver):
    change_status(hooked)
    url = f"/api/v1/squads/{hooked['slug']}/webhooks/{hooked['endpoint']}"
    assert hooked["client"].patch(url, json={"active": False}, headers=hooked["auth"]).status_code == 200
    assert deliver(hooked["app"]).dead == 1
    assert receiver.received == []
    assert log(hooked)[0]["last_error"] == "webhook suspendu"


def test_only_subscribed_events_of_the_endpoints_own_squad_are_queued(hooked):
    url = f"/api/v1/squads/{hooked['slug']}/webhooks/{hooked['endpoint']}"
    hooked["client"].patch(url, json={"events": ["item.state_changed"]}, headers=hooked["auth"])
    change_status(hooked)
    with get_db(hooked["app"]).session_scope() as s:
        other = make_cluster(s, "Formulaire qui refuse un IBAN valide", reports=1, squad_id=hooked["other"])
        admin = agent_for(s, make_user(s, "admin"))
        triage.change_status(s, admin, other.id, StatusKind.TRIAGED)
        s.commit()
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "webhook")) == 0


def test_a_rolled_back_decision_queues_nothing(hooked):
    app = hooked["app"]
    with get_db(app).session_scope() as s:
        admin = agent_for(s, make_user(s, "admin"))
        s.commit()
        triage.change_status(s, admin, hooked["cluster"], StatusKind.IN_PROGRESS)
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # queued in the decision's session
        s.rollback()
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
