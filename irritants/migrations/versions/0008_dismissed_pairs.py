"""dismissed_pairs: merge suggestions a product owner answered « ce ne sont pas les mêmes »

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dismissed_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("low_id", sa.Integer(), nullable=False),
        sa.Column("high_id", sa.Integer(), nullable=False),
        sa.Column("dismissed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("low_id < high_id", name=op.f("ck_dismissed_pairs_ordered")),
        sa.ForeignKeyConstraint(
            ["dismissed_by_id"],
            ["users.id"],
            name=op.f("fk_dismissed_pairs_dismissed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["high_id"], ["clusters.id"], name=op.f("fk_dismissed_pairs_high_id_clusters"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["low_id"], ["clusters.id"], name=op.f("fk_dismissed_pairs_low_id_clusters"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dismissed_pairs")),
        sa.UniqueConstraint("low_id", "high_id", name=op.f("uq_dismissed_pairs_low_id")),
    )
    with op.batch_alter_table("dismissed_pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dismissed_pairs_high_id"), ["high_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dismissed_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dismissed_pairs_high_id"))
    op.drop_table("dismissed_pairs")
