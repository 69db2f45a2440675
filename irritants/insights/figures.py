"""What the managers' dashboard receives (``dashboard.dashboard_data``): frozen dataclasses of plain values, no ORM
object and no URL. Every figure carries the way to « the irritants behind it »: an irritant's ``id`` (its page), or
``backlog``, the back-office backlog's query parameters (see ``dashboard.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from irritants.insights.filters import InsightFilters

# --- the figures ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFigures:
    """The key figures of one period (``None``: not computable, or a rate on too few)."""

    new_reports: int
    """Reports received in the period (Paris days, both ends included)."""
    people: int
    """People who came forward in the period: its reports plus its counted « moi aussi » (a « moi aussi » has no
    channel nor severity: with those filters, reports only)."""
    assisted_reports: int
    """Reports of the period flagged as assisted or made through ``rollup.ASSISTED_CHANNELS``."""
    triaged: int
    """Irritants triaged for the first time in the period."""
    median_days_to_triage: float | None
    """Median, over those, of the days from their first report to that first triage."""
    fixed: int
    """Irritants whose fix was recorded in the period (status « corrigé » reached, ``fixed_at``)."""
    median_days_to_fix: float | None
    """Median, over those, of the days from their first report to that fix."""
    closed_without_fix: int
    """Irritants closed without a fix in the period (``closed_at``, status « clos sans correction » now)."""
    fixed_share: float | None
    """fixed / (fixed + closed without fix), None under ``metrics.MIN_REPORTS_FOR_RATE``… of irritants: under 1."""
    perceived_answers: int
    """Answers to « Est-ce résolu pour vous ? » given in the period (irritants of the filters)."""
    perceived_rate: float | None
    """(oui + ½ en partie) / answers, None under the feedback settings' minimum of answers (issue 9)."""


@dataclass(frozen=True)
class IrritantFigure:
    """One irritant in a list (top, orphans, regressed): its page is ``id``."""

    id: int
    label: str
    status: str
    score: float
    breakdown: list[dict[str, Any]]
    """The score's terms as stored (``name``, ``label``, ``value``, ``contribution``, ``explanation``)."""
    squad: str | None
    """The slug of the squad in charge (None: an orphan)."""
    people: int
    reports_in_period: int


@dataclass(frozen=True)
class Share:
    """One line of a breakdown (administration, channel, département, region)."""

    key: str
    """The slug, channel code, département code or region code."""
    label: str
    reports: int
    previous: int
    """The same over the previous period."""
    share: float | None
    """Of the period's reports (None under ``metrics.MIN_REPORTS_FOR_RATE`` reports in all)."""
    backlog: dict[str, str] = field(default_factory=dict)
    """Backlog query listing its irritants (empty when the backlog cannot filter on it: channel, region)."""
    filters: dict[str, str] = field(default_factory=dict)
    """The dashboard's query narrowed to it."""


@dataclass(frozen=True)
class Week:
    """One ISO week of the period beside the same place in the previous period."""

    week: str
    """« 2026-W05 »."""
    start: dt.date
    end: dt.date
    days: int
    """Days of the week inside the period (7 but at the ends)."""
    reports: int
    previous: int


@dataclass(frozen=True)
class FixShipped:
    """A fix a squad shipped in the period and what it did (``clusters.effect``)."""

    cluster_id: int
    label: str
    fixed_on: dt.date
    verdict: str
    """``drop``, ``no_change``, ``rise``, ``too_early`` (``effect.Verdict``)."""
    verdict_label: str
    ratio: float | None
    """Weekly rate after / before (None: not computable; may be ``inf``)."""


@dataclass(frozen=True)
class SquadFigures:
    slug: str
    name: str
    phase: str
    open_irritants: int
    fixes: list[FixShipped]


@dataclass(frozen=True)
class PhaseGroup:
    phase: str
    squads: list[SquadFigures]


@dataclass(frozen=True)
class EquityRow:
    """An irritant's share of assisted reports in the period against the average."""

    id: int
    label: str
    reports: int
    assisted: int
    share: float
    ratio: float | None
    """share / average (None without an average)."""


@dataclass(frozen=True)
class Equity:
    average: float | None
    """Assisted reports / reports over the period (None under ``metrics.MIN_REPORTS_FOR_RATE``)."""
    minimum: int
    """Irritants with fewer reports in the period are left out."""
    rows: list[EquityRow]


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard shows (see the module's docstring)."""

    filters: InsightFilters
    previous_filters: InsightFilters
    computed_at: dt.datetime
    current: KeyFigures
    previous: KeyFigures
    open_irritants: int
    """Irritants open now (``OPEN_STATUSES``) concerned by the filters: a figure of today, not of the period."""
    orphans: list[IrritantFigure]
    """Open irritants no squad has taken, highest score first (``ORPHANS`` at most)."""
    orphan_count: int
    regressed: list[IrritantFigure]
    """Irritants in status « réapparu » now, highest score first."""
    top: list[IrritantFigure]
    """Open irritants with the highest score (``TOP_IRRITANTS``)."""
    weeks: list[Week]
    by_administration: list[Share]
    by_channel: list[Share]
    by_territory: list[Share]
    """Reports per département (counts; the page turns them into reports per 100,000 inhabitants)."""
    by_region: list[Share]
    squads: list[PhaseGroup]
    equity: Equity
    backlog: dict[str, str]
    """The backlog's query for all the irritants of these filters."""
    links: dict[str, dict[str, str]]
    """Backlog queries behind the key figures: ``open``, ``orphans``, ``regressed``, ``fixed``, ``closed``."""
