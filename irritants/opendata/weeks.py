"""The Paris week of a stored moment, computed by the database (so reports are counted by GROUP BY, never loaded).

Weeks are ISO weeks of metropolitan France: they start on Monday at midnight in Paris. PostgreSQL converts with its
time-zone database; SQLite has none, so its expression applies the European Union's rule itself: summer time (UTC+2)
from the last Sunday of March at 01:00 UTC to the last Sunday of October at 01:00 UTC, UTC+1 otherwise — the rule
France has followed since 1996, every report included.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Integer, and_, case, cast, func, literal_column, or_

from irritants.french import PARIS, midnight

# Stored as text 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) by SQLite: comparable with datetime() strings.


def _sqlite_dst_edge(moment: Any, month_end: str) -> Any:
    """01:00 UTC on the last Sunday of the month whose last day is ``month_end`` ('-03-31'), in ``moment``'s year."""
    last_day = func.strftime(literal_column("'%Y'"), moment).op("||")(literal_column(f"'{month_end}'"))
    last_sunday = func.date(last_day, literal_column("'-6 days'"), literal_column("'weekday 0'"))
    return func.datetime(last_sunday, literal_column("'+1 hours'"))


# Monday 5 January 1970 at midnight, in seconds since the Unix epoch: weeks are counted from it, in whole seconds
# (integer arithmetic: a moment a microsecond before midnight stays in its week).
_EPOCH_MONDAY = 4 * 86400
_WEEK = 7 * 86400


def _sqlite_paris_week(moment: Any) -> Any:
    # April to September are summer time, November to February winter time; only March and October need the day
    # of the change, worked out for those rows alone (the costly part).
    month = func.substr(moment, 6, 2)
    summer = or_(
        month.between(literal_column("'04'"), literal_column("'09'")),
        and_(
            month.in_([literal_column("'03'"), literal_column("'10'")]),
            moment >= _sqlite_dst_edge(moment, "-03-31"),
            moment < _sqlite_dst_edge(moment, "-10-31"),
        ),
    )
    offset = case((summer, literal_column("7200")), else_=literal_column("3600"))
    # Whole seconds, the fraction cut off first: SQLite would round 23:59:59.9995 up to the next day.
    seconds = (
        cast(func.strftime(literal_column("'%s'"), func.substr(moment, 1, 19)), Integer)
        + offset
        - literal_column(str(_EPOCH_MONDAY))
    )
    monday = (seconds // literal_column(str(_WEEK))) * literal_column(str(_WEEK)) + literal_column(str(_EPOCH_MONDAY))
    return func.date(monday, literal_column("'unixepoch'"))


def paris_week(moment: Any, dialect: str) -> Any:
    """SQL for the Monday (Paris) of the week holding ``moment`` (a UTC datetime column): a date on PostgreSQL, an
    ISO 'YYYY-MM-DD' text on SQLite (``as_date`` reads both)."""
    if dialect == "postgresql":
        local = func.timezone(literal_column("'Europe/Paris'"), moment)
        return cast(func.date_trunc(literal_column("'week'"), local), Date)
    if dialect == "sqlite":
        return _sqlite_paris_week(moment)
    raise NotImplementedError(f"Paris weeks are not written for {dialect}")


def as_date(value: Any) -> dt.date:
    """A database's answer for ``paris_week`` as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def week_of(moment: dt.datetime) -> dt.date:
    """The Monday (Paris) of the week holding an aware moment: what ``paris_week`` computes, in Python."""
    day = moment.astimezone(PARIS).date()
    return day - dt.timedelta(days=day.weekday())


def week_start_moment(monday: dt.date) -> dt.datetime:
    """Midnight in Paris on that Monday, as a UTC moment (a bound on ``created_at``)."""
    return midnight(monday)
