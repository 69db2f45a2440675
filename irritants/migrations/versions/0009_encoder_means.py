"""encoder_means: the mean vector of each encoder, the centre of the incremental placement

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty until the next batch run or placement fills it (a placement starts from the irritants' centroids).
    op.create_table(
        "encoder_means",
        sa.Column("encoder", sa.String(length=40), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("encoder", name=op.f("pk_encoder_means")),
    )


def downgrade() -> None:
    op.drop_table("encoder_means")
