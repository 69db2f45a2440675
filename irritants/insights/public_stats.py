"""The public statistics (``/statistiques``): per administration over a period, the reports received, the share of
them fixed against closed without a fix, the fixes per 1,000 reports and the median days from first report to fix;
the changelog of fixes shipped; reports per département for the map.

Counts are aggregated in the database (GROUP BY over the daily rollups); only the few small rows they give are
shaped here, with the metrics core's rules (``irritants.metrics``: ``rate``, ``median``, ``per_thousand``). A rate is
given only over ``MIN_REPORTS`` reports or more: under that, the page says « moins de 10 signalements » (a rate on 3
reports would compare nothing and could point at a person). Every figure is explained on the page and in
docs/public-statistics.md. Functions take the session first and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from irritants import france_map, metrics
from irritants.charts import number_fr
from irritants.clusters import services as clusters
from irritants.clusters.models import Cluster
from irritants.insights.filters import InsightFilters
from irritants.insights.rollup import ClusterDay, ReportDay, TerritoryDay
from irritants.paging import Page, paginate
from irritants.referential import geography
from irritants.referential.models import Administration
from irritants.status import StatusKind

MIN_REPORTS = metrics.MIN_REPORTS_FOR_RATE  # 10, the dashboard's rule too
FEW = f"moins de {MIN_REPORTS} signalements"
CHANGELOG_PAGE_SIZE = 20


# --- queries (over the daily rollups of insights/rollup.py, kept current by the database's triggers) -------------


@dataclass(frozen=True)
class AdministrationFigures:
    """One administration's row over the period."""

    slug: str
    name: str
    reports: int  # received in the period (``report_days``: the administration the person chose)
    fixed_reports: int  # reports of the period in its irritants fixed now (``cluster_days``)
    closed_reports: int  # reports of the period in its irritants closed without a fix now
    fixes: int  # its irritants whose fix was declared in the period
    days_to_fix: list[int]  # for each of them, days from its first report to its fix

    @property
    def few(self) -> bool:
        return self.reports < MIN_REPORTS

    @property
    def fixed_share(self) -> float | None:
        """Share fixed among the reports whose irritant is fixed or closed without a fix (None: under 10)."""
        closed = self.fixed_reports + self.closed_reports
        return None if self.few else metrics.rate(self.fixed_reports, closed, minimum=MIN_REPORTS)

    @property
    def fixes_per_thousand(self) -> float | None:
        return metrics.per_thousand(self.fixes, self.reports, minimum=MIN_REPORTS)

    @property
    def median_days_to_fix(self) -> float | None:
        return None if self.few else metrics.median(self.days_to_fix)


@dataclass(frozen=True)
class Received:
    """Reports received in a period per administration (id) and per département (code)."""

    administrations: dict[int, int]
    territories: dict[str, int]


def received(session: Session, filters: InsightFilters) -> Received:
    """Reports received in the period per administration (``report_days``) and per département
    (``territory_days``): two passes over the period's rows of the daily rollups, which the table and the map read."""
    period = (ReportDay.day >= filters.start, ReportDay.day <= filters.end)
    administrations = session.execute(
        select(ReportDay.administration_id, func.sum(ReportDay.reports))
        .where(*period)
        .group_by(ReportDay.administration_id)
    ).all()
    territories = session.execute(
        select(TerritoryDay.territory_code, func.sum(TerritoryDay.reports))
        .where(TerritoryDay.day >= filters.start, TerritoryDay.day <= filters.end)
        .group_by(TerritoryDay.territory_code)
    ).all()
    return Received({a: int(n) for a, n in administrations if n}, {c: int(n) for c, n in territories if n})


def by_territory(counts: Received) -> dict[str, int]:
    """Reports per département code, from ``received``."""
    return dict(counts.territories)


