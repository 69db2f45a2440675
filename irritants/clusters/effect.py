"""The fix effect of one irritant, read from the database: its reports per day around the fix day, handed to the pure
core (``irritants.effect``), and what pages and the API show of it (a chart with its table, a JSON document).

The reports counted are the irritant's own and those of the irritants merged into it or marked its duplicates, at
any depth: a merge moves the reports of its sources into the target (``triage/merges.py``), a duplicate marked
without a merge keeps its own, and both tell the same blockage. Only the reports' dates inside the window are read
(at most 2 × ``FIX_EFFECT_WEEKS`` weeks), and turned into days of metropolitan France here, the one place that
knows both the database's UTC and the day people live.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from irritants import charts, effect
from irritants.clusters.models import Cluster
from irritants.french import PARIS, midnight
from irritants.french import today as paris_today
from irritants.intake.models import Report
from irritants.settings import FixEffectSettings
from irritants.status import StatusKind

WEEK = dt.timedelta(days=effect.series.WEEK_DAYS)


def family(session: Session, cluster_id: int) -> list[int]:
    """The irritant and every irritant merged into it or marked its duplicate, at any depth (ids, sorted)."""
    found, frontier = {cluster_id}, [cluster_id]
    while frontier:
        children = session.scalars(
            select(Cluster.id).where(Cluster.duplicate_of_id.in_(frontier), Cluster.status == StatusKind.DUPLICATE)
        ).all()
        frontier = [c for c in children if c not in found]
        found.update(frontier)
    return sorted(found)


def report_days(session: Session, cluster_ids: Iterable[int], since: dt.date, until: dt.date) -> dict[dt.date, int]:
    """Reports of these irritants per day (Paris) on [since, until)."""
    ids = sorted(set(cluster_ids))
    rows = session.scalars(
        select(Report.created_at).where(
            Report.cluster_id.in_(ids), Report.created_at >= midnight(since), Report.created_at < midnight(until)
        )
    )
    return dict(Counter(moment.astimezone(PARIS).date() for moment in rows))


def first_report_day(session: Session, cluster_ids: Iterable[int]) -> dt.date | None:
    """The day (Paris) of the first report of these irritants."""
    first = session.scalar(select(func.min(Report.created_at)).where(Report.cluster_id.in_(sorted(set(cluster_ids)))))
    return first.astimezone(PARIS).date() if first is not None else None


def fix_effect(
    session: Session, settings: FixEffectSettings, cluster: Cluster, *, today: dt.date | None = None
) -> effect.Effect | None:
    """The inflow ``settings.weeks`` weeks on each side of the irritant's last declared fix, its rate ratio and
    verdict; None when no fix was ever declared (a reopened or regressed irritant keeps its last ``fixed_on``)."""
    if cluster.fixed_on is None:
        return None
    today = today or paris_today()
    ids = family(session, cluster.id)
    first = first_report_day(session, ids) or cluster.fixed_on
    since = max(first, cluster.fixed_on - WEEK * settings.weeks)
    counts = report_days(session, ids, since, min(today, cluster.fixed_on + WEEK * settings.weeks))
    series = effect.fix_series(counts, fixed_on=cluster.fixed_on, first_day=first, today=today, weeks=settings.weeks)
    return effect.effect_of(series)


def has_regressed(session: Session, settings: FixEffectSettings, cluster: Cluster, *, today: dt.date) -> bool:
    """Whether the last two complete weeks after the fix are each clearly above the pre-fix level
    (``effect.regressed``, docs/fix-effect.md)."""
    if cluster.fixed_on is None:
        return False
    ids = family(session, cluster.id)
    first = first_report_day(session, ids) or cluster.fixed_on
    before_counts = report_days(session, ids, max(first, cluster.fixed_on - WEEK * settings.weeks), cluster.fixed_on)
    before = effect.fix_series(before_counts, fixed_on=cluster.fixed_on, first_day=first, today=cluster.fixed_on,
                               weeks=settings.weeks).before  # fmt: skip
    start = max(cluster.fixed_on, today - WEEK * (effect.REGRESSION_WEEKS + 1))
    recent = effect.regression_weeks(report_days(session, ids, start, today), fixed_on=cluster.fixed_on, today=today)
    return effect.regressed(before, recent)


# --- what pages and the API show ---------------------------------------------------------------------------------


def day_fr(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def ratio_fr(value: float | None) -> str:
    """A rate ratio as pages write it: « 0,42 », « infini », « — » (undefined)."""
    if value is None:
        return "—"
    if math.isinf(value):
        return "infini"
    return charts.number_fr(round(value, 2))


def interval_fr(found: effect.Effect) -> str:
    """« 0,42 (intervalle de confiance à 95 % : 0,3 à 0,6) »."""
    if found.ratio is None:
        return "non calculable : aucune semaine observée d'un côté du correctif"
    r = found.ratio
    return (
        f"{ratio_fr(r.ratio)} (intervalle de confiance à 95 % : de {ratio_fr(r.low)} à "
        f"{'l’infini' if math.isinf(r.high) else ratio_fr(r.high)})"
    )


def summary_fr(found: effect.Effect) -> str:
    """The verdict in a sentence, with the figures it stands on."""
    before, before_exposure = found.series.totals(found.series.before)
    after, after_exposure = found.series.totals(found.series.after)
    weekly = charts.number_fr
    rates = (
        f"{weekly(round(before / before_exposure, 1)) if before_exposure else '—'} signalements par semaine avant, "
        f"{weekly(round(after / after_exposure, 1)) if after_exposure else '—'} après"
    )
    return (
        f"Correctif livré le {day_fr(found.series.fixed_on)} : {found.label} ({rates} ; rapport après/avant "
        f"{interval_fr(found)})."
    )


def _week_label(week: effect.Week) -> str:
    label = week.start.strftime("%d/%m")
    return label if week.complete else f"{label} ({week.days} j)"


def figure(found: effect.Effect) -> charts.Figure:
    """Bars of the weekly inflow, before and after the fix, the fix day marked, and the same figures as a table."""
    weeks = found.series.weeks
    labels = [_week_label(w) for w in weeks]
    before = [w.count if w.side == effect.Side.BEFORE else None for w in weeks]
    after = [w.count if w.side == effect.Side.AFTER else None for w in weeks]
    chart = charts.bar_chart(
        labels,
        [charts.Series("Avant le correctif", before, tone=2), charts.Series("Après le correctif", after, tone=1)],
        overlay=True,
        rule=(len(found.series.before), f"Correctif livré le {found.series.fixed_on:%d/%m}"),
    )
    rows = [
        [
            f"Semaine du {day_fr(w.start)}",
            "avant le correctif" if w.side == effect.Side.BEFORE else "après le correctif",
            str(w.days),
            charts.number_fr(w.count),
        ]
        for w in weeks
    ]
    before_counts = ", ".join(charts.number_fr(w.count) for w in found.series.before) or "aucune semaine observée"
    after_counts = ", ".join(charts.number_fr(w.count) for w in found.series.after) or "aucune semaine observée"
    said = (
        f"Nouveaux signalements par semaine, correctif livré le {day_fr(found.series.fixed_on)}. Avant : "
        f"{before_counts}. Après : {after_counts}."
    )
    return charts.Figure(
        chart,
        "Signalements reçus chaque semaine, avant et après le correctif",
        said,
        ("Semaine", "Côté", "Jours observés", "Nouveaux signalements"),
        rows,
    )


#: The DSFR badge colour of each verdict.
BADGES = {
    effect.Verdict.DROP: "success",
    effect.Verdict.NO_CHANGE: "info",
    effect.Verdict.RISE: "warning",
    effect.Verdict.TOO_EARLY: "new",
}


@dataclass(frozen=True)
class Shown:
    """A fix effect as pages show it (``macros/fix_effect.html``): the figures, the chart with its table, a badge."""

    effect: effect.Effect
    figure: charts.Figure
    badge: str
    interval: str
    summary: str

    @property
    def label(self) -> str:
        return self.effect.label


def _shown(found: effect.Effect) -> Shown:
    return Shown(found, figure(found), BADGES[found.verdict], interval_fr(found), summary_fr(found))


def shown(session: Session, settings: FixEffectSettings, cluster: Cluster) -> Shown | None:
    """What the irritant's pages show of its fix effect (None: no fix declared)."""
    found = fix_effect(session, settings, cluster)
    return None if found is None else _shown(found)


