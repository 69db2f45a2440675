"""The dashboard's data (irritants/insights/dashboard.py) and the rollups it reads (rollup.py, migration 0020):
the rollups stay right whatever writes the reports, and the SQL aggregates agree with the pure metrics computed on
the same generated reports, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
from sqlalchemy import delete, func, insert, select, update

from irritants import metrics
from irritants.clusters.models import Cluster, Support
from irritants.french import PARIS
from irritants.insights import rollup
from irritants.insights.dashboard import dashboard_data, uses_rollup
from irritants.insights.filters import InsightFilters
from irritants.intake.models import Report, Severity
from irritants.privacy.services import withdraw_report
from irritants.referential.models import Administration, Territory
from irritants.settings import FeedbackSettings, RankingSettings
from irritants.status import StatusKind
from tests.conftest import make_cluster, make_report, make_squad

TODAY = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
CHANNELS = ("en_ligne", "en_ligne", "en_ligne", "telephone", "guichet", "courrier", "france_services", "email")


def _paris_day_in_sql(session, moment: dt.datetime) -> dt.date:
    report = make_report(session)
    session.execute(update(Report).where(Report.id == report.id).values(created_at=moment))
    value = session.scalar(select(rollup.paris_day(session)).where(Report.id == report.id))
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=dt.UTC),  # 01:59 in Paris, winter time
        dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC),  # 03:00 in Paris, summer time
        dt.datetime(2026, 6, 30, 21, 59, tzinfo=dt.UTC),  # 23:59 on the 30th
        dt.datetime(2026, 6, 30, 22, 0, tzinfo=dt.UTC),  # 00:00 on 1 July
        dt.datetime(2026, 10, 25, 0, 59, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 31, 22, 59, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC),  # New Year in Paris
        dt.datetime(2027, 3, 27, 23, 30, tzinfo=dt.UTC),  # the night before the change
        dt.datetime(2025, 10, 25, 22, 30, tzinfo=dt.UTC),  # 00:30 on the 26th (summer time still)
    ],
)
def test_the_paris_day_in_sql_is_pythons(session, moment):
    assert _paris_day_in_sql(session, moment) == moment.astimezone(PARIS).date()


def test_the_rollups_follow_every_write_to_the_reports(app, session):
    first = make_cluster(session, "Premier irritant", reports=3)
    second = make_cluster(session, "Second irritant", reports=2)
    lone = make_report(session, channel="france_services")  # no irritant yet
    session.commit()
    assert rollup.check_rollup(session)
    total = session.scalar(select(func.sum(rollup.ReportDay.reports)))
    assert total == 6
    assert session.scalar(select(func.sum(rollup.ReportDay.assisted))) == 6  # 5 by phone, 1 France Services

    # A merge moves reports in bulk; a split, one; a re-clustering, many.
    session.execute(update(Report).where(Report.cluster_id == second.id).values(cluster_id=first.id))
    session.execute(update(Report).where(Report.id == lone.id).values(cluster_id=second.id))
    session.commit()
    assert rollup.check_rollup(session)
    assert (
        session.scalar(select(func.sum(rollup.ClusterDay.reports)).where(rollup.ClusterDay.cluster_id == first.id)) == 5
    )

    # A date or a channel corrected; a withdrawal (DELETE through the ORM's bulk path); a plain DELETE.
    session.execute(
        update(Report)
        .where(Report.id == lone.id)
        .values(created_at=NOW - dt.timedelta(days=40), channel_code="en_ligne")
    )
    withdraw_report(session, lone.id, ranking=RankingSettings())
    session.execute(
        delete(Report).where(
            Report.cluster_id == first.id, Report.id == min(r for r in session.scalars(select(Report.id)))
        )
    )
    session.commit()
    assert rollup.check_rollup(session)
    assert session.scalar(select(func.sum(rollup.ReportDay.reports))) == session.scalar(
        select(func.count()).select_from(Report)
    )

    # The rebuild gives the same tables.
    before = sorted(session.execute(select(rollup.ReportDay.__table__).where(rollup.ReportDay.reports > 0)).all())
    assert rollup.rebuild(session) > 0
    session.commit()
    assert sorted(session.execute(select(rollup.ReportDay.__table__)).all()) == before
    assert rollup.check_rollup(session)


# --- generated reports: the SQL aggregates against the pure metrics ------------------------------------------------


def _generate(session, n: int = 400, seed: int = 13):
    rng = random.Random(seed)
    admins = session.execute(select(Administration.id, Administration.slug).order_by(Administration.id)).all()[:6]
    territories = [code for (code,) in session.execute(select(Territory.code).order_by(Territory.code)).all()][:12]
    squad = make_squad(session, "Équipe générée")
    clusters = []
    for i in range(8):
        cluster = Cluster(label=f"Irritant généré {i}", keywords=[], score=float(100 - i), status=StatusKind.TRIAGED,
                          squad_id=squad.id if i < 2 else None, main_administration_id=admins[i % 3][0])  # fmt: skip
        session.add(cluster)
        clusters.append(cluster)
    session.flush()
    rows = []
    for i in range(n):
        created = NOW - dt.timedelta(minutes=rng.randrange(0, 200 * 24 * 60))
        rows.append(
            {
                "reference": f"GEN{i:08d}",
                "tracking_token_hash": f"{i:064d}",
                "token_seed": "s",
                "created_at": created,
                "description": "généré",
                "administration_id": admins[min(int(rng.paretovariate(1.2)) - 1, 5)][0],
                "territory_code": rng.choice(territories),
                "channel_code": rng.choice(CHANNELS),
                "severity": rng.choice(list(Severity)),
                "assisted": rng.random() < 0.1,
                "cluster_id": clusters[min(int(rng.paretovariate(1.0)) - 1, 7)].id if rng.random() < 0.9 else None,
            }
        )
    session.execute(insert(Report), rows)  # the CSV import's bulk path
    session.commit()
    return squad, admins, clusters


def _frame(session) -> pd.DataFrame:
    day = rollup.paris_day(session).label("day")
    rows = session.execute(
        select(
            day,
            Administration.slug,
            Report.territory_code,
            Territory.region_code,
            Report.channel_code,
            Report.severity,
            rollup.assisted_count(),
            Report.cluster_id,
            Cluster.squad_id,
        )
        .join(Administration, Administration.id == Report.administration_id)
        .join(Territory, Territory.code == Report.territory_code)
        .outerjoin(Cluster, Cluster.id == Report.cluster_id)
    ).all()
    frame = pd.DataFrame(rows, columns=["day", "administration", "territory", "region", "channel", "severity",
                                        "assisted", "cluster_id", "squad_id"])  # fmt: skip
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame["severity"] = frame["severity"].map(lambda s: Severity(s).value)
    frame["reports"] = 1
    return frame


def _narrow(frame: pd.DataFrame, filters: InsightFilters, squad_id: int | None) -> pd.DataFrame:
    for column in ("administration", "territory", "region", "channel"):
        if getattr(filters, column):
            frame = frame[frame[column] == getattr(filters, column)]
    if filters.severity:
        frame = frame[frame["severity"] == filters.severity.value]
    if filters.squad:
        frame = frame[frame["squad_id"] == squad_id]
    return frame


def test_the_sql_aggregates_agree_with_the_pure_metrics(session):
    squad, admins, _clusters = _generate(session)
    everything = _frame(session)
    region = session.scalar(select(Territory.region_code).where(Territory.code == everything["territory"].iloc[0]))
    base = InsightFilters(start=TODAY - dt.timedelta(days=59), end=TODAY)
    for filters in (
        base,
        InsightFilters(start=TODAY - dt.timedelta(days=99), end=TODAY),
        InsightFilters(start=base.start, end=base.end, administration=admins[0][1]),
        InsightFilters(start=base.start, end=base.end, channel="telephone"),
        InsightFilters(start=base.start, end=base.end, region=region, severity=Severity.BLOCAGE),
        InsightFilters(start=base.start, end=base.end, territory=everything["territory"].iloc[0]),
        InsightFilters(start=base.start, end=base.end, squad=squad.slug),
    ):
        data = dashboard_data(session, filters, feedback_settings=FeedbackSettings(), now=NOW)
        mine = _narrow(everything, filters, squad.id)
        inside = mine[(mine["day"] >= filters.start) & (mine["day"] <= filters.end)]
        prev = filters.previous()
        before = mine[(mine["day"] >= prev.start) & (mine["day"] <= prev.end)]
        assert data.current.new_reports == len(inside), filters
        assert data.previous.new_reports == len(before), filters
        assert data.current.assisted_reports == int(inside["assisted"].sum())
        weeks = metrics.weekly(mine[["day", "reports"]], filters.start, filters.end)
        assert [(w.week, w.reports, w.previous) for w in data.weeks] == list(
            zip(weeks["week"], weeks["reports"], weeks["previous"], strict=True)
        )
        assert sum(w.reports for w in data.weeks) == len(inside)
        for shares, column in ((data.by_administration, "administration"), (data.by_channel, "channel"),
                               (data.by_territory, "territory"), (data.by_region, "region")):  # fmt: skip
            expected = metrics.breakdown(inside, column)
            got = [(s.key, s.reports, s.share) for s in shares if s.reports]
            assert got == list(zip(expected[column], expected["reports"], expected["share"], strict=True)), column
            assert {s.key: s.previous for s in shares if s.previous} == before.groupby(column).size().to_dict()
        _, table = metrics.equity(inside.dropna(subset=["cluster_id"]).astype({"cluster_id": int}))
        assert [(r.id, r.reports, r.assisted) for r in data.equity.rows] == list(
            zip(table["cluster_id"], table["reports"], table["assisted"], strict=True)
        )[: len(data.equity.rows)]
        assert data.equity.average == metrics.rate(inside["assisted"].sum(), len(inside), minimum=10)
        # Which filter sets the rollups answer (the others read the reports of the two periods).
        expected = not filters.squad and not ((filters.region or filters.territory) and filters.severity)
        assert uses_rollup(filters) == expected


def test_key_figures_of_irritants(session):
    from irritants.audit.models import Event
    from irritants.feedback.models import Answer, ResolutionAnswer

    fixed = make_cluster(session, "Corrigé", reports=2)
    closed = make_cluster(session, "Clos", reports=1)
    orphan = make_cluster(session, "Orphelin", reports=1, score=50.0)
    regressed = make_cluster(session, "Réapparu", reports=1, score=10.0)
    squad = make_squad(session)
    fixed.squad_id = squad.id
    session.flush()
    first_day = TODAY - dt.timedelta(days=20)
    session.execute(update(Report).values(created_at=dt.datetime.combine(first_day, dt.time(12), tzinfo=PARIS)))
    triaged_at = dt.datetime.combine(first_day + dt.timedelta(days=3), dt.time(10), tzinfo=PARIS)
    for cluster in (fixed, closed):
        session.add(Event(created_at=triaged_at, actor="système", action="cluster.status", subject_type="cluster",
                          subject_id=cluster.id, cluster_id=cluster.id, before={"status": "new"},
                          after={"status": "triaged"}))  # fmt: skip
    fixed.status, fixed.fixed_at = StatusKind.FIXED, NOW - dt.timedelta(days=2)
    fixed.closed_at = fixed.fixed_at
    closed.status, closed.closed_at = StatusKind.CLOSED_NOT_FIXED, NOW - dt.timedelta(days=1)
    regressed.status = StatusKind.REGRESSED
    reports = session.scalars(select(Report.id).where(Report.cluster_id == fixed.id)).all()
    for report_id, value in zip(reports, (Answer.YES, Answer.PARTLY), strict=True):
        session.add(ResolutionAnswer(cluster_id=fixed.id, report_id=report_id, answer=value, answered_at=NOW))
    session.add(Support(cluster_id=orphan.id, person_key="p1", created_at=NOW - dt.timedelta(days=1)))
    session.commit()

    filters = InsightFilters(start=TODAY - dt.timedelta(days=29), end=TODAY)
    data = dashboard_data(session, filters, feedback_settings=FeedbackSettings(unresolved_min_answers=2), now=NOW)
    figures = data.current
    assert figures.new_reports == 5 and figures.people == 6  # 5 reports, 1 « moi aussi »
    assert (figures.triaged, figures.median_days_to_triage) == (2, 3.0)
    assert (figures.fixed, figures.median_days_to_fix) == (1, 18.0)
    assert (figures.closed_without_fix, figures.fixed_share) == (1, 0.5)
    assert (figures.perceived_answers, figures.perceived_rate) == (2, 0.75)
    assert data.open_irritants == 2  # the orphan (new) and the regressed one
    assert [i.id for i in data.orphans] == [orphan.id, regressed.id]
    assert [i.id for i in data.regressed] == [regressed.id]
    assert data.links["orphans"]["squad"] == "none"
    assert data.previous.new_reports == 0 and data.previous.fixed_share is None
    assert data.computed_at == NOW
    assert [g.phase for g in data.squads] == ["investigation"]
    assert data.squads[0].squads[0].slug == squad.slug


def test_fix_effects_from_the_rollup_are_the_irritant_pages(session):
    from irritants.clusters.effect import fix_effect
    from irritants.insights.effects import fix_effects
    from irritants.settings import FixEffectSettings

    target = make_cluster(session, "Corrigé", reports=0)
    merged = make_cluster(session, "Doublon", reports=0, status=StatusKind.DUPLICATE, duplicate_of_id=target.id)
    fixed_on = TODAY - dt.timedelta(days=30)
    rng = random.Random(3)
    for i in range(60):
        moment = dt.datetime.combine(fixed_on, dt.time(12), tzinfo=PARIS) - dt.timedelta(days=rng.randrange(-40, 70))
        report = make_report(session, cluster=target if i % 3 else merged)
        report.created_at = moment
    target.fixed_on = fixed_on
    session.commit()
    settings = FixEffectSettings(weeks=4)
    mine = fix_effects(session, settings, [target], today=TODAY)[target.id]
    theirs = fix_effect(session, settings, target, today=TODAY)
    assert mine == theirs
    assert sum(w.count for w in mine.series.weeks) > 0


def test_the_rebuild_command_recomputes_and_checks(app, session, runner):
    make_cluster(session, "Irritant", reports=3)
    session.commit()
    session.execute(delete(rollup.ReportDay))  # as if the rollup had drifted
    session.commit()
    checked = runner.invoke(args=["insights", "rebuild", "--check"])
    assert checked.exit_code == 1 and "diffèrent" in checked.output
    rebuilt = runner.invoke(args=["insights", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Agrégats quotidiens recalculés" in rebuilt.output
    assert runner.invoke(args=["insights", "rebuild", "--check"]).exit_code == 0


def test_a_demarche_narrows_the_figures_from_the_reports(session):
    from irritants.referential.models import Procedure

    rsa = session.scalar(
        select(Procedure)
        .join(Administration, Administration.id == Procedure.administration_id)
        .where(Administration.slug == "caf", Procedure.slug == "demande-rsa")
    )
    cluster = make_cluster(session, "Dossiers bloqués", reports=0)
    moment = dt.datetime.combine(TODAY - dt.timedelta(days=3), dt.time(12), tzinfo=PARIS)
    for procedure_id in (rsa.id, rsa.id, None):
        make_report(session, cluster=cluster, created_at=moment, procedure_id=procedure_id)
    session.flush()
    everything = InsightFilters(start=TODAY - dt.timedelta(days=29), end=TODAY)
    only_rsa = InsightFilters(start=everything.start, end=everything.end, procedure="caf/demande-rsa")
    assert not uses_rollup(only_rsa)  # no daily table knows the démarche
    assert dashboard_data(session, everything, feedback_settings=FeedbackSettings(), now=NOW).current.new_reports == 3
    assert dashboard_data(session, only_rsa, feedback_settings=FeedbackSettings(), now=NOW).current.new_reports == 2


def test_first_days_skip_days_left_without_reports_and_irritants_without_any(session):
    from irritants.insights.effects import first_days

    target = make_cluster(session, "Premier jour", reports=0)
    empty = make_cluster(session, "Sans signalement", reports=0)
    days = [TODAY - dt.timedelta(days=n) for n in (40, 20, 5)]
    reports = []
    for day in days:
        report = make_report(session, cluster=target)
        report.created_at = dt.datetime.combine(day, dt.time(12), tzinfo=PARIS)
        reports.append(report)
    session.commit()
    assert first_days(session, [target.id, empty.id]) == {target.id: days[0]}
    session.delete(reports[0])  # a withdrawal: its day keeps a row of the rollup, with no report
    session.commit()
    assert first_days(session, [target.id, empty.id, target.id]) == {target.id: days[1]}
    assert first_days(session, []) == {}
