"""The demo's fixes shipped weeks ago (``irritants setup`` in development): a clear drop, no measurable change, and
one the regression alarm marks, each told by the chart of its irritant's page."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from irritants.audit.models import Event
from irritants.auth.demo import create_demo_agents
from irritants.clusters import effect as fix_effect
from irritants.clusters.models import Cluster
from irritants.effect import Verdict
from irritants.french import today
from irritants.intake.bulk import ReferenceMaps, insert_reports
from irritants.intake.models import Report, Source
from irritants.settings import FixEffectSettings
from irritants.status import StatusKind
from irritants.teams.demo_fixes import create_demo_fixes
from tests.conftest import RANKING, TEST_SECRET, make_cluster, report_payload

S = StatusKind
SETTINGS = FixEffectSettings()


def big_cluster(session, label: str, size: int) -> Cluster:
    """An irritant of ``size`` reports filed a year ago (inserted in bulk, as the demo generator's are)."""
    cluster = make_cluster(session, label, reports=0)
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
    rows = [
        {**report_payload(), "created_at": when, "external_key": f"{label}-{n}", "description": f"{label} : cas {n}."}
        for n in range(size)
    ]
    insert_reports(
        session, rows, ReferenceMaps.load(session), source=Source.DEMO, secret_key=TEST_SECRET, retention_days=365
    )
    keys = [row["external_key"] for row in rows]
    session.execute(update(Report).where(Report.external_key.in_(keys)).values(cluster_id=cluster.id))
    cluster.size = cluster.people = size
    session.flush()
    return cluster


def test_three_irritants_fixed_weeks_ago_show_a_drop_no_change_and_a_regression(session):
    create_demo_agents(session)
    small = make_cluster(session, "Un petit irritant de démonstration", reports=3)
    made = [big_cluster(session, f"Irritant de démonstration numéro {n}", 40 + n) for n in range(3)]
    fixed = create_demo_fixes(session, RANKING, SETTINGS)
    assert fixed == [c.id for c in reversed(made)]  # the largest first; too small ones are left alone
    assert session.get(Cluster, small.id).fixed_on is None

    clusters = [session.get(Cluster, i) for i in fixed]
    assert [c.fixed_on for c in clusters] == [today() - dt.timedelta(weeks=w) for w in (8, 8, 6)]
    assert [c.status for c in clusters] == [S.FIXED, S.FIXED, S.REGRESSED]
    effects = [fix_effect.fix_effect(session, SETTINGS, c) for c in clusters]
    assert [e.verdict for e in effects[:2]] == [Verdict.DROP, Verdict.NO_CHANGE]
    assert all(len(e.series.before) == 8 for e in effects)
    assert all(sum(w.count for w in e.series.weeks) == c.size for e, c in zip(effects, clusters, strict=True))
    marked = session.scalars(
        select(Event).where(Event.cluster_id == fixed[2], Event.action == "cluster.status").order_by(Event.id)
    ).all()
    assert marked[-1].after["status"] == "regressed" and marked[-1].actor_id is None
    # Once: a second setup run finds no open irritant large enough left and marks nothing again.
    assert create_demo_fixes(session, RANKING, SETTINGS) == []
