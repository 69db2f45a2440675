"""A report with a follow-up email gets an acknowledgement with its tracking link, queued with the report (form and
API) and sent through a real SMTP server right after the commit; no email (or no consent, refused by
the schema), a replay or a rollback: no mail."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from irritants.db import get_db
from irritants.intake.models import Source
from irritants.intake.services import submit_report
from irritants.notify.unsubscribe import token_for
from irritants.outbox.models import Delivery, OutboxMessage
from irritants.tokens import email_hmac
from tests.conftest import TEST_SECRET, report_payload
from tests.web.test_report_form import fill


@pytest.fixture
def app(make_app: Any, smtp: Any, smtp_recorder: Any) -> Any:
    return make_app(SMTP_URL=smtp.url)


def _messages(app: Any) -> list[OutboxMessage]:
    with get_db(app).read_sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_an_api_report_with_an_email_is_acknowledged_with_its_tracking_link(app: Any, smtp_recorder: Any) -> None:
    response = app.test_client().post(
        "/api/v1/reports", json=report_payload(email="Camille@example.org", contact_consent=True)
    )
    assert response.status_code == 201
    body = response.get_json()
    [message] = _messages(app)
    assert (message.topic, message.status, message.report_id is not None) == ("ack", Delivery.SENT, True)
    [mail] = smtp_recorder.messages
    assert mail["To"] == "Camille@example.org"
    assert mail["Subject"] == f"Votre signalement {body['reference']} a bien été reçu"
    tracking_url = f"http://irritants.test/suivi/{body['tracking_token']}"
    token = token_for(TEST_SECRET, email_hmac(TEST_SECRET, "camille@example.org"))
    assert mail["List-Unsubscribe"] == f"<http://irritants.test/desabonnement/{token}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert tracking_url in text and f'href="{tracking_url}"' in html
    assert body["reference"] in text and body["reference"] in html
    assert "http://irritants.test/donnees-personnelles#vos-droits" in text
    assert "Ceci est un message automatique" in text
    assert "<img" not in html and "#000091" in html
    assert re.search(r"Et maintenant", text)


def test_a_form_report_with_an_email_is_acknowledged(app: Any, smtp_recorder: Any) -> None:
    client = app.test_client()
    response = client.post("/", data=fill(client, email="dominique@example.org", contact_consent="y"))
    assert response.status_code == 303
    [mail] = smtp_recorder.messages
    assert mail["To"] == "dominique@example.org"
    assert "/suivi/" in mail.get_body(("plain",)).get_content()


def test_a_report_without_email_gets_no_mail(app: Any, smtp_recorder: Any) -> None:
    client = app.test_client()
    assert client.post("/api/v1/reports", json=report_payload()).status_code == 201
    assert _messages(app) == [] and smtp_recorder.messages == []


def test_a_replayed_submission_is_acknowledged_once(app: Any, smtp_recorder: Any) -> None:
    client = app.test_client()
    payload = report_payload(email="camille@example.org", contact_consent=True)
    for _ in range(2):
        response = client.post("/api/v1/reports", json=payload, headers={"Idempotency-Key": "cle-rejouee-0001"})
        assert response.status_code in (200, 201)
    assert len(_messages(app)) == 1 and len(smtp_recorder.messages) == 1


def test_a_rolled_back_submission_queues_no_acknowledgement(app: Any) -> None:
    with app.app_context(), get_db(app).session_scope() as session:
        submit_report(
            session,
            report_payload(email="camille@example.org", contact_consent=True),
            source=Source.API,
            secret_key=TEST_SECRET,
        )
        assert session.scalar(select(OutboxMessage.topic)) == "ack"  # queued in the transaction…
        session.rollback()
    assert _messages(app) == []  # …and gone with it


def test_erasing_a_citizen_forgets_their_mails(app: Any) -> None:
    client = app.test_client()
    client.post("/api/v1/reports", json=report_payload(email="camille@example.org", contact_consent=True))
    assert len(_messages(app)) == 1
    result = app.test_cli_runner().invoke(args=["erase-citizen", "Camille@Example.org"])
    assert result.exit_code == 0, result.output
    assert "1 courriel supprimé" in result.output
    assert _messages(app) == []
