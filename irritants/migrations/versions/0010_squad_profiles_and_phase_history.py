"""squad profiles and phase history: mission, sponsoring administration, incubator, links, version; dated phases

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FK_NAME = "fk_squads_administration_id_administrations"


def upgrade() -> None:
    # In place, never through SQLite's batch re-creation: dropping "squads" would delete every membership (ON DELETE
    # CASCADE) and unassign every irritant (SET NULL). SQLite adds a column with its REFERENCES clause in place.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE squads ADD COLUMN administration_id INTEGER "
            f"CONSTRAINT {FK_NAME} REFERENCES administrations (id)"
        )
    else:
        op.add_column("squads", sa.Column("administration_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK_NAME, "squads", "administrations", ["administration_id"], ["id"])
    op.create_index(op.f("ix_squads_administration_id"), "squads", ["administration_id"], unique=False)
    op.add_column("squads", sa.Column("mission", sa.Text(), nullable=True))
    op.add_column("squads", sa.Column("incubator", sa.String(length=120), nullable=True))
    op.add_column("squads", sa.Column("product_url", sa.String(length=300), nullable=True))
    op.add_column("squads", sa.Column("repository_url", sa.String(length=300), nullable=True))
    op.add_column("squads", sa.Column("stats_url", sa.String(length=300), nullable=True))
    op.add_column("squads", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("squads", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    squads = sa.table(
        "squads", sa.column("id", sa.Integer()), sa.column("created_at", sa.DateTime()), sa.column("updated_at")
    )
    op.execute(squads.update().values(updated_at=squads.c.created_at))

    changes = op.create_table(
        "squad_phase_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("squad_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_squad_phase_changes_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["squad_id"], ["squads.id"], name=op.f("fk_squad_phase_changes_squad_id_squads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_squad_phase_changes")),
    )  # fmt: skip
    op.create_index(op.f("ix_squad_phase_changes_squad_id"), "squad_phase_changes", ["squad_id"], unique=False)

    # Every existing squad's history starts with the phase it is in, dated from its creation.
    now = dt.datetime.now(dt.UTC)
    rows = op.get_bind().execute(sa.text("SELECT id, phase, created_at FROM squads")).all()
    op.bulk_insert(
        changes,
        [
            {
                "squad_id": squad_id,
                "phase": phase,
                "started_on": _day(created_at) or now.date(),
                "note": None,
                "recorded_by_id": None,
                "recorded_by": "système",
                "recorded_at": now,
            }
            for squad_id, phase, created_at in rows
        ],
    )


def _day(value: object) -> dt.date | None:
    # SQLite hands datetimes back as text.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and len(value) >= 10:
        return dt.date.fromisoformat(value[:10])
    return None


def downgrade() -> None:
    op.drop_index(op.f("ix_squad_phase_changes_squad_id"), table_name="squad_phase_changes")
    op.drop_table("squad_phase_changes")
    op.drop_index(op.f("ix_squads_administration_id"), table_name="squads")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FK_NAME, "squads", type_="foreignkey")
    with op.batch_alter_table("squads", schema=None, recreate="never") as batch_op:
        for column in (
            "version", "updated_at", "stats_url", "repository_url", "product_url", "incubator", "mission",
            "administration_id",
        ):  # fmt: skip
            batch_op.drop_column(column)
