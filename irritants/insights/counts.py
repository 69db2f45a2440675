"""The report counts of the dashboard: read from the daily rollups (``rollup.py``), or from the reports themselves
when the rollup cannot answer, and shaped with pandas and ``irritants.metrics``."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from irritants import metrics
from irritants.clusters.models import Cluster
from irritants.insights.figures import Equity, EquityRow, Share
from irritants.insights.filters import InsightFilters, report_conditions
from irritants.insights.rollup import ClusterDay, ReportDay, assisted_count, raw_days
from irritants.intake.models import Report
from irritants.referential.models import Administration, Channel, Territory
from irritants.squads.models import Squad

#: Irritants listed in the equity view at most.
EQUITY_ROWS = 20


# --- the rollup, or the reports for a squad ----------------------------------------------------------


def uses_rollup(filters: InsightFilters) -> bool:
    """Whether ``report_days`` can answer (every filter but the squad is in its key)."""
    return filters.squad is None


def _day_source(session: Session, filters: InsightFilters) -> Any:
    """Rows shaped like ``report_days`` for the filters but the period (the rollup, or the reports for a squad)."""
    if uses_rollup(filters):
        table = ReportDay.__table__
        conditions = []
        if filters.administration:
            conditions.append(
                table.c.administration_id
                == select(Administration.id).where(Administration.slug == filters.administration).scalar_subquery()
            )
        if filters.territory:
            conditions.append(table.c.territory_code == filters.territory)
        if filters.region:
            conditions.append(
                table.c.territory_code.in_(select(Territory.code).where(Territory.region_code == filters.region))
            )
        if filters.channel:
            conditions.append(table.c.channel_code == filters.channel)
        if filters.severity:
            conditions.append(table.c.severity == filters.severity.value)
        return table, conditions
    raw = raw_days(session, report_conditions(session, filters, period=False))
    return raw, []


def _both_periods(source: Any, filters: InsightFilters, previous: InsightFilters) -> Any:
    return and_(source.c.day >= previous.start, source.c.day <= filters.end)


def daily(session: Session, filters: InsightFilters, previous: InsightFilters) -> pd.DataFrame:
    """Reports and assisted reports per Paris day over both periods."""
    source, conditions = _day_source(session, filters)
    if not uses_rollup(filters):
        source = _raw_period(session, filters, previous)
    rows = session.execute(
        select(source.c.day, func.sum(source.c.reports), func.sum(source.c.assisted))
        .where(*conditions, _both_periods(source, filters, previous))
        .group_by(source.c.day)
    ).all()
    frame = pd.DataFrame(rows, columns=["day", "reports", "assisted"])
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame[["reports", "assisted"]] = frame[["reports", "assisted"]].fillna(0).astype("int64")
    return frame


def _raw_period(session: Session, filters: InsightFilters, previous: InsightFilters) -> Any:
    """The reports of both periods shaped like the rollup (the period bounds the reports read, by index)."""
    lo = previous.moments[0]
    hi = filters.moments[1]
    return raw_days(
        session, [*report_conditions(session, filters, period=False), Report.created_at >= lo, Report.created_at < hi]
    )


def dimensions(session: Session, filters: InsightFilters, previous: InsightFilters) -> pd.DataFrame:
    """Reports per administration × channel × département, this period (``reports``) and the previous one."""
    source, conditions = _day_source(session, filters)
    if not uses_rollup(filters):
        source = _raw_period(session, filters, previous)
    current = case((source.c.day >= filters.start, source.c.reports), else_=0)
    before = case((source.c.day < filters.start, source.c.reports), else_=0)
    rows = session.execute(
        select(
            source.c.administration_id,
            source.c.channel_code,
            source.c.territory_code,
            func.sum(current),
            func.sum(before),
        )
        .where(*conditions, _both_periods(source, filters, previous))
        .group_by(source.c.administration_id, source.c.channel_code, source.c.territory_code)
    ).all()
    frame = pd.DataFrame(rows, columns=["administration_id", "channel_code", "territory_code", "reports", "previous"])
    frame[["reports", "previous"]] = frame[["reports", "previous"]].fillna(0).astype("int64")
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
    before = frame.groupby("key")["previous"].sum()
    param = _BREAKDOWN_PARAM[key]
    out = []
    for row in table.itertuples(index=False):
        public = row.key
        value = public
        label = labels.get(public, public)
        narrowed = filters.as_query(**{param: public, **({"territory": None} if param == "region" else {}),
                                       **({"region": None} if param == "territory" else {})})  # fmt: skip
        out.append(
            Share(
                key=public,
                label=label,
                reports=int(row.reports),
                previous=int(before.get(value, 0)),
                share=row.share,
                backlog={**backlog, param: public} if param in ("administration", "territory") else {},
                filters=narrowed,
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
    if filters.administration or filters.territory or filters.region or filters.channel or filters.severity:
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
