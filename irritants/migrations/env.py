"""Alembic environment: the URL comes from the caller (irritants.migrate) or the application's settings
(IRRITANTS_DATABASE_URL, else the development SQLite file), also when Alembic's own command reads alembic.ini."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from irritants.config import load_config
from irritants.db import make_engine
from irritants.models import Base

config = context.config
target_metadata = Base.metadata

# `alembic …` from the command line: its logging section shows each step. Called from the application (no file), the
# application's logging is left alone.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.attributes.get("database_url") or load_config()["DATABASE_URL"]


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
