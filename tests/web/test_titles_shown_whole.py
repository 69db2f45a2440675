"""A title is shown whole wherever it appears: page headings, the edit field, the backlog list, the public page and
the API (it wraps; nothing cuts it), and an automatic title is never cut inside a word."""

from __future__ import annotations

import html
import re

import pytest

from irritants.auth.services import agent_for
from irritants.clustering import TITLE_MAX
from irritants.clusters import stats
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.ranking import Weights
from irritants.triage import services as triage
from tests.conftest import RANKING, make_cluster, make_report, make_user

LONG = (
    "Déclaration trimestrielle de ressources : le site déconnecte à la dernière étape et le bouton valider ne répond "
    "plus, sur téléphone comme sur ordinateur, depuis la mise à jour"
)


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


def test_a_long_title_is_shown_whole_in_headings_edit_field_lists_public_page_and_api(app, client, db, login):
    assert len(LONG) > 150
    cluster = make_cluster(db, LONG)
    stats.refresh(db, Weights(), [cluster.id])
    db.commit()
    login("product_owner")
    page = client.get(f"/agents/irritants/{cluster.id}").get_data(as_text=True)
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert heading and html.unescape(heading.group(1)).strip() == LONG
    field = re.search(r'<input[^>]*name="label"[^>]*value="([^"]*)"', page) or re.search(
        r'<input[^>]*value="([^"]*)"[^>]*name="label"', page
    )
    assert field and html.unescape(field.group(1)) == LONG
    backlog = html.unescape(client.get("/agents/irritants").get_data(as_text=True))
    assert LONG in backlog
    public = html.unescape(client.get(f"/irritants/{cluster.id}").get_data(as_text=True))
    assert LONG in public and "…" not in re.search(r"<h1[^>]*>(.*?)</h1>", public, re.S).group(1)
    assert client.get(f"/api/v1/clusters/{cluster.id}").get_json()["label"] == LONG


def test_an_automatic_title_fits_and_ends_on_a_whole_word(app, client, db):
    words = "déconnecte dernière étape bouton valider répond téléphone ordinateur mise jour site déclaration"
    text = f"Bonjour. {LONG}, et je ne sais plus quoi faire car {words} {words}. Merci."
    cluster = make_cluster(db, "Provisoire", reports=0)
    for _ in range(3):
        make_report(db, cluster=cluster, description=text)
    other = make_cluster(db, "Autre sujet")
    db.commit()
    agent = agent_for(db, make_user(db, "product_owner"))
    # A move makes both irritants' titles be recomputed from their reports.
    report_id = make_report(
        db, cluster=other, description="Aucun rendez-vous en préfecture pour le titre de séjour."
    ).id
    db.commit()
    triage.move_report(db, agent, report_id, cluster.id, ranking=RANKING)
    db.commit()
    label = db.get(Cluster, cluster.id).label
    assert len(label) <= TITLE_MAX and not label.endswith(("…", "-", "'")), label
    # Whole words of the reports, or of the démarche or administration put first (the reports are the CAF's).
    vocabulary = {w.lower() for w in re.findall(r"\w+", text + " CAF Déclaration trimestrielle de ressources")}
    assert all(w.lower() in vocabulary for w in re.findall(r"\w+", label)), label
