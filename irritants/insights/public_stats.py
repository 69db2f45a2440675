"""The public statistics (``/statistiques``): per administration over a period, the reports received, the share of
them fixed against closed without a fix, the fixes per 1,000 reports and the median days from first report to fix;
the changelog of fixes shipped; reports per département for the map.

Counts are aggregated in the database (GROUP BY); only the few small rows they give are shaped here. A rate is given
only over ``MIN_REPORTS`` reports or more: under that, the page says « moins de 10 signalements » (a rate on 3
reports would compare nothing and could point at a person). Every figure is explained on the page and in
docs/public-statistics.md. Functions take the session first and never commit.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from irritants import france_map
from irritants.charts import number_fr
from irritants.clusters import services as clusters
from irritants.clusters.models import Cluster
from irritants.french import PARIS
from irritants.insights.filters import InsightFilters
from irritants.intake.models import Moderation, Report
from irritants.paging import Page, paginate
from irritants.referential import geography
from irritants.referential.models import Administration
from irritants.status import StatusKind

MIN_REPORTS = 10
FEW = f"moins de {MIN_REPORTS} signalements"
CHANGELOG_PAGE_SIZE = 20


# --- pure helpers (to move to irritants/metrics/ with the dashboard's) --------------------------------------------


def rate(part: int, whole: int, *, minimum: int = MIN_REPORTS) -> float | None:
    """``part / whole``, or None when ``whole`` is under ``minimum`` (too few to compare)."""
    return part / whole if whole >= minimum and whole > 0 else None


def per_thousand(count: int, reports: int, *, minimum: int = MIN_REPORTS) -> float | None:
    """``count`` per 1,000 reports, or None under ``minimum`` reports."""
    return 1000 * count / reports if reports >= minimum else None


def median_days(days: list[int]) -> float | None:
    """The median of these durations in days (None: none)."""
    return float(statistics.median(days)) if days else None


# --- queries --------------------------------------------------------------------------------------------------------


def _counted() -> list:
    """The reports the statistics count: not rejected by moderation, not in an irritant found to be spam."""
    return [Report.moderation != Moderation.REJECTED, or_(Cluster.id.is_(None), Cluster.status != StatusKind.SPAM)]


@dataclass(frozen=True)
class AdministrationFigures:
    """One administration's row over the period."""

    slug: str
    name: str
    reports: int  # received in the period
    fixed_reports: int  # of those, in an irritant fixed now
    closed_reports: int  # of those, in an irritant closed without a fix now
    fixes: int  # irritants of this administration whose fix was declared in the period
    days_to_fix: list[int]  # for each of them, days from its first report to its fix

    @property
    def few(self) -> bool:
        return self.reports < MIN_REPORTS

    @property
    def fixed_share(self) -> float | None:
        """Share fixed among the reports whose irritant is fixed or closed without a fix (None: under 10)."""
        return None if self.few else rate(self.fixed_reports, self.fixed_reports + self.closed_reports)

    @property
    def fixes_per_thousand(self) -> float | None:
        return per_thousand(self.fixes, self.reports)

    @property
    def median_days_to_fix(self) -> float | None:
        return None if self.few else median_days(self.days_to_fix)


def by_administration(session: Session, filters: InsightFilters) -> list[AdministrationFigures]:
    """Every administration that received reports in the period, the most reports first; the last row, named
    « Ensemble », sums them all."""
    lo, hi = filters.moments
    fixed = func.sum(case((Cluster.status == StatusKind.FIXED, 1), else_=0))
    closed = func.sum(case((Cluster.status == StatusKind.CLOSED_NOT_FIXED, 1), else_=0))
    rows = session.execute(
        select(Report.administration_id, func.count(Report.id), fixed, closed)
        .outerjoin(Cluster, Cluster.id == Report.cluster_id)
        .where(Report.created_at >= lo, Report.created_at < hi, *_counted())
        .group_by(Report.administration_id)
    ).all()
    durations = _days_to_fix(session, filters)
    named = select(Administration).where(Administration.id.in_([row[0] for row in rows]))
    admins = {a.id: a for a in session.scalars(named)}
    out = [
        AdministrationFigures(
            admins[admin_id].slug,
            admins[admin_id].name,
            int(count),
            int(fixed_count or 0),
            int(closed_count or 0),
            len(durations.get(admin_id, [])),
            durations.get(admin_id, []),
        )
        for admin_id, count, fixed_count, closed_count in rows
    ]
    out.sort(key=lambda f: (-f.reports, f.name))
    if out:
        every = [d for days in durations.values() for d in days]
        out.append(
            AdministrationFigures(
                "",
                "Ensemble",
                sum(f.reports for f in out),
                sum(f.fixed_reports for f in out),
                sum(f.closed_reports for f in out),
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
    """Per main administration, days from each fixed irritant's first report (Paris day) to its fix day."""
    rows = session.execute(
        select(Cluster.main_administration_id, Cluster.fixed_on, func.min(Report.created_at))
        .join(Report, and_(Report.cluster_id == Cluster.id))
        .where(*_fixed_in(filters), Cluster.main_administration_id.is_not(None))
        .group_by(Cluster.id, Cluster.main_administration_id, Cluster.fixed_on)
    ).all()
    out: dict[int, list[int]] = {}
    for admin_id, fixed_on, first in rows:
        first_day = first.astimezone(PARIS).date() if first.tzinfo else first.date()
        out.setdefault(admin_id, []).append(max(0, (fixed_on - first_day).days))
    return out


def changelog(session: Session, filters: InsightFilters, *, page: int) -> Page[Cluster]:
    """Irritants whose fix was declared in the period, the most recent fix first (one page)."""
    stmt = (
        select(Cluster)
        .where(*_fixed_in(filters), clusters.listed())
        .order_by(Cluster.fixed_on.desc(), Cluster.score.desc(), Cluster.id)
    )
    return paginate(session, stmt, page=page, page_size=CHANGELOG_PAGE_SIZE)


def reports_by_territory(session: Session, filters: InsightFilters) -> dict[str, int]:
    """Reports received in the period per département code (the map)."""
    lo, hi = filters.moments
    rows = session.execute(
        select(Report.territory_code, func.count(Report.id))
        .outerjoin(Cluster, Cluster.id == Report.cluster_id)
        .where(Report.created_at >= lo, Report.created_at < hi, *_counted())
        .group_by(Report.territory_code)
    ).all()
    return {code: int(count) for code, count in rows}


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
