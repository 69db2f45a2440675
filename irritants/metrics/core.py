"""Pure figures over small frames (see the package's docstring)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

#: No rate, share or ratio is given on fewer reports than this (small numbers are shown as counts only).
MIN_REPORTS_FOR_RATE = 10


def rate(part: float, whole: float, *, minimum: int = 1) -> float | None:
    """``part / whole``, or None when ``whole`` is under ``minimum`` (and never a division by zero)."""
    if whole < max(minimum, 1):
        return None
    return float(part) / float(whole)


def per_thousand(count: float, reports: float, *, minimum: int = MIN_REPORTS_FOR_RATE) -> float | None:
    """``count`` per 1,000 reports (the public statistics' fixes per 1,000 reports), None under ``minimum`` reports."""
    share = rate(count, reports, minimum=minimum)
    return None if share is None else 1000 * share


def median(values: Iterable[float]) -> float | None:
    """The median of the values (None without any); the mean of the two middle ones for an even count."""
    array = np.asarray([v for v in values if v is not None and not pd.isna(v)], dtype=np.float64)
    return float(np.median(array)) if array.size else None


def days_between(frame: pd.DataFrame, start: str, end: str) -> pd.Series:
    """Whole days from column ``start`` to column ``end`` (dates), one per row; negative gaps count 0 (a day
    declared before the first report's day is the same day)."""
    if frame.empty:
        return pd.Series([], dtype="float64")
    gaps = (pd.to_datetime(frame[end]) - pd.to_datetime(frame[start])).dt.days.astype("float64")
    return gaps.clip(lower=0)


def weekly(daily: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The ISO weeks of the period [start, end] with its reports and the previous period's, aligned.

    ``daily`` has a ``day`` (date) and a ``reports`` column and may hold days of both periods. The previous period
    is the same number of days just before ``start``; each of its days is moved forward by the period's length, so
    that the n-th day of both periods falls in the same row. One row per ISO week touched by the period, in order:
    ``week`` (« 2026-W05 »), ``start`` and ``end`` (the days of the week inside the period), ``days`` (how many),
    ``reports`` and ``previous``.
    """
    length = (end - start).days + 1
    counts: dict[dt.date, int] = {}
    previous: dict[dt.date, int] = {}
    shift = dt.timedelta(days=length)
    for day, n in zip(
        daily["day"] if not daily.empty else (), daily["reports"] if not daily.empty else (), strict=True
    ):
        day = pd.Timestamp(day).date() if not isinstance(day, dt.date) else day
        if start <= day <= end:
            counts[day] = counts.get(day, 0) + int(n)
        elif start <= day + shift <= end:
            previous[day + shift] = previous.get(day + shift, 0) + int(n)
    rows: dict[str, dict] = {}
    for offset in range(length):
        day = start + dt.timedelta(days=offset)
        year, week, _ = day.isocalendar()
        row = rows.setdefault(f"{year}-W{week:02d}", {"start": day, "end": day, "days": 0, "reports": 0, "previous": 0})
        row["end"] = day
        row["days"] += 1
        row["reports"] += counts.get(day, 0)
        row["previous"] += previous.get(day, 0)
    frame = pd.DataFrame.from_dict(rows, orient="index").rename_axis("week").reset_index()
    return frame.astype({"days": "int64", "reports": "int64", "previous": "int64"})


def breakdown(frame: pd.DataFrame, key: str, *, value: str = "reports") -> pd.DataFrame:
    """Totals of ``value`` per ``key``, largest first (then by key), with each one's ``share`` of the whole (None
    when the whole is under ``MIN_REPORTS_FOR_RATE``)."""
    if frame.empty:
        return pd.DataFrame({key: [], value: [], "share": []})
    totals = frame.groupby(key, as_index=False)[value].sum()
    whole = int(totals[value].sum())
    totals["share"] = [rate(v, whole, minimum=MIN_REPORTS_FOR_RATE) for v in totals[value]]
    return totals.sort_values([value, key], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def equity(frame: pd.DataFrame, *, minimum: int = MIN_REPORTS_FOR_RATE) -> tuple[float | None, pd.DataFrame]:
    """The average share of assisted reports, and per irritant its share and its ratio to that average.

    ``frame`` has ``cluster_id``, ``reports`` and ``assisted`` (one row per irritant, or several to add up). The
    average is over all the reports given (assisted / reports), under ``minimum`` reports none. Irritants with fewer
    than ``minimum`` reports get no share (left out); the others are ordered by ratio, highest first (then by
    reports, then id): those that hit assisted people most, whatever their volume.
    """
    if frame.empty:
        return None, pd.DataFrame({"cluster_id": [], "reports": [], "assisted": [], "share": [], "ratio": []})
    per = frame.groupby("cluster_id", as_index=False)[["reports", "assisted"]].sum()
    average = rate(per["assisted"].sum(), per["reports"].sum(), minimum=minimum)
    per = per[per["reports"] >= minimum].copy()
    per["share"] = per["assisted"] / per["reports"]
    per["ratio"] = per["share"] / average if average else np.nan
    per = per.sort_values(["ratio", "reports", "cluster_id"], ascending=[False, False, True], kind="mergesort")
    return average, per.reset_index(drop=True)
