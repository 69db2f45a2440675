"""The outbox against a real SMTP server on 127.0.0.1: queued in the caller's transaction, delivered at least once
with a stable Message-ID, never by two senders, retried with back-off, given up after the cap."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import select, update

from irritants.db import get_db, utcnow
from irritants.outbox import sender, services
from irritants.outbox.models import Delivery, OutboxAttempt, OutboxMessage
from irritants.outbox.services import Mail
from irritants.outbox.transports import RetryPolicy, register_transport, send_mail
from tests.conftest import make_report


def _queue(app: Any, count: int = 1, **kwargs: Any) -> list[int]:
    with get_db(app).session_scope() as session:
        ids = [
            services.queue_mail(
                session,
                Mail(to=f"personne{i}@example.org", subject=f"Objet {i}", text="Bonjour", html="<p>Bonjour</p>"),
                topic="test",
                **kwargs,
            ).id
            for i in range(count)
        ]
        session.commit()
    return ids


def _message(app: Any, message_id: int) -> OutboxMessage:
    with get_db(app).read_sessions() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message


def _attempts(app: Any, message_id: int) -> list[OutboxAttempt]:
    with get_db(app).read_sessions() as session:
        return list(session.scalars(select(OutboxAttempt).where(OutboxAttempt.message_id == message_id)))


def _make_due(app: Any, message_id: int) -> None:
    with get_db(app).session_scope() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(next_attempt_at=utcnow()))
        session.commit()


@pytest.fixture
def smtp_app(make_app: Any, smtp: Any, smtp_recorder: Any) -> Any:
    return make_app(SMTP_URL=smtp.url)


def test_a_rolled_back_transaction_queues_nothing(smtp_app: Any, smtp_recorder: Any) -> None:
    with get_db(smtp_app).session_scope() as session:
        services.queue_mail(session, Mail(to="a@example.org", subject="Non", text="Non"), topic="test")
        session.rollback()
    assert sender.send_due(smtp_app).total == 0
    with get_db(smtp_app).read_sessions() as session:
        assert services.pending_count(session) == 0
    assert smtp_recorder.messages == []


def test_a_queued_mail_is_sent_once_with_its_headers(smtp_app: Any, smtp_recorder: Any) -> None:
    with get_db(smtp_app).session_scope() as session:
        message = services.queue_mail(
            session,
            Mail(
                to="Camille@Example.org",
                subject="Votre signalement",
                text="Bonjour é",
                html="<p>Bonjour é</p>",
                unsubscribe_url="http://irritants.test/desabonnement/abc",
                reply_to="contact@irritants.test",
            ),
            topic="test",
        )
        session.commit()
    tally = sender.send_due(smtp_app)
    assert (tally.sent, tally.retried, tally.dead) == (1, 0, 0)
    assert sender.send_due(smtp_app).total == 0
    [received] = smtp_recorder.messages
    assert received["To"] == "Camille@Example.org"
    assert received["Subject"] == "Votre signalement"
    assert received["From"] == "Irritants <ne-pas-repondre@irritants.localhost>"
    assert received["Reply-To"] == "contact@irritants.test"
    assert received["Message-ID"] == f"<{message.message_id}@irritants.localhost>"
    assert received["List-Unsubscribe"] == "<http://irritants.test/desabonnement/abc>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received.get_body(("plain",)).get_content().strip() == "Bonjour é"
    assert received.get_body(("html",)).get_content().strip() == "<p>Bonjour é</p>"
    stored = _message(smtp_app, message.id)
    assert stored.status is Delivery.SENT and stored.sent_at is not None and stored.attempts == 1
    [attempt] = _attempts(smtp_app, message.id)
    assert attempt.ok and attempt.status_code == 250


def test_a_mail_due_later_waits(smtp_app: Any, smtp_recorder: Any) -> None:
    [message_id] = _queue(smtp_app, send_after=utcnow() + dt.timedelta(hours=1))
    assert sender.send_due(smtp_app).total == 0
    _make_due(smtp_app, message_id)
    assert sender.send_due(smtp_app).sent == 1
    assert len(smtp_recorder.messages) == 1


def test_a_server_refusing_for_now_then_accepting_gets_the_mail_once(smtp_app: Any, smtp_recorder: Any) -> None:
    smtp_recorder.refuse("451 4.3.0 Essayez plus tard")
    [message_id] = _queue(smtp_app)
    before = utcnow()
    assert sender.send_due(smtp_app).retried == 1
    waiting = _message(smtp_app, message_id)
    assert waiting.status is Delivery.PENDING
    assert waiting.next_attempt_at >= before + dt.timedelta(minutes=1)  # the back-off
    assert waiting.last_error.startswith("451")
    assert sender.send_due(smtp_app).total == 0  # not before its time
    _make_due(smtp_app, message_id)
    assert sender.send_due(smtp_app).sent == 1
    assert len(smtp_recorder.messages) == 1
    assert [(a.ok, a.status_code) for a in _attempts(smtp_app, message_id)] == [(False, 451), (True, 250)]


def test_a_permanent_refusal_gives_up_at_once_without_personal_data(smtp_app: Any, smtp_recorder: Any) -> None:
    smtp_recorder.refuse("550 5.1.1 <personne0@example.org>: utilisateur inconnu")
    [message_id] = _queue(smtp_app)
    assert sender.send_due(smtp_app).dead == 1
    dead = _message(smtp_app, message_id)
    assert dead.status is Delivery.DEAD
    assert "example.org" not in dead.last_error and dead.last_error.startswith("550")
    assert smtp_recorder.messages == []


def test_a_message_failing_every_time_is_dead_after_the_cap(smtp_app: Any, smtp_recorder: Any) -> None:
    register_transport(smtp_app, "mail", send_mail, retry=RetryPolicy(first_delay=dt.timedelta(0), max_attempts=3))
    smtp_recorder.refuse("421 4.7.0 Trop de connexions", times=10)
    [message_id] = _queue(smtp_app)
    outcomes = [sender.send_due(smtp_app) for _ in range(4)]
    assert [(t.retried, t.dead) for t in outcomes] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    dead = _message(smtp_app, message_id)
    assert dead.status is Delivery.DEAD and dead.attempts == 3
    assert len(_attempts(smtp_app, message_id)) == 3


def test_a_message_claimed_by_a_sender_that_died_is_sent_after_its_lease(smtp_app: Any, smtp_recorder: Any) -> None:
    [message_id] = _queue(smtp_app)
    with get_db(smtp_app).session_scope() as session:
        claim = {"status": Delivery.SENDING, "claimed_by": "mort:1:1", "attempts": 1}
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(**claim, claimed_until=utcnow() + dt.timedelta(minutes=4))
        )
        session.commit()
    assert sender.send_due(smtp_app).total == 0  # the claim still holds
    with get_db(smtp_app).session_scope() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(claimed_until=utcnow() - dt.timedelta(seconds=1))
        )
        session.commit()
    assert sender.send_due(smtp_app).sent == 1
    assert len(smtp_recorder.messages) == 1
    assert _message(smtp_app, message_id).attempts == 2


def test_a_crash_after_the_server_accepted_resends_the_same_message_id(
    smtp_app: Any, smtp_recorder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    [message_id] = _queue(smtp_app)

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the process died before its commit")

    monkeypatch.setattr(sender, "record", crash)
    with pytest.raises(RuntimeError):
        sender.send_due(smtp_app)
    monkeypatch.undo()
    assert len(smtp_recorder.messages) == 1
    assert _message(smtp_app, message_id).status is Delivery.SENDING
    assert sender.send_due(smtp_app).total == 0  # until the lease ends
    with get_db(smtp_app).session_scope() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(claimed_until=utcnow()))
        session.commit()
    assert sender.send_due(smtp_app).sent == 1
    first, second = smtp_recorder.message_ids()
    assert first == second
    assert _message(smtp_app, message_id).status is Delivery.SENT


def test_two_senders_at_once_deliver_every_message_exactly_once(smtp_app: Any, smtp_recorder: Any) -> None:
    ids = _queue(smtp_app, count=30)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(worker: str) -> None:
        try:
            start.wait()
            while sender.send_due(smtp_app, worker_id=worker, limit=30).total:
                pass
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"w{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    received = smtp_recorder.message_ids()
    assert len(received) == 30 and len(set(received)) == 30
    with get_db(smtp_app).read_sessions() as session:
        statuses = set(session.scalars(select(OutboxMessage.status).where(OutboxMessage.id.in_(ids))))
        attempts = session.scalar(select(OutboxAttempt.id).where(OutboxAttempt.ok.is_(False)).limit(1))
    assert statuses == {Delivery.SENT}
    assert attempts is None


def test_without_smtp_mails_are_written_as_eml_files(make_app: Any, tmp_path: Any) -> None:
    app = make_app(MAIL_DIR=str(tmp_path / "mails"))
    [message_id] = _queue(app)
    assert sender.send_due(app).sent == 1
    [path] = (tmp_path / "mails").glob("*.eml")
    assert path.name.endswith(f"-{message_id}-test.eml")
    content = path.read_text(encoding="utf-8")
    assert "Subject: Objet 0" in content and "To: personne0@example.org" in content


def test_erasure_forgets_unsent_messages_of_a_report_and_of_an_address(smtp_app: Any, session: Any) -> None:
    report = make_report(session)
    session.commit()
    [of_report] = _queue(smtp_app, report_id=report.id)
    [other] = _queue(smtp_app)
    with get_db(smtp_app).session_scope() as writer:
        assert services.forget_report(writer, report.id) == 1
        assert services.forget_address(writer, "  PERSONNE0@example.org ") == 1
        writer.commit()
    with get_db(smtp_app).read_sessions() as reader:
        assert reader.get(OutboxMessage, of_report) is None
        assert reader.get(OutboxMessage, other) is None


def test_a_features_messages_are_listed_by_ref(smtp_app: Any) -> None:
    with get_db(smtp_app).session_scope() as session:
        services.queue(session, "mail", {"to": "x@example.org", "subject": "s", "text": "t"}, topic="t", ref="hook:1")
        services.queue(session, "mail", {"to": "y@example.org", "subject": "s", "text": "t"}, topic="t", ref="hook:2")
        session.commit()
        assert [m.ref for m in services.messages_for(session, "hook:1")] == ["hook:1"]
        assert services.pending_count(session, ref="hook:2") == 1
        assert services.pending_count(session, topic="t") == 2


def test_send_mail_command_sends_what_is_due_and_outbox_lists_it(smtp_app: Any, smtp_recorder: Any) -> None:
    _queue(smtp_app, count=3)
    runner = smtp_app.test_cli_runner()
    result = runner.invoke(args=["send-mail", "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert "2 messages envoyés, 0 à réessayer plus tard, 0 abandonné." in result.output
    assert len(smtp_recorder.messages) == 2
    listing = runner.invoke(args=["outbox"])
    assert listing.exit_code == 0
    rows = [line.split() for line in listing.output.splitlines()]
    assert rows == [["test", "à", "envoyer", "1"], ["test", "envoyés", "2"]]


def test_the_smtp_credentials_of_the_url_are_sent_url_decoded(make_app: Any) -> None:
    from tests.smtp_server import smtp_server

    with smtp_server(credentials=("moi@example.org", "p@ss:w/rd")) as (recorder, url):
        app = make_app(SMTP_URL=url.replace("//", "//moi%40example.org:p%40ss%3Aw%2Frd@"))
        _queue(app)
        assert sender.send_due(app).sent == 1
        assert len(recorder.messages) == 1 and recorder.logins == ["moi@example.org"]
