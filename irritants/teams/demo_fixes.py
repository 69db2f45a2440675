"""Fixes shipped weeks ago, for a newcomer's local service: the irritant's page then shows what a fix did.

Three demo irritants — the largest open ones no squad has — get a past fix (``irritants setup`` in development,
after the demo sprints, once), and the dates of their reports are drawn again around it to tell one story each:

- « baisse nette »: fixed 8 weeks ago; four fifths of its reports fall in the 8 weeks before, one fifth after;
- « pas de changement mesurable »: fixed 8 weeks ago; half of its reports before, half after;
- « réapparu »: fixed 6 weeks ago; a level b a week for the 8 weeks before, about 0.3 b a week for 4 weeks, then
  3 b a week for the last two; ``check-regressions`` then marks it regressed, as the daily job would.

Each report keeps its text, place, hour of the day and everything else; only its day moves (days drawn at random
inside its part of the story, never today: the day is not over). The generator spreads reports over 18 months, too
thin for a weekly chart, hence the new days. Deterministic (a seeded generator).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.clusters import stats
from irritants.clusters.models import Cluster
from irritants.french import PARIS, today
from irritants.intake.models import Report
from irritants.settings import FixEffectSettings, RankingSettings
from irritants.squads.models import Squad
from irritants.status import StatusKind
from irritants.teams.demo import squad_agent
from irritants.triage import regressions
from irritants.triage import services as triage

WEEK = dt.timedelta(weeks=1)
WINDOW_WEEKS = 8
MIN_REPORTS = 30  # below this, a demo chart has too few bars to tell a story
SQUAD = "rendez-vous-prefecture"
NOTE = (
    "Le correctif est en ligne : la démarche aboutit de nouveau. S'il vous arrive encore, dites-le depuis votre suivi."
)


@dataclass(frozen=True)
class Plan:
    kind: str  # "drop", "steady", "back"
    weeks_ago: int


PLANS = (Plan("drop", 8), Plan("steady", 8), Plan("back", 6))


def _utc(day: dt.date, like: dt.datetime) -> dt.datetime:
    """That day (Paris) at the hour of ``like``."""
    local = like.astimezone(PARIS)
    return dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=PARIS).astimezone(dt.UTC)


def _candidates(session: Session) -> list[int]:
    """Open irritants no squad has, the largest first."""
    return list(
        session.scalars(
            select(Cluster.id)
            .where(Cluster.status.in_((StatusKind.NEW, StatusKind.TRIAGED)), Cluster.squad_id.is_(None))
            .where(Cluster.size >= MIN_REPORTS)
            .order_by(Cluster.size.desc(), Cluster.id)
        )
    )


def _segments(plan: Plan, fixed_on: dt.date, total: int) -> list[tuple[dt.date, int, int]]:
    """(first day, days, reports) of each part of the plan's story."""
    before = fixed_on - WEEK * WINDOW_WEEKS
    after_days = plan.weeks_ago * 7
    if plan.kind == "drop":
        after = round(total * 0.2)
        return [(before, WINDOW_WEEKS * 7, total - after), (fixed_on, after_days, after)]
    if plan.kind == "steady":
        return [(before, WINDOW_WEEKS * 7, total // 2), (fixed_on, after_days, total - total // 2)]
    # back: 8 b before, 4 × 0.3 b, then 2 × 3 b (15.2 b in all), the last two weeks even
    level = total / 15.2
    first, early = round(level * 8), round(level * 1.2)
    last = total - first - early
    return [
        (before, WINDOW_WEEKS * 7, first),
        (fixed_on, after_days - 14, early),
        (fixed_on + dt.timedelta(days=after_days - 14), 7, last - last // 2),
        (fixed_on + dt.timedelta(days=after_days - 7), 7, last // 2),
    ]


def _redate(session: Session, rng: random.Random, cluster_id: int, plan: Plan, fixed_on: dt.date) -> None:
    """Draw the days of the irritant's reports again, to tell the plan's story around ``fixed_on``."""
    reports = list(session.scalars(select(Report).where(Report.cluster_id == cluster_id).order_by(Report.id)))
    rng.shuffle(reports)
    position = 0
    for first, days, count in _segments(plan, fixed_on, len(reports)):
        for report in reports[position : position + count]:
            day = first + dt.timedelta(days=rng.randrange(days))
            report.created_at = _utc(day, report.created_at)
            if report.occurred_on is not None and report.occurred_on > day:
                report.occurred_on = day
        position += count
    session.flush()


def create_demo_fixes(
    session: Session, ranking: RankingSettings, effect: FixEffectSettings, *, seed: int = 42
) -> list[int]:
    """Three irritants of the demo squad fixed weeks ago (a drop, no change, a regression); returns their ids."""
    squad = session.scalar(select(Squad).where(Squad.slug == SQUAD))
    agent = squad_agent(session, squad) if squad is not None else None
    if squad is None or agent is None:
        return []
    rng = random.Random(seed)
    done = []
    for plan, cluster_id in zip(PLANS, _candidates(session), strict=False):
        fixed_on = today() - WEEK * plan.weeks_ago
        _redate(session, rng, cluster_id, plan, fixed_on)
        triage.assign_squad(session, agent, cluster_id, squad.id, reason="Démonstration : un correctif déjà livré.")
        cluster = session.get(Cluster, cluster_id)
        if cluster.status == StatusKind.NEW:
            triage.change_status(session, agent, cluster_id, StatusKind.TRIAGED)
        triage.change_status(session, agent, cluster_id, StatusKind.PLANNED)
        triage.declare_fix(session, agent, cluster_id, fixed_on=fixed_on, public_note=NOTE)
        done.append(cluster_id)
    stats.refresh(session, ranking.weights, done)  # the trend of their score follows the new dates
    regressions.check_regressions(session, effect, today())
    return done
