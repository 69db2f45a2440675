"""The instance folder (local state: the SQLite file, the development secret, counters, mails, exports) comes from the
settings: the repository's in a checkout, ./instance of the working folder when installed, never site-packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from irritants import config
from irritants.config import default_instance_path, load_config


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("INSTANCE_PATH", "DATABASE_URL", "RATELIMIT_STORAGE_URI", "MAIL_DIR"):
        monkeypatch.delenv(f"IRRITANTS_{name}", raising=False)
    monkeypatch.setenv("IRRITANTS_ENV", "development")


def test_a_checkout_keeps_its_state_next_to_the_package(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[metadata]\n", encoding="utf-8")
    assert default_instance_path(tmp_path) == tmp_path / "instance"
    assert config.INSTANCE_PATH == config.PROJECT_ROOT / "instance"  # this suite runs from a checkout


def test_an_installed_package_keeps_its_state_in_the_working_folder(tmp_path: Path) -> None:
    site_packages = tmp_path / "site-packages"
    site_packages.mkdir()
    assert default_instance_path(site_packages) == Path("instance")


def test_a_relative_instance_path_is_taken_from_the_working_folder_and_the_database_follows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IRRITANTS_INSTANCE_PATH", "etat")
    settings = load_config()
    assert settings["INSTANCE_PATH"] == str(tmp_path / "etat")
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'etat' / 'irritants.sqlite3'}"
    assert settings["RATELIMIT_STORAGE_URI"] == f"irritants+sqlite://{tmp_path / 'etat' / 'ratelimits.sqlite3'}"
    assert (tmp_path / "etat" / "secret_key").is_file()  # the development secret went there too


def test_a_database_url_given_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRRITANTS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("IRRITANTS_DATABASE_URL", "postgresql+psycopg://irritants@db.example/irritants")
    assert load_config()["DATABASE_URL"] == "postgresql+psycopg://irritants@db.example/irritants"


def test_the_app_s_own_instance_folder_is_the_settings_one(tmp_path: Path) -> None:
    from irritants import create_app
    from irritants.db import get_db

    app = create_app({"ENV": "testing", "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    try:
        assert app.instance_path == str(tmp_path)
    finally:
        get_db(app).dispose()
