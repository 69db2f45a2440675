"""Fix effect read from the database (merged and duplicate irritants included) and the regression alarm: marks once,
by the service, through the decisions' path (audit event, reports' statuses, ``status_changed``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, select

from irritants import events, periodic
from irritants.audit.models import Event
from irritants.audit.services import SYSTEM
from irritants.auth.services import agent_for
from irritants.clusters import effect as fix_effect
from irritants.clusters.models import Cluster
from irritants.effect import Side, Verdict
from irritants.french import PARIS
from irritants.french import today as paris_today
from irritants.intake.models import Report
from irritants.outbox.models import OutboxMessage
from irritants.settings import FixEffectSettings
from irritants.status import StatusKind
from irritants.triage import regressions
from irritants.triage import services as triage
from tests.conftest import RANKING, make_cluster, make_report, make_squad, make_user

S = StatusKind
FIX = dt.date(2026, 10, 14)  # a Wednesday
SETTINGS = FixEffectSettings(weeks=8)


def noon(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS).astimezone(dt.UTC)


def reports_on(session, cluster: Cluster, *days: dt.date, hour: int = 12) -> None:
    for day in days:
        make_report(session, cluster=cluster, created_at=noon(day, hour), description=f"Toujours bloqué le {day}.")


def weekly(first: int, last: int, *, per_week: int = 1) -> list[dt.date]:
    """``per_week`` days in each week from week ``first`` to ``last`` relative to the fix (week 0: from the fix)."""
    return [FIX + dt.timedelta(weeks=w, days=d) for w in range(first, last + 1) for d in range(per_week)]


def fixed_cluster(session, label: str, fixed_on: dt.date = FIX) -> Cluster:
    cluster = make_cluster(session, label, reports=0, status=S.FIXED, fixed_on=fixed_on)
    return cluster


def test_counts_the_reports_of_irritants_merged_into_it_and_of_its_duplicates(session):
    admin = agent_for(session, make_user(session, "admin"))
    target = fixed_cluster(session, "Rendez-vous introuvables en préfecture")
    merged = make_cluster(session, "Aucun créneau de rendez-vous en préfecture", reports=0)
    duplicate = make_cluster(session, "Préfecture injoignable pour un titre de séjour", reports=0)
    reports_on(session, target, *weekly(-8, -1))
    reports_on(session, merged, *weekly(-8, -1))
    reports_on(session, duplicate, FIX + dt.timedelta(days=15))
    reports_on(session, target, FIX)  # the fix day counts after the fix
    triage.merge(session, admin, target.id, [merged.id], ranking=RANKING)
    duplicate.status, duplicate.duplicate_of_id = S.DUPLICATE, target.id
    session.flush()

    assert fix_effect.family(session, target.id) == sorted([target.id, merged.id, duplicate.id])
    found = fix_effect.fix_effect(session, SETTINGS, target, today=FIX + dt.timedelta(weeks=10))
    assert found is not None
    assert [(w.side, w.count) for w in found.series.before] == [(Side.BEFORE, 2)] * 8
    assert [w.count for w in found.series.after] == [1, 0, 1, 0, 0, 0, 0, 0]
    assert found.verdict == Verdict.DROP
    payload = fix_effect.as_json(found)
    assert payload["fixed_on"] == "2026-10-14" and payload["verdict"] == "drop"
    assert payload["rate_ratio"] == 0.125
    assert 0 < payload["ci_low"] < payload["rate_ratio"] < payload["ci_high"] < 1
    assert payload["weeks"][0] == {"start": "2026-08-19", "count": 2, "side": "before", "days": 7}


def test_paris_days_decide_the_side_of_a_report_near_midnight(session):
    cluster = fixed_cluster(session, "Formulaire qui refuse un IBAN valide")
    reports_on(session, cluster, FIX - dt.timedelta(days=20))
    # 23:30 in Paris the day before the fix is 21:30 UTC: before the fix, whatever UTC says.
    reports_on(session, cluster, FIX - dt.timedelta(days=1), hour=23)
    reports_on(session, cluster, FIX, hour=0)
    found = fix_effect.fix_effect(session, SETTINGS, cluster, today=FIX + dt.timedelta(weeks=3))
    assert found is not None
    assert sum(w.count for w in found.series.before) == 2
    assert sum(w.count for w in found.series.after) == 1
    assert found.series.before[0].days == 6  # history starts 20 days before: the oldest week is partial


def test_the_effects_of_many_irritants_at_once_are_those_read_one_by_one_in_three_queries(session):
    admin = agent_for(session, make_user(session, "admin"))
    target = fixed_cluster(session, "Rendez-vous introuvables en préfecture")
    merged = make_cluster(session, "Aucun créneau de rendez-vous en préfecture", reports=0)
    duplicate = make_cluster(session, "Préfecture injoignable pour un titre de séjour", reports=0)
    # A duplicate of a duplicate that is itself on the page, fixed on another day: both families count it.
    nested = fixed_cluster(session, "Titre de séjour : préfecture sans réponse", fixed_on=FIX + dt.timedelta(days=9))
    late = fixed_cluster(session, "Formulaire qui refuse un IBAN valide", fixed_on=FIX + dt.timedelta(weeks=6))
    reports_on(session, target, *weekly(-8, -1))
    reports_on(session, merged, *weekly(-8, -1))
    reports_on(session, duplicate, FIX + dt.timedelta(days=15), FIX - dt.timedelta(days=30))
    reports_on(session, nested, *weekly(-3, 5))
    reports_on(session, late, *weekly(-1, 8, per_week=2))
    reports_on(session, late, FIX + dt.timedelta(weeks=6) - dt.timedelta(days=1), hour=23)  # Paris day before
    triage.merge(session, admin, target.id, [merged.id], ranking=RANKING)
    duplicate.status, duplicate.duplicate_of_id = S.DUPLICATE, nested.id
    nested.status, nested.duplicate_of_id = S.DUPLICATE, target.id
    never = make_cluster(session, "Dossier bloqué sans réponse", reports=1)
    session.flush()
    today = FIX + dt.timedelta(weeks=10)
    clusters = [target, nested, late, never]

    queries: list[str] = []
    engine = session.get_bind()

    def counted(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        queries.append(statement)

    event.listen(engine, "before_cursor_execute", counted)
    try:
        found = fix_effect.fix_effects(session, SETTINGS, clusters, today=today)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    assert len(queries) == 5  # families (two levels of duplicates, then none left), first days, windows' reports

    one_by_one = {c.id: fix_effect.fix_effect(session, SETTINGS, c, today=today) for c in clusters}
    assert one_by_one[never.id] is None and never.id not in found
    assert found == {cid: e for cid, e in one_by_one.items() if e is not None}
    assert sum(w.count for w in found[target.id].series.before) == 8 + 8 + 3 + 1  # target, merged, nested, duplicate
    shown = fix_effect.shown_for(session, SETTINGS, clusters)
    assert set(shown) == {target.id, nested.id, late.id}
    assert shown[late.id] == fix_effect.shown(session, SETTINGS, late)  # both as of today


def test_an_irritant_never_fixed_has_no_effect(session):
    cluster = make_cluster(session, "Dossier bloqué sans réponse", reports=1)
    assert fix_effect.fix_effect(session, SETTINGS, cluster) is None
    assert fix_effect.as_json(None)["verdict"] == "not_fixed"


def heard_status_changes() -> tuple[list[dict[str, Any]], Any]:
    got: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        got.append({"sender": sender, **kwargs})

    events.status_changed.connect(receiver)
    return got, receiver


def test_check_regressions_marks_a_fixed_irritant_back_above_its_level_once_by_the_service(session):
    today = FIX + dt.timedelta(weeks=4, days=2)
    back = fixed_cluster(session, "Rendez-vous introuvables en préfecture")
    reports_on(session, back, *weekly(-4, -1))  # 1 a week before the fix
    reports_on(session, back, *weekly(2, 3, per_week=6))  # 6 a week in the last two complete weeks
    steady = fixed_cluster(session, "Formulaire qui refuse un IBAN valide")
    reports_on(session, steady, *weekly(-4, 3))  # 1 a week, before and after
    one_week = fixed_cluster(session, "Plateforme téléphonique saturée")
    reports_on(session, one_week, *weekly(-4, -1))
    reports_on(session, one_week, *weekly(3, 3, per_week=6))  # only the last week is high
    got, receiver = heard_status_changes()
    try:
        assert regressions.check_regressions(session, SETTINGS, today) == [back.id]
        assert regressions.check_regressions(session, SETTINGS, today) == []  # idempotent
    finally:
        events.status_changed.disconnect(receiver)

    session.refresh(back)
    assert back.status == S.REGRESSED and back.fixed_on == FIX  # the last declared fix day is kept
    assert session.get(Cluster, steady.id).status == S.FIXED
    assert session.get(Cluster, one_week.id).status == S.FIXED
    assert set(session.scalars(select(Report.status).where(Report.cluster_id == back.id))) == {S.REGRESSED}
    (event,) = session.scalars(select(Event).where(Event.cluster_id == back.id, Event.action == "cluster.status"))
    assert (event.actor, event.actor_id) == (SYSTEM, None)
    assert event.before["status"] == "fixed" and event.after["status"] == "regressed"
    assert "14/10/2026" in event.public_note and "Alarme de régression" in event.reason
    assert got == [
        {
            "sender": session,
            "cluster_id": back.id,
            "before": S.FIXED,
            "after": S.REGRESSED,
            "agent": None,
            "public_note": event.public_note,
        }
    ]


def test_check_regressions_command_prints_what_it_marked(app, session, runner):
    back = fixed_cluster(session, "Rendez-vous introuvables en préfecture")
    reports_on(session, back, *weekly(-4, -1))
    reports_on(session, back, *weekly(2, 3, per_week=6))
    session.commit()
    today = (FIX + dt.timedelta(weeks=4, days=2)).isoformat()
    result = runner.invoke(args=["check-regressions", "--today", today])
    assert result.exit_code == 0, result.output
    assert f"1 irritant marqué « réapparu » : n° {back.id}." in result.output
    again = runner.invoke(args=["check-regressions", "--today", today])
    assert "Aucun irritant corrigé n’est réapparu." in again.output
    session.expire_all()
    assert session.get(Cluster, back.id).status == S.REGRESSED


def test_the_daily_job_is_registered_marks_in_its_own_transaction_and_is_idempotent(app, session):
    from irritants.triage import jobs as triage_jobs

    fixed_on = paris_today() - dt.timedelta(weeks=4, days=2)  # the job checks as of today in France
    back = fixed_cluster(session, "Rendez-vous introuvables en préfecture", fixed_on=fixed_on)
    for week, count in ((-4, 1), (-3, 1), (-2, 1), (-1, 1), (2, 6), (3, 6)):
        start = fixed_on + dt.timedelta(weeks=week)
        reports_on(session, back, *(start + dt.timedelta(days=d) for d in range(count)))
    session.commit()
    assert triage_jobs.DAILY_JOB in periodic.periodic_jobs(app)  # every runner runs it once a day
    assert periodic.run_periodic(app) >= 1
    assert triage_jobs.check_regressions(app) == 0  # idempotent
    session.expire_all()
    assert session.get(Cluster, back.id).status == S.REGRESSED


def test_the_squad_of_a_regressed_irritant_is_told_by_mail_in_the_alarms_transaction(app, session):
    squad = make_squad(session, "Équipe Préfecture")
    owner = make_user(session, "product_owner", squads=[squad], email="po@beta.gouv.fr")
    make_user(session, "squad_member", squads=[squad], email="dev@beta.gouv.fr")
    gone = make_user(session, "squad_member", squads=[squad], email="parti@beta.gouv.fr")
    gone.active = False
    make_user(session, "squad_member", squads=[make_squad(session, "Autre équipe")], email="autre@beta.gouv.fr")
    back = fixed_cluster(session, "Rendez-vous introuvables en préfecture")
    back.squad_id = squad.id
    reports_on(session, back, *weekly(-4, -1))
    reports_on(session, back, *weekly(2, 3, per_week=6))
    session.commit()
    assert regressions.check_regressions(session, SETTINGS, FIX + dt.timedelta(weeks=4, days=2)) == [back.id]
    session.rollback()  # the change is undone: so is its mail
    assert alerts(session) == []
    regressions.check_regressions(session, SETTINGS, FIX + dt.timedelta(weeks=4, days=2))
    session.commit()
    mails = alerts(session)
    assert sorted(m["to"] for m in mails) == ["dev@beta.gouv.fr", owner.email]
    assert mails[0]["subject"] == "Irritant réapparu après correction : « Rendez-vous introuvables en préfecture »"
    assert "14/10/2026" in mails[0]["text"] and "alerte quotidienne" in mails[0]["text"]
    assert f"http://irritants.test/agents/irritants/{back.id}" in mails[0]["text"]
    triage.change_status(session, agent_for(session, owner), back.id, S.IN_PROGRESS)  # an agent's move tells nobody
    session.commit()
    assert len(alerts(session)) == 2


def alerts(session) -> list[dict[str, Any]]:
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "squad_alert").order_by(OutboxMessage.id))
    return [row.payload for row in rows]
