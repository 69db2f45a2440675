"""Indexes of the reports' facts led by the irritant and by the administration (the dashboard's squad and year)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

FACTS = ["created_at", "administration_id", "territory_code", "channel_code", "severity", "assisted", "cluster_id"]


def upgrade() -> None:
    # The columns of ix_reports_period_facts (0020), led by the irritant or by the administration: a squad's reports,
    # or an administration's over a year, read from the index alone (insights/rollup.py, docs/dashboard.md).
    op.create_index("ix_reports_cluster_facts", "reports", ["cluster_id", *[c for c in FACTS if c != "cluster_id"]])
    op.create_index(
        "ix_reports_administration_facts",
        "reports",
        ["administration_id", *[c for c in FACTS if c != "administration_id"]],
    )


def downgrade() -> None:
    op.drop_index("ix_reports_administration_facts", table_name="reports")
    op.drop_index("ix_reports_cluster_facts", table_name="reports")
