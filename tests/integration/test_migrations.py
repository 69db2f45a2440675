"""Alembic owns the schema: one head, clean upgrade on an empty database, models and migrations agree."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from irritants.db import make_engine
from irritants.migrate import alembic_config, head_revision
from irritants.models import Base


def test_migrations_have_a_single_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1
    assert heads[0] == head_revision()


def test_upgrade_head_on_an_empty_database_creates_every_table(database_url: str) -> None:
    # The session database was built by `upgrade head` from empty (SQLite file or fresh PostgreSQL database).
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
            current = context.get_current_revision()
    finally:
        engine.dispose()
    assert diff == []
    assert current == head_revision()


def test_downgrade_to_base_then_upgrade_again(tmp_path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    command.upgrade(cfg, "head")


def test_upgrading_a_populated_sqlite_database_keeps_agents_tokens_and_memberships(tmp_path) -> None:
    # SQLite's batch mode re-creates a table by dropping it; with foreign keys on, dropping "users" deletes every row
    # pointing at it through ON DELETE CASCADE. Revisions after 0003 must alter "users" in place.
    from sqlalchemy import text

    from irritants.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'populated.sqlite3'}"
    upgrade(url, "0003")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO squads (id, name, slug, phase, created_at) "
                    "VALUES (1, 'Équipe', 'equipe', 'construction', '2025-01-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO users (id, email, name, roles, active, failed_logins, session_epoch, created_at) "
                    "VALUES (1, 'agent@beta.gouv.fr', 'Agent', '[]', 1, 0, 0, '2025-01-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at) "
                    "VALUES (1, 1, 'outil', 'empreinte', 'irr_x', '2025-01-01 00:00:00')"
                )
            )
            conn.execute(text("INSERT INTO squad_members (squad_id, user_id) VALUES (1, 1)"))
    finally:
        engine.dispose()

    upgrade(url)

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM squad_members")).scalar() == 1
    finally:
        engine.dispose()


def test_encoder_means_comes_empty_with_0009_and_goes_with_its_downgrade(tmp_path) -> None:
    # The mean is filled by the next batch run or placement: upgrading an instance with vectors adds an empty table.
    from alembic import command
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'means.sqlite3'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0008")
    engine = make_engine(url)
    try:
        assert "encoder_means" not in inspect(engine).get_table_names()
        command.upgrade(cfg, "0009")
        assert {c["name"] for c in inspect(engine).get_columns("encoder_means")} == {
            "encoder",
            "dim",
            "vector",
            "count",
            "updated_at",
        }
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM encoder_means")).scalar() == 0
        command.downgrade(cfg, "0008")
        assert "encoder_means" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


SPRINT_TABLES = {"sprints", "backlog_items", "backlog_item_clusters", "backlog_item_changes"}


def test_sprints_and_backlog_come_with_0011_and_go_with_its_downgrade(tmp_path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'sprints.sqlite3'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0009")
    engine = make_engine(url)
    try:
        assert not SPRINT_TABLES & set(inspect(engine).get_table_names())
        command.upgrade(cfg, "0011")
        assert set(inspect(engine).get_table_names()) >= SPRINT_TABLES
        checks = {c["name"] for c in inspect(engine).get_check_constraints("backlog_items")}
        assert "ck_backlog_items_points" in checks
        command.downgrade(cfg, "0009")
        assert not SPRINT_TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_0010_gives_existing_squads_their_profile_and_a_first_dated_phase_in_place(tmp_path) -> None:
    # Squads are altered in place (never re-created): memberships and assigned irritants survive, both ways.
    from alembic import command
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'squads.sqlite3'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0009")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO squads (id, name, slug, phase, created_at) "
                    "VALUES (1, 'Équipe', 'equipe', 'construction', '2025-03-04 10:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO users (id, email, name, roles, active, session_epoch, created_at) "
                    "VALUES (1, 'agent@beta.gouv.fr', 'Agent', '[]', 1, 0, '2025-01-01 00:00:00')"
                )
            )
            conn.execute(text("INSERT INTO squad_members (squad_id, user_id) VALUES (1, 1)"))
        command.upgrade(cfg, "0010")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM squad_members")).scalar() == 1
            assert conn.execute(text("SELECT version, mission, administration_id FROM squads")).one() == (1, None, None)
            history = conn.execute(text("SELECT squad_id, phase, started_on, recorded_by FROM squad_phase_changes"))
            assert [tuple(row) for row in history] == [(1, "construction", "2025-03-04", "système")]
        command.downgrade(cfg, "0009")
        assert "squad_phase_changes" not in inspect(engine).get_table_names()
        assert "mission" not in {c["name"] for c in inspect(engine).get_columns("squads")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM squad_members")).scalar() == 1
    finally:
        engine.dispose()
