"""Everything the managers' dashboard shows for a filter set and the previous period of the same length.

``dashboard_data(session, filters, feedback_settings=…)`` returns frozen dataclasses of plain values (no ORM object,
no URL): the page (``/agents/tableau-de-bord``) draws them, the exports and the public statistics may reuse them.
Every figure carries the way to « the irritants behind it »: an irritant's ``id`` (its page), or ``backlog``, the
query parameters of the back-office backlog (``administration``, ``territory``, ``severity``, ``squad``,
``status``) that list them — the backlog has no ``from``/``to``, ``region`` nor ``channel``: ``filters.as_query()``
gives those for the dashboard's own links.

Where the numbers come from (docs/dashboard.md says how each is computed):

- report counts (new reports, weekly inflow, breakdowns, départements, regions, assisted share): the daily rollup
  ``report_days`` (``rollup.py``), or the reports themselves when a squad narrows the figures (the rollup has no
  irritant in its key; a squad's reports are few);
- per-irritant counts of a period (equity, reports of the top irritants): ``cluster_days``, or the reports when a
  département, region, channel or severity narrows them;
- irritants' state (open, orphans, regressed, score and breakdown, medians, closings): the irritants table, its
  audit events (first triage) and the answers to « Est-ce résolu pour vous ? »;
- the pure arithmetic (medians, shares, ISO weeks, equity ratio): ``irritants.metrics``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from irritants import metrics
from irritants.audit.models import Event
from irritants.clusters.models import Cluster, Support
from irritants.db import utcnow
from irritants.feedback.models import Answer, ResolutionAnswer
from irritants.feedback.services import PerceivedResolution
from irritants.french import PARIS
from irritants.insights import counts, effects
from irritants.insights.counts import uses_rollup
from irritants.insights.figures import (
    DashboardData,
    Equity,
    EquityRow,
    FixShipped,
    IrritantFigure,
    KeyFigures,
    PhaseGroup,
    Share,
    SquadFigures,
    Week,
)
from irritants.insights.filters import InsightFilters, report_conditions
from irritants.insights.rollup import ASSISTED_CHANNELS, ClusterDay
from irritants.intake.models import Report
from irritants.referential.models import Administration, Territory
from irritants.settings import FeedbackSettings, FixEffectSettings
from irritants.squads.models import Squad
from irritants.squads.phases import SquadPhase
from irritants.status import StatusKind
from irritants.triage.backlog import NO_SQUAD

#: Statuses of an irritant still to be dealt with (« ouverts »).
OPEN_STATUSES = frozenset(
    {StatusKind.NEW, StatusKind.TRIAGED, StatusKind.PLANNED, StatusKind.IN_PROGRESS, StatusKind.REGRESSED}
)
TOP_IRRITANTS = 10
ORPHANS = 20

# --- the figures -----------------------------------------------------------------------------------------------------


def dashboard_data(
    session: Session,
    filters: InsightFilters,
    *,
    feedback_settings: FeedbackSettings,
    fix_effect_settings: FixEffectSettings | None = None,
    now: dt.datetime | None = None,
) -> DashboardData:
    """The dashboard's figures for ``filters`` and ``filters.previous()`` (reads only)."""
    now = now or utcnow()
    previous = filters.previous()
    scope = _Scope.of(session, filters)
    daily = counts.daily(session, filters, previous)
    dims = counts.dimensions(session, filters, previous, "administration_id", "channel_code")
    places = counts.dimensions(session, filters, previous, "territory_code")
    names = counts.names_of(session)
    backlog = backlog_query(filters)

    triages = _first_triages(session, scope)
    lo, hi = previous.moments[0], filters.moments[1]
    firsts = effects.first_days(
        session,
        [cid for cid, at in triages.items() if lo <= at < hi]
        + [r.id for r in scope.rows if r.fixed_at is not None and lo <= r.fixed_at < hi],
    )
    facts = (scope, daily, filters, triages, firsts)
    current_figures = _key_figures(session, filters, feedback_settings, *facts)
    previous_figures = _key_figures(session, previous, feedback_settings, *facts)
    weeks = metrics.weekly(daily[["day", "reports"]], filters.start, filters.end)

    ranked = sorted((r for r in scope.rows if r.status in OPEN_STATUSES), key=lambda r: (-(r.score or 0), r.id))
    orphans = [r for r in ranked if r.squad_id is None]
    regressed = [r for r in ranked if r.status == StatusKind.REGRESSED]
    shown = _irritants(session, filters, [r.id for r in [*orphans[:ORPHANS], *regressed, *ranked[:TOP_IRRITANTS]]])
    return DashboardData(
        filters=filters,
        previous_filters=previous,
        computed_at=now,
        current=current_figures,
        previous=previous_figures,
        open_irritants=len(ranked),
        orphans=[shown[r.id] for r in orphans[:ORPHANS]],
        orphan_count=len(orphans),
        regressed=[shown[r.id] for r in regressed],
        top=[shown[r.id] for r in ranked[:TOP_IRRITANTS]],
        weeks=[Week(r.week, r.start, r.end, int(r.days), int(r.reports), int(r.previous)) for r in weeks.itertuples()],
        by_administration=counts.shares(dims, "administration_id", names["administration"], filters, backlog),
        by_channel=counts.shares(dims, "channel_code", names["channel"], filters, backlog),
        by_territory=counts.shares(places, "territory_code", names["territory"], filters, backlog),
        by_region=counts.shares(places, "region_code", names["region"], filters, backlog),
        squads=_squads(session, filters, fix_effect_settings or FixEffectSettings(), now),
        equity=counts.equity(session, filters, daily),
        backlog=backlog,
        links={
            "open": backlog,
            "orphans": {**backlog, "squad": NO_SQUAD},
            "regressed": {**backlog, "status": StatusKind.REGRESSED.value},
            "fixed": {**backlog, "status": StatusKind.FIXED.value},
            "closed": {**backlog, "status": StatusKind.CLOSED_NOT_FIXED.value},
        },
    )


