"""Correspondants of an administration: the backlog and irritants of their administration only (pages and API, the
filter forced whatever the URL says), no decision, and the administration's public answer on an irritant — shown on
its public page and in the API, audited, mailed once to each person who follows it, personal data refused."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from irritants.answers.models import AdministrationAnswer
from irritants.audit.models import Event
from irritants.db import get_db, utcnow
from irritants.intake.models import ReportContact
from irritants.outbox.models import OutboxMessage
from irritants.referential.models import Administration
from tests.conftest import PASSWORD, make_cluster, make_report, make_user, sign_in
from tests.web.test_citizen_followup import ADDRESS, filed, post

ANSWER = "La CAF ouvre des créneaux supplémentaires de rendez-vous dès le mois prochain."
OTHER_ADDRESS = "dominique.durand@example.org"


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


def administration_id(db, slug: str) -> int:
    return db.scalar(select(Administration.id).where(Administration.slug == slug))


@pytest.fixture
def world(app, client, db):
    """An irritant of the CAF followed by two addresses (one of them through two reports), an irritant of the DGFiP,
    and a correspondant of the CAF."""
    caf = make_cluster(db, "Dossier de RSA bloqué sans réponse", reports=1)
    dgfip = make_cluster(db, "Avis d'impôt introuvable dans l'espace particulier", reports=0)
    make_report(db, cluster=dgfip, administration="dgfip", description="Mon avis d'impôt n'apparaît nulle part.")
    correspondant = make_user(db, "correspondant", email="correspondant@caf.fr")
    correspondant.administration_id = administration_id(db, "caf")
    ids = {"caf": caf.id, "dgfip": dgfip.id, "user": SimpleNamespace(get_id=lambda v=correspondant.get_id(): v)}
    db.commit()
    filed(client, db, caf)
    filed(client, db, caf)  # the same address twice: one mail
    filed(client, db, caf, email=OTHER_ADDRESS)
    db.rollback()  # the app's requests write next: no transaction left open here (SQLite)
    return ids


@pytest.fixture
def agent(app, world):
    client = app.test_client()
    sign_in(client, world["user"])
    return client


def answer_mails(db) -> list[dict]:
    """The payloads of the answers' mails in the outbox (read, then the transaction ended: SQLite)."""
    db.expire_all()
    stmt = select(OutboxMessage.payload).where(OutboxMessage.topic == "answer").order_by(OutboxMessage.id)
    found = list(db.scalars(stmt))
    db.rollback()
    return found


def stored_answers(db) -> list[tuple[int, int | None]]:
    """(administration id, author id) of every stored answer."""
    db.expire_all()
    found = [
        tuple(row) for row in db.execute(select(AdministrationAnswer.administration_id, AdministrationAnswer.author_id))
    ]
    db.rollback()
    return found


def signed_in(app, db, *roles: str):
    """A test client signed in as a new agent with ``roles``, and the agent's id."""
    user = make_user(db, *roles)
    user_id, session_id = user.id, user.get_id()
    db.commit()
    client = app.test_client()
    sign_in(client, SimpleNamespace(get_id=lambda: session_id))
    return client, user_id


# --- what they see --------------------------------------------------------------------------------------------


def test_the_backlog_shows_only_their_administrations_irritants_whatever_the_url_says(agent, world):
    for url in ("/agents/irritants", "/agents/irritants?administration=dgfip", "/agents/irritants?administration="):
        html = agent.get(url).get_data(as_text=True)
        assert f"/agents/irritants/{world['caf']}" in html, url
        assert f"/agents/irritants/{world['dgfip']}" not in html, url
        assert "ne voit que les irritants qui concernent votre administration" in html
    html = agent.get("/agents/irritants?administration=dgfip").get_data(as_text=True)
    assert "ce filtre ne peut pas changer" in html


def test_the_api_backlog_is_narrowed_and_refuses_another_administration(agent, world):
    listed = agent.get("/api/v1/triage/clusters").get_json()
    assert [item["id"] for item in listed["items"]] == [world["caf"]]
    refused = agent.get("/api/v1/triage/clusters?administration=dgfip")
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert "votre administration" in refused.get_json()["detail"]


