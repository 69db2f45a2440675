"""sprints, backlog items, their links to irritants and the log of every change of an item

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("squad_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("review_notes", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("planned", "active", "closed", name="sprintstate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "unfinished_to",
            sa.Enum("next_sprint", "backlog", name="unfinished", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("ends_on > starts_on", name=op.f("ck_sprints_dates")),
        sa.ForeignKeyConstraint(
            ["squad_id"], ["squads.id"], name=op.f("fk_sprints_squad_id_squads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sprints")),
        sa.UniqueConstraint("squad_id", "number", name=op.f("uq_sprints_squad_id")),
    )
    op.create_table(
        "backlog_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("squad_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum("todo", "in_progress", "done", name="itemstate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("sprint_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("points IS NULL OR points >= 0", name=op.f("ck_backlog_items_points")),
        sa.ForeignKeyConstraint(
            ["sprint_id"], ["sprints.id"], name=op.f("fk_backlog_items_sprint_id_sprints"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["squad_id"], ["squads.id"], name=op.f("fk_backlog_items_squad_id_squads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backlog_items")),
    )
    with op.batch_alter_table("backlog_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_backlog_items_sprint_id"), ["sprint_id"], unique=False)
        batch_op.create_index("ix_backlog_items_squad_rank", ["squad_id", "rank"], unique=False)

    op.create_table(
        "backlog_item_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column(
            "field",
            sa.Enum(
                "created",
                "title",
                "description",
                "state",
                "sprint",
                "points",
                "rank",
                "link",
                "unlink",
                name="itemfield",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_backlog_item_changes_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["backlog_items.id"],
            name=op.f("fk_backlog_item_changes_item_id_backlog_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backlog_item_changes")),
    )
    with op.batch_alter_table("backlog_item_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_backlog_item_changes_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index("ix_backlog_item_changes_item_at", ["item_id", "changed_at"], unique=False)

    op.create_table(
        "backlog_item_clusters",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["clusters.id"],
            name=op.f("fk_backlog_item_clusters_cluster_id_clusters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["backlog_items.id"],
            name=op.f("fk_backlog_item_clusters_item_id_backlog_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "cluster_id", name=op.f("pk_backlog_item_clusters")),
    )
    with op.batch_alter_table("backlog_item_clusters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_backlog_item_clusters_cluster_id"), ["cluster_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("backlog_item_clusters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backlog_item_clusters_cluster_id"))

    op.drop_table("backlog_item_clusters")
    with op.batch_alter_table("backlog_item_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_backlog_item_changes_item_at")
        batch_op.drop_index(batch_op.f("ix_backlog_item_changes_actor_id"))

    op.drop_table("backlog_item_changes")
    with op.batch_alter_table("backlog_items", schema=None) as batch_op:
        batch_op.drop_index("ix_backlog_items_squad_rank")
        batch_op.drop_index(batch_op.f("ix_backlog_items_sprint_id"))

    op.drop_table("backlog_items")
    op.drop_table("sprints")