def backlog_query(filters: InsightFilters) -> dict[str, str]:
    """The backlog's parameters for these filters (the backlog knows the administration, département, severity and
    squad; not the period, the region nor the channel)."""
    query = {
        "administration": filters.administration,
        "territory": filters.territory,
        "severity": filters.severity.value if filters.severity else None,
        "squad": filters.squad,
    }
    return {key: value for key, value in query.items() if value}


# --- irritants ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """The irritants concerned by the filters, as rows of their state (id, status, squad, score, fixed_at,
    closed_at): the administration is the irritant's main one, the squad the one in charge now; a département,
    region, channel or severity: at least one of its reports of the two periods has it. ``ids`` is None when nothing
    narrows them (every irritant)."""

    rows: list[Any]
    ids: frozenset[int] | None

    @classmethod
    def of(cls, session: Session, filters: InsightFilters) -> _Scope:
        conditions: list[Any] = []
        if filters.administration:
            conditions.append(
                Cluster.main_administration_id
                == select(Administration.id).where(Administration.slug == filters.administration).scalar_subquery()
            )
        if filters.squad:
            conditions.append(Cluster.squad_id == select(Squad.id).where(Squad.slug == filters.squad).scalar_subquery())
        narrowing = InsightFilters(
            start=filters.previous().start,
            end=filters.end,
            territory=filters.territory,
            region=filters.region,
            channel=filters.channel,
            severity=filters.severity,
            procedure=filters.procedure,
        )
        ids: set[int] | None = set(session.scalars(select(Cluster.id).where(*conditions))) if conditions else None
        if narrowing.narrowed:
            touched = set(
                session.scalars(
                    select(Report.cluster_id)
                    .where(*report_conditions(session, narrowing), Report.cluster_id.is_not(None))
                    .distinct()
                )
            )
            ids = touched if ids is None else ids & touched
        # The state the figures read: open irritants, and those fixed or closed since the previous period began.
        since = filters.previous().moments[0]
        rows = session.execute(
            select(Cluster.id, Cluster.status, Cluster.squad_id, Cluster.score, Cluster.fixed_at, Cluster.closed_at)
            .where(*conditions)
            .where(or_(Cluster.status.in_(OPEN_STATUSES), Cluster.fixed_at >= since, Cluster.closed_at >= since))
        ).all()
        if ids is not None:
            rows = [r for r in rows if r.id in ids]
        return cls(rows, frozenset(ids) if ids is not None else None)

    def has(self, cluster_id: int | None) -> bool:
        return self.ids is None or cluster_id in self.ids


def _period_counts(session: Session, filters: InsightFilters, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(ClusterDay.cluster_id, func.sum(ClusterDay.reports))
        .where(ClusterDay.cluster_id.in_(ids), ClusterDay.day >= filters.start, ClusterDay.day <= filters.end)
        .group_by(ClusterDay.cluster_id)
    )
    return {cid: int(n or 0) for cid, n in rows}


def _irritants(session: Session, filters: InsightFilters, ids: list[int]) -> dict[int, IrritantFigure]:
    """The irritants listed (top, orphans, regressed), by id."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    clusters = session.scalars(select(Cluster).where(Cluster.id.in_(ids))).all()
    period = _period_counts(session, filters, ids)
    slugs = dict(session.execute(select(Squad.id, Squad.slug)).all())
    return {
        c.id: IrritantFigure(
            id=c.id,
            label=c.label,
            status=str(c.status.value if hasattr(c.status, "value") else c.status),
            score=float(c.score or 0),
            breakdown=list((c.score_breakdown or {}).get("terms", [])),
            squad=slugs.get(c.squad_id) if c.squad_id else None,
            people=int(c.people or 0),
            reports_in_period=period.get(c.id, 0),
        )
        for c in clusters
    }