def families(session: Session, cluster_ids: Iterable[int]) -> dict[int, set[int]]:
    """``family`` of each irritant, one query per level of duplicates for all of them (usually one or two)."""
    out = {cid: {cid} for cid in cluster_ids}
    frontiers = {cid: [cid] for cid in out}
    while any(frontiers.values()):
        parents = sorted({p for frontier in frontiers.values() for p in frontier})
        children: dict[int, list[int]] = {}
        for child, parent in session.execute(
            select(Cluster.id, Cluster.duplicate_of_id).where(
                Cluster.duplicate_of_id.in_(parents), Cluster.status == StatusKind.DUPLICATE
            )
        ):
            children.setdefault(parent, []).append(child)
        for cid, frontier in frontiers.items():
            frontiers[cid] = [c for p in frontier for c in children.get(p, ()) if c not in out[cid]]
            out[cid].update(frontiers[cid])
    return out


def fix_effects(
    session: Session, settings: FixEffectSettings, clusters: Iterable[Cluster], *, today: dt.date | None = None
) -> dict[int, effect.Effect]:
    """``fix_effect`` of each irritant with a declared fix, by id, in three queries for all of them instead of three
    per irritant: their families, the first report day of each member, the reports' dates inside each window."""
    fixed = {c.id: c for c in clusters if c.fixed_on is not None}
    if not fixed:
        return {}
    today = today or paris_today()
    family_of = families(session, fixed)
    members = sorted({m for ids in family_of.values() for m in ids})
    firsts = {
        cid: moment.astimezone(PARIS).date()
        for cid, moment in session.execute(
            select(Report.cluster_id, func.min(Report.created_at))
            .where(Report.cluster_id.in_(members))
            .group_by(Report.cluster_id)
        )
    }
    windows = {}
    for cid, cluster in fixed.items():
        days = [firsts[m] for m in family_of[cid] if m in firsts]
        first = min(days) if days else cluster.fixed_on
        since = max(first, cluster.fixed_on - WEEK * settings.weeks)
        windows[cid] = (first, since, min(today, cluster.fixed_on + WEEK * settings.weeks))
    wanted = [
        and_(
            Report.cluster_id.in_(sorted(family_of[cid])),
            Report.created_at >= midnight(since),
            Report.created_at < midnight(until),
        )
        for cid, (_, since, until) in windows.items()
        if since < until
    ]
    days_of: dict[int, list[dt.date]] = {}
    if wanted:
        for cid, moment in session.execute(select(Report.cluster_id, Report.created_at).where(or_(*wanted))):
            days_of.setdefault(cid, []).append(moment.astimezone(PARIS).date())
    out = {}
    for cid, cluster in fixed.items():
        first, since, until = windows[cid]
        counts = Counter(day for m in family_of[cid] for day in days_of.get(m, ()) if since <= day < until)
        series = effect.fix_series(
            dict(counts), fixed_on=cluster.fixed_on, first_day=first, today=today, weeks=settings.weeks
        )
        out[cid] = effect.effect_of(series)
    return out


