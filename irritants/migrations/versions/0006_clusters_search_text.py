"""clusters.search_text: label and keywords folded for accent- and case-insensitive search

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import json
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# A frozen copy of irritants.triage.models.search_fold/search_text as of this revision: a migration must keep
# doing what it did when it was written, whatever the application code becomes.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "’": "'", "ʼ": "'", "‘": "'"})


def _fold(text: str | None) -> str:
    text = unicodedata.normalize("NFKD", (text or "").casefold().translate(_LIGATURES))
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).split())


def _search_text(label: str | None, keywords: object) -> str:
    if isinstance(keywords, str):  # JSON read back as text by some drivers
        keywords = json.loads(keywords or "[]")
    words = [str(w) for w in keywords or []] if isinstance(keywords, list) else []
    return "\n".join(_fold(part) for part in (label, *words) if part)


def upgrade() -> None:
    with op.batch_alter_table("clusters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))

    clusters = sa.table(
        "clusters", sa.column("id", sa.Integer), sa.column("label", sa.String), sa.column("keywords", sa.JSON)
    )
    target = sa.table("clusters", sa.column("id", sa.Integer), sa.column("search_text", sa.Text))
    bind = op.get_bind()
    last = 0
    while True:  # in batches, so a large table never sits in memory at once
        rows = bind.execute(
            sa.select(clusters.c.id, clusters.c.label, clusters.c.keywords)
            .where(clusters.c.id > last)
            .order_by(clusters.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        bind.execute(
            target.update().where(target.c.id == sa.bindparam("cid")).values(search_text=sa.bindparam("text")),
            [{"cid": row.id, "text": _search_text(row.label, row.keywords)} for row in rows],
        )
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("clusters", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("search_text")
