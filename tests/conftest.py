"""Shared fixtures: a migrated database per test session (SQLite file or a fresh PostgreSQL database),
an app per test, and plain builders for data."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from irritants import create_app, migrate
from irritants.config import test_database_url
from irritants.db import get_db
from irritants.referential.services import load_reference_data

TEST_SECRET = "test-secret-key-for-the-suite"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with the référentiel, private to this test session."""
    base = test_database_url()
    if base is None:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'irritants-test.sqlite3'}"
        _prepare(url)
        yield url
        return
    url, drop = _fresh_postgres_database(base)
    try:
        _prepare(url)
        yield url
    finally:
        drop()


def _prepare(url: str) -> None:
    migrate.upgrade(url)
    app = create_app({"ENV": "testing", "DATABASE_URL": url, "SECRET_KEY": TEST_SECRET})
    with app.app_context(), get_db(app).session_scope() as session:
        load_reference_data(session)
        session.commit()
    get_db(app).dispose()


def _fresh_postgres_database(base: str) -> tuple[str, Any]:
    """Create a uniquely named database next to ``base`` so concurrent runs never share state."""
    parsed = make_url(base)
    name = f"{parsed.database}_irr_{secrets.token_hex(4)}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return parsed.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture
def make_app(database_url: str) -> Iterator[Any]:
    """Factory of apps on the test database, with config overrides; cleans reports after the test."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        config = {
            "ENV": "testing",
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_SECRET,
            "SERVER_NAME": "irritants.test",
        }
        config.update(overrides)
        app = create_app(config)
        apps.append(app)
        return app

    yield factory
    if apps:
        _clean(apps[0])
    for app in apps:
        get_db(app).dispose()


def _clean(app: Flask) -> None:
    with get_db(app).engine.begin() as conn:
        for table in ("supports", "report_vectors", "report_contacts", "reports", "clusters", "encoder_states"):
            conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A write session on the test database (the test commits when it needs to)."""
    with app.app_context(), get_db(app).session_scope() as db_session:
        yield db_session


def report_payload(**overrides: Any) -> dict[str, Any]:
    """A valid API payload for a report."""
    payload: dict[str, Any] = {
        "description": "Mon dossier de RSA est bloqué depuis trois mois et personne ne répond au téléphone.",
        "administration": "caf",
        "territory": "59",
        "channel": "telephone",
        "severity": "rupture_de_droits",
    }
    payload.update(overrides)
    return payload
