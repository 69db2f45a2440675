"""Status messages: who gets what (reporters of the irritant and of irritants merged into it, supporters who left an
email; one mail per address), grouped over MAIL_GROUP_MINUTES, written with the decision or not at all, never the
internal reason, stopped by unsubscribing; « hors périmètre » forwards the reports to the destination."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from irritants import french, jobs
from irritants.auth.services import agent_for
from irritants.clusters.models import Support, SupportContact
from irritants.db import get_db, utcnow
from irritants.feedback.models import ResolutionAnswer
from irritants.intake.models import ReportContact
from irritants.notify.jobs import tell_due_notices
from irritants.notify.models import PendingNotice
from irritants.notify.unsubscribe import unsubscribe
from irritants.outbox.models import OutboxMessage
from irritants.referential.models import Administration
from irritants.status import StatusKind
from irritants.tokens import email_hmac
from irritants.triage import services as triage
from tests.conftest import RANKING, TEST_SECRET, make_cluster, make_report, make_squad, make_user

S = StatusKind
SECRET_REASON = "Motif interne : le bureau refuse, ne pas le dire"
NOTE = "Le formulaire accepte désormais les IBAN étrangers."
T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


@pytest.fixture
def admin(db):
    agent = agent_for(db, make_user(db, "admin"))
    db.commit()
    return agent


def follow(db, report, email: str) -> None:
    """A follow-up email on ``report``, as intake stores it."""
    now = utcnow()
    key = email_hmac(TEST_SECRET, email)
    db.add(ReportContact(report_id=report.id, email=email, email_hmac=key, consent_at=now, purge_after=now))
    db.flush()


def support(db, cluster, email: str) -> None:
    """A « moi aussi » left with an email."""
    row = Support(cluster_id=cluster.id, person_key=email_hmac(TEST_SECRET, f"browser:{email}"))
    db.add(row)
    db.flush()
    now = utcnow()
    key = email_hmac(TEST_SECRET, email)
    db.add(SupportContact(support_id=row.id, email=email, email_hmac=key, consent_at=now, purge_after=now))
    db.flush()


def mails(app, topic: str = "status") -> list[dict[str, Any]]:
    with get_db(app).session_scope() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id))
        return [row.payload for row in rows]


def by_address(app, topic: str = "status") -> dict[str, dict[str, Any]]:
    found = {}
    for mail in mails(app, topic):
        assert mail["to"] not in found, "one mail per address"
        found[mail["to"]] = mail
    return found


def plan(db, agent, cluster) -> None:
    """A squad takes the irritant: new → triaged → planned."""
    squad = make_squad(db, f"Équipe {cluster.id}")
    triage.assign_squad(db, agent, cluster.id, squad.id)
    triage.change_status(db, agent, cluster.id, S.TRIAGED)
    triage.change_status(db, agent, cluster.id, S.PLANNED, public_note="Une équipe s'en occupe.")


def test_a_merged_irritant_reaches_the_reporters_of_both_and_its_supporters(app, db, admin):
    target = make_cluster(db, "Rendez-vous introuvables en préfecture", reports=1, label_locked=True)
    source = make_cluster(db, "Aucun créneau pour le titre de séjour", reports=0)
    marked = make_cluster(db, "Prise de rendez-vous impossible", reports=0)
    follow(db, make_report(db, cluster=target), "alice@example.org")
    follow(db, make_report(db, cluster=source), "bruno@example.org")
    follow(db, make_report(db, cluster=marked), "chloe@example.org")
    support(db, source, "dina@example.org")
    triage.merge(db, admin, target.id, [source.id], ranking=RANKING)
    triage.change_status(db, admin, marked.id, S.DUPLICATE, duplicate_of=target.id)  # its reports stay in it
    plan(db, admin, target)
    db.commit()
    assert tell_due_notices(app) == 1
    sent = by_address(app)
    assert set(sent) == {"alice@example.org", "bruno@example.org", "chloe@example.org", "dina@example.org"}
    for mail in sent.values():
        assert "Rendez-vous introuvables en préfecture" in mail["text"]
        assert f"Il est pris en charge par la start-up d’État « Équipe {target.id} »" in mail["text"]
    assert sent["alice@example.org"]["subject"].startswith("Votre signalement ")
    assert sent["alice@example.org"]["subject"].endswith(" : pris en charge par une équipe")
    assert (
        sent["dina@example.org"]["subject"]
        == "Irritant « Rendez-vous introuvables en préfecture » : pris en charge par une équipe"
    )
    assert "C’est aussi mon cas" in sent["dina@example.org"]["text"]
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(PendingNotice)) == 0
    assert tell_due_notices(app) == 0  # told once


def test_one_mail_per_address_however_many_times_it_reported_or_supported(app, db, admin):
    cluster = make_cluster(db, "Formulaire qui refuse un IBAN valide", reports=0)
    first, second = make_report(db, cluster=cluster), make_report(db, cluster=cluster)
    follow(db, first, "emma@example.org")
    follow(db, second, " Emma@Example.org ")
    support(db, cluster, "EMMA@example.org")
    plan(db, admin, cluster)
    db.commit()
    tell_due_notices(app)
    [mail] = mails(app)
    assert first.reference in mail["text"] and second.reference in mail["text"]
    assert mail["subject"].endswith("Vos signalements : pris en charge par une équipe")


def test_changes_within_the_window_reach_a_person_as_one_message(make_app):
    app = make_app(MAIL_GROUP_MINUTES=15)
    with get_db(app).session_scope() as db:
        agent = agent_for(db, make_user(db, "admin"))
        first = make_cluster(db, "Carte Vitale jamais reçue", reports=0)
        second = make_cluster(db, "Site des impôts en panne", reports=0)
        follow(db, make_report(db, cluster=first), "farid@example.org")
        follow(db, make_report(db, cluster=second), "farid@example.org")
        db.commit()
        with time_machine.travel(T0, tick=False):
            plan(db, agent, first)
            db.commit()
        with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
            triage.change_status(db, agent, second.id, S.TRIAGED)
            triage.change_status(db, agent, second.id, S.CLOSED_NOT_FIXED, public_note="Hors de portée.")
            db.commit()
            assert tell_due_notices(app) == 0  # the window of the first change is still open
    assert mails(app) == []
    with time_machine.travel(T0 + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert tell_due_notices(app) == 1  # the first irritant's window is over
    with time_machine.travel(T0 + dt.timedelta(minutes=25, seconds=1), tick=False):
        assert tell_due_notices(app) == 1
    assert [m["subject"].split(" : ")[1] for m in mails(app)] == [
        "pris en charge par une équipe",
        "clos sans correction",
    ]


def test_two_irritants_moving_together_make_one_message(make_app):
    app = make_app(MAIL_GROUP_MINUTES=15)
    with get_db(app).session_scope() as db:
        agent = agent_for(db, make_user(db, "admin"))
        clusters = [make_cluster(db, f"Irritant {i} de la CAF", reports=0) for i in range(2)]
        for cluster in clusters:
            follow(db, make_report(db, cluster=cluster), "gabin@example.org")
        db.commit()
        with time_machine.travel(T0, tick=False):
            for cluster in clusters:
                plan(db, agent, cluster)
                triage.change_status(db, agent, cluster.id, S.IN_PROGRESS)  # not told: the last told change stands
            db.commit()
    with time_machine.travel(T0 + dt.timedelta(minutes=15), tick=False):
        assert tell_due_notices(app) == 2
    [mail] = mails(app)
    assert mail["subject"] == "Du nouveau sur 2 irritants que vous suivez"
    assert "Irritant 0 de la CAF" in mail["text"] and "Irritant 1 de la CAF" in mail["text"]


def test_with_a_window_of_zero_the_next_run_sends(app, db, admin):
    assert app.config["MAIL_GROUP_MINUTES"] == 0
    cluster = make_cluster(db, "Attente au téléphone", reports=0)
    follow(db, make_report(db, cluster=cluster), "hugo@example.org")
    plan(db, admin, cluster)
    db.commit()
    assert tell_due_notices(app) == 1 and len(mails(app)) == 1


def test_the_internal_reason_is_never_in_a_message_the_public_note_is(app, db, admin):
    cluster = make_cluster(db, "Dossier perdu par la préfecture", reports=0)
    follow(db, make_report(db, cluster=cluster), "ines@example.org")
    triage.change_status(db, admin, cluster.id, S.TRIAGED, reason=SECRET_REASON)
    triage.change_status(db, admin, cluster.id, S.CLOSED_NOT_FIXED, reason=SECRET_REASON, public_note=NOTE)
    db.commit()
    tell_due_notices(app)
    [mail] = mails(app)
    assert NOTE in mail["text"] and NOTE in mail["html"]
    everything = repr(mails(app))
    assert "Motif interne" not in everything and "ne pas le dire" not in everything


def test_a_rolled_back_decision_sends_nothing(app, db, admin):
    cluster = make_cluster(db, "Allocation suspendue sans raison", reports=0)
    follow(db, make_report(db, cluster=cluster), "jules@example.org")
    db.commit()
    triage.change_status(db, admin, cluster.id, S.NOT_OUR_SCOPE, routed_to="CAF")
    db.rollback()
    assert tell_due_notices(app) == 0
    assert mails(app) == []
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(PendingNotice)) == 0


def test_an_irritant_reopened_within_the_window_tells_nothing(make_app):
    app = make_app(MAIL_GROUP_MINUTES=15)
    with get_db(app).session_scope() as db:
        agent = agent_for(db, make_user(db, "admin"))
        cluster = make_cluster(db, "Rendez-vous annulé", reports=0)
        follow(db, make_report(db, cluster=cluster), "kim@example.org")
        db.commit()
        with time_machine.travel(T0, tick=False):
            triage.change_status(db, agent, cluster.id, S.NOT_OUR_SCOPE, routed_to="La mairie")
            triage.change_status(db, agent, cluster.id, S.TRIAGED)  # a mistake, undone at once
            db.commit()
    with time_machine.travel(T0 + dt.timedelta(minutes=16), tick=False):
        assert tell_due_notices(app) == 1
    assert mails(app) == []


def test_after_unsubscribing_nothing_more_is_queued_for_that_address(app, db, admin):
    cluster = make_cluster(db, "Titre de séjour en retard", reports=0)
    follow(db, make_report(db, cluster=cluster), "lea@example.org")
    support(db, cluster, "lea@example.org")
    follow(db, make_report(db, cluster=cluster), "marc@example.org")
    plan(db, admin, cluster)
    unsubscribe(db, email_hmac(TEST_SECRET, "lea@example.org"), now=utcnow())  # within the window: too
    db.commit()
    tell_due_notices(app)
    assert set(by_address(app)) == {"marc@example.org"}


def test_every_status_mail_has_a_one_click_unsubscribe_link(app, db, admin, client):
    cluster = make_cluster(db, "Impossible de joindre la CPAM", reports=0)
    follow(db, make_report(db, cluster=cluster), "nina@example.org")
    plan(db, admin, cluster)
    db.commit()
    tell_due_notices(app)
    [mail] = mails(app)
    link = mail["headers"]["List-Unsubscribe"].strip("<>")
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.startswith("http://irritants.test/desabonnement/") and link in mail["text"] and link in mail["html"]
    assert "/suivi/" in mail["text"]  # the tracking link of the report
    path = link.removeprefix("http://irritants.test")
    assert client.post(path, data="List-Unsubscribe=One-Click").status_code == 200
    with get_db(app).session_scope() as s:
        assert s.scalar(select(ReportContact.unsubscribed_at)) is not None


def test_not_our_scope_tells_where_and_forwards_each_report_without_the_reporters_contact(app, db, admin):
    caf = db.scalar(select(Administration).where(Administration.slug == "caf"))
    caf.contact_email = "signalements@caf.example"
    cluster = make_cluster(db, "Prime d'activité jamais versée", reports=0)
    reports = [
        make_report(db, cluster=cluster, description="Ma prime n'arrive pas, appelez-moi au 06 12 34 56 78 svp."),
        make_report(db, cluster=cluster, description="Trois mois sans prime d'activité et aucune réponse."),
    ]
    follow(db, reports[0], "olga@example.org")
    triage.change_status(db, admin, cluster.id, S.NOT_OUR_SCOPE, routed_to="Caisse d’allocations familiales")
    db.commit()
    tell_due_notices(app)
    [told] = mails(app)
    assert "transmis à « Caisse d’allocations familiales »" in told["text"]
    forwarded = mails(app, "forward")
    assert [m["to"] for m in forwarded] == ["signalements@caf.example"] * 2
    assert reports[0].reference in forwarded[0]["subject"] and reports[1].reference in forwarded[1]["subject"]
    assert "06 12 34 56 78" not in repr(forwarded) and "olga" not in repr(forwarded)
    assert "Trois mois sans prime" in forwarded[1]["text"]


def test_a_destination_without_contact_address_forwards_nothing(app, db, admin):
    cluster = make_cluster(db, "Carte grise bloquée", reports=1)
    triage.change_status(db, admin, cluster.id, S.NOT_OUR_SCOPE, routed_to="ANTS")
    db.commit()
    tell_due_notices(app)
    assert mails(app, "forward") == []


def test_a_real_smtp_server_receives_the_fixed_message_with_the_public_note(make_app, smtp, smtp_recorder):
    app = make_app(SMTP_URL=smtp.url)
    with get_db(app).session_scope() as db:
        agent = agent_for(db, make_user(db, "admin"))
        cluster = make_cluster(db, "Formulaire qui refuse un IBAN étranger", reports=0)
        report = make_report(db, cluster=cluster)
        follow(db, report, "paul@example.org")
        plan(db, agent, cluster)
        db.commit()
        jobs.drain(app)  # the runners' loop: the notices job, then the outbox's
        smtp_recorder.clear()
        triage.change_status(db, agent, cluster.id, S.IN_PROGRESS, reason=SECRET_REASON)
        triage.declare_fix(db, agent, cluster.id, fixed_on=french.today(), public_note=NOTE, reason=SECRET_REASON)
        db.commit()
    assert jobs.drain(app) >= 2
    [received] = smtp_recorder.messages
    assert received["To"] == "paul@example.org"
    assert received["Subject"] == f"Votre signalement {report.reference} : corrigé"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["List-Unsubscribe"].startswith("<http://irritants.test/desabonnement/")
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert f"Il est corrigé : le correctif a été livré le {french.today():%d/%m/%Y}." in text
    assert NOTE in text and NOTE in html
    assert "Motif interne" not in text + html


def test_unsubscribing_or_erasure_drops_the_unsent_mails_of_the_address(app, db, admin):
    cluster = make_cluster(db, "Rendez-vous impossible à la CPAM", reports=0)
    follow(db, make_report(db, cluster=cluster), "quentin@example.org")
    follow(db, make_report(db, cluster=cluster), "rose@example.org")
    plan(db, admin, cluster)
    db.commit()
    tell_due_notices(app)
    assert set(by_address(app)) == {"quentin@example.org", "rose@example.org"}
    unsubscribe(db, email_hmac(TEST_SECRET, "quentin@example.org"), now=utcnow())
    db.commit()
    assert set(by_address(app)) == {"rose@example.org"}
    erased = app.test_cli_runner().invoke(args=["erase-citizen", "Rose@example.org"])
    assert erased.exit_code == 0, erased.output
    assert mails(app) == []


def test_a_regression_is_told_too(app, db, admin):
    cluster = make_cluster(db, "Paiement en ligne refusé", reports=0)
    follow(db, make_report(db, cluster=cluster), "sami@example.org")
    plan(db, admin, cluster)
    triage.declare_fix(db, admin, cluster.id, fixed_on=french.today(), public_note=NOTE)
    db.commit()
    tell_due_notices(app)
    triage.change_status(db, admin, cluster.id, S.REGRESSED, public_note="Le paiement échoue de nouveau.")
    db.commit()
    tell_due_notices(app)
    assert [m["subject"].split(" : ")[1] for m in mails(app)] == ["corrigé", "le problème est réapparu"]
    assert "Il avait été corrigé, mais le problème est réapparu" in mails(app)[1]["text"]


def test_tell_status_composes_what_is_due_for_cron(app, db, admin):
    cluster = make_cluster(db, "Attestation introuvable", reports=0)
    follow(db, make_report(db, cluster=cluster), "tom@example.org")
    plan(db, admin, cluster)
    db.commit()
    result = app.test_cli_runner().invoke(args=["tell-status"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("1 irritant : 1 message mis en file, 0 signalement transmis au service compétent.")
    assert [m["to"] for m in mails(app)] == ["tom@example.org"]


def test_the_fixed_message_asks_whether_it_is_solved_with_links_that_answer_for_the_report_or_the_support(
    app, db, admin
):
    cluster = make_cluster(db, "Attestation CAF introuvable", reports=0)
    report = make_report(db, cluster=cluster)
    follow(db, report, "sami@example.org")
    support(db, cluster, "tess@example.org")
    plan(db, admin, cluster)
    db.commit()
    tell_due_notices(app)
    planned = by_address(app)
    assert "Est-ce résolu pour vous" not in planned["sami@example.org"]["text"]  # asked once fixed, not before
    triage.change_status(db, admin, cluster.id, S.IN_PROGRESS)
    triage.declare_fix(db, admin, cluster.id, fixed_on=french.today(), public_note=NOTE)
    db.commit()
    tell_due_notices(app)
    fixed = {m["to"]: m for m in mails(app)[len(planned) :]}
    client = app.test_client()
    for address, path in (("sami@example.org", "/suivi/"), ("tess@example.org", "/resolu/")):
        text = fixed[address]["text"]
        assert "Est-ce résolu pour vous ?" in text and "Est-ce résolu pour vous ?" in fixed[address]["html"]
        links = dict(re.findall(r"^- (Oui|Non|En partie) : (http://irritants\.test\S+)$", text, re.M))
        assert set(links) == {"Oui", "Non", "En partie"}
        assert all(path in url for url in links.values())
        opened = client.get(links["Non"].removeprefix("http://irritants.test"))
        assert opened.status_code == 200  # a mail scanner following the link records nothing
    assert db.scalar(select(func.count()).select_from(ResolutionAnswer)) == 0
