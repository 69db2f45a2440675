"""The session secret: development generates its own into the instance folder (mode 600) instead of a constant
published in the code; production refuses to start without one."""

from __future__ import annotations

import stat
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from irritants import create_app, jobs
from irritants.config import INSECURE_DEV_SECRET, ConfigurationError, instance_secret, load_config
from irritants.db import get_db
from tests.conftest import _clean, make_user


@pytest.fixture(autouse=True)
def no_secret_in_the_environment(monkeypatch):
    monkeypatch.delenv("IRRITANTS_SECRET_KEY", raising=False)
    monkeypatch.delenv("IRRITANTS_ENV", raising=False)


def development(tmp_path: Path) -> dict:
    return load_config({"ENV": "development", "INSTANCE_PATH": str(tmp_path / "instance")})


def test_development_generates_a_private_random_secret_once_and_reuses_it(tmp_path):
    first = development(tmp_path)["SECRET_KEY"]
    path = tmp_path / "instance" / "secret_key"
    assert path.read_text() == first and len(first) >= 64
    assert first != INSECURE_DEV_SECRET
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert development(tmp_path)["SECRET_KEY"] == first  # sessions survive a restart
    assert load_config({"ENV": "development", "INSTANCE_PATH": str(tmp_path / "other")})["SECRET_KEY"] != first


def test_an_explicit_secret_is_used_as_is_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("IRRITANTS_SECRET_KEY", "a-secret-given-by-the-operator-" + "x" * 20)
    settings = development(tmp_path)
    assert settings["SECRET_KEY"].startswith("a-secret-given-by-the-operator-")
    assert not (tmp_path / "instance").exists()


def _secret_of(folder: str) -> str:
    return instance_secret(Path(folder))


def test_processes_starting_together_end_with_the_same_secret(tmp_path):
    folder = str(tmp_path / "instance")
    with ProcessPoolExecutor(max_workers=6) as pool:
        secrets = set(pool.map(_secret_of, [folder] * 24))
    assert len(secrets) == 1
    assert sorted(p.name for p in (tmp_path / "instance").iterdir()) == ["secret_key"]  # no draft left behind


@pytest.mark.parametrize("secret", ["", INSECURE_DEV_SECRET])
def test_production_refuses_to_start_without_its_own_secret(secret):
    with pytest.raises(ConfigurationError):
        load_config({"ENV": "production", "SECRET_KEY": secret})


def forged_cookie(user_id: str) -> str:
    """A Flask session cookie signed with the development secret earlier versions published in the code."""
    forger = Flask("forger")
    forger.secret_key = INSECURE_DEV_SECRET
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    return serializer.dumps({"_user_id": user_id, "_fresh": True, "login_at": time.time(), "seen_at": time.time()})


def test_a_cookie_forged_with_the_old_published_secret_opens_nothing(database_url, tmp_path):
    # As `./scripts/run` starts it: development, no IRRITANTS_SECRET_KEY.
    app = create_app({"ENV": "development", "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "instance")})
    try:
        with get_db(app).session_scope() as s:
            admin = make_user(s, "admin")
            s.commit()
            session_id = admin.get_id()
        client = app.test_client()
        client.set_cookie("session", forged_cookie(session_id))

        response = client.get("/api/v1/me")

        assert response.status_code == 401
        assert client.get("/agents/irritants").status_code == 302  # sent to the sign-in page
    finally:
        jobs.stop(app)  # its first request started the background thread: not past this test
        _clean(app)
        get_db(app).dispose()