# --- key figures -------------------------------------------------------------------------------------------------


def _key_figures(
    session: Session,
    period: InsightFilters,
    settings: FeedbackSettings,
    scope: _Scope,
    daily: pd.DataFrame,
    filters: InsightFilters,
    triages: dict[int, dt.datetime],
    firsts: dict[int, dt.date],
) -> KeyFigures:
    inside = daily[(daily["day"] >= period.start) & (daily["day"] <= period.end)] if not daily.empty else daily
    new_reports = int(inside["reports"].sum()) if not inside.empty else 0
    assisted = int(inside["assisted"].sum()) if not inside.empty else 0
    lo, hi = period.moments

    supports = 0
    if not (filters.channel or filters.severity or filters.procedure):
        conditions = [Support.counted.is_(True), Support.created_at >= lo, Support.created_at < hi]
        if filters.territory:
            conditions.append(Support.territory_code == filters.territory)
        if filters.region:
            conditions.append(
                Support.territory_code.in_(select(Territory.code).where(Territory.region_code == filters.region))
            )
        rows = session.execute(select(Support.cluster_id, func.count()).where(*conditions).group_by(Support.cluster_id))
        supports = sum(n for cid, n in rows if not (filters.administration or filters.squad) or scope.has(cid))

    triaged = [(cid, at.astimezone(PARIS).date()) for cid, at in triages.items() if lo <= at < hi and scope.has(cid)]
    fixed_rows = [(r.id, r.fixed_at) for r in scope.rows if r.fixed_at is not None and lo <= r.fixed_at < hi]
    triage_gaps = [(day - firsts[cid]).days for cid, day in triaged if cid in firsts]
    fix_gaps = [(at.astimezone(PARIS).date() - firsts[cid]).days for cid, at in fixed_rows if cid in firsts]

    closed = [r.status for r in scope.rows if r.closed_at is not None and lo <= r.closed_at < hi]
    n_fixed = closed.count(StatusKind.FIXED)
    n_closed = closed.count(StatusKind.CLOSED_NOT_FIXED)

    answers: dict[Answer, int] = {}
    for cid, value, n in session.execute(
        select(ResolutionAnswer.cluster_id, ResolutionAnswer.answer, func.count())
        .where(ResolutionAnswer.answered_at >= lo, ResolutionAnswer.answered_at < hi)
        .group_by(ResolutionAnswer.cluster_id, ResolutionAnswer.answer)
    ):
        if scope.has(cid):
            answers[value] = answers.get(value, 0) + n
    perceived = PerceivedResolution(
        yes=answers.get(Answer.YES, 0),
        no=answers.get(Answer.NO, 0),
        partly=answers.get(Answer.PARTLY, 0),
        min_answers=settings.unresolved_min_answers,
        unresolved_share=settings.unresolved_share,
    )
    return KeyFigures(
        new_reports=new_reports,
        people=new_reports + int(supports),
        assisted_reports=assisted,
        triaged=len(triage_gaps),
        median_days_to_triage=metrics.median(max(g, 0) for g in triage_gaps),
        fixed=len(fix_gaps),
        median_days_to_fix=metrics.median(max(g, 0) for g in fix_gaps),
        closed_without_fix=n_closed,
        fixed_share=metrics.rate(n_fixed, n_fixed + n_closed),
        perceived_answers=perceived.answers,
        perceived_rate=perceived.rate,
    )


