"""users.deactivated_at: when an account was closed, for the deletion of deactivated agents' data

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place, never through SQLite's batch re-creation: dropping "users" would delete every token, membership and
    # reset link (ON DELETE CASCADE). SQLite adds and drops a plain column in place.
    op.add_column("users", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    # Accounts already closed count from this upgrade: their retention starts now, never in the past.
    users = sa.table(
        "users", sa.column("active", sa.Boolean()), sa.column("deactivated_at", sa.DateTime(timezone=True))
    )
    now = dt.datetime.now(dt.UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as the app's UTCDateTime stores it there
    op.execute(users.update().where(users.c.active.is_(False)).values(deactivated_at=now))


def downgrade() -> None:
    op.drop_column("users", "deactivated_at")
