"""Daily rollups of the reports, kept right by the database itself, and the one place that knows a report's Paris day.

Two tables (migration 0020, docs/dashboard.md):

- ``report_days``: Paris day × administration × département × channel × severity → reports, assisted reports. No
  irritant in the key: moving reports between irritants (merges, splits, re-clustering) never touches it, and its
  cardinality stays well under the reports' (measured by ``scripts/bench_dashboard.py``).
- ``cluster_days``: Paris day × irritant → reports, assisted reports (the reports of no irritant are left out).

Both are kept current by **triggers** on ``reports`` (insert, delete, update of a counted column), written in the
migration for SQLite and PostgreSQL: every path that writes reports — the submit's INSERT … ON CONFLICT, the CSV
import's bulk insert, a withdrawal's or purge's DELETE, a merge's or re-clustering's bulk UPDATE of ``cluster_id``
— goes through them in its own transaction, so a figure never lags nor drifts, whatever layer did the write.
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
from irritants.french import PARIS
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
    """Reports per Paris day and per value of every filter but the squad (written only by the triggers and
    ``rebuild``)."""

    __tablename__ = "report_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id"), primary_key=True)
    territory_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    channel_code: Mapped[str] = mapped_column(String(30), primary_key=True)
    severity: Mapped[str] = mapped_column(String(30), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    assisted: Mapped[int] = mapped_column(Integer, default=0)


class ClusterDay(Base):
    """Reports per Paris day and irritant (written only by the triggers and ``rebuild``)."""

    __tablename__ = "cluster_days"
    __table_args__ = (Index("ix_cluster_days_cluster_id", "cluster_id", "day"),)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    assisted: Mapped[int] = mapped_column(Integer, default=0)


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
    """The reports matching ``conditions`` shaped like ``report_days`` (a subquery with ``day``, the four keys,
    ``reports`` and ``assisted``): what figures read when the rollup cannot answer (a squad), and what ``rebuild``
    and the tests compare the rollup with."""
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


def rebuild(session: Session, *, progress: Progress = no_progress, chunk_days: int = 31) -> int:
    """Recompute both rollups from the reports, a month of days at a time (not committed); returns their rows.

    Each chunk is one INSERT … SELECT … GROUP BY in the database: no report row comes to Python.
    """
    session.execute(delete(ReportDay))
    session.execute(delete(ClusterDay))
    first, last = session.execute(select(func.min(Report.created_at), func.max(Report.created_at))).one()
    if first is None:
        progress("rollup", 0, 0)
        return 0
    start = first.date() - dt.timedelta(days=1)
    end = last.date() + dt.timedelta(days=2)
    total = (end - start).days
    day = paris_day(session)
    done = 0
    while start < end:
        stop = min(start + dt.timedelta(days=chunk_days), end)
        # Cut at Paris midnights: each Paris day is counted by one chunk only.
        lo = dt.datetime.combine(start, dt.time(), tzinfo=PARIS).astimezone(dt.UTC)
        hi = dt.datetime.combine(stop, dt.time(), tzinfo=PARIS).astimezone(dt.UTC)
        period = (Report.created_at >= lo, Report.created_at < hi)
        keys = (Report.administration_id, Report.territory_code, Report.channel_code, Report.severity)
        session.execute(
            insert(ReportDay).from_select(
                ["day", "administration_id", "territory_code", "channel_code", "severity", "reports", "assisted"],
                select(day, *keys[:3], cast(Report.severity, String), func.count(), func.sum(assisted_count()))
                .where(*period)
                .group_by(day, *keys),
            )
        )
        session.execute(
            insert(ClusterDay).from_select(
                ["day", "cluster_id", "reports", "assisted"],
                select(day, Report.cluster_id, func.count(), func.sum(assisted_count()))
                .where(*period, Report.cluster_id.is_not(None))
                .group_by(day, Report.cluster_id),
            )
        )
        done += (stop - start).days
        progress("rollup", done, total)
        start = stop
    return session.scalar(select(func.count()).select_from(ReportDay)) + session.scalar(
        select(func.count()).select_from(ClusterDay)
    )


def check_rollup(session: Session) -> bool:
    """Whether both rollups say exactly what the reports say (tests, ``irritants insights rebuild --check``)."""
    raw = raw_days(session, [])
    keys = ("day", "administration_id", "territory_code", "channel_code", "severity")
    mine = {
        tuple(str(v) for v in row[:5]): (int(row[5]), int(row[6]))
        for row in session.execute(
            select(*(getattr(ReportDay, k) for k in keys), ReportDay.reports, ReportDay.assisted).where(
                ReportDay.reports != 0
            )
        )
    }
    theirs = {
        tuple(str(v) for v in row[:5]): (int(row[5]), int(row[6]))
        for row in session.execute(select(*(raw.c[k] for k in keys), raw.c.reports, raw.c.assisted))
    }
    day = paris_day(session).label("day")
    cluster_raw = {
        (str(d), c): (int(n), int(a))
        for d, c, n, a in session.execute(
            select(day, Report.cluster_id, func.count(), func.sum(assisted_count()))
            .where(Report.cluster_id.is_not(None))
            .group_by(day, Report.cluster_id)
        )
    }
    cluster_mine = {
        (str(d), c): (int(n), int(a))
        for d, c, n, a in session.execute(
            select(ClusterDay.day, ClusterDay.cluster_id, ClusterDay.reports, ClusterDay.assisted).where(
                ClusterDay.reports != 0
            )
        )
    }
    return mine == theirs and cluster_mine == cluster_raw