def _first_triages(session: Session, scope: _Scope) -> dict[int, dt.datetime]:
    """Each irritant's first triage (its first « qualifié » status event), for the irritants of the filters."""
    first: dict[int, dt.datetime] = {}
    for cluster_id, at, after in session.execute(
        select(Event.cluster_id, Event.created_at, Event.after)
        .where(Event.action == "cluster.status", Event.cluster_id.is_not(None))
        .order_by(Event.created_at, Event.id)
    ):
        if (
            cluster_id not in first
            and (after or {}).get("status") == StatusKind.TRIAGED.value
            and scope.has(cluster_id)
        ):
            first[cluster_id] = at
    return first


# --- squads and equity ---------------------------------------------------------------------------------------------


def _squads(
    session: Session, filters: InsightFilters, settings: FixEffectSettings, now: dt.datetime
) -> list[PhaseGroup]:
    """Squads by phase (of the filters' squad, or of its administration), each with the fixes it shipped in the
    period (``fixed_on``, the declared delivery day) and what each did."""
    conditions = []
    if filters.squad:
        conditions.append(Squad.slug == filters.squad)
    if filters.administration:
        conditions.append(
            Squad.administration_id
            == select(Administration.id).where(Administration.slug == filters.administration).scalar_subquery()
        )
    squads = session.scalars(select(Squad).where(*conditions).order_by(Squad.name)).all()
    if not squads:
        return []
    ids = [s.id for s in squads]
    open_counts = dict(
        session.execute(
            select(Cluster.squad_id, func.count())
            .where(Cluster.squad_id.in_(ids), Cluster.status.in_(OPEN_STATUSES))
            .group_by(Cluster.squad_id)
        ).all()
    )
    fixed = session.execute(
        select(Cluster.id, Cluster.label, Cluster.fixed_on, Cluster.squad_id)
        .where(Cluster.squad_id.in_(ids), Cluster.fixed_on >= filters.start, Cluster.fixed_on <= filters.end)
        .order_by(Cluster.fixed_on, Cluster.id)
    ).all()
    fixes: dict[int, list[FixShipped]] = defaultdict(list)
    found_all = effects.fix_effects(session, settings, fixed, today=now.astimezone(PARIS).date())
    for cluster in fixed:
        found = found_all.get(cluster.id)
        if found is None:
            continue
        fixes[cluster.squad_id].append(
            FixShipped(
                cluster_id=cluster.id,
                label=cluster.label,
                fixed_on=cluster.fixed_on,
                verdict=str(found.verdict),
                verdict_label=found.label,
                ratio=found.ratio.ratio if found.ratio else None,
            )
        )
    by_phase: dict[str, list[SquadFigures]] = defaultdict(list)
    for squad in squads:
        phase = str(squad.phase.value if hasattr(squad.phase, "value") else squad.phase)
        by_phase[phase].append(
            SquadFigures(squad.slug, squad.name, phase, int(open_counts.get(squad.id, 0)), fixes.get(squad.id, []))
        )
    return [PhaseGroup(phase.value, by_phase[phase.value]) for phase in SquadPhase if phase.value in by_phase]


__all__ = [
    "ASSISTED_CHANNELS",
    "DashboardData",
    "Equity",
    "EquityRow",
    "FixShipped",
    "IrritantFigure",
    "KeyFigures",
    "PhaseGroup",
    "Share",
    "SquadFigures",
    "Week",
    "backlog_query",
    "dashboard_data",
    "uses_rollup",
]
