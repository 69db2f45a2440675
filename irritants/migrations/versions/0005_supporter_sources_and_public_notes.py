"""supporters' network sources and counted flags; public notes on status events

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows already there counted under the old rules: they keep counting (server default true).
    for table in ("supports", "abuse_flags"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("source_hash", sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column("counted", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("public_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", recreate="never") as batch_op:
        batch_op.drop_column("public_note")
    for table in ("abuse_flags", "supports"):
        with op.batch_alter_table(table, recreate="never") as batch_op:
            batch_op.drop_column("counted")
            batch_op.drop_column("source_hash")
