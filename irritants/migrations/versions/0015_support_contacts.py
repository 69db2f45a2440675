"""support_contacts (« moi aussi » emails), unsubscriptions, pending status notices, administrations' contact address

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_STATUSES = (
    "new",
    "triaged",
    "planned",
    "in_progress",
    "fixed",
    "regressed",
    "closed_not_fixed",
    "not_our_scope",
    "duplicate",
    "spam",
)


def upgrade() -> None:
    op.create_table(
        "support_contacts",
        sa.Column("support_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_hmac", sa.String(length=64), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["support_id"], ["supports.id"], name=op.f("fk_support_contacts_support_id_supports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("support_id", name=op.f("pk_support_contacts")),
    )
    op.create_index(op.f("ix_support_contacts_email_hmac"), "support_contacts", ["email_hmac"])
    op.create_index(op.f("ix_support_contacts_purge_after"), "support_contacts", ["purge_after"])
    op.create_table(
        "pending_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum(*_STATUSES, name="statuskind", native_enum=False, length=30), nullable=False),
        sa.Column("public_note", sa.Text(), nullable=True),
        sa.Column("routed_to", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.id"], name=op.f("fk_pending_notices_cluster_id_clusters"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_notices")),
    )
    op.create_index(op.f("ix_pending_notices_cluster_id"), "pending_notices", ["cluster_id"])
    op.create_index(op.f("ix_pending_notices_created_at"), "pending_notices", ["created_at"])
    with op.batch_alter_table("report_contacts") as batch:
        batch.add_column(sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("administrations") as batch:
        batch.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("administrations") as batch:
        batch.drop_column("contact_email")
    with op.batch_alter_table("report_contacts") as batch:
        batch.drop_column("unsubscribed_at")
    op.drop_index(op.f("ix_pending_notices_created_at"), table_name="pending_notices")
    op.drop_index(op.f("ix_pending_notices_cluster_id"), table_name="pending_notices")
    op.drop_table("pending_notices")
    op.drop_index(op.f("ix_support_contacts_purge_after"), table_name="support_contacts")
    op.drop_index(op.f("ix_support_contacts_email_hmac"), table_name="support_contacts")
    op.drop_table("support_contacts")
