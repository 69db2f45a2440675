"""login throttles instead of account lockout; passages masked by moderators

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_throttles_updated_at"), ["updated_at"], unique=False)

    # The per-account lockout is gone (anyone could lock an agent out): its columns are dropped, not left to rot.
    # In place (SQLite 3.35+ has DROP COLUMN): re-creating "users" in SQLite's batch mode would drop the table, and
    # with foreign keys on, that deletes every token and membership through their ON DELETE CASCADE.
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("masked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_reports_masked_at"), ["masked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_masked_at"))
        batch_op.drop_column("masked_at")
        batch_op.drop_column("original_description")

    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("login_throttles", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttles_updated_at"))
    op.drop_table("login_throttles")