def test_another_administrations_irritant_does_not_exist_for_them(agent, world):
    other = world["dgfip"]
    for url in (
        f"/agents/irritants/{other}",
        f"/api/v1/triage/clusters/{other}",
        f"/api/v1/triage/clusters/{other}/reports",
        f"/api/v1/triage/clusters/{other}/events",
    ):
        assert agent.get(url).status_code == 404, url
    assert agent.get(f"/agents/irritants/{world['caf']}").status_code == 200
    assert agent.get(f"/api/v1/triage/clusters/{world['caf']}").status_code == 200


def test_they_read_texts_redacted_and_take_no_decision(agent, world, db):
    html = agent.get(f"/agents/irritants/{world['caf']}").get_data(as_text=True)
    assert "Les textes sont anonymisés" in html
    assert 'action="/agents/irritants/{}/statut"'.format(world["caf"]) not in html
    url = f"/agents/irritants/{world['caf']}"
    assert post(agent, f"{url}/libelle", {"label": "Autre libellé", "expected_version": "1"}, url).status_code == 403
    response = agent.post(f"/api/v1/triage/clusters/{world['caf']}/status", json={"to": "triaged"})
    assert response.status_code in (400, 403)  # a browser session without CSRF token, or the policy: never a change
    reports = agent.get(f"/api/v1/triage/clusters/{world['caf']}/reports").get_json()
    assert all(not item["raw"] for item in reports["items"])


# --- the public answer ----------------------------------------------------------------------------------------


def test_an_answer_is_published_audited_and_mailed_once_per_person(app, client, agent, world, db):
    url = f"/agents/irritants/{world['caf']}"
    html = agent.get(url).get_data(as_text=True)
    assert ('id="reponse-form"' in html and "Caisse" in html) or "CAF" in html
    response = post(agent, f"{url}/reponse", {"texte": ANSWER}, url)
    assert response.status_code == 303

    page = client.get(f"/irritants/{world['caf']}").get_data(as_text=True)
    assert "Réponse de la CAF" in page and ANSWER in page
    assert "correspondant@caf.fr" not in page
    detail = client.get(f"/api/v1/clusters/{world['caf']}").get_json()
    assert [(a["administration"], a["text"]) for a in detail["answers"]] == [("caf", ANSWER)]

    event = db.execute(select(Event.subject_id, Event.after).where(Event.action == "cluster.answer")).one()
    db.rollback()
    assert event.subject_id == world["caf"] and event.after["text"] == ANSWER
    mails = answer_mails(db)
    assert sorted(m["to"] for m in mails) == sorted([ADDRESS, OTHER_ADDRESS])
    for mail in mails:
        assert ANSWER in mail["text"]
        assert mail["subject"].startswith("Réponse de la CAF")
        assert "List-Unsubscribe" in mail["headers"]
        assert "Ne plus recevoir ces messages" in mail["text"]

    # A correction changes the page, and mails nobody again.
    html = agent.get(url).get_data(as_text=True)
    assert "Réponse publique d’une administration" in html and "« caf » publiée (version 1)" in html  # history
    version = re.search(r'name="expected_version" value="(\d+)"', html.split('id="reponse-form"')[1]).group(1)
    corrected = ANSWER + " Les rendez-vous se prennent en ligne."
    assert post(agent, f"{url}/reponse", {"texte": corrected, "expected_version": version}, url).status_code == 303
    assert corrected in client.get(f"/irritants/{world['caf']}").get_data(as_text=True)
    assert len(answer_mails(db)) == 2


def test_an_unsubscribed_address_hears_nothing(agent, world, db):
    db.expire_all()
    for contact in db.scalars(select(ReportContact).where(ReportContact.email == OTHER_ADDRESS)):
        contact.unsubscribed_at = utcnow()
    db.commit()
    db.rollback()
    url = f"/agents/irritants/{world['caf']}"
    assert post(agent, f"{url}/reponse", {"texte": ANSWER}, url).status_code == 303
    assert [m["to"] for m in answer_mails(db)] == [ADDRESS]


