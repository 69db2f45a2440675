"""Agents' sessions: sign-out that really ends them, idle and absolute time limits, cookie settings."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from flask import Response
from sqlalchemy import select

from irritants.auth.models import User
from irritants.config import load_config
from irritants.db import get_db
from irritants.public import browser
from tests.conftest import PASSWORD
from tests.web.test_auth_login import EMAIL, agent, csrf_token, post_login, reload, signed_in, text

START = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


def test_sign_out_ends_every_copy_of_the_session_cookie(app, client):
    agent(app)
    post_login(client)
    stolen = client.get_cookie("session", domain="irritants.test").value
    epoch = reload(app).session_epoch

    response = client.post("/agents/deconnexion", data={"csrf_token": csrf_token(client, "/agents/")})

    assert response.status_code == 303 and response.headers["Location"] == "/agents/connexion"
    assert "Vous êtes déconnecté(e)." in client.get("/agents/connexion").get_data(as_text=True)
    assert not signed_in(client)
    assert reload(app).session_epoch == epoch + 1
    replay = app.test_client()
    replay.set_cookie("session", stolen, domain="irritants.test")
    assert replay.get("/agents/").status_code == 302


def test_sign_out_needs_the_csrf_token(app, client):
    agent(app)
    post_login(client)
    assert client.post("/agents/deconnexion").status_code == 400
    assert signed_in(client)


def test_deactivating_an_account_ends_its_sessions(app, client):
    from irritants.auth import accounts

    agent(app)
    post_login(client)
    with get_db(app).session_scope() as s:
        accounts.deactivate_user(s, s.scalar(select(User).where(User.email == EMAIL)))
        s.commit()
    assert not signed_in(client)


def test_an_idle_session_ends_after_thirty_minutes(app, client):
    agent(app)
    with time_machine.travel(START, tick=False) as clock:
        post_login(client)
        for _ in range(3):  # activity keeps the session alive well beyond 30 minutes in total
            clock.shift(dt.timedelta(minutes=29))
            assert signed_in(client)

        clock.shift(dt.timedelta(minutes=31))
        response = client.get("/agents/")

        assert response.status_code == 303
        assert response.headers["Location"] == "/agents/connexion?next=/agents/"
        page = client.get(response.headers["Location"])
        assert "déconnecté(e) après 30 minutes d'inactivité" in text(page)
        assert not signed_in(client)
        with client.session_transaction() as sess:
            assert "_user_id" not in sess and "login_at" not in sess


def test_a_session_ends_after_twelve_hours_whatever_the_activity(app, client):
    agent(app)
    with time_machine.travel(START, tick=False) as clock:
        post_login(client)
        for _ in range(35):  # every 20 minutes for 11 h 40
            clock.shift(dt.timedelta(minutes=20))
            assert signed_in(client)
        clock.shift(dt.timedelta(minutes=21))

        response = client.get("/agents/")

        assert response.status_code == 303
        assert "une session dure au plus 12 heures" in text(client.get(response.headers["Location"]))


def test_an_expired_session_gets_a_401_problem_on_the_api(app, client):
    agent(app)
    with time_machine.travel(START, tick=False) as clock:
        post_login(client)
        assert client.get("/api/v1/me").status_code == 200
        clock.shift(dt.timedelta(minutes=45))
        response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert "inactivité" in response.get_json()["detail"]


def test_a_session_cookie_without_sign_in_times_is_not_accepted(app, client, login):
    user = login("product_owner")
    with client.session_transaction() as sess:
        del sess["login_at"]
    assert client.get("/agents/").status_code == 303
    assert user.id  # the account itself is untouched


def test_session_cookies_are_locked_down():
    settings = load_config({"ENV": "testing"})
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=12)
    assert settings["REMEMBER_COOKIE_HTTPONLY"] is True and settings["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert settings["REMEMBER_COOKIE_DURATION"] == dt.timedelta(hours=12)
    production = load_config({"ENV": "production", "SECRET_KEY": "x" * 40, "AGENT_SESSION_HOURS": 8})
    assert production["SESSION_COOKIE_SECURE"] is True and production["REMEMBER_COOKIE_SECURE"] is True
    assert production["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=8)


def test_the_session_cookie_is_http_only_and_same_site_lax(app, client):
    agent(app)
    response = post_login(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_header_offers_the_agents_space_and_sign_out(app, client):
    anonymous = client.get("/").get_data(as_text=True)
    assert 'href="/agents/connexion"' in anonymous and "Se déconnecter" not in anonymous
    agent(app)
    post_login(client)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/agents/"' in page and "Se déconnecter" in page
    assert 'action="/agents/deconnexion"' in page


HTTPS = "https://irritants.test"


def production_app(make_app, tmp_path):
    return make_app(
        ENV="production", INSTANCE_PATH=str(tmp_path), RATELIMIT_STORAGE_URI="memory://", PRELOAD_ENCODER=False
    )


def test_production_cookies_carry_the_host_prefix_path_slash_and_no_domain(make_app, tmp_path):
    app = production_app(make_app, tmp_path)
    agent(app)
    client = app.test_client()
    page = client.get("/agents/connexion", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token

    response = client.post(
        "/agents/connexion",
        data={"csrf_token": token.group(1), "email": EMAIL, "password": PASSWORD},
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/agents/connexion"},  # Flask-WTF checks it over HTTPS
    )

    assert response.status_code == 303
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"__Host-session", "__Secure-agent_device"}
    session_cookie = cookies["__Host-session"]
    assert "; Secure" in session_cookie and "; HttpOnly" in session_cookie and "; Path=/;" in session_cookie + ";"
    assert "Domain=" not in session_cookie
    assert "; Secure" in cookies["__Secure-agent_device"] and "Path=/agents" in cookies["__Secure-agent_device"]
    # The prefixed cookies are the ones read back: the agent is signed in, and the unprefixed name opens nothing.
    assert client.get("/agents/", base_url=HTTPS).status_code == 200
    stranger = app.test_client()
    stranger.set_cookie(
        "session", client.get_cookie("__Host-session", domain="irritants.test").value, domain="irritants.test"
    )
    assert "/agents/connexion" in stranger.get("/agents/", base_url=HTTPS).headers["Location"]


def test_the_production_browser_id_cookie_carries_the_host_prefix(make_app, tmp_path):
    app = production_app(make_app, tmp_path)
    with app.test_request_context("/", base_url=HTTPS):
        identifier, new = browser.browser_id()
        response = browser.remember_browser(Response(), identifier)
    header = response.headers["Set-Cookie"]
    assert new and header.startswith(f"__Host-irritants_personne={identifier};")
    assert "; Secure" in header and "; Path=/" in header and "Domain=" not in header
    with app.test_request_context("/", base_url=HTTPS, headers={"Cookie": f"__Host-irritants_personne={identifier}"}):
        assert browser.browser_id() == (identifier, False)


def test_plain_http_development_and_tests_keep_the_plain_names(app, client):
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert app.config["PERSON_COOKIE_NAME"] == "irritants_personne"
    assert app.config["DEVICE_COOKIE_NAME"] == "agent_device"
    settings = load_config({"ENV": "development", "SECRET_KEY": "x" * 40})
    assert (settings["SESSION_COOKIE_NAME"], settings["REMEMBER_COOKIE_NAME"]) == ("session", "remember_token")
    production = load_config({"ENV": "production", "SECRET_KEY": "x" * 40})
    assert production["REMEMBER_COOKIE_NAME"] == "__Host-remember_token"
