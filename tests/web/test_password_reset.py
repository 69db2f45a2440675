"""« Mot de passe oublié ? »: the link is mailed through a real SMTP server, works once and for a short while, sets a
password under the usual rules and ends every session; the page answers alike for unknown addresses, closed or
ProConnect-only accounts (which get no mail), and requests are limited per network and per address."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from irritants.audit.models import Event
from irritants.auth.models import LoginThrottle, PasswordReset
from irritants.db import get_db
from tests.conftest import PASSWORD, sign_in
from tests.web.test_auth_login import EMAIL, agent, csrf_token, post_login, reload, signed_in, text

NEW = "une phrase de passe toute neuve 2026"
FORGOT = "/agents/mot-de-passe-oublie"


@pytest.fixture
def app(make_app: Any, smtp: Any, smtp_recorder: Any) -> Flask:
    return make_app(SMTP_URL=smtp.url)


def ask(client: FlaskClient, email: str = EMAIL) -> Any:
    return client.post(FORGOT, data={"csrf_token": csrf_token(client, FORGOT), "email": email})


def link_in(mail: Any) -> str:
    body = mail.get_body(("plain",)).get_content()
    match = re.search(r"http://irritants\.test(/agents/mot-de-passe-oublie/[A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def choose(client: FlaskClient, path: str, password: str = NEW, confirmation: str | None = None) -> Any:
    data = {
        "csrf_token": csrf_token(client, FORGOT),  # the session's token, also when the link's page is gone
        "new_password": password,
        "new_password_confirmation": password if confirmation is None else confirmation,
    }
    return client.post(path, data=data)


def test_the_sign_in_page_links_to_the_forgotten_password_page(client: FlaskClient) -> None:
    assert f'href="{FORGOT}"' in text(client.get("/agents/connexion"))
    page = client.get(FORGOT)
    assert page.status_code == 200 and "Mot de passe oublié" in text(page)


def test_a_reset_by_email_sets_the_password_ends_sessions_and_works_once(app: Flask, smtp_recorder: Any) -> None:
    agent(app, name="Camille Martin")
    other_browser = app.test_client()
    sign_in(other_browser, reload(app))
    client = app.test_client()

    answer = ask(client, EMAIL.upper())
    assert answer.status_code == 200 and "Si un compte avec mot de passe existe" in text(answer)
    [mail] = smtp_recorder.messages
    assert mail["To"] == EMAIL and mail["Subject"] == "Choisir un nouveau mot de passe"
    path = link_in(mail)
    html = mail.get_body(("html",)).get_content()
    assert f'href="http://irritants.test{path}"' in html and "30 minutes" in html
    with get_db(app).read_sessions() as s:
        [stored] = s.scalars(select(PasswordReset))
        assert stored.token_hash != path.rsplit("/", 1)[1]  # only a hash is kept

    response = choose(client, path)
    assert response.status_code == 303 and response.headers["Location"].endswith("/agents/connexion")
    assert not signed_in(other_browser)
    assert post_login(client, password=PASSWORD).status_code == 422
    assert post_login(client, password=NEW).status_code == 303
    # Single use: the link is dead now, for the form and the page alike.
    assert app.test_client().get(path).status_code == 404
    assert choose(app.test_client(), path, "encore un autre mot de passe 77").status_code == 404
    assert post_login(app.test_client(), password=NEW).status_code == 303
    with get_db(app).read_sessions() as s:
        [event] = s.scalars(select(Event).where(Event.action == "user.password_reset_by_email"))
        assert path.rsplit("/", 1)[1] not in str(event.after)
        assert s.scalars(select(PasswordReset)).all() == []


def test_the_new_password_follows_the_usual_rules_and_the_link_survives_a_mistake(
    app: Flask, smtp_recorder: Any
) -> None:
    agent(app)
    client = app.test_client()
    ask(client)
    path = link_in(smtp_recorder.messages[0])
    short = choose(client, path, "court")
    assert short.status_code == 422 and "au moins 12 caractères" in text(short)
    mismatch = choose(client, path, NEW, "une autre phrase de passe 2026")
    assert mismatch.status_code == 422 and "différents" in text(mismatch)
    with_email = choose(client, path, f"{EMAIL} et encore")
    assert with_email.status_code == 422
    assert choose(client, path).status_code == 303
    assert post_login(app.test_client(), password=NEW).status_code == 303


def test_an_expired_link_is_refused(app: Flask, smtp_recorder: Any) -> None:
    agent(app)
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        ask(app.test_client())
    path = link_in(smtp_recorder.messages[0])
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        client = app.test_client()
        page = client.get(path)
        assert page.status_code == 404 and "Lien expiré ou déjà utilisé" in text(page)
        assert choose(client, path).status_code == 404
    assert post_login(app.test_client(), password=PASSWORD).status_code == 303


def test_a_new_password_ends_every_other_link(app: Flask, smtp_recorder: Any) -> None:
    agent(app)
    ask(app.test_client())
    ask(app.test_client())
    first, second = (link_in(mail) for mail in smtp_recorder.messages)
    assert choose(app.test_client(), second).status_code == 303
    assert app.test_client().get(first).status_code == 404


@pytest.mark.parametrize(
    "email, fields",
    [
        ("personne@beta.gouv.fr", None),  # no account
        (EMAIL, {"active": False}),  # closed account
        (EMAIL, {"password_hash": None}),  # ProConnect only
    ],
)
def test_the_answer_is_the_same_and_no_mail_leaves_without_an_open_password_account(
    app: Flask, smtp_recorder: Any, email: str, fields: dict[str, Any] | None
) -> None:
    agent(app)
    reference = text(ask(app.test_client()))
    smtp_recorder.clear()
    if fields is not None:
        with get_db(app).session_scope() as s:
            user = s.merge(reload(app))
            for key, value in fields.items():
                setattr(user, key, value)
            s.commit()
    answer = ask(app.test_client(), email)
    assert answer.status_code == 200
    strip = lambda html: re.sub(r'value="[^"]+"|nonce="[^"]+"|[^\s<>]+@[^\s<>]+', "", html)  # noqa: E731
    assert strip(text(answer)) == strip(reference)
    assert smtp_recorder.messages == []


def test_links_per_address_are_capped(app: Flask, smtp_recorder: Any) -> None:
    agent(app)
    answers = [ask(app.test_client()).status_code for _ in range(5)]
    assert answers == [200] * 5
    assert len(smtp_recorder.messages) == 3


def test_requests_are_rate_limited_per_network(make_app: Any, smtp: Any, smtp_recorder: Any) -> None:
    app = make_app(SMTP_URL=smtp.url, RATELIMIT_ENABLED=True, RATELIMIT_PASSWORD_RESET="2 per minute")
    client = app.test_client()
    assert [ask(client, f"agent{i}@beta.gouv.fr").status_code for i in range(3)] == [200, 200, 429]


def test_a_reset_lifts_the_sign_in_wait_of_the_address(app: Flask, smtp_recorder: Any) -> None:
    agent(app)
    attacker = app.test_client()
    for _ in range(6):
        post_login(attacker, password="mauvais mot de passe")
    assert post_login(attacker, password=PASSWORD).status_code == 429
    ask(app.test_client())
    with get_db(app).read_sessions() as s:
        before = len(s.scalars(select(LoginThrottle)).all())
    assert choose(app.test_client(), link_in(smtp_recorder.messages[0])).status_code == 303
    with get_db(app).read_sessions() as s:
        assert len(s.scalars(select(LoginThrottle)).all()) < before


def test_the_form_needs_its_csrf_token(app: Flask, smtp_recorder: Any) -> None:
    agent(app)
    assert app.test_client().post(FORGOT, data={"email": EMAIL}).status_code == 400
    assert smtp_recorder.messages == []