def shown_for(session: Session, settings: FixEffectSettings, clusters: Iterable[Cluster]) -> dict[int, Shown]:
    """The fix effects of those irritants that had a fix declared, by id (a squad's pages, the roadmap)."""
    return {cid: _shown(found) for cid, found in fix_effects(session, settings, clusters).items()}


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) else round(value, 4)


def as_json(found: effect.Effect | None) -> dict[str, Any]:
    """``GET /api/v1/clusters/<id>/fix-effect``: an infinite bound or ratio is null, as is everything of an irritant
    with no declared fix (``verdict`` « not_fixed »)."""
    if found is None:
        return {"fixed_on": None, "weeks": [], "rate_ratio": None, "ci_low": None, "ci_high": None,
                "verdict": "not_fixed", "verdict_label": "pas de correctif livré"}  # fmt: skip
    ratio = found.ratio
    return {
        "fixed_on": found.series.fixed_on.isoformat(),
        "weeks": [
            {"start": w.start.isoformat(), "count": w.count, "side": str(w.side), "days": w.days}
            for w in found.series.weeks
        ],
        "rate_ratio": _finite(ratio.ratio) if ratio else None,
        "ci_low": _finite(ratio.low) if ratio else None,
        "ci_high": _finite(ratio.high) if ratio else None,
        "verdict": str(found.verdict),
        "verdict_label": found.label,
    }
