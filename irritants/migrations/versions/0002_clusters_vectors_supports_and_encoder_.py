"""clusters, vectors, supports and encoder states

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "encoder_states",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_encoder_states")),
    )
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("excerpt_report_ids", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
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
                name="statuskind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("supporters", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("territories", sa.Integer(), nullable=False),
        sa.Column("administrations", sa.Integer(), nullable=False),
        sa.Column("main_administration_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("score_breakdown", sa.JSON(), nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=True),
        sa.Column("encoder", sa.String(length=40), nullable=True),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("label_locked", sa.Boolean(), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("routed_to", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["clusters.id"], name=op.f("fk_clusters_duplicate_of_id_clusters"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["main_administration_id"],
            ["administrations.id"],
            name=op.f("fk_clusters_main_administration_id_administrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clusters")),
    )
    with op.batch_alter_table("clusters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clusters_main_administration_id"), ["main_administration_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_clusters_score"), ["score"], unique=False)
        batch_op.create_index(batch_op.f("ix_clusters_status"), ["status"], unique=False)

    op.create_table(
        "supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("territory_code", sa.String(length=3), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.id"], name=op.f("fk_supports_cluster_id_clusters"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["territory_code"], ["territories.code"], name=op.f("fk_supports_territory_code_territories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supports")),
        sa.UniqueConstraint("cluster_id", "person_key", name=op.f("uq_supports_cluster_id")),
    )
    with op.batch_alter_table("supports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supports_cluster_id"), ["cluster_id"], unique=False)
        batch_op.create_index("ix_supports_created", ["created_at"], unique=False)

    op.create_table(
        "report_vectors",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("encoder", sa.String(length=40), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_vectors_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_report_vectors")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cluster_confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("cluster_locked", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("person_key", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_reports_created_at_cluster_id", ["created_at", "cluster_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_person_key"), ["person_key"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_cluster_id_clusters"), "clusters", ["cluster_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_reports_cluster_id_clusters"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_reports_person_key"))
        batch_op.drop_index("ix_reports_created_at_cluster_id")
        batch_op.drop_column("person_key")
        batch_op.drop_column("cluster_locked")
        batch_op.drop_column("cluster_confidence")

    op.drop_table("report_vectors")
    with op.batch_alter_table("supports", schema=None) as batch_op:
        batch_op.drop_index("ix_supports_created")
        batch_op.drop_index(batch_op.f("ix_supports_cluster_id"))

    op.drop_table("supports")
    with op.batch_alter_table("clusters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clusters_status"))
        batch_op.drop_index(batch_op.f("ix_clusters_score"))
        batch_op.drop_index(batch_op.f("ix_clusters_main_administration_id"))

    op.drop_table("clusters")
    op.drop_table("encoder_states")
