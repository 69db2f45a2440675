"""Moderation through the real HTTP stack: held at intake, hidden from every public output, the queue and the
API for moderators (roles, audit events, concurrent decisions), and « Signaler un contenu abusif »."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from irritants.audit.models import Event
from irritants.auth.api_tokens import create_token
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.intake.bulk import ReferenceMaps, insert_reports
from irritants.intake.models import AbuseFlag, Moderation, Report, Source
from irritants.intake.redaction import finding_kinds
from tests.conftest import TEST_SECRET, make_cluster, make_report, make_user, report_payload

QUEUE = "/agents/moderation"
PHONE = "06 12 34 56 78"
HELD_TEXT = f"Personne ne rappelle à la CAF, mon numéro est le {PHONE}, c'est urgent."
CLEAN_TEXT = "Aucun rendez-vous disponible en préfecture depuis trois mois pour mon titre de séjour."


@pytest.fixture
def db(app):
    """A session for building data outside any app context, so that each request opens and closes its own."""
    with get_db(app).session_scope() as session:
        yield session


def report_state(app, report_id: int) -> tuple[Moderation, list[str], int]:
    with get_db(app).session_scope() as s:
        r = s.get(Report, report_id)
        return r.moderation, list(r.moderation_reasons), r.abuse_flags


def events(app, action: str | None = None) -> list[Event]:
    with get_db(app).session_scope() as s:
        stmt = select(Event).order_by(Event.id)
        if action:
            stmt = stmt.where(Event.action == action)
        return list(s.scalars(stmt))


def csrf_of(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "CSRF token missing"
    return match.group(1)


def public_cluster(db, texts: dict[str, str]) -> tuple[Cluster, dict[str, Report]]:
    """A public irritant whose representative reports have these texts (moderation as intake decided)."""
    cluster = make_cluster(db, "Rendez-vous introuvables en préfecture", reports=0)
    reports = {name: make_report(db, cluster=cluster, description=text) for name, text in texts.items()}
    cluster.size = cluster.people = len(reports)
    cluster.excerpt_report_ids = [r.id for r in reports.values()]
    db.commit()
    return cluster, reports


# --- intake -----------------------------------------------------------------------------------------------


def test_api_submission_with_personal_data_is_accepted_at_once_but_held(app, client):
    held = client.post("/api/v1/reports", json=report_payload(description=HELD_TEXT))
    clean = client.post("/api/v1/reports", json=report_payload(description=CLEAN_TEXT))
    assert held.status_code == clean.status_code == 201
    with get_db(app).session_scope() as s:
        by_text = {r.description: r for r in s.scalars(select(Report))}
    assert (by_text[HELD_TEXT].moderation, by_text[HELD_TEXT].moderation_reasons) == (Moderation.PENDING, ["phone"])
    assert (by_text[CLEAN_TEXT].moderation, by_text[CLEAN_TEXT].moderation_reasons) == (Moderation.PUBLISHED, [])


def test_form_submission_with_personal_data_is_held(app, client):
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    form_token = re.search(r'name="form_token"[^>]*value="([^"]+)"', html).group(1)
    description = "Mon dossier est bloqué, écrivez-moi à jean.dupont@example.org ou au 3 rue des Lilas."
    response = client.post(
        "/",
        data={
            "csrf_token": token,
            "form_token": form_token,
            "description": description,
            "administration": "prefecture",
            "territory": "13",
            "channel": "en_ligne",
            "severity": "blocage",
        },
    )
    assert response.status_code == 303
    with get_db(app).session_scope() as s:
        report = s.scalar(select(Report))
    assert report.moderation == Moderation.PENDING
    assert report.moderation_reasons == ["address", "email"]


def test_bulk_loading_sets_moderation_like_intake(app, db):
    rows = [
        {**report_payload(description=HELD_TEXT), "external_key": "a"},
        {**report_payload(description=CLEAN_TEXT), "external_key": "b"},
    ]
    insert_reports(db, rows, ReferenceMaps.load(db), source=Source.IMPORT, secret_key=TEST_SECRET, retention_days=30)
    db.commit()
    states = {r.external_key: (r.moderation, r.moderation_reasons) for r in db.scalars(select(Report))}
    assert states == {"a": (Moderation.PENDING, ["phone"]), "b": (Moderation.PUBLISHED, [])}


def test_demo_data_holds_exactly_the_reports_with_personal_data(app, runner):
    assert runner.invoke(args=["demo-data", "--reports", "400", "--seed", "3"]).exit_code == 0
    with get_db(app).session_scope() as s:
        reports = list(s.scalars(select(Report)))
    held = [r for r in reports if r.moderation == Moderation.PENDING]
    assert held and len(held) < len(reports)
    assert all(r.moderation_reasons == finding_kinds(r.description) for r in reports)
    assert all(bool(r.moderation_reasons) == (r.moderation == Moderation.PENDING) for r in reports)


# --- public outputs ---------------------------------------------------------------------------------------


def test_public_page_and_api_show_only_published_texts(app, client, db):
    cluster, reports = public_cluster(db, {"clean": CLEAN_TEXT, "held": HELD_TEXT, "rejected": "Texte rejeté ici."})
    reports["rejected"].moderation = Moderation.REJECTED
    db.commit()
    html = client.get(f"/irritants/{cluster.id}").get_data(as_text=True)
    excerpts = client.get(f"/api/v1/clusters/{cluster.id}").get_json()["excerpts"]
    for shown in (html, " ".join(excerpts)):
        assert CLEAN_TEXT in shown
        assert "numéro est le" not in shown and PHONE not in shown
        assert "Texte rejeté" not in shown
    assert len(excerpts) == 1


def test_a_held_representative_gives_its_place_to_another_published_report(app, client, db):
    cluster, reports = public_cluster(db, {"held": HELD_TEXT})
    other = make_report(db, cluster=cluster, description=CLEAN_TEXT)
    db.commit()
    html = client.get(f"/irritants/{cluster.id}").get_data(as_text=True)
    assert CLEAN_TEXT in html and PHONE not in html
    assert f'id="extrait-{other.id}"' in html and f'id="extrait-{reports["held"].id}"' not in html


# --- the queue: who may see it ----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(QUEUE)
    assert response.status_code in (302, 303)
    assert "/agents/connexion" in response.headers["Location"] and "next=" in response.headers["Location"]


@pytest.mark.parametrize(
    ("role", "status"), [("product_owner", 200), ("admin", 200), ("squad_member", 403), ("manager", 403)]
)
def test_only_product_owners_and_admins_see_the_queue(app, client, db, login, role, status):
    report = make_report(db, description=HELD_TEXT)
    db.commit()
    login(role)
    response = client.get(QUEUE)
    assert response.status_code == status
    if status == 403:
        assert PHONE not in response.get_data(as_text=True)
        assert client.post(f"{QUEUE}/{report.id}", data={"decision": "publish"}).status_code in (400, 403)
        assert report_state(app, report.id)[0] == Moderation.PENDING


def test_queue_shows_raw_text_with_highlights_and_french_badges_oldest_first(app, client, db, login):
    newer = make_report(db, description=HELD_TEXT)
    older = make_report(db, description="Écrivez à marie@example.org, M. Martin ne répond pas.")
    older.created_at = newer.created_at - dt.timedelta(days=2)
    make_report(db, description=CLEAN_TEXT)
    db.commit()
    login("product_owner")
    response = client.get(QUEUE)
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert html.index(f'id="signalement-{older.id}"') < html.index(f'id="signalement-{newer.id}"')
    assert CLEAN_TEXT not in html
    assert re.search(rf"<mark[^>]*>{PHONE}<span", html)
    assert re.search(r"<mark[^>]*>marie@example.org<span", html)
    for badge in ("Téléphone", "Courriel", "Nom"):
        assert f">{badge}</p>" in html
    assert "2 signalements en attente" in html


def test_queue_is_paginated(app, client, db, login):
    for i in range(23):
        make_report(db, description=f"Rappelez-moi au 06 12 34 56 {i:02d} svp.")
    db.commit()
    login("product_owner")
    first = client.get(QUEUE).get_data(as_text=True)
    second = client.get(f"{QUEUE}?page=2").get_data(as_text=True)
    assert first.count('id="signalement-') == 20 and second.count('id="signalement-') == 3
    assert 'aria-current="page" title="Page 2"' in second
    assert client.get(f"{QUEUE}?page=abc").status_code == 200


# --- decisions in the queue -------------------------------------------------------------------------------


def decide(client, report_id: int, decision: str, **extra: Any) -> Any:
    data = {"csrf_token": csrf_of(client, QUEUE), "decision": decision, "expected": "pending", **extra}
    return client.post(f"{QUEUE}/{report_id}", data=data)


def test_publishing_writes_one_event_and_shows_the_redacted_text(app, client, db, login):
    cluster, reports = public_cluster(db, {"held": HELD_TEXT})
    report_id = reports["held"].id
    user = login("product_owner")
    response = decide(client, report_id, "publish", reason="Numéro masqué à la publication")
    assert response.status_code == 303
    assert "Signalement publié" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert report_state(app, report_id)[0] == Moderation.PUBLISHED
    [event] = events(app)
    assert (event.action, event.subject_type, event.subject_id, event.cluster_id) == (
        "report.published",
        "report",
        report_id,
        cluster.id,
    )
    assert event.actor == user.email and event.actor_id == user.id
    assert event.before["moderation"] == "pending" and event.after["moderation"] == "published"
    assert event.reason == "Numéro masqué à la publication"
    page = client.get(f"/irritants/{cluster.id}").get_data(as_text=True)
    assert "mon numéro est le [téléphone]" in page and PHONE not in page


def test_rejecting_keeps_the_text_off_public_pages_with_one_event(app, client, db, login):
    cluster, reports = public_cluster(db, {"held": HELD_TEXT})
    login("admin")
    assert decide(client, reports["held"].id, "reject").status_code == 303
    assert report_state(app, reports["held"].id)[0] == Moderation.REJECTED
    [event] = events(app)
    assert event.action == "report.rejected" and event.reason is None
    assert "numéro est le" not in client.get(f"/irritants/{cluster.id}").get_data(as_text=True)


def test_a_decision_taken_meanwhile_is_not_overwritten(app, client, db, login):
    report = make_report(db, description=HELD_TEXT)
    db.commit()
    other = app.test_client()
    login("product_owner")
    login("product_owner", on=other)
    stale_token = csrf_of(other, QUEUE)  # the second moderator loaded the queue too
    assert decide(client, report.id, "publish").status_code == 303
    late = other.post(
        f"{QUEUE}/{report.id}", data={"csrf_token": stale_token, "decision": "reject", "expected": "pending"}
    )
    assert late.status_code == 303
    assert "déjà été traité entre-temps" in other.get(late.headers["Location"]).get_data(as_text=True)
    assert report_state(app, report.id)[0] == Moderation.PUBLISHED
    assert [e.action for e in events(app)] == ["report.published"]


def test_decision_form_is_validated_in_french_and_needs_csrf(app, client, db, login):
    report = make_report(db, description=HELD_TEXT)
    db.commit()
    login("product_owner")
    assert client.post(f"{QUEUE}/{report.id}", data={"decision": "publish", "expected": "pending"}).status_code == 400
    response = decide(client, report.id, "peut-être")
    assert "Choisissez « publier » ou « rejeter »." in client.get(response.headers["Location"]).get_data(as_text=True)
    response = decide(client, report.id, "reject", reason="x" * 501)
    assert "500 caractères" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert report_state(app, report.id)[0] == Moderation.PENDING and events(app) == []
    assert decide(client, 999_999, "publish").status_code == 404


# --- the API ----------------------------------------------------------------------------------------------


def bearer(db, *roles: str) -> dict[str, str]:
    user = make_user(db, *roles)
    _token, raw = create_token(db, user, "modération")
    db.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_api_lists_held_reports_with_findings_for_moderators_only(app, client, db):
    report = make_report(db, description=HELD_TEXT)
    make_report(db, description=CLEAN_TEXT)
    headers = bearer(db, "product_owner")
    response = client.get("/api/v1/moderation/reports", headers=headers)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["total"] == 1
    [item] = body["items"]
    assert item["id"] == report.id and item["description"] == HELD_TEXT
    assert item["reasons"] == [{"code": "phone", "label": "Téléphone"}]
    [finding] = item["findings"]
    assert HELD_TEXT[finding["start"] : finding["end"]] == PHONE
    assert "[téléphone]" in item["redacted"]
    assert client.get("/api/v1/moderation/reports", headers=bearer(db, "squad_member")).status_code == 403
    anonymous = client.get("/api/v1/moderation/reports")
    assert anonymous.status_code == 401 and anonymous.mimetype == "application/problem+json"


def test_api_decision_with_a_token_and_conflict_on_a_second_decision(app, client, db):
    report = make_report(db, description=HELD_TEXT)
    headers = bearer(db, "product_owner")
    url = f"/api/v1/moderation/reports/{report.id}/decision"
    response = client.post(url, json={"decision": "reject", "reason": "Hors sujet"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["moderation"] == "rejected"
    again = client.post(url, json={"decision": "publish"}, headers=headers)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert "déjà été traité entre-temps" in again.get_json()["detail"]
    invalid = client.post(url, json={"decision": "maybe"}, headers=headers)
    assert invalid.status_code == 422
    assert invalid.get_json()["errors"][0]["pointer"] == "#/decision"
    [event] = events(app)
    assert event.action == "report.rejected" and event.reason == "Hors sujet"
    assert event.actor.endswith("(jeton modération)")


def test_api_decision_from_a_browser_session_needs_the_csrf_token(app, client, db, login):
    report = make_report(db, description=HELD_TEXT)
    db.commit()
    login("product_owner")
    url = f"/api/v1/moderation/reports/{report.id}/decision"
    assert client.post(url, json={"decision": "publish"}).status_code == 400
    token = csrf_of(client, QUEUE)
    assert client.post(url, json={"decision": "publish"}, headers={"X-CSRFToken": token}).status_code == 200


def test_the_openapi_document_describes_the_moderation_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    route = spec["paths"]["/api/v1/moderation/reports/{report_id}/decision"]["post"]
    assert route["security"] == [{"bearerAuth": []}]
    assert "409" in route["responses"]


# --- « Signaler un contenu abusif » ------------------------------------------------------------------------


def flag(client, cluster_id: int, report_id: int, reason: str = "") -> Any:
    token = csrf_of(client, f"/irritants/{cluster_id}")
    return client.post(
        f"/irritants/{cluster_id}/extraits/{report_id}/abus", data={"csrf_token": token, "reason": reason}
    )


def test_each_excerpt_has_an_abuse_form_with_the_reasons(app, client, db):
    cluster, reports = public_cluster(db, {"a": CLEAN_TEXT, "b": "Le site plante à la dernière étape."})
    html = client.get(f"/irritants/{cluster.id}").get_data(as_text=True)
    for report in reports.values():
        assert f'action="/irritants/{cluster.id}/extraits/{report.id}/abus"' in html
    assert html.count("Signaler un contenu abusif") == 2
    for label in ("Propos injurieux", "Données personnelles", "Hors sujet", "Autre"):
        assert label in html
    assert report.reference not in html


def test_enough_distinct_people_hide_an_excerpt_until_reviewed(app, db):
    cluster, reports = public_cluster(db, {"a": CLEAN_TEXT})
    report_id = reports["a"].id
    people = [app.test_client() for _ in range(3)]
    for number, person in enumerate(people, start=1):
        person.environ_base["REMOTE_ADDR"] = f"198.51.100.{number}"  # flags count once per network
    first = flag(people[0], cluster.id, report_id, "injurieux")
    assert first.status_code == 303
    assert "votre signalement a été transmis" in people[0].get(first.headers["Location"]).get_data(as_text=True)
    twice = flag(people[0], cluster.id, report_id)
    assert "Vous aviez déjà signalé cet extrait" in people[0].get(twice.headers["Location"]).get_data(as_text=True)
    assert report_state(app, report_id) == (Moderation.PUBLISHED, [], 1)
    flag(people[1], cluster.id, report_id, "hors_sujet")
    last = flag(people[2], cluster.id, report_id)
    page = people[2].get(last.headers["Location"]).get_data(as_text=True)
    assert "cet extrait est masqué" in page and CLEAN_TEXT not in page
    assert report_state(app, report_id) == (Moderation.PENDING, ["abuse"], 3)
    [event] = events(app)
    assert (event.action, event.actor, event.subject_id, event.cluster_id) == (
        "report.hidden",
        "système",
        report_id,
        cluster.id,
    )
    with get_db(app).session_scope() as s:
        assert set(s.scalars(select(AbuseFlag.reason))) == {"injurieux", "hors_sujet", None}


def test_the_threshold_comes_from_the_configuration_and_reasons_are_checked(make_app):
    app = make_app(ABUSE_FLAG_THRESHOLD=1)
    with get_db(app).session_scope() as db:
        cluster, reports = public_cluster(db, {"a": CLEAN_TEXT})
    client = app.test_client()
    refused = flag(client, cluster.id, reports["a"].id, "n'importe quoi")
    assert "Motif inconnu" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert report_state(app, reports["a"].id)[0] == Moderation.PUBLISHED
    flag(client, cluster.id, reports["a"].id)
    assert report_state(app, reports["a"].id)[0] == Moderation.PENDING


def test_flags_need_csrf_and_a_published_excerpt_of_that_irritant(app, client, db):
    cluster, reports = public_cluster(db, {"a": CLEAN_TEXT, "held": HELD_TEXT})
    url = f"/irritants/{cluster.id}/extraits/{reports['a'].id}/abus"
    assert client.post(url, data={}).status_code == 400
    response = flag(client, cluster.id, reports["held"].id)
    assert "n’est plus publié" in client.get(response.headers["Location"]).get_data(as_text=True)
    other = make_cluster(db, "Autre irritant", reports=1)
    db.commit()
    flag(client, other.id, reports["a"].id)
    assert report_state(app, reports["a"].id)[2] == 0


def test_flags_are_rate_limited_like_supports(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_FLAG="2 per minute")
    with get_db(app).session_scope() as db:
        cluster, reports = public_cluster(db, {"a": CLEAN_TEXT})
    client = app.test_client()
    statuses = [flag(client, cluster.id, reports["a"].id).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]


@pytest.mark.parametrize(("role", "shown"), [("product_owner", True), ("admin", True), ("manager", False)])
def test_agents_home_links_to_the_queue_only_for_moderators(login, client, role, shown):
    login(role)
    page = client.get("/agents/").get_data(as_text=True)
    assert ('href="/agents/moderation"' in page) is shown
