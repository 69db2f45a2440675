"""Daily rollups of the reports, kept right by the database itself, and the one place that knows a report's Paris day.

Three tables (migration 0020, docs/dashboard.md), each Paris day × a few columns → reports, assisted reports. Their
keys were chosen by measuring cardinality on 1,000,000 reports over two years (``scripts/bench_dashboard.py``): a
day × administration × département × channel × severity cube has 84 % as many rows as there are reports — no faster
to read than the reports —, so the département goes to a table of its own:

- ``report_days``: day × administration × channel × severity (about 20 % of the reports' rows);
- ``territory_days``: day × département (about 7 %);
- ``cluster_days``: day × irritant (about 40 %; the reports of no irritant are left out).

A filter set that no single table holds (a département with an administration, a squad…) reads the reports of the
two periods, by index.

Both are kept current by **triggers** on ``reports`` (insert, delete, update of a counted column), written in the
migrations for SQLite and PostgreSQL (0020; since 0027 an update moves a report only in the rollups whose columns
it changed, so a placement's ``cluster_id`` writes ``cluster_days`` alone and never waits on a citizen's submit):
every path that writes reports — the submit's INSERT … ON CONFLICT, the CSV import's bulk insert, a withdrawal's
or purge's DELETE, a merge's or re-clustering's bulk UPDATE of ``cluster_id`` — goes through them in its own
transaction, so a figure never lags nor drifts, whatever layer did the write.
``rebuild`` recomputes both from the reports (``irritants insights rebuild``; ``irritants setup`` runs it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from irritants.db import Base
from irritants.french import midnight
from irritants.intake.models import Report
from irritants.progress import Progress, no_progress

#: SQLite has no time zones: metropolitan France's rule since 1996 (UTC+2 from the last Sunday of March, 01:00 UTC,
#: to the last Sunday of October, 01:00 UTC; UTC+1 otherwise), on the stored ``YYYY-MM-DD HH:MM:SS[.ffffff]`` UTC
#: text. The migration's triggers write the same expression with ``NEW.``/``OLD.``.
SQLITE_PARIS_DAY = (
    "date({c}, CASE WHEN {c} >= datetime(date(strftime('%Y', {c}) || '-04-01', 'weekday 0', '-7 days'), '+1 hour') "
    "AND {c} < datetime(date(strftime('%Y', {c}) || '-11-01', 'weekday 0', '-7 days'), '+1 hour') "
    "THEN '+2 hours' ELSE '+1 hour' END)"
)


class ReportDay(Base):
    """Reports per Paris day, administration, channel and severity (written only by the triggers and ``rebuild``)."""

    __tablename__ = "report_days"
    # On SQLite the rows are stored in key order (day first): a period is one contiguous read, not a lookup per row.
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - SQLAlchemy's API

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id"), primary_key=True)
    channel_code: Mapped[str] = mapped_column(String(30), primary_key=True)
    severity: Mapped[str] = mapped_column(String(30), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    assisted: Mapped[int] = mapped_column(Integer, default=0)


class TerritoryDay(Base):
    """Reports per Paris day and département (written only by the triggers and ``rebuild``)."""

    __tablename__ = "territory_days"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - SQLAlchemy's API

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    territory_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    assisted: Mapped[int] = mapped_column(Integer, default=0)


class ClusterDay(Base):
    """Reports per Paris day and irritant (written only by the triggers and ``rebuild``)."""

    __tablename__ = "cluster_days"
    __table_args__ = (Index("ix_cluster_days_cluster_id", "cluster_id", "day"), {"sqlite_with_rowid": False})

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    assisted: Mapped[int] = mapped_column(Integer, default=0)


#: What the figures read of the reports when no rollup holds the filters (a squad, a département with an
#: administration…): every column they group or filter on, after the moment, so that the reports of a period are read
#: from this index alone (PostgreSQL's index-only scan; SQLite's covering index) — measured 5× faster at 1,000,000.
_FACTS = (
    Report.created_at,
    Report.administration_id,
    Report.territory_code,
    Report.channel_code,
    Report.severity,
    Report.assisted,
    Report.cluster_id,
)
PERIOD_FACTS = Index("ix_reports_period_facts", *_FACTS)

#: The same facts led by the irritant and by the administration (migration 0023): a squad's reports (its irritants)
#: and an administration's reports over a year are read from these alone instead of every report of the period —
#: measured at 1,000,000 reports on PostgreSQL, a year of the largest administration's départements 165 → 52 ms, a
#: year of a squad's breakdowns 190 → 4 ms (docs/dashboard.md).
CLUSTER_FACTS = Index("ix_reports_cluster_facts", Report.cluster_id, *(c for c in _FACTS if c is not Report.cluster_id))
ADMINISTRATION_FACTS = Index(
    "ix_reports_administration_facts",
    Report.administration_id,
    *(c for c in _FACTS if c is not Report.administration_id),
)


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def paris_day(session: Session, column: Any = None) -> Any:
    """SQL for the Paris day of a UTC moment (``Report.created_at`` by default), on this session's database."""
    column = Report.created_at if column is None else column
    if dialect_of(session) == "postgresql":
        return cast(func.timezone("Europe/Paris", column), Date)
    name = f"{column.table.name}.{column.name}" if hasattr(column, "table") else str(column)
    return literal_column(SQLITE_PARIS_DAY.format(c=name), Date)