def test_an_answer_with_personal_data_is_refused_and_nothing_is_written(agent, world, db):
    url = f"/agents/irritants/{world['caf']}"
    response = post(
        agent, f"{url}/reponse", {"texte": "Appelez notre conseiller au 06 12 34 56 78 sans attendre."}, url
    )
    assert response.status_code == 422
    assert "données personnelles" in response.get_data(as_text=True)
    assert stored_answers(db) == []
    assert answer_mails(db) == []


def test_a_correspondant_cannot_answer_for_another_administrations_irritant(agent, world, db):
    url = f"/agents/irritants/{world['caf']}"
    response = post(agent, f"/agents/irritants/{world['dgfip']}/reponse", {"texte": ANSWER}, url)
    assert response.status_code == 404
    assert stored_answers(db) == []


def test_product_owners_and_managers_may_not_answer_for_an_administration(app, world, db):
    client, _ = signed_in(app, db, "manager")
    url = f"/agents/irritants/{world['caf']}"
    assert 'id="reponse-form"' not in client.get(url).get_data(as_text=True)
    assert post(client, f"{url}/reponse", {"texte": ANSWER}, url).status_code == 403


def test_an_admin_answers_in_the_name_of_an_administration_the_irritant_concerns(app, world, db):
    client, admin_id = signed_in(app, db, "admin")
    url = f"/agents/irritants/{world['caf']}"
    refused = post(client, f"{url}/reponse", {"texte": ANSWER, "administration": "dgfip"}, url)
    assert refused.status_code == 422
    assert post(client, f"{url}/reponse", {"texte": ANSWER, "administration": "caf"}, url).status_code == 303
    assert stored_answers(db) == [(administration_id(db, "caf"), admin_id)]


def test_their_daily_digest_offers_only_their_administration(agent, world):
    html = agent.get("/agents/notifications").get_data(as_text=True)
    assert "Caisse d&#39;allocations familiales" in html
    assert "Direction générale des Finances publiques" not in html


def test_the_api_says_which_administration_they_speak_for(agent):
    me = agent.get("/api/v1/me").get_json()
    assert me["roles"] == ["correspondant"] and me["administration"] == "caf"


def test_a_correspondant_lands_on_their_administrations_irritants(app, db):
    user = make_user(db, "correspondant", email="arrivee@caf.fr", password=PASSWORD)
    user.administration_id = administration_id(db, "caf")
    db.commit()
    client = app.test_client()
    page = client.get("/agents/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/agents/connexion", data={"email": "arrivee@caf.fr", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code in (302, 303) and response.headers["Location"].endswith("/agents/irritants")


def test_the_api_publishes_an_answer_with_the_same_checks(app, client, world, db):
    from irritants.auth.api_tokens import create_token
    from irritants.auth.models import User

    user = db.scalar(select(User).where(User.email == "correspondant@caf.fr"))
    _token, raw = create_token(db, user, "outil")
    db.commit()
    db.rollback()
    headers = {"Authorization": f"Bearer {raw}"}
    url = f"/api/v1/clusters/{world['caf']}/answers"
    refused = client.post(url, json={"text": "Écrivez-nous à conseiller@caf.fr pour en savoir plus."}, headers=headers)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    other = client.post(f"/api/v1/clusters/{world['dgfip']}/answers", json={"text": ANSWER}, headers=headers)
    assert other.status_code == 404
    done = client.post(url, json={"text": ANSWER}, headers=headers)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["administration"] == "caf" and done.get_json()["text"] == ANSWER
    assert client.get(f"/api/v1/clusters/{world['caf']}").get_json()["answers"][0]["text"] == ANSWER
    assert len(answer_mails(db)) == 2
    stale = client.post(url, json={"text": ANSWER + " Merci.", "expected_version": 7}, headers=headers)
    assert stale.status_code == 409
