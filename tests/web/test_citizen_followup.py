"""A reporter's own follow-up: « lien de suivi perdu » (one answer whatever the address), withdrawing a report (it
leaves the counts), erasing its address (the report stays), and writing to the team from the tracking page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from irritants import events
from irritants.audit.models import Event
from irritants.clusters import stats
from irritants.clusters.models import Cluster
from irritants.conversations.models import Direction, ReportMessage
from irritants.db import get_db
from irritants.intake.models import Report, ReportContact
from irritants.ranking import Weights
from tests.conftest import make_cluster, report_payload

ADDRESS = "camille.martin@example.org"


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


def csrf(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token, "CSRF token missing"
    return token.group(1)


def post(client, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    return client.post(url, data={"csrf_token": csrf(client, page or url), **data})


def filed(client, db, cluster=None, *, email: str | None = ADDRESS) -> tuple[str, int]:
    """A citizen's report (with a follow-up address unless ``email`` is None), put in ``cluster``: its token and id."""
    db.commit()
    extra = {"email": email, "contact_consent": True} if email else {}
    body = client.post("/api/v1/reports", json=report_payload(**extra)).get_json()
    report = db.scalar(select(Report).where(Report.reference == body["reference"]))
    report_id = report.id
    if cluster is not None:
        report.cluster_id = cluster.id
        db.flush()
        stats.refresh(db, Weights(), [cluster.id])
    db.commit()
    db.expire_all()
    return body["tracking_token"], report_id


@pytest.fixture
def requested():
    """The report ids of each « lien perdu » that found the address (what the mail's receiver is given)."""
    seen: list[list[int]] = []

    def receiver(_session, **kwargs):
        seen.append(kwargs["report_ids"])

    events.tracking_links_requested.connect(receiver)
    yield seen
    events.tracking_links_requested.disconnect(receiver)


# --- « lien de suivi perdu » --------------------------------------------------------------------------------------


def test_lost_link_gives_the_same_answer_for_a_known_and_an_unknown_address(client, db, requested):
    _, first_id = filed(client, db)
    _, second_id = filed(client, db, email=ADDRESS.upper())
    filed(client, db, email="quelquun.dautre@example.org")

    known = post(client, "/suivi/retrouver", {"email": f"  {ADDRESS} "})
    unknown = post(client, "/suivi/retrouver", {"email": "personne@example.org"})

    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    page = client.get(known.headers["Location"]).get_data(as_text=True)
    assert "Si cette adresse a servi à suivre un signalement, vous recevrez un message" in page
    assert requested == [[first_id, second_id]]  # one request, both reports, for the known address only


def test_lost_link_refuses_a_malformed_address_and_ignores_robots(client, db, requested):
    filed(client, db)
    response = post(client, "/suivi/retrouver", {"email": "pas-une-adresse"})
    assert response.status_code == 422
    assert "Indiquez une adresse électronique valide" in response.get_data(as_text=True)
    robot = post(client, "/suivi/retrouver", {"email": ADDRESS, "site_web": "http://spam.example"})
    assert robot.status_code == 303
    assert requested == []


def test_lost_link_needs_the_csrf_token(client, db, requested):
    filed(client, db)
    assert client.post("/suivi/retrouver", data={"email": ADDRESS}).status_code == 400
    assert requested == []


def test_lost_link_is_limited_per_address_and_per_network(make_app, requested):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOST_LINK="4 per day", RATELIMIT_LOST_LINK_ADDRESS="2 per day")
    client = app.test_client()
    statuses = [
        client.post(
            "/suivi/retrouver",
            data={"csrf_token": csrf(client, "/suivi/retrouver"), "email": email},
            environ_base={"REMOTE_ADDR": network},
        ).status_code
        for email, network in [
            (ADDRESS, "192.0.2.1"),
            (ADDRESS, "192.0.2.2"),
            (ADDRESS.upper(), "192.0.2.3"),  # the same address, from a third network: its own limit is reached
            ("autre@example.org", "192.0.2.3"),
            ("troisieme@example.org", "192.0.2.4"),
            ("quatrieme@example.org", "192.0.2.4"),
            ("cinquieme@example.org", "192.0.2.4"),
            ("sixieme@example.org", "192.0.2.4"),
            ("septieme@example.org", "192.0.2.4"),  # five from one network: its limit is reached
        ]
    ]
    assert statuses == [303, 303, 429, 303, 303, 303, 303, 303, 429]


