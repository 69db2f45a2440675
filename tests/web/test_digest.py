"""The agents' daily digest: « Mes notifications » chooses squads (one's own) and administrations; ``irritants
send-digest`` mails, through a real SMTP server, one digest per agent with the day's new irritants of those scopes,
nothing on an empty day, nothing twice for a day; the signed one-click link ends the subscriptions."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from irritants import periodic
from irritants.db import get_db
from irritants.notify.models import DigestSubscription
from irritants.outbox.models import OutboxMessage
from irritants.referential.models import Administration
from tests.conftest import make_cluster, make_squad, make_user, sign_in
from tests.web.test_auth_login import csrf_token, text

DAY = dt.date(2026, 11, 30)
NOON = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


@pytest.fixture
def app(make_app: Any, smtp: Any, smtp_recorder: Any) -> Flask:
    return make_app(SMTP_URL=smtp.url)


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    with get_db(app).session_scope() as s:
        caf = s.scalar(select(Administration).where(Administration.slug == "caf"))
        other = s.scalar(select(Administration).where(Administration.slug != "caf").order_by(Administration.id))
        mine, theirs = make_squad(s, "Rendez-vous préfecture"), make_squad(s, "Aides au logement")
        agent = make_user(s, "product_owner", squads=[mine], email="camille@beta.gouv.fr")
        ids = {
            "agent": agent.id,
            "mine": mine.id,
            "theirs": theirs.id,
            "caf": caf.id,
            "in_squad": make_cluster(s, "Créneaux introuvables", squad_id=mine.id, created_at=NOON, score=8.5).id,
            "in_caf": make_cluster(s, "Attestation CAF bloquée", main_administration_id=caf.id, created_at=NOON).id,
            "elsewhere": make_cluster(s, "Logement sans réponse", squad_id=theirs.id, created_at=NOON).id,
            "other_admin": make_cluster(s, "Impôts muets", main_administration_id=other.id, created_at=NOON).id,
            "day_before": make_cluster(
                s, "Ancien irritant", squad_id=mine.id, created_at=NOON - dt.timedelta(days=1)
            ).id,
        }
        s.commit()
        ids["user"] = agent
    return ids


def subscribe(app: Flask, user_id: int, *, squads: tuple[int, ...] = (), administrations: tuple[int, ...] = ()) -> None:
    with get_db(app).session_scope() as s:
        s.add_all(DigestSubscription(user_id=user_id, squad_id=squad) for squad in squads)
        s.add_all(DigestSubscription(user_id=user_id, administration_id=a) for a in administrations)
        s.commit()


def send(app: Flask, day: dt.date = DAY) -> str:
    result = app.test_cli_runner().invoke(args=["send-digest", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def digests(app: Flask) -> list[OutboxMessage]:
    with get_db(app).read_sessions() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "digest")))


def test_anonymous_callers_are_sent_to_sign_in(app: Flask) -> None:
    response = app.test_client().get("/agents/notifications")
    assert response.status_code in (302, 303) and "/agents/connexion" in response.headers["Location"]


def test_an_agent_chooses_their_squads_and_administrations(app: Flask, world: dict[str, Any]) -> None:
    client = app.test_client()
    sign_in(client, world["user"])
    page = text(client.get("/agents/notifications"))
    assert "Rendez-vous préfecture" in page and "Aides au logement" not in page
    data = {
        "csrf_token": csrf_token(client, "/agents/notifications"),
        "squads": [str(world["mine"]), str(world["theirs"])],  # not their squad: ignored
        "administrations": [str(world["caf"])],
    }
    assert client.post("/agents/notifications", data=data).status_code == 303
    with get_db(app).read_sessions() as s:
        rows = s.scalars(select(DigestSubscription).where(DigestSubscription.user_id == world["agent"])).all()
        assert {(r.squad_id, r.administration_id) for r in rows} == {(world["mine"], None), (None, world["caf"])}
    assert re.search(
        rf'value="{world["caf"]}" id="administration-{world["caf"]}" checked', text(client.get("/agents/notifications"))
    )


def test_the_digest_lists_the_days_new_irritants_of_the_subscriptions_once(
    app: Flask, world: dict[str, Any], smtp_recorder: Any
) -> None:
    subscribe(app, world["agent"], squads=(world["mine"],), administrations=(world["caf"],))
    assert "1 résumé mis" in send(app)
    [mail] = smtp_recorder.messages
    assert mail["To"] == "camille@beta.gouv.fr" and mail["Subject"] == "2 nouveaux irritants le 30/11/2026"
    body = mail.get_body(("plain",)).get_content()
    assert "Créneaux introuvables" in body and "Attestation CAF bloquée" in body
    assert body.index("Créneaux introuvables") < body.index("Attestation CAF bloquée")  # best score first
    for absent in ("Logement sans réponse", "Impôts muets", "Ancien irritant"):
        assert absent not in body
    assert f"http://irritants.test/agents/irritants/{world['in_squad']}" in body
    assert "score 8.5" in body and "3 signalements" in body
    html = mail.get_body(("html",)).get_content()
    assert f'href="http://irritants.test/agents/irritants/{world["in_caf"]}"' in html
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Idempotent: the same day again queues nothing.
    assert "0 résumé mis" in send(app)
    assert len(digests(app)) == 1 and len(smtp_recorder.messages) == 1


def test_an_empty_day_or_no_subscription_sends_nothing(app: Flask, world: dict[str, Any], smtp_recorder: Any) -> None:
    send(app)
    subscribe(app, world["agent"], squads=(world["mine"],))
    send(app, DAY + dt.timedelta(days=1))
    assert digests(app) == [] and smtp_recorder.messages == []


def test_a_digest_covers_a_paris_day(app: Flask, world: dict[str, Any], smtp_recorder: Any) -> None:
    with get_db(app).session_scope() as s:
        # 00:30 in Paris on 30 November, and 00:30 in Paris on 1 December (both 23:30 UTC the day before).
        make_cluster(
            s, "Début de journée", squad_id=world["mine"], created_at=dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)
        )
        make_cluster(
            s, "Lendemain", squad_id=world["mine"], created_at=dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
        )
        s.commit()
    subscribe(app, world["agent"], squads=(world["mine"],))
    send(app)
    [mail] = smtp_recorder.messages
    body = mail.get_body(("plain",)).get_content()
    assert "Début de journée" in body and "Créneaux introuvables" in body and "Lendemain" not in body


def test_the_one_click_link_ends_the_subscriptions(app: Flask, world: dict[str, Any], smtp_recorder: Any) -> None:
    subscribe(app, world["agent"], squads=(world["mine"],), administrations=(world["caf"],))
    send(app)
    [mail] = smtp_recorder.messages
    url = mail["List-Unsubscribe"].strip("<>")
    assert url in mail.get_body(("plain",)).get_content()
    path = url.removeprefix("http://irritants.test")
    client = app.test_client()
    assert client.get(path).status_code == 200  # a GET only shows the button
    with get_db(app).read_sessions() as s:
        assert len(s.scalars(select(DigestSubscription)).all()) == 2
    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert done.status_code == 200 and "C’est fait" in text(done)
    with get_db(app).read_sessions() as s:
        assert s.scalars(select(DigestSubscription)).all() == []
    forged = client.post(path[:-3] + "xyz", data={"csrf_token": csrf_token(client, path)})
    assert forged.status_code == 404


def test_the_daily_job_sends_yesterdays_digest(app: Flask, world: dict[str, Any], smtp_recorder: Any) -> None:
    subscribe(app, world["agent"], squads=(world["mine"],))
    morning = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    with time_machine.travel(morning, tick=False):
        assert "digest" in periodic.periodic_jobs(app)
        periodic.run_periodic(app, now=morning)
    [message] = digests(app)
    assert message.ref == f"digest:{world['agent']}:2026-11-30"
