"""resolution_answers: « Est-ce résolu pour vous ? », one answer per report or « moi aussi » of a fixed irritant

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resolution_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("support_id", sa.Integer(), nullable=True),
        sa.Column(
            "answer",
            sa.Enum("yes", "no", "partly", name="answer", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(report_id IS NULL) <> (support_id IS NULL)", name=op.f("ck_resolution_answers_one_respondent")
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.id"], name=op.f("fk_resolution_answers_cluster_id_clusters"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_resolution_answers_report_id_reports"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["support_id"], ["supports.id"], name=op.f("fk_resolution_answers_support_id_supports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_answers")),
        sa.UniqueConstraint("report_id", name=op.f("uq_resolution_answers_report_id")),
        sa.UniqueConstraint("support_id", name=op.f("uq_resolution_answers_support_id")),
    )
    op.create_index(op.f("ix_resolution_answers_cluster_id"), "resolution_answers", ["cluster_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_resolution_answers_cluster_id"), table_name="resolution_answers")
    op.drop_table("resolution_answers")
