"""users.administration_id (correspondants of an administration); administration_answers (their public answers)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

FK_NAME = "fk_users_administration_id_administrations"


def upgrade() -> None:
    # In place, never through SQLite's batch re-creation: dropping "users" would delete every token, membership and
    # reset link (ON DELETE CASCADE). SQLite adds a column with its REFERENCES clause in place.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE users ADD COLUMN administration_id INTEGER CONSTRAINT {FK_NAME} REFERENCES administrations (id)"
        )
    else:
        op.add_column("users", sa.Column("administration_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK_NAME, "users", "administrations", ["administration_id"], ["id"])
    op.create_index("ix_users_administration_id", "users", ["administration_id"])
    op.create_table(
        "administration_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.id"], name="fk_administration_answers_cluster_id_clusters", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["administrations.id"],
            name="fk_administration_answers_administration_id_administrations",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name="fk_administration_answers_author_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_administration_answers"),
        sa.UniqueConstraint("cluster_id", "administration_id", name="uq_administration_answers_cluster_id"),
    )
    op.create_index("ix_administration_answers_cluster_id", "administration_answers", ["cluster_id"])
    op.create_index("ix_administration_answers_administration_id", "administration_answers", ["administration_id"])


def downgrade() -> None:
    op.drop_table("administration_answers")
    op.drop_index("ix_users_administration_id", table_name="users")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FK_NAME, "users", type_="foreignkey")
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("administration_id")
