"""The tracking page tells the public steps of the report's irritant, in French and newest first (never an agent's
reason), with the team's optional public note; a merged-away irritant's steps lead on to the irritant it joined."""

from __future__ import annotations

import html as html_text
import re

import pytest
from sqlalchemy import select

from irritants.auth.services import agent_for
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.intake.models import Report
from irritants.status import StatusKind
from irritants.triage import fixes
from irritants.triage import services as triage
from tests.conftest import RANKING, make_cluster, make_squad, make_user, report_payload
from tests.web.test_backlog import page_of, post

S = StatusKind
SECRET_REASON = "Motif interne : le chef de bureau refuse de s'en occuper"


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


def filed(client, db, cluster) -> tuple[str, int]:
    """A citizen's report put in ``cluster``: (its tracking path, its id)."""
    db.commit()  # the request writes too (SQLite: one writer at a time)
    body = client.post("/api/v1/reports", json=report_payload()).get_json()
    report = db.scalar(select(Report).where(Report.reference == body["reference"]))
    report.cluster_id = cluster.id
    db.commit()
    return f"/suivi/{body['tracking_token']}", report.id


def steps(client, path: str) -> list[str]:
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:3000]
    history = html.split('id="historique"')[1].split("</ol>")[0]
    items = re.findall(r'<li class="irritants-timeline__item">(.*?)</li>', history, re.S)
    return [html_text.unescape(" ".join(re.sub(r"<time[^>]*>.*?</time>|<[^>]+>", " ", item).split())) for item in items]


def admin(db):
    return agent_for(db, make_user(db, "admin"))


def test_a_new_report_shows_its_receipt_instead_of_no_change(client, db):
    path, _ = filed(client, db, make_cluster(db, reports=1))
    html = client.get(path).get_data(as_text=True)
    assert "Aucune évolution" not in html
    assert steps(client, path) == ["Signalement reçu"]


def test_the_steps_of_the_irritant_newest_first_with_the_squad_and_the_public_note(client, db):
    cluster = make_cluster(db, reports=1)
    path, _ = filed(client, db, cluster)
    agent, squad = admin(db), make_squad(db, "Rendez-vous préfecture")
    triage.change_status(db, agent, cluster.id, S.TRIAGED, reason=SECRET_REASON)
    triage.assign_squad(db, agent, cluster.id, squad.id)
    triage.change_status(db, agent, cluster.id, S.PLANNED)
    triage.change_status(db, agent, cluster.id, S.IN_PROGRESS)
    note = "Le formulaire accepte désormais les justificatifs de plus de 5 Mo."
    day = fixes.today()
    triage.declare_fix(db, agent, cluster.id, fixed_on=day, reason=SECRET_REASON, public_note=note)
    db.commit()
    assert steps(client, path) == [
        f"Corrigé par « Rendez-vous préfecture » (correctif livré le {day:%d/%m/%Y}) Message de l’équipe : {note}",
        "Correction en cours par « Rendez-vous préfecture »",
        "Pris en charge par « Rendez-vous préfecture »",
        "Examiné par l’équipe",
        "Signalement reçu",
    ]
    assert "chef de bureau" not in client.get(path).get_data(as_text=True)


def test_routed_closed_and_reopened_steps(client, db):
    routed, closed = make_cluster(db, "Aide au logement", reports=1), make_cluster(db, "Carte vitale", reports=1)
    routed_path, _ = filed(client, db, routed)
    closed_path, _ = filed(client, db, closed)
    agent = admin(db)
    triage.change_status(db, agent, routed.id, S.NOT_OUR_SCOPE, routed_to="CAF du Nord")
    triage.change_status(db, agent, closed.id, S.TRIAGED)
    triage.change_status(db, agent, closed.id, S.CLOSED_NOT_FIXED)
    triage.change_status(db, agent, closed.id, S.TRIAGED)
    db.commit()
    assert steps(client, routed_path)[0] == "Transmis à « CAF du Nord »"
    # Agents typed it for agents until now: personal data in it is masked on the citizen's page.
    triage.change_status(db, agent, routed.id, S.TRIAGED)
    triage.change_status(db, agent, routed.id, S.NOT_OUR_SCOPE, routed_to="M. Martin au 06 12 34 56 78")
    db.commit()
    assert steps(client, routed_path)[0] == "Transmis à « M. [nom] au [téléphone] »"
    assert steps(client, closed_path)[:2] == ["Rouvert et examiné à nouveau", "Clos sans correction"]


