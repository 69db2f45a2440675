"""A squad's webhooks in the back-office: its product owners add an endpoint (its secret shown on that answer
only), read its delivery log, rotate the secret, suspend and resume, delete; refused forms say why in French and
write nothing; other agents are refused; every form needs its CSRF token."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from irritants.auth.services import agent_for
from irritants.db import get_db
from irritants.outbox import sender
from irritants.status import StatusKind
from irritants.triage import services as triage
from irritants.webhooks.models import WebhookEndpoint
from tests.conftest import make_cluster, make_squad
from tests.webhook_receiver import Receiver

PAGE = "/agents/equipes/rendez-vous-prefecture/webhooks"
HOOK = "https://outil.exemple.fr/irritants"


def text(response: Any) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')


def post(client: FlaskClient, path: str, data: Any, page: str = PAGE) -> Any:
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token, page
    return client.post(path, data={"csrf_token": token.group(1), **data})


@pytest.fixture
def squad(app) -> Any:
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous prefecture")
        s.commit()
        s.expunge(squad)
        return squad


def endpoints(app) -> list[WebhookEndpoint]:
    with get_db(app).session_scope() as s:
        rows = list(s.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
        s.expunge_all()
        return rows


def add(client: FlaskClient, url: str = HOOK, events: tuple[str, ...] = ("irritant.status_changed",)) -> Any:
    return post(client, PAGE, {"url": url, "events": list(events)})


def test_a_product_owner_adds_a_webhook_and_sees_its_secret_once(app, client, login, squad):
    login("product_owner", squads=[squad])
    response = add(client, events=("irritant.status_changed", "item.state_changed"))
    assert response.status_code == 201
    html = text(response)
    secret = re.search(r'id="id_secret" value="(whsec_[^"]+)"', html).group(1)
    assert "il ne sera plus jamais affiché" in html
    [endpoint] = endpoints(app)
    assert (endpoint.url, endpoint.events) == (HOOK, ["irritant.status_changed", "item.state_changed"])
    again = text(client.get(PAGE))
    assert secret not in again and f"{secret[:10]}…" in again and HOOK in again


def test_the_squads_page_links_to_its_webhooks_for_its_product_owners_only(app, client, login, squad):
    login("product_owner", squads=[squad])
    assert PAGE in text(client.get("/agents/equipes/rendez-vous-prefecture"))
    login("squad_member", squads=[squad])
    assert PAGE not in text(client.get("/agents/equipes/rendez-vous-prefecture"))


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"url": "http://outil.exemple.fr/", "events": ["item.state_changed"]}, "url", "https://"),
        ({"url": "https://192.168.0.10/", "events": ["item.state_changed"]}, "url", "privée"),
        ({"url": HOOK}, "events", "Choisissez au moins un événement"),
        ({"url": "", "events": ["item.state_changed"]}, "url", "obligatoire"),
    ],
)
def test_a_refused_form_says_why_next_to_its_field_and_keeps_what_was_typed(
    app, client, login, squad, form, field, message
):
    login("product_owner", squads=[squad])
    response = post(client, PAGE, form)
    assert response.status_code == 422
    html = text(response)
    assert 'id="error-summary"' in html and message in html and f'href="#id_{field}"' in html
    if form.get("url"):
        assert f'value="{form["url"]}"' in html
    assert endpoints(app) == []


def test_the_endpoint_page_shows_the_delivery_log_and_its_buttons_work(make_app, login, squad):
    receiver = Receiver()
    try:
        app = make_app(WEBHOOK_ALLOW_PRIVATE=True)
        client = app.test_client()
        user = login("product_owner", squads=[squad], on=client)
        assert add(client, receiver.url).status_code == 201
        [endpoint] = endpoints(app)
        page = f"{PAGE}/{endpoint.id}"
        assert "Aucun envoi pour l’instant." in text(client.get(page))
        with get_db(app).session_scope() as s:
            cluster = make_cluster(s, squad_id=squad.id, status="planned")
            triage.change_status(s, agent_for(s, s.get(type(user), user.id)), cluster.id, StatusKind.IN_PROGRESS)
            s.commit()
        receiver.answer(500)
        sender.send_due(app, worker_id="test")
        html = text(client.get(page))
        assert "irritant.status_changed" in html and "En attente" in html and "HTTP 500" in html

        rotated = post(client, f"{page}/secret", {}, page=page)
        assert rotated.status_code == 200 and "Nouveau secret" in text(rotated)
        assert endpoints(app)[0].secret_prefix != endpoint.secret_prefix

        suspended = post(client, f"{page}/activation", {"active": "0"}, page=page)
        assert suspended.status_code == 303
        assert not endpoints(app)[0].active and "Reprendre les envois" in text(client.get(page))
        assert post(client, f"{page}/activation", {"active": "1"}, page=page).status_code == 303
        assert endpoints(app)[0].active

        deleted = post(client, f"{page}/suppression", {}, page=page)
        assert deleted.status_code == 303 and deleted.headers["Location"].endswith(PAGE)
        assert endpoints(app) == []
        assert client.get(page).status_code == 404
    finally:
        receiver.close()


@pytest.mark.parametrize("roles", [("squad_member",), ("manager",), ("product_owner",)])
def test_other_agents_are_refused(app, client, login, squad, roles):
    with get_db(app).session_scope() as s:
        other = make_squad(s, "Aides au logement")
        s.commit()
        s.expunge(other)
    login(*roles, squads=[squad] if roles == ("squad_member",) else [other] if roles == ("product_owner",) else [])
    assert client.get(PAGE).status_code == 403


def test_anonymous_callers_are_sent_to_sign_in(client, squad):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/agents/connexion" in response.headers["Location"]


def test_the_forms_need_their_csrf_token(app, client, login, squad):
    login("admin")
    response = client.post(PAGE, data={"url": HOOK, "events": ["item.state_changed"]})
    assert response.status_code == 400
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