def by_administration(session: Session, filters: InsightFilters, counts: Received) -> list[AdministrationFigures]:
    """Every administration that received reports in the period (``counts``: ``received``), the most reports first;
    the last row, named « Ensemble », sums them all. An irritant's administration is its main one (that of most of its
    reports)."""
    received = counts.administrations
    outcomes = session.execute(
        select(Cluster.main_administration_id, Cluster.status, func.sum(ClusterDay.reports))
        .join(Cluster, Cluster.id == ClusterDay.cluster_id)
        .where(ClusterDay.day >= filters.start, ClusterDay.day <= filters.end)
        .where(Cluster.status.in_((StatusKind.FIXED, StatusKind.CLOSED_NOT_FIXED)))
        .group_by(Cluster.main_administration_id, Cluster.status)
    ).all()
    fixed = {a: int(n or 0) for a, status, n in outcomes if status == StatusKind.FIXED}
    closed = {a: int(n or 0) for a, status, n in outcomes if status == StatusKind.CLOSED_NOT_FIXED}
    durations = _days_to_fix(session, filters)
    named = select(Administration).where(Administration.id.in_(sorted(received)))
    admins = {a.id: a for a in session.scalars(named)}
    out = [
        AdministrationFigures(
            admins[a].slug,
            admins[a].name,
            n,
            fixed.get(a, 0),
            closed.get(a, 0),
            len(durations.get(a, [])),
            durations.get(a, []),
        )
        for a, n in received.items()
    ]
    out.sort(key=lambda f: (-f.reports, f.name))
    if out:
        every = [d for days in durations.values() for d in days]
        out.append(
            AdministrationFigures(
                "",
                "Ensemble",
                sum(f.reports for f in out),
                sum(fixed.values()),
                sum(closed.values()),
                len(every),
                every,
            )
        )
    return out


def _fixed_in(filters: InsightFilters) -> list:
    """Irritants whose (last) fix was declared in the period, still public."""
    return [
        Cluster.fixed_on >= filters.start,
        Cluster.fixed_on <= filters.end,
        Cluster.status.not_in((StatusKind.SPAM, StatusKind.DUPLICATE)),
    ]


def _days_to_fix(session: Session, filters: InsightFilters) -> dict[int, list[int]]:
    """Per main administration, days from each fixed irritant's first report (its first Paris day in
    ``cluster_days``) to its fix day; a fix declared on the first report's day counts 0."""
    rows = session.execute(
        select(Cluster.main_administration_id, Cluster.fixed_on, func.min(ClusterDay.day))
        .join(ClusterDay, ClusterDay.cluster_id == Cluster.id)
        .where(*_fixed_in(filters), Cluster.main_administration_id.is_not(None))
        .group_by(Cluster.id, Cluster.main_administration_id, Cluster.fixed_on)
    ).all()
    out: dict[int, list[int]] = {}
    for admin_id, fixed_on, first in rows:
        first = first if isinstance(first, dt.date) else dt.date.fromisoformat(str(first))
        out.setdefault(admin_id, []).append(max(0, (fixed_on - first).days))
    return out


def changelog(session: Session, filters: InsightFilters, *, page: int) -> Page[Cluster]:
    """Irritants whose fix was declared in the period, the most recent fix first (one page)."""
    stmt = (
        select(Cluster)
        .where(*_fixed_in(filters), clusters.listed())
        .order_by(Cluster.fixed_on.desc(), Cluster.score.desc(), Cluster.id)
    )
    return paginate(session, stmt, page=page, page_size=CHANGELOG_PAGE_SIZE)


def territory_map(counts: dict[str, int], *, link: Callable[[str], str | None]) -> france_map.FranceMap:
    """The map of reports per 100,000 inhabitants; a département under ``MIN_REPORTS`` reports has no rate (drawn
    « sans donnée »), its count is still in the table."""
    rates = france_map.per_inhabitants(
        counts, {code: n for code, n in geography.populations().items() if counts.get(code, 0) >= MIN_REPORTS}
    )
    shown = {
        code: number_fr(counts.get(code, 0)) + (f" ({FEW} : pas de taux)" if counts.get(code, 0) < MIN_REPORTS else "")
        for code in geography.populations()
    }
    population = {code: number_fr(n) for code, n in geography.populations().items()}
    return france_map.choropleth(
        geography.geometry(),
        geography.names(),
        rates,
        title="Signalements pour 100 000 habitants, par département",
        link=link,
        columns=(("Signalements", shown), ("Habitants", population)),
    )


def default_period(today: dt.date) -> InsightFilters:
    """The public statistics' default period: the last 365 days, today included."""
    return InsightFilters(start=today - dt.timedelta(days=364), end=today)