# --- withdrawing, erasing the address -------------------------------------------------------------------------


def test_withdrawing_a_report_takes_it_out_of_the_counts_with_its_address_and_messages(client, db):
    cluster = make_cluster(db, reports=2)
    token, report_id = filed(client, db, cluster)
    db.add(ReportMessage(report_id=report_id, direction=Direction.FROM_REPORTER, body="Précisions", personal_data=[]))
    db.commit()
    assert db.get(Cluster, cluster.id).size == 3
    db.rollback()  # the requests write (SQLite: one writer at a time)

    page = client.get(f"/suivi/{token}/retirer")
    assert page.status_code == 200
    assert "Retirer définitivement mon signalement" in page.get_data(as_text=True)
    assert client.post(f"/suivi/{token}/retirer").status_code == 400  # no CSRF token: nothing happens
    assert db.get(Report, report_id) is not None
    db.rollback()

    response = post(client, f"/suivi/{token}/retirer", {}, page=f"/suivi/{token}/retirer")
    assert response.status_code == 303
    assert "a été retiré" in client.get(response.headers["Location"]).get_data(as_text=True)

    db.expire_all()
    assert db.get(Report, report_id) is None
    assert db.get(ReportContact, report_id) is None
    assert db.scalar(select(func.count()).select_from(ReportMessage)) == 0
    assert db.get(Cluster, cluster.id).size == 2
    assert client.get(f"/suivi/{token}").status_code == 404
    event = db.scalar(select(Event).where(Event.action == "report.withdrawn"))
    assert event.subject_id == report_id and event.cluster_id == cluster.id
    assert ADDRESS not in repr((event.before, event.after, event.reason))


def test_erasing_the_address_keeps_the_report_and_its_place_in_the_counts(client, db):
    cluster = make_cluster(db, reports=1)
    token, report_id = filed(client, db, cluster)
    page = client.get(f"/suivi/{token}").get_data(as_text=True)
    assert "Effacer mon adresse" in page

    response = post(client, f"/suivi/{token}/effacer-adresse", {}, page=f"/suivi/{token}/effacer-adresse")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre adresse électronique a été effacée" in page
    assert "Effacer mon adresse" not in page

    db.expire_all()
    assert db.get(Report, report_id) is not None
    assert db.get(ReportContact, report_id) is None
    assert db.get(Cluster, cluster.id).size == 2
    assert db.scalar(select(Event.action).where(Event.subject_id == report_id)) == "report.contact_erased"


# --- writing to the team -----------------------------------------------------------------------------------------


def test_details_added_on_the_tracking_page_are_kept_and_shown(client, db):
    token, report_id = filed(client, db)
    details = {"body": "Le guichet m'a renvoyé vers le site."}
    response = post(client, f"/suivi/{token}/messages", details, f"/suivi/{token}")
    assert response.status_code == 303
    page = client.get(f"/suivi/{token}").get_data(as_text=True)
    assert "Vos précisions" in page and "Le guichet m&#39;a renvoyé vers le site." in page

    empty = post(client, f"/suivi/{token}/messages", {"body": "  "}, f"/suivi/{token}")
    assert empty.status_code == 422
    messages = db.scalars(select(ReportMessage).where(ReportMessage.report_id == report_id)).all()
    assert [(m.direction, m.in_reply_to_id) for m in messages] == [(Direction.FROM_REPORTER, None)]


def test_the_api_lists_the_conversation_and_takes_replies_with_the_tracking_token(client, db):
    token, report_id = filed(client, db)
    question = ReportMessage(
        report_id=report_id, direction=Direction.TO_REPORTER, body="Quel guichet ?", personal_data=[]
    )
    db.add(question)
    db.commit()
    question_id = question.id
    db.rollback()
    url = f"/api/v1/reports/{token}/messages"

    reply = client.post(url, json={"body": "Celui de Lille.", "question": question_id})
    assert reply.status_code == 201
    assert reply.get_json()["kind"] == "reply" and reply.get_json()["in_reply_to"] == question_id
    assert client.post(url, json={"body": "Autre chose.", "question": 999999}).status_code == 422
    assert client.post(url, json={"body": "Autre chose.", "email": ADDRESS}).status_code == 422  # unknown field
    listed = client.get(url)
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    assert [(m["kind"], m["answered"]) for m in listed.get_json()] == [("question", True), ("reply", None)]
    assert client.get("/api/v1/reports/inconnu/messages").status_code == 404
