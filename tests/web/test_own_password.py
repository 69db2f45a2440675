"""« Changer mon mot de passe »: the current password required (and throttled as a sign-in), the house's password
rules, every other session of the agent ended, this one kept, an audit event; the same on ``/api/v1/me/password``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from irritants.audit.models import Event
from irritants.auth import services
from irritants.db import get_db
from irritants.referential.models import Administration
from tests.conftest import PASSWORD
from tests.web.test_auth_login import EMAIL, agent, csrf_token, post_login, reload, signed_in, text

NEW = "une toute nouvelle phrase de passe 7"
PAGE = "/agents/mot-de-passe"
T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


def change(client: FlaskClient, current: str = PASSWORD, new: str = NEW, confirmation: str | None = None) -> Any:
    data = {
        "csrf_token": csrf_token(client, PAGE),
        "current_password": current,
        "new_password": new,
        "new_password_confirmation": new if confirmation is None else confirmation,
    }
    return client.post(PAGE, data=data)


def password_events(app: Flask) -> list[Event]:
    with get_db(app).session_scope() as s:
        return list(s.scalars(select(Event).where(Event.action == "user.password_change")))


def still_the_old_password(app: Flask) -> bool:
    with get_db(app).session_scope() as s:
        return services.authenticate(s, EMAIL, PASSWORD) is not None


def test_the_page_is_a_french_form_linked_from_the_agents_space(app, client):
    agent(app)
    post_login(client)
    assert f'href="{PAGE}"' in text(client.get("/agents/"))

    page = text(client.get(PAGE))

    assert "<h1" in page and "Changer mon mot de passe" in page
    for field, autocomplete in (
        ("current_password", "current-password"),
        ("new_password", "new-password"),
        ("new_password_confirmation", "new-password"),
    ):
        assert f'<label class="fr-label" for="id_{field}">' in page
        assert f'id="id_{field}" name="{field}"' in page
        assert f'autocomplete="{autocomplete}"' in page
    assert 'name="csrf_token"' in page


def test_a_wrong_current_password_is_refused_next_to_its_field(app, client):
    agent(app)
    post_login(client)

    response = change(client, current="pas le bon mot de passe")

    assert response.status_code == 422
    page = text(response)
    assert "Mot de passe actuel incorrect." in page
    assert (
        'id="id_current_password" name="current_password" value="" required aria-required="true" aria-invalid="true"'
        in page
    )
    assert still_the_old_password(app) and password_events(app) == []
    assert signed_in(client)


def test_two_different_new_passwords_are_refused(app, client):
    agent(app)
    post_login(client)

    response = change(client, confirmation=NEW + "!")

    assert response.status_code == 422
    assert "Les deux saisies du nouveau mot de passe ne sont pas identiques." in text(response)
    assert 'href="#id_new_password_confirmation"' in text(response)
    assert still_the_old_password(app)


def test_a_new_password_breaking_the_house_rules_is_refused(app, client):
    agent(app)
    post_login(client)

    for weak, message in (
        ("court", "au moins 12 caractères"),
        ("aaaaaaaaaaaaaaaa", "trop prévisible"),
        (f"x{EMAIL}x", "ne doit pas contenir l'adresse électronique"),
        (PASSWORD, "différent du mot de passe actuel"),
    ):
        response = change(client, new=weak)
        assert response.status_code == 422, weak
        assert message in text(response), weak
    assert still_the_old_password(app) and password_events(app) == []


def test_common_passwords_and_the_service_s_own_words_are_refused(app, client):
    with get_db(app).session_scope() as s:
        s.add(Administration(slug="caisse-test", name="Caisse nationale des essais", acronym="CNESSAIS"))
        s.commit()
    agent(app)
    post_login(client)

    for weak, message in (
        ("qwerty123456", "figure parmi les plus courants"),
        ("motdepasse2026!", "à un mot de passe très courant"),
        ("Signalement2026!", "repose sur « signalement »"),
        ("irritants.beta.gouv.fr", "repose sur « irritants »"),
        ("cnessais-2026-75", "repose sur « CNESSAIS »"),
    ):
        response = change(client, new=weak)
        assert response.status_code == 422, weak
        assert message in text(response), weak
    assert still_the_old_password(app) and password_events(app) == []


def test_the_change_is_refused_without_the_csrf_token(app, client):
    agent(app)
    post_login(client)
    data = {"current_password": PASSWORD, "new_password": NEW, "new_password_confirmation": NEW}
    assert client.post(PAGE, data=data).status_code == 400
    assert still_the_old_password(app)


def test_a_change_ends_the_other_sessions_keeps_this_one_and_is_audited(app, client):
    agent(app)
    post_login(client)
    elsewhere = app.test_client()
    post_login(elsewhere)
    assert signed_in(elsewhere)
    epoch = reload(app).session_epoch

    response = change(client)

    assert response.status_code == 303 and response.headers["Location"] == "/agents/"
    assert "Votre mot de passe est changé." in text(client.get("/agents/"))
    assert signed_in(client)
    assert not signed_in(elsewhere)
    assert reload(app).session_epoch == epoch + 1
    assert not still_the_old_password(app)
    assert post_login(app.test_client(), password=NEW).status_code == 303
    [event] = password_events(app)
    assert event.subject_type == "user" and event.subject_id == reload(app).id
    assert NEW not in str(event.after) and "$argon2" not in str(event.after)


def test_wrong_current_passwords_count_as_failed_sign_ins(app, client):
    agent(app)
    with time_machine.travel(T0, tick=False):
        post_login(client)
        for _ in range(4):
            assert change(client, current="pas le bon mot de passe").status_code == 422
        fifth = change(client, current="pas le bon mot de passe")
        assert fifth.status_code == 429 and int(fifth.headers["Retry-After"]) == 60
        assert "patientez 1 minute avant de réessayer" in text(fifth)
        # During the wait even the right current password is not checked.
        assert change(client).status_code == 429
    assert still_the_old_password(app)


def test_an_agent_without_a_password_is_told_they_sign_in_with_proconnect(app, client, login):
    login("manager")

    assert "Vous vous connectez avec ProConnect" in text(client.get(PAGE))
    response = change(client, current="x")
    assert response.status_code == 422 and "ProConnect" in text(response)


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response.headers["Location"].startswith("/agents/connexion")


# --- API -----------------------------------------------------------------------------------------------------------


def api_token(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--email", EMAIL, "--name", "Script"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def api_change(client: FlaskClient, token: str, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/me/password", json=body, headers={"Authorization": f"Bearer {token}"})


def test_the_api_changes_the_password_and_ends_browser_sessions(app, client):
    agent(app)
    post_login(client)
    token = api_token(app)

    response = api_change(app.test_client(), token, {"current_password": PASSWORD, "new_password": NEW})

    assert response.status_code == 204
    assert not signed_in(client)
    assert not still_the_old_password(app)
    assert len(password_events(app)) == 1
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_api_answers_problems(app):
    agent(app)
    token = api_token(app)
    api = app.test_client()

    wrong = api_change(api, token, {"current_password": "pas le bon", "new_password": NEW})
    weak = api_change(api, token, {"current_password": PASSWORD, "new_password": "court"})
    missing = api_change(api, token, {"current_password": PASSWORD})

    for response in (wrong, weak, missing):
        assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert {"pointer": "#/current_password", "detail": "Mot de passe actuel incorrect."} in wrong.get_json()["errors"]
    assert any(e["pointer"] == "#/new_password" and "12 caractères" in e["detail"] for e in weak.get_json()["errors"])
    assert any(e["pointer"] == "#/new_password" for e in missing.get_json()["errors"])
    assert still_the_old_password(app) and password_events(app) == []


def test_the_api_refuses_anonymous_callers(client):
    response = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


def test_a_browser_session_on_the_api_needs_the_csrf_token_and_stays_signed_in(app, client):
    agent(app)
    post_login(client)
    elsewhere = app.test_client()
    post_login(elsewhere)
    body = {"current_password": PASSWORD, "new_password": NEW}

    assert client.post("/api/v1/me/password", json=body).status_code == 400
    assert still_the_old_password(app)

    response = client.post("/api/v1/me/password", json=body, headers={"X-CSRFToken": csrf_token(client, PAGE)})

    assert response.status_code == 204
    assert signed_in(client) and not signed_in(elsewhere)
    assert not still_the_old_password(app)
