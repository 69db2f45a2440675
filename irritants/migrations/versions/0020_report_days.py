"""report_days, territory_days, cluster_days: daily rollups of the reports for the dashboard, kept by triggers

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04

The triggers count every write to ``reports`` whatever layer made it (ORM, Core bulk insert, DELETE, bulk UPDATE of
``cluster_id``); the existing reports are counted here once (``irritants insights rebuild`` does it again at will).
The Paris day is computed in SQL: PostgreSQL's time zone database, or on SQLite metropolitan France's rule since 1996
(``irritants/insights/rollup.py``, ``SQLITE_PARIS_DAY``, the same text).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

SQLITE_PARIS_DAY = (
    "date({c}, CASE WHEN {c} >= datetime(date(strftime('%Y', {c}) || '-04-01', 'weekday 0', '-7 days'), '+1 hour') "
    "AND {c} < datetime(date(strftime('%Y', {c}) || '-11-01', 'weekday 0', '-7 days'), '+1 hour') "
    "THEN '+2 hours' ELSE '+1 hour' END)"
)
# A report counts as assisted when flagged so or made through a channel with a person (rollup.ASSISTED_CHANNELS).
ASSISTED = (
    "(CASE WHEN {flag} OR {channel} IN ('courrier', 'france_services', 'guichet', 'telephone') THEN 1 ELSE 0 END)"
)
PG_PARIS_DAY = "(({c}) AT TIME ZONE 'Europe/Paris')::date"

# Each rollup → the columns of its key besides the day (and the condition a report must meet to be counted).
ROLLUPS = {
    "report_days": (("administration_id", "channel_code", "severity"), "true"),
    "territory_days": (("territory_code",), "true"),
    "cluster_days": (("cluster_id",), "{row}.cluster_id IS NOT NULL"),
}
COUNTED = "created_at, administration_id, territory_code, channel_code, severity, assisted, cluster_id"


def _statements(day: str, assisted: str, row: str, sign: str) -> list[str]:
    """Add (sign '+') or take away (sign '-') one report ``row`` (NEW or OLD) in every rollup."""
    d = day.format(c=f"{row}.created_at")
    a = assisted.format(c=f"{row}.assisted", channel=f"{row}.channel_code")
    out = []
    for table, (keys, counted) in ROLLUPS.items():
        names = ", ".join(keys)
        values = ", ".join(f"{row}.{k}" for k in keys)
        if sign == "+":
            out.append(
                f"INSERT INTO {table} (day, {names}, reports, assisted) SELECT {d}, {values}, 1, {a} "
                f"WHERE {counted.format(row=row)} ON CONFLICT (day, {names}) DO UPDATE SET "
                f"reports = {table}.reports + 1, assisted = {table}.assisted + excluded.assisted"
            )
        else:
            matches = " AND ".join(f"{k} = {row}.{k}" for k in keys)
            out.append(
                f"UPDATE {table} SET reports = reports - 1, assisted = assisted - {a} WHERE day = {d} AND {matches}"  # noqa: S608 - constant text
            )
    return out


def _changed(old: str, new: str, distinct: str) -> str:
    return " OR ".join(f"{old}.{c} {distinct} {new}.{c}" for c in COUNTED.split(", "))


def _fill(day: str, assisted: str) -> None:
    d = day.format(c="created_at")
    a = assisted.format(c="assisted", channel="channel_code")
    for table, (keys, counted) in ROLLUPS.items():
        names = ", ".join(keys)
        op.execute(
            f"INSERT INTO {table} (day, {names}, reports, assisted) SELECT {d}, {names}, count(*), sum({a}) "  # noqa: S608 - constant text
            f"FROM reports WHERE {counted.format(row='reports')} GROUP BY {d}, {names}"
        )


def upgrade() -> None:
    op.create_table(
        "report_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("channel_code", sa.String(length=30), nullable=False),
        sa.Column("severity", sa.String(length=30), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("assisted", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["administration_id"], ["administrations.id"], name="fk_report_days_administration_id_administrations"
        ),
        sa.PrimaryKeyConstraint("day", "administration_id", "channel_code", "severity", name="pk_report_days"),
        sqlite_with_rowid=False,  # stored in key order on SQLite: a period is one contiguous read
    )
    op.create_table(
        "territory_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("territory_code", sa.String(length=3), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("assisted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "territory_code", name="pk_territory_days"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "cluster_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("assisted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "cluster_id", name="pk_cluster_days"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_cluster_days_cluster_id", "cluster_days", ["cluster_id", "day"])
    # The reports of a period read from the index alone when no rollup holds the filters (insights/rollup.py).
    op.create_index(
        "ix_reports_period_facts",
        "reports",
        ["created_at", "administration_id", "territory_code", "channel_code", "severity", "assisted", "cluster_id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        day, assisted = PG_PARIS_DAY, ASSISTED.format(flag="{c}", channel="{channel}")
        add = ";\n    ".join(_statements(day, assisted, "NEW", "+"))
        take = ";\n    ".join(_statements(day, assisted, "OLD", "-"))
        op.execute(
            f"""CREATE FUNCTION reports_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    {take};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    {add};
  END IF;
  RETURN NULL;
END $$"""
        )
        op.execute(
            "CREATE TRIGGER reports_rollup_insert_delete AFTER INSERT OR DELETE ON reports "
            "FOR EACH ROW EXECUTE FUNCTION reports_rollup()"
        )
        op.execute(
            f"CREATE TRIGGER reports_rollup_update AFTER UPDATE OF {COUNTED} ON reports FOR EACH ROW "
            f"WHEN ({_changed('OLD', 'NEW', 'IS DISTINCT FROM')}) EXECUTE FUNCTION reports_rollup()"
        )
    else:
        day, assisted = SQLITE_PARIS_DAY, ASSISTED.format(flag="{c} = 1", channel="{channel}")
        add = ";\n  ".join(_statements(day, assisted, "NEW", "+"))
        take = ";\n  ".join(_statements(day, assisted, "OLD", "-"))
        op.execute(f"CREATE TRIGGER reports_rollup_insert AFTER INSERT ON reports BEGIN\n  {add};\nEND")
        op.execute(f"CREATE TRIGGER reports_rollup_delete AFTER DELETE ON reports BEGIN\n  {take};\nEND")
        op.execute(
            f"CREATE TRIGGER reports_rollup_update AFTER UPDATE OF {COUNTED} ON reports "
            f"WHEN {_changed('OLD', 'NEW', 'IS NOT')} BEGIN\n  {take};\n  {add};\nEND"
        )
    _fill(day, assisted)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS reports_rollup_update ON reports")
        op.execute("DROP TRIGGER IF EXISTS reports_rollup_insert_delete ON reports")
        op.execute("DROP FUNCTION IF EXISTS reports_rollup()")
    else:
        for name in ("reports_rollup_insert", "reports_rollup_delete", "reports_rollup_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_reports_period_facts", table_name="reports")
    op.drop_index("ix_cluster_days_cluster_id", table_name="cluster_days")
    op.drop_table("cluster_days")
    op.drop_table("territory_days")
    op.drop_table("report_days")
