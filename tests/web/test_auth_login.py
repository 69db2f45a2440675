"""Password sign-in: the form, generic failures, throttling without account lockout (per address × network or
browser, per address for untrusted browsers, per IP), safe redirects, new sessions."""

from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import time_machine
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import text as text_sql

from irritants.auth import services
from irritants.auth.models import User
from irritants.db import get_db
from tests.conftest import PASSWORD, make_user

EMAIL = "camille.martin@beta.gouv.fr"
GENERIC = "Adresse électronique ou mot de passe incorrect."


def csrf_token(client: FlaskClient, path: str = "/agents/connexion") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def post_login(client: FlaskClient, email: str = EMAIL, password: str = PASSWORD, **extra: str) -> Any:
    data = {"csrf_token": csrf_token(client), "email": email, "password": password, **extra}
    return client.post("/agents/connexion", data=data)


def agent(app: Flask, email: str = EMAIL, password: str | None = PASSWORD, **fields: Any) -> User:
    with get_db(app).session_scope() as s:
        user = make_user(s, "product_owner", email=email, password=password)
        for key, value in fields.items():
            setattr(user, key, value)
        s.commit()
        return user


def reload(app: Flask, email: str = EMAIL) -> User:
    with get_db(app).session_scope() as s:
        return s.scalar(select(User).where(User.email == email))


def signed_in(client: FlaskClient) -> bool:
    return client.get("/agents/").status_code == 200


def text(response: Any) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def test_login_page_is_an_accessible_french_form(client):
    response = client.get("/agents/connexion")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr"' in html and "Connexion à l’espace agents" in html
    assert '<label class="fr-label" for="id_email">Adresse électronique</label>' in html
    assert '<label class="fr-label" for="id_password">Mot de passe</label>' in html
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html
    assert 'type="password"' in html and 'name="csrf_token"' in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "fr-connect--pro" not in html  # ProConnect is not configured here


def test_good_password_signs_in_and_goes_to_the_agents_space(app, client):
    agent(app)
    response = post_login(client, email="  Camille.Martin@BETA.gouv.fr ")
    assert response.status_code == 303
    assert response.headers["Location"] == "/agents/"
    home = client.get("/agents/")
    assert home.status_code == 200
    assert "Espace agents" in home.get_data(as_text=True)
    user = reload(app)
    assert user.last_login_at is not None
    with client.session_transaction() as sess:
        assert sess["_user_id"] == f"{user.id}.{user.session_epoch}"
        assert isinstance(sess["login_at"], float) and sess["login_at"] == sess["seen_at"]


@pytest.mark.parametrize(
    "case",
    ["wrong-password", "unknown-email", "deactivated", "proconnect-only"],
)
def test_every_failure_gets_the_same_generic_answer(app, client, case):
    if case == "deactivated":
        agent(app, active=False)
    elif case == "proconnect-only":
        agent(app, password=None)
    elif case == "wrong-password":
        agent(app)
    password = "mauvais mot de passe" if case == "wrong-password" else PASSWORD
    email = "personne@beta.gouv.fr" if case == "unknown-email" else EMAIL

    response = post_login(client, email=email, password=password)

    assert response.status_code == 422
    html = text(response)
    assert GENERIC in html and 'id="error-summary"' in html
    assert f'value="{email}"' in html  # the address is kept, the password never comes back
    assert password not in html
    assert not signed_in(client)


def test_empty_or_malformed_fields_get_specific_messages(client):
    response = post_login(client, email="", password="")
    html = text(response)
    assert response.status_code == 422
    assert "Saisissez votre adresse électronique." in html
    assert "Saisissez votre mot de passe." in html
    assert 'href="#id_email"' in html and 'aria-invalid="true"' in html

    malformed = text(post_login(client, email="camille.martin", password="x"))
    assert "Saisissez une adresse électronique valide, au format prenom.nom@exemple.gouv.fr." in malformed


