"""Personal API tokens: created from the CLI or the agents' space, used on ``/api/v1/me``, revoked, expired."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from irritants.audit.models import Event
from irritants.auth.models import ApiToken
from irritants.db import get_db
from tests.conftest import make_squad, make_user
from tests.web.test_auth_login import csrf_token, text

EMAIL = "lea.dubois@beta.gouv.fr"
START = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def owner(app: Flask) -> Any:
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        user = make_user(s, "product_owner", "squad_member", squads=[squad], email=EMAIL)
        s.commit()
        return user


def cli_token(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--email", EMAIL, "--name", "Tableau", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def me(client: FlaskClient, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get("/api/v1/me", headers=headers)


def stored(app: Flask) -> list[ApiToken]:
    with get_db(app).session_scope() as s:
        return list(s.scalars(select(ApiToken).order_by(ApiToken.id)))


def events(app: Flask, action: str) -> list[Event]:
    with get_db(app).session_scope() as s:
        return list(s.scalars(select(Event).where(Event.action == action)))


def test_a_cli_token_identifies_its_agent_on_the_api(app, client, owner):
    token = cli_token(app)

    response = me(client, token)

    assert response.status_code == 200
    assert response.get_json() == {
        "email": EMAIL,
        "name": "Agent Test",
        "roles": ["product_owner", "squad_member"],
        "squads": ["rendez-vous-préfecture"],
        "administration": None,
        "token_name": "Tableau",
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_only_the_hash_of_a_token_is_stored(app, owner):
    token = cli_token(app)
    (row,) = stored(app)
    assert token.startswith("irr_") and len(token) > 40
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:12]
    assert token not in {row.token_hash, row.prefix, row.name}
    assert row.expires_at is not None and row.expires_at - row.created_at == dt.timedelta(days=90)
    assert [e.subject_id for e in events(app, "token.create")] == [row.id]


@pytest.mark.parametrize(
    "header",
    [None, "Bearer irr_inconnu0000000000000000000000000000000", "Bearer pas-un-jeton", "Basic dXNlcjpwYXNz"],
    ids=["absent", "unknown", "malformed", "other-scheme"],
)
def test_calls_without_a_valid_token_get_a_401_problem(client, owner, header):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="irritants"')
    assert response.get_json()["status"] == 401


def test_an_unknown_token_is_named_invalid(client, owner):
    response = me(client, "irr_" + "x" * 43)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="irritants", error="invalid_token"'
    assert "invalide, expiré ou révoqué" in response.get_json()["detail"]


def test_a_revoked_token_stops_working(app, client, owner):
    token = cli_token(app)
    (row,) = stored(app)
    result = app.test_cli_runner().invoke(args=["tokens", "revoke", "--id", str(row.id)])
    assert result.exit_code == 0 and "révoqué" in result.output
    assert me(client, token).status_code == 401
    assert len(events(app, "token.revoke")) == 1


def test_an_expired_token_stops_working(app, client, owner):
    with time_machine.travel(START, tick=False) as clock:
        token = cli_token(app, "--days", "7")
        clock.shift(dt.timedelta(days=6, hours=23))
        assert me(client, token).status_code == 200
        clock.shift(dt.timedelta(hours=1))
        assert me(client, token).status_code == 401


def test_tokens_of_a_deactivated_agent_stop_working(app, client, owner):
    token = cli_token(app)
    result = app.test_cli_runner().invoke(args=["users", "deactivate", "--email", EMAIL])
    assert result.exit_code == 0
    assert me(client, token).status_code == 401


def test_last_use_is_noted_at_most_once_an_hour(app, client, owner):
    with time_machine.travel(START, tick=False) as clock:
        token = cli_token(app)
        assert stored(app)[0].last_used_at is None
        me(client, token)
        assert stored(app)[0].last_used_at == START
        clock.shift(dt.timedelta(minutes=59))
        me(client, token)
        assert stored(app)[0].last_used_at == START
        clock.shift(dt.timedelta(minutes=2))
        me(client, token)
        assert stored(app)[0].last_used_at == START + dt.timedelta(minutes=61)


def test_the_api_also_knows_a_signed_in_browser(client, login):
    user = login("manager")
    body = client.get("/api/v1/me").get_json()
    assert body["email"] == user.email and body["roles"] == ["manager"] and body["token_name"] is None


def test_the_openapi_document_declares_bearer_tokens(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    operation = spec["paths"]["/api/v1/me"]["get"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert "application/problem+json" in operation["responses"]["401"]["content"]


# --- the agents' space ------------------------------------------------------------------------------------------


def test_the_agents_space_shows_who_i_am(app, client, owner):
    from tests.conftest import sign_in

    sign_in(client, owner)
    html = client.get("/agents/").get_data(as_text=True)
    assert "Espace agents" in html and EMAIL in html
    assert "Responsable produit" in html and "Rendez-vous préfecture" in html
    assert 'href="/agents/irritants"' in html
    assert "Vous n’avez pas encore de jeton d’API." in html


def create_in_browser(client: FlaskClient, name: str = "Script de suivi", days: str = "30") -> Any:
    return client.post(
        "/agents/jetons", data={"csrf_token": csrf_token(client, "/agents/"), "name": name, "days": days}
    )


def test_a_token_created_in_the_browser_is_shown_once(app, client, owner):
    from tests.conftest import sign_in

    sign_in(client, owner)
    response = create_in_browser(client)

    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    match = re.search(r'id="id_new_token" value="(irr_[^"]+)"', response.get_data(as_text=True))
    assert match
    token = match.group(1)
    assert "il ne sera plus jamais affiché" in response.get_data(as_text=True)
    assert me(app.test_client(), token).get_json()["token_name"] == "Script de suivi"

    later = client.get("/agents/").get_data(as_text=True)
    assert token not in later and token[:12] in later and "Script de suivi" in later
    (event,) = events(app, "token.create")
    assert event.actor == EMAIL and event.subject_type == "token"


def test_the_token_form_explains_what_is_wrong(client, owner):
    from tests.conftest import sign_in

    sign_in(client, owner)
    response = create_in_browser(client, name="  ", days="")
    assert response.status_code == 422
    html = text(response)
    assert "Donnez un nom à ce jeton." in html and "Choisissez une durée de validité." in html
    too_long = text(create_in_browser(client, name="x" * 101, days="1000"))
    assert "ne doit pas dépasser 100 caractères" in too_long
    assert "Choisissez une durée de validité dans la liste." in too_long


def test_revoking_from_the_browser(app, client, owner):
    from tests.conftest import sign_in

    sign_in(client, owner)
    token = re.search(r'value="(irr_[^"]+)"', create_in_browser(client).get_data(as_text=True)).group(1)
    (row,) = stored(app)

    response = client.post(f"/agents/jetons/{row.id}/revocation", data={"csrf_token": csrf_token(client, "/agents/")})

    assert response.status_code == 303
    page = client.get("/agents/").get_data(as_text=True)
    assert "Le jeton est révoqué" in page and "Révoqué" in page
    assert me(app.test_client(), token).status_code == 401
    (event,) = events(app, "token.revoke")
    assert event.actor == EMAIL and event.subject_id == row.id
    again = client.post(f"/agents/jetons/{row.id}/revocation", data={"csrf_token": csrf_token(client, "/agents/")})
    assert again.status_code == 303 and len(events(app, "token.revoke")) == 1


def test_nobody_revokes_someone_else_s_token(app, client, owner, login):
    cli_token(app)
    (row,) = stored(app)
    login("admin")
    response = client.post(f"/agents/jetons/{row.id}/revocation", data={"csrf_token": csrf_token(client, "/agents/")})
    assert response.status_code == 404
    assert stored(app)[0].revoked_at is None


def test_a_token_does_not_open_the_agents_space(app, client, owner):
    token = cli_token(app)
    response = client.get("/agents/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
