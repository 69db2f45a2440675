"""Security events in the logs (ASVS 16.3.1–16.3.3): password sign-ins that succeed or fail, authorisations the
policy refuses, requests refused without a CSRF token; each names the agent by id, never by the address typed."""

from __future__ import annotations

from typing import Any

from tests.log_capture import json_lines
from tests.web.test_auth_login import EMAIL, agent, csrf_token, post_login

NOBODY = "personne.inconnue@beta.gouv.fr"


def security_lines(captured: Any, event: str) -> list[dict[str, Any]]:
    return [line for line in captured.parsed() if line["logger"] == "irritants.security" and line["event"] == event]


def test_a_failed_password_names_the_account_by_id_and_never_the_address(app, client):
    user = agent(app)
    with json_lines() as captured:
        assert post_login(client, password="pas le bon mot de passe 12").status_code == 422

    (line,) = security_lines(captured, "auth.password.failure")
    assert line["level"] == "WARNING" and line["agent_id"] == user.id
    assert len(line["account"]) == 16 and line["request_id"]
    assert EMAIL not in captured.text and "camille" not in captured.text


def test_a_failed_password_on_an_unknown_address_names_nobody(app, client):
    agent(app)
    with json_lines() as captured:
        assert post_login(client, email=NOBODY, password="pas le bon mot de passe 12").status_code == 422

    (line,) = security_lines(captured, "auth.password.failure")
    assert "agent_id" not in line and len(line["account"]) == 16
    assert "an address with no account" in line["message"]
    assert NOBODY not in captured.text and "inconnue" not in captured.text


def test_the_same_address_gets_the_same_account_hash_and_waits_are_logged(app, client):
    user = agent(app)
    with json_lines() as captured:
        for _ in range(6):
            post_login(client, password="pas le bon mot de passe 12")

    failures = security_lines(captured, "auth.password.failure")
    waits = security_lines(captured, "auth.password.throttled")
    # The fifth failure starts the wait: it and the sixth attempt are logged as waits.
    assert len(failures) == 4 and len(waits) == 2
    assert {line["account"] for line in failures + waits} == {failures[0]["account"]}
    assert waits[0]["agent_id"] == user.id
    assert EMAIL not in captured.text


def test_a_successful_password_sign_in_is_logged_with_the_agent_id(app, client):
    user = agent(app)
    with json_lines() as captured:
        assert post_login(client).status_code == 303

    (line,) = security_lines(captured, "auth.password.success")
    assert line["level"] == "INFO" and line["agent_id"] == user.id
    assert EMAIL not in captured.text


def test_a_refused_authorisation_names_the_agent_role_action_and_endpoint(app, client):
    user = agent(app)  # a product owner: managing accounts is the admins'
    post_login(client)
    with json_lines() as captured:
        assert client.get("/agents/comptes").status_code == 403

    (line,) = security_lines(captured, "authz.refused")
    assert line["level"] == "WARNING" and line["agent_id"] == user.id
    assert line["roles"] == ["product_owner"] and line["action"] == "user.manage"
    assert line["endpoint"] == "accounts.accounts_page"
    assert EMAIL not in captured.text


def test_a_403_decided_outside_the_policy_door_is_logged_once(app, client):
    agent(app)
    post_login(client)
    with json_lines() as captured:
        # API tokens open no page; here a token is sent to a page: refused before any view runs.
        assert client.get("/agents/", headers={"Authorization": "Bearer abc"}).status_code == 403

    (line,) = security_lines(captured, "authz.refused")
    assert line["endpoint"] == "auth.home" and "403" in line["message"]


def test_a_write_without_the_csrf_token_is_logged(app, client):
    agent(app)
    csrf_token(client)
    with json_lines() as captured:
        response = client.post("/agents/connexion", data={"email": EMAIL, "password": "x" * 12})

    assert response.status_code == 400
    (line,) = security_lines(captured, "csrf.refused")
    assert line["endpoint"] == "auth.login_post"
    assert EMAIL not in captured.text


def test_a_rate_limit_reached_is_logged(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute")
    agent(app)
    client = app.test_client()
    with json_lines() as captured:
        statuses = [post_login(client, password="mauvais mot de passe 12").status_code for _ in range(3)]

    assert statuses == [422, 422, 429]
    (line,) = security_lines(captured, "ratelimit.refused")
    assert line["level"] == "WARNING" and line["endpoint"] == "auth.login_post"
    assert EMAIL not in captured.text
