"""What the app logs about errors: never a database error's SQL parameters (nor PostgreSQL's copy of the failing
row), which hold agents' emails, reasons and citizens' texts; never a forged line from a crafted URL."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError

from irritants.audit.models import Event
from irritants.auth.models import User
from irritants.db import get_db, get_session
from irritants.extensions import csrf
from tests.conftest import make_user, report_payload

EMAIL = "camille.secret@beta.gouv.fr"
REASON = "motif confidentiel n° 4242"


def _duplicate_user() -> None:
    session = get_session()
    session.add(User(email=EMAIL, name="Doublon", roles=["manager"]))
    session.flush()  # UNIQUE (email): PostgreSQL says « Key (email)=(…) already exists »


def _event_without_action() -> None:
    session = get_session()
    session.add(Event(actor=EMAIL, action=None, subject_type="cluster", reason=REASON))
    session.flush()  # NOT NULL: PostgreSQL says « Failing row contains (…) »


@pytest.mark.parametrize("crash", [_duplicate_user, _event_without_action], ids=["unique", "not-null"])
def test_an_integrity_error_in_a_request_logs_no_parameter_value(app, client, caplog, crash):
    with get_db(app).session_scope() as s:
        make_user(s, "manager", email=EMAIL)
        s.commit()

    def view() -> str:
        crash()
        return "unreachable"

    app.add_url_rule("/essai/erreur-base", "db_error", csrf.exempt(view), methods=["POST"])
    caplog.set_level(logging.DEBUG)
    response = client.post("/essai/erreur-base", headers={"Accept": "application/json"})
    assert response.status_code == 500
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(r.exc_info and isinstance(r.exc_info[1], IntegrityError) for r in logged), caplog.text
    assert "parameters hidden" in caplog.text  # the error itself is there, to debug with
    assert EMAIL not in caplog.text
    assert REASON not in caplog.text


def test_database_errors_raised_outside_requests_hold_no_parameter_value(app):
    # Jobs and CLI commands log exceptions as they come: the message itself must be clean.
    with get_db(app).session_scope() as s:
        make_user(s, "manager", email=EMAIL)
        s.commit()
    with get_db(app).session_scope() as s, pytest.raises(IntegrityError) as caught:
        s.add(Event(actor=EMAIL, action=None, subject_type="cluster", reason=REASON))
        s.flush()
    assert EMAIL not in str(caught.value) and REASON not in str(caught.value)
    assert EMAIL not in str(caught.value.orig) and REASON not in str(caught.value.orig)


def test_sql_echo_logs_statements_without_their_parameters(make_app, caplog):
    app = make_app(DATABASE_ECHO=True)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    payload = report_payload(email=EMAIL, contact_consent=True)
    assert app.test_client().post("/api/v1/reports", json=payload).status_code == 201
    assert "INSERT INTO report" in caplog.text
    assert EMAIL not in caplog.text
    assert payload["description"] not in caplog.text


def test_a_crafted_path_cannot_forge_a_line_in_the_error_log(app, client, caplog):
    # Control characters never reach a view (the input guard answers 404 first); a line separator or a
    # bidirectional override can, and some log viewers break lines or reverse text on them.
    def boom(rest: str) -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/essai/<path:rest>", "boom", boom)
    caplog.set_level(logging.INFO)
    assert client.get("/essai/x%E2%80%A82026-01-01 INFO fake%E2%80%AEelif").status_code == 500
    messages = [r.getMessage() for r in caplog.records if r.name == "irritants.errors"]
    # One line per unhandled error (one error report): the exception's, without a second « HTTP 500 » line.
    assert messages == ["unhandled error on GET /essai/x\\u20282026-01-01 INFO fake\\u202eelif"]
