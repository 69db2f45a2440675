"""Alembic entry points used by the CLI (``irritants db …``), readiness probe and tests.

``alembic.ini`` at the top of the repository points Alembic's own command at the same migrations; both read the
database URL from the application's settings (``IRRITANTS_DATABASE_URL``) in ``irritants/migrations/env.py``. The
migrations live inside the package, so that an installed wheel carries them (``irritants db upgrade`` anywhere).
"""

from __future__ import annotations

import sys
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Revisions are numbered (0001, 0002…): a new one takes the next number after the head, its file "<number>_<slug>".
FILE_TEMPLATE = "%%(rev)s_%%(slug)s"


def alembic_config(database_url: str | None = None, stdout: TextIO | None = None) -> Config:
    """An Alembic config pointing at the project's migrations and, if given, a database URL.

    Alembic prints to the stream it is handed (by default the ``sys.stdout`` of when it was imported): the commands
    hand it the current one, so what they print reaches whoever runs them (a terminal, click's test runner)."""
    cfg = Config(stdout=stdout or sys.stdout)
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", FILE_TEMPLATE)
    if database_url:
        cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Revert migrations down to ``revision`` (``-1``: the last one applied; ``base``: all of them)."""
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str, verbose: bool = False, check: bool = False) -> None:
    """Print the revision the database is at, marked ``(head)`` when it is the last one; with ``check``, raise
    ``alembic.util.DatabaseNotAtHead`` when it is not."""
    command.current(alembic_config(database_url), check_heads=check, verbose=verbose)


def current_revision(database_url: str) -> str | None:
    """The revision the database is at (None: nothing applied)."""
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def history(verbose: bool = False) -> None:
    """Print every revision, newest first."""
    command.history(alembic_config(), verbose=verbose, indicate_current=False)


def revision(database_url: str, message: str, autogenerate: bool = True) -> str:
    """Write a new revision file numbered after the head (compared with the database when ``autogenerate``);
    return its path."""
    head = head_revision()
    rev_id = f"{int(head) + 1:04d}" if head and head.isdigit() else None
    script = command.revision(alembic_config(database_url), message=message, autogenerate=autogenerate, rev_id=rev_id)
    head_revision.cache_clear()
    scripts = script if isinstance(script, list) else [script]
    return ", ".join(str(_ascii_name(Path(s.path))) for s in scripts if s is not None)


def _ascii_name(path: Path) -> Path:
    """The file renamed without accents (« Rôle des agents » → ``0025_role_des_agents.py``), like every other one."""
    plain = unicodedata.normalize("NFKD", path.name).encode("ascii", "ignore").decode("ascii")
    if plain == path.name:
        return path
    return path.rename(path.with_name(plain))


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The single head revision of the migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