def test_login_without_csrf_token_is_refused(app, client):
    agent(app)
    response = client.post("/agents/connexion", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 400
    assert not signed_in(client)


WRONG = "mauvais mot de passe"
UNKNOWN = "camille.marton@beta.gouv.fr"  # no account; as long as EMAIL, so that even Content-Length must match
ATTACKER = "203.0.113.7"
AGENT_NETWORK = "198.51.100.20"
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def client_from(app: Flask, address: str) -> FlaskClient:
    """A browser whose requests come from this IP address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_five_failures_from_one_network_make_it_wait_one_minute_then_twice_as_long_up_to_fifteen(app, client):
    agent(app)
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(4):
            assert post_login(client, password=WRONG).status_code == 422

        fifth = post_login(client, password=WRONG)
        assert fifth.status_code == 429 and int(fifth.headers["Retry-After"]) == 60
        assert "patientez 1 minute avant de réessayer" in text(fifth)
        assert "ce compte est bloqué" not in text(fifth)
        still = post_login(client)  # during the wait even the right password is not checked
        assert still.status_code == 429 and not signed_in(client)

        waits = []
        for _ in range(5):
            clock.shift(dt.timedelta(seconds=int(still.headers["Retry-After"]) + 1))
            still = post_login(client, password=WRONG)
            waits.append(int(still.headers["Retry-After"]))
        assert waits == [120, 240, 480, 900, 900]  # doubling, at most LOGIN_LOCK_MINUTES

        clock.shift(dt.timedelta(minutes=15, seconds=1))
        assert post_login(client).status_code == 303


def normalised(response: Any) -> tuple[Any, ...]:
    """An answer without what differs between any two requests (CSRF token, CSP nonce, request id) nor the echoed
    address."""
    body = response.get_data(as_text=True)
    body = re.sub(r'name="csrf_token" value="[^"]+"', "CSRF", body)
    body = re.sub(r'nonce="[^"]+"', "NONCE", body)
    body = body.replace(EMAIL, "ADDRESS").replace(UNKNOWN, "ADDRESS")
    headers = {
        k: v for k, v in response.headers.items() if k not in ("Set-Cookie", "Content-Security-Policy", "X-Request-ID")
    }
    return response.status_code, headers, body


def test_an_unknown_address_and_an_agent_s_address_get_identical_answers_all_along(app):
    agent(app)
    known, unknown = app.test_client(), app.test_client()
    # (password typed on the agent's address, seconds until the next attempt): waits of 60 s then 120 s begin at
    # the 5th and 6th failures, and the right password is tried while they run.
    steps = [(WRONG, 0)] * 4 + [(WRONG, 30), (PASSWORD, 31), (WRONG, 119), (PASSWORD, 2), (WRONG, 0)]
    statuses = []
    with time_machine.travel(T0, tick=False) as clock:
        for step, (password, later) in enumerate(steps):
            answer = normalised(post_login(known, password=password))
            assert answer == normalised(post_login(unknown, email=UNKNOWN, password=WRONG)), step
            statuses.append(answer[0])
            clock.shift(dt.timedelta(seconds=later))
    assert statuses == [422] * 4 + [429] * 5
    assert not signed_in(known)


def test_the_agent_signs_in_from_another_network_while_an_attacker_is_throttled(app):
    agent(app)
    attacker = client_from(app, ATTACKER)
    with time_machine.travel(T0, tick=False):
        statuses = [post_login(attacker, password=f"{WRONG} {i}").status_code for i in range(8)]
        assert statuses == [422] * 4 + [429] * 4
        assert post_login(attacker).status_code == 429  # the attacker's own network waits, even with the password

        colleague = client_from(app, AGENT_NETWORK)
        assert post_login(colleague).status_code == 303
        assert signed_in(colleague)


def test_a_browser_that_signed_in_before_is_not_slowed_by_guessing_spread_over_many_networks(make_app):
    app = make_app(LOGIN_ACCOUNT_MAX_FAILURES=12)
    agent(app)
    usual = client_from(app, AGENT_NETWORK)
    with time_machine.travel(T0, tick=False) as clock:
        assert post_login(usual).status_code == 303  # the agent's usual browser gets its device cookie
        usual.post("/agents/deconnexion", data={"csrf_token": csrf_token(usual, "/agents/")})
        assert usual.get_cookie("agent_device", domain="irritants.test", path="/agents") is not None

        clock.shift(dt.timedelta(days=3))
        for network in range(4):  # 3 failures from each of 4 networks: no network reaches its own limit
            botnet = client_from(app, f"192.0.2.{network + 1}")
            assert [post_login(botnet, password=WRONG).status_code for _ in range(3)][-1] in (422, 429)
        new_browser = client_from(app, "198.51.100.99")
        assert post_login(new_browser).status_code == 429  # browsers that never signed in to this address wait

        usual.environ_base["REMOTE_ADDR"] = "198.51.100.150"  # the agent's browser, from yet another network
        assert post_login(usual).status_code == 303
        assert signed_in(usual)


def test_a_burst_of_parallel_guesses_gets_no_more_password_checks_than_the_limit(app, monkeypatch):
    agent(app)
    checked = []
    real = services.authenticate

    def counting(*args: Any, **kwargs: Any) -> Any:
        checked.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "authenticate", counting)
    burst = 10
    ready = threading.Barrier(burst)

    def guess(i: int) -> int:
        client = client_from(app, ATTACKER)
        data = {"csrf_token": csrf_token(client), "email": EMAIL, "password": f"{WRONG} {i}"}
        ready.wait()
        return client.post("/agents/connexion", data=data).status_code

    with ThreadPoolExecutor(max_workers=burst) as pool:
        statuses = list(pool.map(guess, range(burst)))

    assert sorted(statuses) == [422] * 4 + [429] * 6
    assert len(checked) == 5  # the others were refused without their password being tried


def test_counters_name_no_address_nor_ip_and_are_forgotten_after_a_day(app, client, runner):
    agent(app)
    with time_machine.travel(T0, tick=False) as clock:
        post_login(client, password=WRONG)
        with get_db(app).session_scope() as s:
            rows = [tuple(map(str, row)) for row in s.execute(text_sql("SELECT * FROM login_throttles")).all()]
        assert rows and not any("camille" in v or "127.0.0.1" in v for row in rows for v in row)

        clock.shift(dt.timedelta(hours=25))
        assert "compteurs de tentatives de connexion supprimés" in runner.invoke(args=["purge-personal-data"]).output
        with get_db(app).session_scope() as s:
            assert s.scalar(text_sql("SELECT count(*) FROM login_throttles")) == 0


def test_a_success_resets_the_failure_count(app, client):
    agent(app)
    with time_machine.travel(T0, tick=False):
        for _ in range(4):
            post_login(client, password=WRONG)
        assert post_login(client).status_code == 303
        client.post("/agents/deconnexion", data={"csrf_token": csrf_token(client, "/agents/")})
        assert [post_login(client, password=WRONG).status_code for _ in range(4)] == [422] * 4


def test_failed_attempts_are_throttled_per_ip(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
    agent(app)
    client = app.test_client()
    # Successful sign-ins do not count: a whole office may share one address.
    for _ in range(3):
        assert post_login(client).status_code == 303
        client.post("/agents/deconnexion", data={"csrf_token": csrf_token(client, "/agents/")})
    statuses = [post_login(client, password="mauvais mot de passe").status_code for _ in range(3)]
    assert statuses == [422, 422, 422]

    blocked = post_login(client)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Trop de demandes" in text(blocked)
    assert not signed_in(client)


@pytest.mark.parametrize(
    "target",
    [
        "https://pirate.example/agents/",
        "//pirate.example/agents/",
        "/\\pirate.example",
        "javascript:alert(1)",
        "http:/pirate.example",
        "/agents/\r\nLocation: https://pirate.example",
        "agents/",
    ],
)
def test_next_never_leaves_the_site(app, client, target):
    agent(app)
    page = client.get("/agents/connexion", query_string={"next": target}).get_data(as_text=True)
    assert "pirate" not in page
    response = post_login(client, next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/agents/"


def test_next_brings_the_agent_back_to_a_local_page(app, client):
    agent(app)
    page = client.get("/agents/connexion?next=/agents/irritants%3Fstatut%3Dnew").get_data(as_text=True)
    assert 'name="next" value="/agents/irritants?statut=new"' in page
    response = post_login(client, next="/agents/irritants?statut=new")
    assert response.headers["Location"] == "/agents/irritants?statut=new"


def test_anonymous_visitors_are_sent_to_the_login_page_with_next(client):
    response = client.get("/agents/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/agents/connexion?next=/agents/")


def test_signing_in_starts_a_brand_new_session(app, client):
    agent(app)
    client.get("/agents/connexion")
    with client.session_transaction() as sess:
        sess["planted_by_an_attacker"] = "fixation"
        csrf_before = sess.get("csrf_token")
    cookie_before = client.get_cookie("session", domain="irritants.test").value

    post_login(client)

    with client.session_transaction() as sess:
        assert "planted_by_an_attacker" not in sess
        assert sess.get("csrf_token") != csrf_before
        assert "_user_id" in sess
    assert client.get_cookie("session", domain="irritants.test").value != cookie_before


def test_signed_in_agent_visiting_the_login_page_goes_home(app, client):
    agent(app)
    post_login(client)
    response = client.get("/agents/connexion")
    assert response.status_code == 303 and response.headers["Location"] == "/agents/"


def test_weak_hashes_are_upgraded_at_sign_in(app, client, production_password_hashing):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    agent(app, password=None, password_hash=weak)
    assert post_login(client).status_code == 303
    upgraded = reload(app).password_hash
    assert upgraded != weak and upgraded.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(upgraded)
