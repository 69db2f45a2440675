"""password_resets (agents' reset links by email); digest_subscriptions (agents' daily digests)

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_password_resets_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_password_resets"),
        sa.UniqueConstraint("token_hash", name="uq_password_resets_token_hash"),
    )
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"])
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("squad_id", sa.Integer(), nullable=True),
        sa.Column("administration_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(squad_id IS NULL) <> (administration_id IS NULL)", name="ck_digest_subscriptions_one_scope"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_digest_subscriptions_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["squad_id"], ["squads.id"], name="fk_digest_subscriptions_squad_id_squads", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["administrations.id"],
            name="fk_digest_subscriptions_administration_id_administrations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_digest_subscriptions"),
        sa.UniqueConstraint("user_id", "squad_id", name="uq_digest_subscriptions_user_squad"),
        sa.UniqueConstraint("user_id", "administration_id", name="uq_digest_subscriptions_user_administration"),
    )
    op.create_index("ix_digest_subscriptions_user_id", "digest_subscriptions", ["user_id"])
    op.create_index("ix_digest_subscriptions_squad_id", "digest_subscriptions", ["squad_id"])
    op.create_index("ix_digest_subscriptions_administration_id", "digest_subscriptions", ["administration_id"])


def downgrade() -> None:
    op.drop_table("digest_subscriptions")
    op.drop_table("password_resets")
