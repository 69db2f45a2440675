"""The fix effects of many irritants at once, from ``cluster_days`` (the dashboard's « squads by phase »).

The same figure as ``clusters.effect.fix_effect`` (the irritant's page): the inflow ``weeks`` weeks on each side of
its last declared fix, counted over the irritant and those merged into it or marked its duplicates, handed to the
pure core ``irritants.effect`` — but the per-day counts come from the daily rollup in one query for all the
irritants, instead of from their reports one irritant at a time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from irritants import effect
from irritants.clusters.models import Cluster
from irritants.insights.rollup import ClusterDay
from irritants.settings import FixEffectSettings
from irritants.status import StatusKind

WEEK = dt.timedelta(days=effect.series.WEEK_DAYS)


def families(session: Session, cluster_ids: Iterable[int]) -> dict[int, set[int]]:
    """Each irritant → itself and every irritant marked its duplicate (merged into it), at any depth."""
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in session.execute(
        select(Cluster.id, Cluster.duplicate_of_id).where(
            Cluster.status == StatusKind.DUPLICATE, Cluster.duplicate_of_id.is_not(None)
        )
    ):
        children[parent].append(child)
    out = {}
    for cid in cluster_ids:
        found, frontier = {cid}, [cid]
        while frontier:
            frontier = [c for p in frontier for c in children.get(p, ()) if c not in found]
            found.update(frontier)
        out[cid] = found
    return out


def first_days(session: Session, cluster_ids: Iterable[int]) -> dict[int, dt.date]:
    """Each irritant's first day with a report (irritants without any are left out).

    One lookup per irritant, the first day of its ``(cluster_id, day)`` index with reports: a GROUP BY over the
    irritants would read every day of each (a year's irritants on PostgreSQL at 1,000,000 reports: 161 → 6 ms).
    """
    ids = sorted(set(cluster_ids))
    if not ids:
        return {}
    first = (
        select(func.min(ClusterDay.day))
        .where(ClusterDay.cluster_id == Cluster.id, ClusterDay.reports > 0)
        .scalar_subquery()
    )
    rows = session.execute(select(Cluster.id, first).where(Cluster.id.in_(ids)))
    return {
        cid: day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        for cid, day in rows
        if day is not None
    }


def fix_effects(
    session: Session, settings: FixEffectSettings, clusters: Iterable[Any], *, today: dt.date
) -> dict[int, effect.Effect]:
    """The fix effect of each irritant with a declared fix, by id (``clusters``: irritants or rows with ``id`` and
    ``fixed_on``)."""
    fixed = [c for c in clusters if c.fixed_on is not None]
    if not fixed:
        return {}
    family = families(session, [c.id for c in fixed])
    members = sorted({m for ids in family.values() for m in ids})
    since = min(c.fixed_on for c in fixed) - WEEK * settings.weeks
    until = max(c.fixed_on for c in fixed) + WEEK * settings.weeks
    per_day: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for cid, day, reports in session.execute(
        select(ClusterDay.cluster_id, ClusterDay.day, ClusterDay.reports).where(
            ClusterDay.cluster_id.in_(members), ClusterDay.day >= since, ClusterDay.day < until, ClusterDay.reports > 0
        )
    ):
        per_day[cid][day] = reports
    first_day = first_days(session, members)
    out = {}
    for cluster in fixed:
        ids = family[cluster.id]
        firsts = [first_day[m] for m in ids if m in first_day]
        first = min(firsts) if firsts else cluster.fixed_on
        lo = max(first, cluster.fixed_on - WEEK * settings.weeks)
        hi = min(today, cluster.fixed_on + WEEK * settings.weeks)
        counts: dict[dt.date, int] = defaultdict(int)
        for member in ids:
            for day, n in per_day.get(member, {}).items():
                if lo <= day < hi:
                    counts[day] += n
        series = effect.fix_series(
            dict(counts), fixed_on=cluster.fixed_on, first_day=first, today=today, weeks=settings.weeks
        )
        out[cluster.id] = effect.effect_of(series)
    return out
