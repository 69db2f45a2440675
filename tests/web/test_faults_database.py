"""Database faults: unreachable, and full. The API answers 503 problem+json with Retry-After, the form a French 503
that gives back what the citizen typed; nothing is acknowledged without its row, and the next request after the
fault is gone succeeds in the same process (no restart).

The faults are real ones of each engine: SQLite's file out of reach (its folder moved away, the connections dropped)
and SQLite's own SQLITE_FULL (``PRAGMA max_page_count`` at the file's size); PostgreSQL refusing connections to the
database (``ALLOW_CONNECTIONS false``, the open ones terminated) and PostgreSQL's own « disk full » error
(SQLSTATE 53100, raised where the insert would have extended the table).
"""

from __future__ import annotations

import html
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from irritants.db import get_db
from tests.conftest import report_payload
from tests.web.test_report_form import fill

# Longer than a page of SQLite once encoded (accents take two bytes): the row needs pages the file does not have.
DESCRIPTION = "Délai dépassé, démarche bloquée, été gâché. " * 85


def _rows(app: Any, key: str) -> int:
    with get_db(app).engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM reports WHERE idempotency_key = :key"), {"key": f"api:{key}"}
        ).scalar_one()


def _descriptions(app: Any, description: str) -> int:
    with get_db(app).engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM reports WHERE description = :d"), {"d": description}
        ).scalar_one()


class SQLiteFaults:
    """An app on a compact copy of the test database (``VACUUM INTO``: no free page), in a folder of its own."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.folder = folder / "db"
        self.folder.mkdir()
        self.path = self.folder / "irritants.sqlite3"
        source = sqlite3.connect(make_url(database_url).database)
        try:
            source.execute("VACUUM INTO ?", (str(self.path),))
        finally:
            source.close()
        self.url = f"sqlite:///{self.path}"

    @contextmanager
    def unreachable(self, app: Any) -> Iterator[None]:
        away = self.folder.with_name("db-away")
        self.folder.rename(away)
        get_db(app).engine.dispose()  # the open connections go with the file; new ones cannot open it
        try:
            yield
        finally:
            away.rename(self.folder)

    @contextmanager
    def full(self, app: Any) -> Iterator[None]:
        engine = get_db(app).engine

        def no_growth(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        def room_again(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            dbapi_connection.execute("PRAGMA max_page_count = 4294967294")

        event.listen(engine.pool, "checkout", no_growth)
        try:
            yield
        finally:
            event.remove(engine.pool, "checkout", no_growth)
            # The limit stays on a connection until changed: lifted at each checkout (the disk has room again).
            event.listen(engine.pool, "checkout", room_again)

    def close(self) -> None:
        pass


class PostgresFaults:
    """An app on the test database; faults set from a connection to the server's maintenance database."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.name = make_url(database_url).database
        self.admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")

    @contextmanager
    def unreachable(self, app: Any) -> Iterator[None]:
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": self.name},
            )
        try:
            yield
        finally:
            with self.admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))

    @contextmanager
    def full(self, app: Any) -> Iterator[None]:
        # What PostgreSQL raises when the table's file cannot grow: « could not extend file », SQLSTATE 53100.
        with get_db(app).engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE FUNCTION fault_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; "
                    "END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER fault_disk_full BEFORE INSERT ON reports "
                    "FOR EACH ROW EXECUTE FUNCTION fault_disk_full()"
                )
            )
        try:
            yield
        finally:
            with get_db(app).engine.begin() as conn:
                conn.execute(text("DROP TRIGGER fault_disk_full ON reports"))
                conn.execute(text("DROP FUNCTION fault_disk_full()"))

    def close(self) -> None:
        self.admin.dispose()


@pytest.fixture
def faults(database_url: str, tmp_path: Path) -> Iterator[Any]:
    made = SQLiteFaults(database_url, tmp_path) if database_url.startswith("sqlite") else PostgresFaults(database_url)
    yield made
    made.close()


@pytest.fixture
def fault_app(make_app: Any, faults: Any) -> Any:
    return make_app(DATABASE_URL=faults.url)


FAULTS = ["unreachable", "full"]


@pytest.mark.parametrize("fault", FAULTS)
def test_the_api_answers_503_with_retry_after_and_keeps_nothing_then_recovers(fault_app, faults, fault):
    client = fault_app.test_client()
    key = f"fault-{uuid.uuid4()}"
    payload = report_payload(description=f"Signalement {uuid.uuid4().hex[:8]} : {DESCRIPTION}".strip())
    with getattr(faults, fault)(fault_app):
        refused = client.post("/api/v1/reports", json=payload, headers={"Idempotency-Key": key})
        assert refused.status_code == 503
        assert refused.mimetype == "application/problem+json"
        assert refused.headers["Retry-After"] == "5"
        problem = refused.get_json()
        assert problem["status"] == 503 and problem["type"].endswith("/service-unavailable")
        assert "n'a pas été enregistrée" in problem["detail"]
    assert _rows(fault_app, key) == 0  # no acknowledgement, no row
    created = client.post("/api/v1/reports", json=payload, headers={"Idempotency-Key": key})
    assert created.status_code == 201  # the same process, at once: no restart
    assert _rows(fault_app, key) == 1
    again = client.post("/api/v1/reports", json=payload, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.get_json()["reference"] == created.get_json()["reference"]
    assert _rows(fault_app, key) == 1


@pytest.mark.parametrize("fault", FAULTS)
def test_the_form_gives_back_what_was_typed_with_a_french_503_then_sends_it(fault_app, faults, fault):
    client = fault_app.test_client()
    description = f"Signalement {uuid.uuid4().hex[:8]} : {DESCRIPTION}".strip()
    filled = fill(client, description=description, email="camille@example.org", contact_consent="on")
    with getattr(faults, fault)(fault_app):
        refused = client.post("/", data=filled)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert refused.mimetype == "text/html"
    assert "momentanément indisponible" in page and "Vos réponses sont conservées" in page
    assert html.escape(description) in page  # the text, in the textarea, to send again
    assert 'value="camille@example.org"' in page
    assert re.search(r'value="prefecture"\s+selected', page)
    assert _descriptions(fault_app, description) == 0
    sent = client.post("/", data=filled)  # the same form, sent again once the database is back
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/confirmation")
    assert _descriptions(fault_app, description) == 1
