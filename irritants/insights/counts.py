"""The report counts of the dashboard: read from the daily rollups (``rollup.py``), or from the reports themselves
when the rollup cannot answer, and shaped with pandas and ``irritants.metrics``."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from irritants import metrics
from irritants.clusters.models import Cluster
from irritants.insights.figures import Equity, EquityRow, Share
from irritants.insights.filters import InsightFilters, column_conditions, report_conditions
from irritants.insights.rollup import ClusterDay, ReportDay, TerritoryDay, assisted_count, raw_days
from irritants.intake.models import Report
from irritants.referential.models import Administration, Channel, Territory
from irritants.squads.models import Squad

#: Irritants listed in the equity view at most.
EQUITY_ROWS = 20


# --- the rollups, or the reports when no rollup holds every filter ---------------------------------------------

#: The columns of each rollup besides ``day``, ``reports`` and ``assisted``.
#: The smallest first: without any filter, the day-by-day totals read ``territory_days``.
ROLLUP_KEYS: dict[Any, frozenset[str]] = {
    TerritoryDay.__table__: frozenset({"territory_code"}),
    ReportDay.__table__: frozenset({"administration_id", "channel_code", "severity"}),
}


def _filter_columns(filters: InsightFilters) -> set[str]:
    wanted = set()
    if filters.administration:
        wanted.add("administration_id")
    if filters.channel:
        wanted.add("channel_code")
    if filters.severity:
        wanted.add("severity")
    if filters.territory or filters.region:
        wanted.add("territory_code")
    if filters.procedure:
        wanted.add("procedure_id")  # in no rollup: the reports are read
    return wanted


def source_for(filters: InsightFilters, columns: frozenset[str] | set[str] = frozenset()) -> Any:
    """The rollup that holds ``columns`` and every filter, or None (then the reports are read; always for a squad)."""
    if filters.squad:
        return None
    needed = _filter_columns(filters) | set(columns)
    return next((table for table, keys in ROLLUP_KEYS.items() if needed <= keys), None)


def uses_rollup(filters: InsightFilters) -> bool:
    """Whether the day-by-day counts of these filters come from a rollup."""
    return source_for(filters) is not None


def _narrowed(session: Session, filters: InsightFilters, previous: InsightFilters, columns: set[str]) -> Any:
    """(rows with ``day``, ``reports``, ``assisted`` and ``columns``, their conditions) over both periods."""
    table = source_for(filters, columns)
    if table is None and filters.squad and not columns and not _filter_columns(filters):
        # A squad alone: the days of its irritants (cluster_days), the irritants it is in charge of now.
        squad = select(Squad.id).where(Squad.slug == filters.squad).scalar_subquery()
        days = (
            select(ClusterDay.day, ClusterDay.reports, ClusterDay.assisted)
            .where(
                ClusterDay.cluster_id.in_(select(Cluster.id).where(Cluster.squad_id == squad)),
                ClusterDay.day >= previous.start,
                ClusterDay.day <= filters.end,
            )
            .subquery("squad_days")
        )
        return days, []
    if table is None:
        lo, hi = previous.moments[0], filters.moments[1]
        conditions = [
            *report_conditions(session, filters, period=False),
            Report.created_at >= lo,
            Report.created_at < hi,
        ]
        return raw_days(session, conditions), []
    c = table.c
    conditions = [c.day >= previous.start, c.day <= filters.end]
    conditions += column_conditions(filters, **{name: c[name] for name in ROLLUP_KEYS[table]})
    return table, conditions


def daily(session: Session, filters: InsightFilters, previous: InsightFilters) -> pd.DataFrame:
    """Reports and assisted reports per Paris day over both periods."""
    source, conditions = _narrowed(session, filters, previous, set())
    rows = session.execute(
        select(source.c.day, func.sum(source.c.reports), func.sum(source.c.assisted))
        .where(*conditions)
        .group_by(source.c.day)
    ).all()
    frame = pd.DataFrame(rows, columns=["day", "reports", "assisted"])
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame[["reports", "assisted"]] = frame[["reports", "assisted"]].fillna(0).astype("int64")
    return frame


def dimensions(session: Session, filters: InsightFilters, previous: InsightFilters, *keys: str) -> pd.DataFrame:
    """Reports per value of ``keys`` (columns of the reports), this period (``reports``) and the previous one
    (``previous``); with ``territory_code``, each département's ``region_code`` too."""
    if source_for(filters, set(keys)) is None:
        # The reports themselves: which period is told by the moment, no day computed per row.
        lo, hi = previous.moments[0], filters.moments[1]
        start = filters.moments[0]
        source = Report.__table__
        conditions = [
            *report_conditions(session, filters, period=False),
            Report.created_at >= lo,
            Report.created_at < hi,
        ]
        current = case((Report.created_at >= start, 1), else_=0)
        before = case((Report.created_at < start, 1), else_=0)
    else:
        source, conditions = _narrowed(session, filters, previous, set(keys))
        current = case((source.c.day >= filters.start, source.c.reports), else_=0)
        before = case((source.c.day < filters.start, source.c.reports), else_=0)
    columns = [source.c[k] for k in keys]
    rows = session.execute(
        select(*columns, func.sum(current), func.sum(before)).where(*conditions).group_by(*columns)
    ).all()
    frame = pd.DataFrame(rows, columns=[*keys, "reports", "previous"])
    frame[["reports", "previous"]] = frame[["reports", "previous"]].fillna(0).astype("int64")
    if "territory_code" in keys:
        regions = dict(session.execute(select(Territory.code, Territory.region_code)).all())
        frame["region_code"] = frame["territory_code"].map(regions)
    return frame