#: The channels of an assisted report (someone helped, or the citizen used no screen), besides ``Report.assisted``;
#: the migration's triggers write the same list.
ASSISTED_CHANNELS = ("courrier", "france_services", "guichet", "telephone")


def assisted_count() -> Any:
    """1 for an assisted report (flagged, or through ``ASSISTED_CHANNELS``), else 0."""
    return case((or_(Report.assisted.is_(True), Report.channel_code.in_(ASSISTED_CHANNELS)), 1), else_=0)


def raw_days(session: Session, conditions: list[Any]) -> Any:
    """The reports matching ``conditions`` as a subquery with ``day``, the four filtered columns (administration,
    département, channel, severity), ``reports`` and ``assisted``: what figures read when no rollup holds every
    filter (a squad, a département with an administration…)."""
    day = paris_day(session).label("day")
    return (
        select(
            day,
            Report.administration_id,
            Report.territory_code,
            Report.channel_code,
            cast(Report.severity, String).label("severity"),
            func.count().label("reports"),
            func.sum(assisted_count()).label("assisted"),
        )
        .where(*conditions)
        .group_by(day, Report.administration_id, Report.territory_code, Report.channel_code, Report.severity)
        .subquery("raw_days")
    )


def _rollups() -> dict[Any, tuple[Any, ...]]:
    """Each rollup → the report columns of its key (besides the day)."""
    return {
        ReportDay: (Report.administration_id, Report.channel_code, cast(Report.severity, String)),
        TerritoryDay: (Report.territory_code,),
        ClusterDay: (Report.cluster_id,),
    }


def _key_names(model: Any) -> list[str]:
    return [c.name for c in model.__table__.primary_key.columns if c.name != "day"]


def _grouped(session: Session, model: Any, *conditions: Any) -> Any:
    """The reports counted as ``model`` counts them (its key, reports, assisted)."""
    day = paris_day(session)
    keys = _rollups()[model]
    if model is ClusterDay:
        conditions = (*conditions, Report.cluster_id.is_not(None))
    return select(day, *keys, func.count(), func.sum(assisted_count())).where(*conditions).group_by(day, *keys)


def rebuild(session: Session, *, progress: Progress = no_progress, chunk_days: int = 31) -> int:
    """Recompute the rollups from the reports, a month of days at a time (not committed); returns their rows.

    Each chunk is one INSERT … SELECT … GROUP BY per table in the database: no report row comes to Python.
    """
    for model in _rollups():
        session.execute(delete(model))
    first, last = session.execute(select(func.min(Report.created_at), func.max(Report.created_at))).one()
    if first is None:
        progress("rollup", 0, 0)
        return 0
    start = first.date() - dt.timedelta(days=1)
    end = last.date() + dt.timedelta(days=2)
    total = (end - start).days
    done = 0
    while start < end:
        stop = min(start + dt.timedelta(days=chunk_days), end)
        # Cut at Paris midnights: each Paris day is counted by one chunk only.
        lo, hi = midnight(start), midnight(stop)
        for model in _rollups():
            session.execute(
                insert(model).from_select(
                    ["day", *_key_names(model), "reports", "assisted"],
                    _grouped(session, model, Report.created_at >= lo, Report.created_at < hi),
                )
            )
        done += (stop - start).days
        progress("rollup", done, total)
        start = stop
    return sum(session.scalar(select(func.count()).select_from(model)) or 0 for model in _rollups())


def check_rollup(session: Session) -> bool:
    """Whether every rollup says exactly what the reports say (tests, ``irritants insights rebuild --check``)."""
    for model in _rollups():
        columns = [model.__table__.c.day, *(model.__table__.c[k] for k in _key_names(model))]
        mine = {
            tuple(str(v) for v in row[:-2]): (int(row[-2]), int(row[-1]))
            for row in session.execute(select(*columns, model.reports, model.assisted).where(model.reports != 0))
        }
        theirs = {
            tuple(str(v) for v in row[:-2]): (int(row[-2]), int(row[-1]))
            for row in session.execute(_grouped(session, model))
        }
        if mine != theirs:
            return False
    return True