def test_a_merged_away_irritant_leads_on_to_the_one_it_joined(client, db):
    source, target = make_cluster(db, "Prime bloquée", reports=1), make_cluster(db, "Prime d'activité", reports=2)
    path, report_id = filed(client, db, source)
    agent = admin(db)
    triage.change_status(db, agent, source.id, S.TRIAGED)
    triage.change_status(db, agent, target.id, S.TRIAGED)  # before the merge: the target's own story
    triage.merge(db, agent, target.id, [source.id], ranking=RANKING)
    triage.change_status(db, agent, target.id, S.CLOSED_NOT_FIXED, public_note="Le décret ne le permet pas.")
    db.commit()
    assert db.get(Report, report_id).cluster_id == target.id
    title = db.get(Cluster, target.id).label  # recomputed by the merge from the reports it now holds
    assert steps(client, path) == [
        "Clos sans correction Message de l’équipe : Le décret ne le permet pas.",
        f"Regroupé avec l’irritant « {title} »",
        "Examiné par l’équipe",
        "Signalement reçu",
    ]
    assert f'href="/irritants/{target.id}"' in client.get(path).get_data(as_text=True).split('id="historique"')[1]


def test_a_duplicate_goes_on_with_the_original(client, db):
    duplicate, original = make_cluster(db, "Rendez-vous CAF", reports=1), make_cluster(db, "Accueil CAF", reports=1)
    path, _ = filed(client, db, duplicate)
    agent = admin(db)
    triage.change_status(db, agent, original.id, S.TRIAGED)
    triage.change_status(db, agent, duplicate.id, S.DUPLICATE, duplicate_of=original.id)
    triage.change_status(db, agent, original.id, S.CLOSED_NOT_FIXED)
    db.commit()
    assert steps(client, path) == [
        "Clos sans correction",
        "Regroupé avec l’irritant « Accueil CAF »",
        "Signalement reçu",
    ]


# --- the public note: API and back-office -----------------------------------------------------------------


def test_the_api_takes_a_public_note_and_refuses_personal_data_or_length(client, db, login):
    cluster = make_cluster(db, reports=1)
    path, _ = filed(client, db, cluster)
    login("admin")
    url = f"/api/v1/triage/clusters/{cluster.id}/status"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page_of(cluster.id)).get_data(as_text=True))
    headers = {"X-CSRFToken": token.group(1)}
    leaked = client.post(url, json={"to": "triaged", "public_note": "Appelez le 06 12 34 56 78."}, headers=headers)
    assert leaked.status_code == 422
    assert [e["pointer"] for e in leaked.get_json()["errors"]] == ["#/public_note"]
    long = client.post(url, json={"to": "triaged", "public_note": "x" * 1001}, headers=headers)
    assert long.status_code == 422
    done = client.post(url, json={"to": "triaged", "public_note": "Nous étudions ce blocage."}, headers=headers)
    assert done.status_code == 200
    assert steps(client, path)[0] == "Examiné par l’équipe Message de l’équipe : Nous étudions ce blocage."
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "public_note" in spec["components"]["schemas"]["TriageStatusBody"]["properties"]


def test_the_back_office_status_form_has_a_public_note(client, db, login):
    cluster = make_cluster(db, reports=1)
    path, _ = filed(client, db, cluster)
    login("product_owner")
    page = page_of(cluster.id)
    html = client.get(page).get_data(as_text=True)
    assert 'name="note_publique"' in html and 'for="statut-note_publique"' in html
    refused = post(client, page + "/statut", {"to": "triaged", "note_publique": "Écrivez à jean@example.org"}, page)
    assert refused.status_code == 422
    assert 'id="statut-note_publique-error"' in refused.get_data(as_text=True)
    response = post(
        client, page + "/statut", {"to": "triaged", "motif": SECRET_REASON, "note_publique": "Vu en revue."}, page
    )
    assert response.status_code == 303
    history = client.get(page).get_data(as_text=True).split('id="liste-historique"')[1]
    assert "Note publique (lue par les usagers) : Vu en revue." in history
    assert steps(client, path)[0] == "Examiné par l’équipe Message de l’équipe : Vu en revue."
