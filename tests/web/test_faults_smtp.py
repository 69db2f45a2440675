"""An SMTP server down for an hour loses no mail: the citizens' acknowledgements queued meanwhile are tried again with
back-off, and each reaches the server exactly once when it accepts mail again — even after it first refused some
with « try later » replies. The hour passes on a controlled clock (nothing sleeps); the server is a real one on
127.0.0.1 (tests/smtp_server.py), started on the port that refused connections until then."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from typing import Any

import time_machine
from sqlalchemy import select

from irritants.db import get_db
from irritants.outbox import sender
from irritants.outbox.models import Delivery, OutboxAttempt, OutboxMessage
from tests.conftest import report_payload
from tests.smtp_server import free_port, smtp_server

START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
OUTAGE = dt.timedelta(hours=1)
CITIZENS = 3
MAX_ROUNDS = 30


def _messages(app: Any) -> list[OutboxMessage]:
    with get_db(app).read_sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _attempts(app: Any) -> dict[int, list[OutboxAttempt]]:
    with get_db(app).read_sessions() as session:
        rows = session.scalars(select(OutboxAttempt).order_by(OutboxAttempt.at, OutboxAttempt.id))
        by_message: dict[int, list[OutboxAttempt]] = {}
        for attempt in rows:
            by_message.setdefault(attempt.message_id, []).append(attempt)
        return by_message


def _until_nothing_is_due(app: Any, clock: Any, *, before: dt.datetime | None = None) -> None:
    """Move the clock to each next attempt (before ``before``, if given) and run the sender there, as the worker
    would."""
    for _ in range(MAX_ROUNDS):
        waiting = [m.next_attempt_at for m in _messages(app) if m.status is Delivery.PENDING]
        if not waiting or (before is not None and min(waiting) >= before):
            return
        clock.move_to(min(waiting))
        sender.send_due(app)
    raise AssertionError("the outbox never settled")


def test_an_hour_without_smtp_loses_no_mail_and_sends_each_once(make_app):
    port = free_port()  # nothing listens there for the first hour: connections are refused
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{port}")
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        for n in range(CITIZENS):
            created = client.post(
                "/api/v1/reports",
                json=report_payload(
                    description=f"Personne {n} : mon dossier est bloqué depuis des semaines, sans réponse.",
                    email=f"personne{n}@example.org",
                    contact_consent=True,
                ),
            )
            assert created.status_code == 201  # the citizen is not kept waiting by the mail server
        _until_nothing_is_due(app, clock, before=START + OUTAGE)
        assert all(m.status is Delivery.PENDING for m in _messages(app))  # an hour of refusals: nothing given up
        with smtp_server(port=port) as (recorder, _url):
            recorder.refuse("451 4.3.0 Surcharge temporaire, réessayez plus tard", times=2)
            _until_nothing_is_due(app, clock)
            received = Counter(recorder.message_ids())

    messages = _messages(app)
    assert len(messages) == CITIZENS
    assert all(m.status is Delivery.SENT for m in messages)
    domain = "irritants.localhost"
    assert received == Counter({f"<{m.message_id}@{domain}>": 1 for m in messages})  # each exactly once
    for message in messages:
        attempts = _attempts(app)[message.id]
        assert [a.ok for a in attempts][-1] and not any(a.ok for a in attempts[:-1])
        gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
        assert gaps == sorted(gaps) and gaps[0] >= dt.timedelta(minutes=1)  # back-off, never a tight loop
        assert sum(a.at < START + OUTAGE for a in attempts) >= 4  # tried all along the hour
        assert message.sent_at >= START + OUTAGE
