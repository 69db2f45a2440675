"""`irritants db …` and Alembic's own command (alembic.ini) drive the same migrations on the configured database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask import Flask

from irritants import config, create_app, migrate
from irritants.config import PROJECT_ROOT
from irritants.db import get_db
from tests.conftest import _fresh_postgres_database, app_config


@pytest.fixture
def empty_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database of its own (SQLite file or fresh PostgreSQL database): nothing migrated yet."""
    base = config.test_database_url()
    if base is None:
        url, drop = f"sqlite:///{tmp_path / 'db-commands.sqlite3'}", None
    else:
        url, drop = _fresh_postgres_database(base)
    app = create_app(app_config(url, MAIL_DIR=str(tmp_path / "mails")))
    try:
        yield app
    finally:
        get_db(app).dispose()
        if drop is not None:
            drop()


def _run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_upgrade_brings_an_empty_database_to_head_and_current_says_so(empty_app: Flask) -> None:
    head = migrate.head_revision()
    assert "(head)" not in _run(empty_app, "current")
    assert head in _run(empty_app, "upgrade")
    assert f"{head} (head)" in _run(empty_app, "current")


def test_downgrade_one_step_then_upgrade_again(empty_app: Flask) -> None:
    *_, previous, head = _revisions()
    _run(empty_app, "upgrade")
    _run(empty_app, "downgrade", "-1")
    at = _run(empty_app, "current")
    assert previous in at
    assert "(head)" not in at
    behind = empty_app.test_cli_runner().invoke(args=["db", "current", "--check"])
    assert behind.exit_code == 1
    assert "Error" in behind.output
    _run(empty_app, "upgrade")
    assert f"{head} (head)" in _run(empty_app, "current", "--check")


def test_an_unknown_revision_is_refused_with_a_message(empty_app: Flask) -> None:
    _run(empty_app, "upgrade")
    result = empty_app.test_cli_runner().invoke(args=["db", "downgrade", "9999"])
    assert result.exit_code == 1
    assert "9999" in result.output
    assert f"{migrate.head_revision()} (head)" in _run(empty_app, "current")


def test_history_lists_every_revision_from_the_first_to_head(empty_app: Flask) -> None:
    listed = _run(empty_app, "history")
    revisions = _revisions()
    assert revisions[0] == "0001"
    assert revisions[-1] == migrate.head_revision()
    assert "<base> -> 0001" in listed
    assert f"-> {revisions[-1]} (head)" in listed
    for older, newer in pairwise(revisions):
        assert f"{older} -> {newer}" in listed


@pytest.fixture
def migrations_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The migrations copied aside, so that a new revision is written there and never into the source tree."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", copy)
    migrate.head_revision.cache_clear()
    yield copy
    monkeypatch.undo()
    migrate.head_revision.cache_clear()


def test_revision_is_numbered_after_the_head_and_finds_nothing_to_change(
    empty_app: Flask, migrations_copy: Path
) -> None:
    head = migrate.head_revision()
    _run(empty_app, "upgrade")
    output = _run(empty_app, "revision", "-m", "Rien à changer")
    following = f"{int(head) + 1:04d}"
    written = migrations_copy / "versions" / f"{following}_rien_a_changer.py"
    assert str(written) in output
    text = written.read_text(encoding="utf-8")
    assert f"revision = '{following}'" in text
    assert f"down_revision = '{head}'" in text
    # Models and migrations agree: autogenerate finds no operation to write.
    assert "op." not in text.replace("from alembic import op", "")


def test_alembic_ini_reads_the_database_url_from_the_settings(empty_app: Flask) -> None:
    _run(empty_app, "upgrade")
    alembic = Path(sys.executable).with_name("alembic")
    env = {**os.environ, "IRRITANTS_DATABASE_URL": empty_app.config["DATABASE_URL"], "IRRITANTS_ENV": "testing"}
    result = subprocess.run(
        [str(alembic), "current"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert f"{migrate.head_revision()} (head)" in result.stdout
