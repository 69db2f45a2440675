"""Agents ask a report's author a question from the irritant's page; the author answers on their tracking page and
the answer shows on the irritant's page. Neither side sees the other's address."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from irritants import events
from irritants.audit.models import Event
from irritants.conversations.models import Direction, ReportMessage
from irritants.db import get_db
from tests.conftest import make_cluster, make_squad, make_user, sign_in
from tests.web.test_citizen_followup import ADDRESS, filed, post

QUESTION = "Depuis quand le site refuse-t-il votre dossier ?"


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


@pytest.fixture
def asked():
    """The (message, report) of each question asked (what the mail's receiver is given)."""
    seen: list[tuple[int, int]] = []

    def receiver(_session, **kwargs):
        seen.append((kwargs["message_id"], kwargs["report_id"]))

    events.question_asked.connect(receiver)
    yield seen
    events.question_asked.disconnect(receiver)


@pytest.fixture
def world(app, client, db):
    """An irritant of a squad with a report followed by an address and one without; its product owner and another
    squad's (as the test client signs them in)."""
    squad = make_squad(db)
    cluster = make_cluster(db, reports=1, squad_id=squad.id)
    po = make_user(db, "product_owner", squads=[squad])
    other = make_user(db, "product_owner", squads=[make_squad(db, "Aides au logement")])
    signed = {
        name: SimpleNamespace(get_id=lambda v=u.get_id(): v, email=u.email)
        for name, u in (("po", po), ("other", other))
    }
    cluster_id = cluster.id
    token, report_id = filed(client, db, cluster)
    _, silent_id = filed(client, db, cluster, email=None)
    db.rollback()
    return {"cluster": cluster_id, "token": token, "report": report_id, "silent": silent_id, **signed}


def page(client, cluster_id: int) -> str:
    response = client.get(f"/agents/irritants/{cluster_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_question_reaches_the_author_and_their_reply_comes_back_on_the_irritants_page(app, client, db, world, asked):
    agents = app.test_client()
    sign_in(agents, world["po"])
    url = f"/agents/irritants/{world['cluster']}"
    html = page(agents, world["cluster"])
    assert "a une adresse de suivi" in html
    assert ADDRESS not in html
    options = re.findall(r'<select class="fr-select" id="questions-signalement".*?</select>', html, re.S)[0]
    assert f'value="{world["report"]}"' in options and f'value="{world["silent"]}"' not in options

    response = post(agents, f"{url}/questions", {"signalement": str(world["report"]), "question": QUESTION}, url)
    assert response.status_code == 303
    message_id = db.scalar(select(ReportMessage.id).where(ReportMessage.direction == Direction.TO_REPORTER))
    assert asked == [(message_id, world["report"])]
    db.rollback()

    tracking = client.get(f"/suivi/{world['token']}").get_data(as_text=True)
    assert "Question de l’équipe" in tracking and QUESTION in tracking
    assert world["po"].email not in tracking
    assert f'name="question" value="{message_id}"' in tracking
    reply = {"question": str(message_id), "body": "Depuis mars ; mon numéro est le 06 12 34 56 78."}
    assert post(client, f"/suivi/{world['token']}/messages", reply, f"/suivi/{world['token']}").status_code == 303

    html = page(agents, world["cluster"])
    assert "Réponse de la personne" in html and "Depuis mars" in html and "(répondue)" in html
    assert ADDRESS not in html
    events_logged = db.scalars(select(Event.action).where(Event.subject_id == world["report"])).all()
    assert {"report.question", "report.reply"} <= set(events_logged)
    db.rollback()

    # An agent who may not moderate this irritant's reports reads the reply redacted.
    manager = app.test_client()
    sign_in(manager, make_user(db, "manager"))
    db.commit()
    seen = page(manager, world["cluster"])
    assert "Depuis mars" in seen and "06 12 34 56 78" not in seen


def test_no_question_to_a_report_without_address_nor_from_another_squads_product_owner(app, db, world, asked):
    agents = app.test_client()
    sign_in(agents, world["po"])
    url = f"/agents/irritants/{world['cluster']}"
    refused = post(agents, f"{url}/questions", {"signalement": str(world["silent"]), "question": QUESTION}, url)
    assert refused.status_code == 422
    assert "ne peut pas recevoir de question" in refused.get_data(as_text=True)

    outsider = app.test_client()
    sign_in(outsider, world["other"])
    assert "Envoyer la question" not in page(outsider, world["cluster"])
    denied = post(outsider, f"{url}/questions", {"signalement": str(world["report"]), "question": QUESTION}, url)
    assert denied.status_code == 403
    assert asked == []
    assert db.scalar(select(ReportMessage.id)) is None


def test_asking_needs_the_csrf_token(app, db, world, asked):
    agents = app.test_client()
    sign_in(agents, world["po"])
    url = f"/agents/irritants/{world['cluster']}/questions"
    response = agents.post(url, data={"signalement": str(world["report"]), "question": QUESTION})
    assert response.status_code == 400
    assert asked == []


def test_no_question_to_an_author_who_unsubscribed(app, client, db, world, asked):
    unsubscribed = client.post(f"/suivi/{world['token']}/desabonnement", data={"csrf_token": csrf(client, world)})
    assert unsubscribed.status_code == 303
    agents = app.test_client()
    sign_in(agents, world["po"])
    url = f"/agents/irritants/{world['cluster']}"
    refused = post(agents, f"{url}/questions", {"signalement": str(world["report"]), "question": QUESTION}, url)
    assert refused.status_code == 422
    shown = refused.get_data(as_text=True)
    assert "ne veut plus recevoir de messages" in shown
    assert asked == []


def csrf(client, world) -> str:
    page = client.get(f"/suivi/{world['token']}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
