"""`irritants purge-personal-data` and `irritants erase-citizen`, on a frozen clock, checking the database."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from sqlalchemy import func, select

from irritants.audit.models import Event
from irritants.clusters.models import Support
from irritants.conversations.models import Direction, ReportMessage
from irritants.db import get_db
from irritants.intake.models import AbuseFlag, Report, ReportContact, Severity
from irritants.intake.services import email_hmac
from irritants.people import person_key
from irritants.privacy.services import ERASED_TEXT, months_before
from irritants.status import StatusKind
from tests.conftest import TEST_SECRET, make_cluster, make_report

NOW = dt.datetime(2025, 6, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


def contact(db, report, email: str, *, purge_after: dt.datetime) -> None:
    db.add(
        ReportContact(
            report_id=report.id,
            email=email,
            email_hmac=email_hmac(TEST_SECRET, email),
            consent_at=purge_after - dt.timedelta(days=365),
            purge_after=purge_after,
        )
    )
    db.flush()


def contact_ids(app) -> set[int]:
    with get_db(app).session_scope() as s:
        return set(s.scalars(select(ReportContact.report_id)))


def all_events(app) -> list[Event]:
    with get_db(app).session_scope() as s:
        return list(s.scalars(select(Event).order_by(Event.id)))


# --- purge-personal-data ----------------------------------------------------------------------------------


def test_months_before_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert months_before(NOW, 12) == dt.datetime(2024, 6, 15, 12, 0, tzinfo=dt.UTC)
    assert months_before(dt.datetime(2025, 3, 31, tzinfo=dt.UTC), 1) == dt.datetime(2025, 2, 28, tzinfo=dt.UTC)
    assert months_before(dt.datetime(2025, 1, 10, tzinfo=dt.UTC), 13) == dt.datetime(2023, 12, 10, tzinfo=dt.UTC)


@pytest.fixture
def retention_case(db):
    """Five reports with a contact: two are due for purge at NOW, three are not."""
    later = NOW + dt.timedelta(days=200)
    long_closed = make_cluster(db, "Clos il y a 13 mois", reports=0, status=StatusKind.FIXED)
    long_closed.closed_at = NOW - dt.timedelta(days=400)
    recently_closed = make_cluster(db, "Clos il y a 11 mois", reports=0, status=StatusKind.CLOSED_NOT_FIXED)
    recently_closed.closed_at = NOW - dt.timedelta(days=330)
    reopened = make_cluster(db, "Rouvert", reports=0, status=StatusKind.REGRESSED)
    reopened.closed_at = NOW - dt.timedelta(days=400)
    reports = {
        "expired": make_report(db),
        "closed": make_report(db, cluster=long_closed),
        "recent": make_report(db, cluster=recently_closed),
        "reopened": make_report(db, cluster=reopened),
        "open": make_report(db),
    }
    contact(db, reports["expired"], "a@example.org", purge_after=NOW - dt.timedelta(seconds=1))
    for name in ("closed", "recent", "reopened", "open"):
        contact(db, reports[name], f"{name}@example.org", purge_after=later)
    db.commit()
    return {name: r.id for name, r in reports.items()}


def test_dry_run_counts_and_changes_nothing(app, runner, retention_case):
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["purge-personal-data", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Simulation : 2 adresses seraient supprimées" in result.output
    assert "1 dont la date de conservation est passée, 1 d’irritants clos avant le 2024-06-15" in result.output
    assert contact_ids(app) == set(retention_case.values())
    assert all_events(app) == []


def test_purge_deletes_contacts_past_retention_once_and_is_idempotent(app, runner, retention_case):
    with time_machine.travel(NOW, tick=False):
        first = runner.invoke(args=["purge-personal-data"])
        second = runner.invoke(args=["purge-personal-data"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("2 adresses supprimées")
    assert contact_ids(app) == {retention_case["recent"], retention_case["reopened"], retention_case["open"]}
    assert second.output.startswith("0 adresse supprimée ")
    [event] = all_events(app)
    assert (event.action, event.actor, event.after) == (
        "contacts.purged",
        "système",
        {"deleted": 2, "expired": 1, "closed": 1},
    )
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 5  # reports are kept


def test_retention_months_and_the_moment_can_be_set(make_app, retention_case):
    app = make_app(PERSONAL_DATA_RETENTION_MONTHS=10)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["purge-personal-data", "--now", NOW.isoformat()])
    assert result.output.startswith("3 adresses supprimées"), result.output
    assert contact_ids(app) == {retention_case["reopened"], retention_case["open"]}
    bad = runner.invoke(args=["purge-personal-data", "--now", "hier"])
    assert bad.exit_code == 2 and "date ISO 8601 attendue" in bad.output


def test_purge_contacts_remains_as_an_alias(app, runner, retention_case):
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["purge-contacts"])
    assert result.exit_code == 0 and result.output.startswith("2 adresses supprimées")


# --- erase-citizen ----------------------------------------------------------------------------------------

EMAIL = "Marie.Dupont@Example.org"
BROWSER = "browser-of-marie-0123456789"


@pytest.fixture
def citizen(db):
    """Marie's two reports (one from her browser), her « moi aussi » and flag; and someone else's report."""
    key = person_key(TEST_SECRET, BROWSER)
    cluster = make_cluster(db, "Rendez-vous introuvables", reports=1)
    other_cluster = make_cluster(db, "Site en panne", reports=0)
    first = make_report(
        db,
        cluster=cluster,
        description="Je m'appelle Marie Dupont, joignable au 06 12 34 56 78.",
        person_key=key,
        idempotency_key="web:abc",
        request_fingerprint="f" * 64,
        severity="blocage",
        territory="13",
    )
    second = make_report(db, description="Toujours rien.", external_key="sp:42")
    other = make_report(db, cluster=cluster, description="Même problème pour moi.")
    contact(db, first, "marie.dupont@example.org", purge_after=NOW + dt.timedelta(days=100))
    contact(db, second, " MARIE.DUPONT@example.org ", purge_after=NOW + dt.timedelta(days=100))
    contact(db, other, "paul@example.org", purge_after=NOW + dt.timedelta(days=100))
    db.add(Support(cluster_id=other_cluster.id, person_key=key))
    db.add(AbuseFlag(report_id=other.id, person_key=key, reason="hors_sujet"))
    db.commit()
    return {"first": first.id, "second": second.id, "other": other.id, "cluster": cluster.id}


def test_erase_dry_run_says_what_it_would_do_and_changes_nothing(app, runner, citizen):
    result = runner.invoke(args=["erase-citizen", EMAIL, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Simulation" in result.output and "2 signalements anonymisés" in result.output
    assert "1 « C’est aussi mon cas » supprimé," in result.output
    assert EMAIL.lower() not in result.output.lower()
    assert contact_ids(app) == {citizen["first"], citizen["second"], citizen["other"]}
    assert all_events(app) == []


def test_erase_anonymises_reports_deletes_contacts_and_supports_with_one_event_each(app, runner, citizen):
    with get_db(app).session_scope() as s:
        kept_before = s.get(Report, citizen["first"])
        kept = (kept_before.administration_id, kept_before.territory_code, kept_before.severity, kept_before.created_at)
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["erase-citizen", EMAIL])
    assert result.exit_code == 0, result.output
    assert "Effacement fait" in result.output and EMAIL.lower() not in result.output.lower()
    assert contact_ids(app) == {citizen["other"]}
    with get_db(app).session_scope() as s:
        first, second, other = (s.get(Report, citizen[k]) for k in ("first", "second", "other"))
        assert first.description == second.description == ERASED_TEXT
        assert (first.person_key, first.idempotency_key, first.request_fingerprint) == (None, None, None)
        assert second.external_key is None
        assert (first.administration_id, first.territory_code, first.severity, first.created_at) == kept
        assert first.severity == Severity.BLOCAGE and first.cluster_id == citizen["cluster"] and first.cluster_locked
        assert other.description == "Même problème pour moi."
        assert s.scalar(select(func.count()).select_from(Support)) == 0
        assert s.scalar(select(func.count()).select_from(AbuseFlag)) == 0
    erased = all_events(app)
    assert [(e.action, e.subject_id, e.actor) for e in erased] == [
        ("report.erased", citizen["first"], "système"),
        ("report.erased", citizen["second"], "système"),
    ]
    assert erased[0].cluster_id == citizen["cluster"] and erased[1].cluster_id is None
    for event in erased:
        dumped = json.dumps([event.before, event.after, event.reason], ensure_ascii=False).lower()
        assert "marie" not in dumped and "@" not in dumped and "06 12" not in dumped
    again = runner.invoke(args=["erase-citizen", EMAIL])
    assert "Aucun signalement ne correspond" in again.output


def test_a_browser_shared_with_someone_else_does_not_link_supports(app, runner, db, citizen):
    shared = make_report(
        db, description="Autre personne, même ordinateur.", person_key=person_key(TEST_SECRET, BROWSER)
    )
    contact(db, shared, "voisin@example.org", purge_after=NOW + dt.timedelta(days=100))
    db.commit()
    result = runner.invoke(args=["erase-citizen", EMAIL])
    assert "0 « C’est aussi mon cas » supprimé," in result.output
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Support)) == 1
        assert s.get(Report, shared.id).description == "Autre personne, même ordinateur."


def test_erase_refuses_something_that_is_not_an_email(runner):
    result = runner.invoke(args=["erase-citizen", "marie"])
    assert result.exit_code == 2 and "adresse électronique attendue" in result.output


def test_erase_also_deletes_the_original_of_a_text_a_moderator_masked(app, runner, db, citizen):
    report = db.get(Report, citizen["first"])
    report.original_description = report.description
    report.description = "Je m'appelle [masqué], joignable au 06 12 34 56 78."
    report.masked_at = NOW
    db.commit()
    assert runner.invoke(args=["erase-citizen", EMAIL]).exit_code == 0
    with get_db(app).session_scope() as s:
        erased = s.get(Report, citizen["first"])
        assert erased.description == ERASED_TEXT and erased.original_description is None


def test_erase_deletes_the_conversations_of_the_citizen_s_reports_and_only_theirs(app, runner, db, citizen):
    question = ReportMessage(report_id=citizen["first"], direction=Direction.TO_REPORTER, body="Quelle agence ?")
    db.add(question)
    db.flush()
    db.add_all(
        [
            ReportMessage(
                report_id=citizen["first"],
                direction=Direction.FROM_REPORTER,
                body="Celle de Marseille, je suis Marie Dupont, 06 12 34 56 78.",
                in_reply_to_id=question.id,
            ),
            ReportMessage(report_id=citizen["second"], direction=Direction.FROM_REPORTER, body="Mon NIR est 1 85…"),
            ReportMessage(report_id=citizen["other"], direction=Direction.FROM_REPORTER, body="Paul ajoute ceci."),
        ]
    )
    db.commit()

    planned = runner.invoke(args=["erase-citizen", EMAIL, "--dry-run"])
    assert "3 messages de conversation avec l’équipe supprimés" in planned.output
    result = runner.invoke(args=["erase-citizen", EMAIL])

    assert result.exit_code == 0, result.output
    assert "3 messages de conversation avec l’équipe supprimés" in result.output
    with get_db(app).session_scope() as s:
        left = s.execute(select(ReportMessage.report_id, ReportMessage.body)).all()
    assert left == [(citizen["other"], "Paul ajoute ceci.")]
