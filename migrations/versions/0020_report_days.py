"""report_days and cluster_days: daily rollups of the reports for the dashboard, kept by triggers on reports

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

REPORT_KEYS = "day, administration_id, territory_code, channel_code, severity"
COUNTED = "created_at, administration_id, territory_code, channel_code, severity, assisted, cluster_id"


def _statements(day: str, assisted: str, row: str, sign: str) -> list[str]:
    """Add (sign '+') or take away (sign '-') one report ``row`` (NEW or OLD) in both rollups."""
    d = day.format(c=f"{row}.created_at")
    a = assisted.format(c=f"{row}.assisted", channel=f"{row}.channel_code")
    if sign == "+":
        return [
            f"INSERT INTO report_days ({REPORT_KEYS}, reports, assisted) "
            f"SELECT {d}, {row}.administration_id, {row}.territory_code, {row}.channel_code, {row}.severity, 1, {a} "
            f"WHERE true ON CONFLICT ({REPORT_KEYS}) DO UPDATE SET reports = report_days.reports + 1, "
            "assisted = report_days.assisted + excluded.assisted",
            f"INSERT INTO cluster_days (day, cluster_id, reports, assisted) SELECT {d}, {row}.cluster_id, 1, {a} "
            f"WHERE {row}.cluster_id IS NOT NULL ON CONFLICT (day, cluster_id) DO UPDATE SET "
            "reports = cluster_days.reports + 1, assisted = cluster_days.assisted + excluded.assisted",
        ]
    return [
        f"UPDATE report_days SET reports = reports - 1, assisted = assisted - {a} WHERE day = {d} AND "  # noqa: S608 - constant text
        f"administration_id = {row}.administration_id AND territory_code = {row}.territory_code AND "
        f"channel_code = {row}.channel_code AND severity = {row}.severity",
        f"UPDATE cluster_days SET reports = reports - 1, assisted = assisted - {a} WHERE day = {d} AND "  # noqa: S608 - constant text
        f"cluster_id = {row}.cluster_id",
    ]


def _changed(old: str, new: str, distinct: str) -> str:
    return " OR ".join(f"{old}.{c} {distinct} {new}.{c}" for c in COUNTED.split(", "))


def _fill(day: str, assisted: str) -> None:
    d = day.format(c="created_at")
    a = assisted.format(c="assisted", channel="channel_code")
    op.execute(
        f"INSERT INTO report_days ({REPORT_KEYS}, reports, assisted) SELECT {d}, administration_id, territory_code, "  # noqa: S608 - constant text
        f"channel_code, severity, count(*), sum({a}) FROM reports GROUP BY {d}, administration_id, territory_code, "
        "channel_code, severity"
    )
    op.execute(
        f"INSERT INTO cluster_days (day, cluster_id, reports, assisted) SELECT {d}, cluster_id, count(*), sum({a}) "  # noqa: S608 - constant text
        f"FROM reports WHERE cluster_id IS NOT NULL GROUP BY {d}, cluster_id"
    )


def upgrade() -> None:
    op.create_table(
        "report_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("territory_code", sa.String(length=3), nullable=False),
        sa.Column("channel_code", sa.String(length=30), nullable=False),
        sa.Column("severity", sa.String(length=30), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("assisted", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["administration_id"], ["administrations.id"], name="fk_report_days_administration_id_administrations"
        ),
        sa.PrimaryKeyConstraint(
            "day", "administration_id", "territory_code", "channel_code", "severity", name="pk_report_days"
        ),
    )
    op.create_table(
        "cluster_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("assisted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "cluster_id", name="pk_cluster_days"),
    )
    op.create_index("ix_cluster_days_cluster_id", "cluster_days", ["cluster_id", "day"])
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
    op.drop_index("ix_cluster_days_cluster_id", table_name="cluster_days")
    op.drop_table("cluster_days")
    op.drop_table("report_days")
