"""Rollup triggers: an UPDATE of a report touches only the rollups whose key or counted columns changed

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04

0020's update trigger took a report out of every rollup and put it back whatever column changed. Placing a batch of
reports in irritants (an UPDATE of ``cluster_id`` per report, one transaction) therefore locked ``report_days`` then
``territory_days`` rows report after report, while a citizen's INSERT locks its ``report_days`` row then its
``territory_days`` row: the two took the same rows in opposite orders and PostgreSQL killed one as a deadlock victim
(a 503 to the citizen). Now a ``cluster_id`` change moves the report in ``cluster_days`` only, which a new report
(no irritant yet) never writes; the other rollups move only when their own key, the day or the assisted count
changes. PostgreSQL: one plpgsql function with a test per rollup; SQLite: one update trigger per rollup, each with
its WHEN clause. Insert and delete triggers are unchanged. The downgrade puts 0020's triggers back.
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# The same text as 0020's (a migration stays as it was written, so it is repeated rather than imported).
SQLITE_PARIS_DAY = (
    "date({c}, CASE WHEN {c} >= datetime(date(strftime('%Y', {c}) || '-04-01', 'weekday 0', '-7 days'), '+1 hour') "
    "AND {c} < datetime(date(strftime('%Y', {c}) || '-11-01', 'weekday 0', '-7 days'), '+1 hour') "
    "THEN '+2 hours' ELSE '+1 hour' END)"
)
ASSISTED = (
    "(CASE WHEN {flag} OR {channel} IN ('courrier', 'france_services', 'guichet', 'telephone') THEN 1 ELSE 0 END)"
)
PG_PARIS_DAY = "(({c}) AT TIME ZONE 'Europe/Paris')::date"
# What a report's count in every rollup depends on besides the rollup's own key: its day and its assisted count.
COMMON = ("created_at", "assisted", "channel_code")
# Each rollup → the columns of its key besides the day, and the condition a report must meet to be counted.
ROLLUPS = {
    "report_days": (("administration_id", "channel_code", "severity"), "true"),
    "territory_days": (("territory_code",), "true"),
    "cluster_days": (("cluster_id",), "{row}.cluster_id IS NOT NULL"),
}
COUNTED = "created_at, administration_id, territory_code, channel_code, severity, assisted, cluster_id"


def _dialect_texts() -> tuple[str, str, str, str]:
    """(day, assisted, IS DISTINCT FROM spelling, statement separator) of the current database."""
    if op.get_bind().dialect.name == "postgresql":
        return PG_PARIS_DAY, ASSISTED.format(flag="{c}", channel="{channel}"), "IS DISTINCT FROM", ";\n    "
    return SQLITE_PARIS_DAY, ASSISTED.format(flag="{c} = 1", channel="{channel}"), "IS NOT", ";\n  "


def _add(table: str, day: str, assisted: str, row: str) -> str:
    keys, counted = ROLLUPS[table]
    names = ", ".join(keys)
    values = ", ".join(f"{row}.{k}" for k in keys)
    d = day.format(c=f"{row}.created_at")
    a = assisted.format(c=f"{row}.assisted", channel=f"{row}.channel_code")
    return (
        f"INSERT INTO {table} (day, {names}, reports, assisted) SELECT {d}, {values}, 1, {a} "
        f"WHERE {counted.format(row=row)} ON CONFLICT (day, {names}) DO UPDATE SET "
        f"reports = {table}.reports + 1, assisted = {table}.assisted + excluded.assisted"
    )


def _take(table: str, day: str, assisted: str, row: str) -> str:
    keys, _counted = ROLLUPS[table]
    d = day.format(c=f"{row}.created_at")
    a = assisted.format(c=f"{row}.assisted", channel=f"{row}.channel_code")
    matches = " AND ".join(f"{k} = {row}.{k}" for k in keys)
    return f"UPDATE {table} SET reports = reports - 1, assisted = assisted - {a} WHERE day = {d} AND {matches}"  # noqa: S608 - constant text


def _changed(columns: tuple[str, ...] | list[str], distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


def _columns_of(table: str) -> tuple[str, ...]:
    keys, _counted = ROLLUPS[table]
    return tuple(dict.fromkeys((*COMMON, *keys)))


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS reports_rollup_update ON reports")
        op.execute("DROP TRIGGER IF EXISTS reports_rollup_insert_delete ON reports")
        op.execute("DROP FUNCTION IF EXISTS reports_rollup()")
    else:
        names = ["reports_rollup_insert", "reports_rollup_delete", "reports_rollup_update"]
        names += [f"reports_rollup_update_{table}" for table in ROLLUPS]
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _create_triggers(*, per_rollup: bool) -> None:
    """The rollup triggers: ``per_rollup`` those of this revision, otherwise 0020's (every rollup on any update)."""
    day, assisted, distinct, sep = _dialect_texts()
    add = sep.join(_add(t, day, assisted, "NEW") for t in ROLLUPS)
    take = sep.join(_take(t, day, assisted, "OLD") for t in ROLLUPS)
    every = _changed(COUNTED.split(", "), distinct)
    if op.get_bind().dialect.name == "postgresql":
        if per_rollup:
            # Nested IFs: plpgsql does not promise to skip OLD's fields on an INSERT in a single condition.
            moves = "\n    ".join(
                f"IF {_changed(_columns_of(t), distinct)} THEN\n"
                f"      {_take(t, day, assisted, 'OLD')};\n      {_add(t, day, assisted, 'NEW')};\n    END IF;"
                for t in ROLLUPS
            )
            body = f"""
  IF TG_OP = 'DELETE' THEN
    {take};
  END IF;
  IF TG_OP = 'INSERT' THEN
    {add};
  END IF;
  IF TG_OP = 'UPDATE' THEN
    {moves}
  END IF;"""
        else:  # 0020's text, word for word
            body = f"""
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    {take};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    {add};
  END IF;"""
        op.execute(
            f"""CREATE FUNCTION reports_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{body}
  RETURN NULL;
END $$"""
        )
        op.execute(
            "CREATE TRIGGER reports_rollup_insert_delete AFTER INSERT OR DELETE ON reports "
            "FOR EACH ROW EXECUTE FUNCTION reports_rollup()"
        )
        op.execute(
            f"CREATE TRIGGER reports_rollup_update AFTER UPDATE OF {COUNTED} ON reports FOR EACH ROW "
            f"WHEN ({every}) EXECUTE FUNCTION reports_rollup()"
        )
        return
    op.execute(f"CREATE TRIGGER reports_rollup_insert AFTER INSERT ON reports BEGIN\n  {add};\nEND")
    op.execute(f"CREATE TRIGGER reports_rollup_delete AFTER DELETE ON reports BEGIN\n  {take};\nEND")
    if not per_rollup:
        op.execute(
            f"CREATE TRIGGER reports_rollup_update AFTER UPDATE OF {COUNTED} ON reports "
            f"WHEN {every} BEGIN\n  {take};\n  {add};\nEND"
        )
        return
    for table in ROLLUPS:
        columns = _columns_of(table)
        op.execute(
            f"CREATE TRIGGER reports_rollup_update_{table} AFTER UPDATE OF {', '.join(columns)} ON reports "
            f"WHEN {_changed(columns, distinct)} BEGIN\n"
            f"  {_take(table, day, assisted, 'OLD')};\n  {_add(table, day, assisted, 'NEW')};\nEND"
        )


def upgrade() -> None:
    _drop_triggers()
    _create_triggers(per_rollup=True)


def downgrade() -> None:
    _drop_triggers()
    _create_triggers(per_rollup=False)