def names_of(session: Session) -> dict[str, dict[Any, tuple[str, str]]]:
    """key → (public key, label) for each breakdown."""
    admins = {i: (slug, name) for i, slug, name in session.execute(select(Administration.id, Administration.slug,
                                                                          Administration.name))}  # fmt: skip
    channels = {code: (code, label) for code, label in session.execute(select(Channel.code, Channel.label))}
    territories, regions = {}, {}
    for code, name, region_code, region_name in session.execute(
        select(Territory.code, Territory.name, Territory.region_code, Territory.region_name)
    ):
        territories[code] = (code, name)
        regions[region_code] = (region_code, region_name)
    return {"administration": admins, "channel": channels, "territory": territories, "region": regions}


_BREAKDOWN_PARAM = {
    "administration_id": "administration",
    "channel_code": "channel",
    "territory_code": "territory",
    "region_code": "region",
}


def shares(
    dims: pd.DataFrame,
    key: str,
    names: dict[Any, tuple[str, str]],
    filters: InsightFilters,
    backlog: dict[str, str],
) -> list[Share]:
    if dims.empty:
        return []
    # Keyed by the public key (slug, code): ties are ordered the same way everywhere.
    frame = pd.DataFrame(
        {
            "key": [names.get(v, (str(v), str(v)))[0] for v in dims[key]],
            "reports": dims["reports"],
            "previous": dims["previous"],
        }
    )
    labels = {public: label for public, label in names.values()}
    table = metrics.breakdown(frame, "key")
    before = frame.groupby("key")["previous"].sum().to_dict()
    param = _BREAKDOWN_PARAM[key]
    # A département and a region exclude each other: narrowing to one drops the other.
    dropped = {"territory", "region"} if param in ("territory", "region") else {param}
    base = {k: v for k, v in filters.as_query().items() if k not in dropped}
    with_backlog = param in ("administration", "territory")
    out = []
    for public, reports, share in zip(table["key"], table["reports"], table["share"], strict=True):
        out.append(
            Share(
                key=public,
                label=labels.get(public, public),
                reports=int(reports),
                previous=int(before.get(public, 0)),
                share=share,
                backlog={**backlog, param: public} if with_backlog else {},
                filters={**base, param: public},
            )
        )
    return [s for s in out if s.reports or s.previous]


def equity(session: Session, filters: InsightFilters, daily: pd.DataFrame) -> Equity:
    """Per irritant, its share of assisted reports in the period against the period's average."""
    inside = daily[(daily["day"] >= filters.start) & (daily["day"] <= filters.end)] if not daily.empty else daily
    reports = int(inside["reports"].sum()) if not inside.empty else 0
    assisted = int(inside["assisted"].sum()) if not inside.empty else 0
    average = metrics.rate(assisted, reports, minimum=metrics.MIN_REPORTS_FOR_RATE)

    # cluster_days knows the irritant and the day only: any other filter reads the period's reports (by index).
    if (
        filters.administration
        or filters.territory
        or filters.region
        or filters.channel
        or filters.severity
        or filters.procedure
    ):
        stmt = (
            select(Report.cluster_id, func.count(), func.sum(assisted_count()))
            .where(*report_conditions(session, filters), Report.cluster_id.is_not(None))
            .group_by(Report.cluster_id)
            .having(func.count() >= metrics.MIN_REPORTS_FOR_RATE)
        )
    else:
        squad = select(Cluster.id).where(
            Cluster.squad_id == select(Squad.id).where(Squad.slug == filters.squad).scalar_subquery()
        )
        stmt = (
            select(ClusterDay.cluster_id, func.sum(ClusterDay.reports), func.sum(ClusterDay.assisted))
            .where(ClusterDay.day >= filters.start, ClusterDay.day <= filters.end)
            .where(*([ClusterDay.cluster_id.in_(squad)] if filters.squad else []))
            .group_by(ClusterDay.cluster_id)
            .having(func.sum(ClusterDay.reports) >= metrics.MIN_REPORTS_FOR_RATE)
        )
    frame = pd.DataFrame(session.execute(stmt).all(), columns=["cluster_id", "reports", "assisted"])
    if frame.empty:
        return Equity(average, metrics.MIN_REPORTS_FOR_RATE, [])
    frame[["reports", "assisted"]] = frame[["reports", "assisted"]].astype("int64")
    _, table = metrics.equity(frame)
    table = table.head(EQUITY_ROWS)
    wanted = [int(cid) for cid in table["cluster_id"]]
    labels = dict(session.execute(select(Cluster.id, Cluster.label).where(Cluster.id.in_(wanted))).all())
    rows = [
        EquityRow(
            id=int(r.cluster_id),
            label=labels.get(int(r.cluster_id), ""),
            reports=int(r.reports),
            assisted=int(r.assisted),
            share=float(r.share),
            ratio=(float(r.share) / average) if average else None,
        )
        for r in table.itertuples(index=False)
    ]
    return Equity(average, metrics.MIN_REPORTS_FOR_RATE, rows)
