"""The perceived resolution rate on the pages that show an irritant or a squad (public and agents'), the backlog's
« Non résolu pour les usagers » badge and filter, and ``perceived_resolution`` in the API."""

from __future__ import annotations

import html as html_text
import re

import pytest

from irritants.db import get_db
from irritants.feedback import services as feedback
from irritants.feedback.models import Answer
from irritants.status import StatusKind
from tests.conftest import make_cluster, make_report, make_squad

BACKLOG = "/agents/irritants"


@pytest.fixture
def app(make_app):
    # A lower bar than the defaults (0.3, 5): the thresholds come from the settings.
    return make_app(UNRESOLVED_SHARE=0.5, UNRESOLVED_MIN_ANSWERS=4)


@pytest.fixture
def db(app):
    with get_db(app).session_scope() as session:
        yield session


@pytest.fixture
def world(db):
    """A squad with a fixed irritant most say is not resolved, a fixed one with too few answers, an open one."""
    squad = make_squad(db, "Rendez-vous titres")
    unresolved = make_cluster(db, "Créneaux introuvables", reports=0, status=StatusKind.FIXED, squad_id=squad.id)
    few = make_cluster(db, "Dossier perdu au guichet", reports=0, status=StatusKind.FIXED, squad_id=squad.id)
    still_open = make_cluster(db, "Courrier jamais reçu", reports=1, status=StatusKind.IN_PROGRESS, squad_id=squad.id)
    for cluster, answers in ((unresolved, "YNNP"), (few, "YY")):
        for letter in answers:
            value = {"Y": Answer.YES, "N": Answer.NO, "P": Answer.PARTLY}[letter]
            feedback.answer(db, value, report=make_report(db, cluster=cluster))
        cluster.size = len(answers)
    db.commit()
    return {"squad": squad, "unresolved": unresolved.id, "few": few.id, "open": still_open.id}


def text_of(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return " ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def test_the_public_irritant_page_shows_the_rate_and_its_answers(client, world):
    text = text_of(client.get(f"/irritants/{world['unresolved']}"))
    # (1 oui + ½ × 1 en partie) / 4 = 37,5 % → 38 %.
    assert "38 % de résolution perçue, sur 4 réponses" in text
    assert "1 « oui », 1 « en partie », 2 « non »" in text
    assert "chaque « en partie » pour moitié" in text
    assert "Non résolu pour les usagers" in text
    few = text_of(client.get(f"/irritants/{world['few']}"))
    assert "Pas encore assez de réponses pour calculer un taux : 2 réponses sur les 4 nécessaires" in few
    assert "résolution perçue" not in few and "Non résolu pour les usagers" not in few
    assert "Est-ce résolu pour les usagers" not in text_of(client.get(f"/irritants/{world['open']}"))


def test_the_agents_irritant_page_shows_the_rate(client, login, world):
    login("squad_member")
    text = text_of(client.get(f"{BACKLOG}/{world['unresolved']}"))
    assert "Est-ce résolu pour les usagers ?" in text and "38 % de résolution perçue" in text
    assert "Est-ce résolu pour les usagers" not in text_of(client.get(f"{BACKLOG}/{world['open']}"))


def test_the_squads_pages_add_up_their_irritants_answers(client, login, world):
    squad = world["squad"]
    # 3 oui, 1 en partie, 2 non over 6 answers: (3 + 0.5) / 6 = 58 %.
    public = text_of(client.get(f"/startups/{squad.slug}"))
    assert "58 % de résolution perçue, sur 6 réponses" in public
    login("squad_member", squads=[squad])
    agents = text_of(client.get(f"/agents/equipes/{squad.slug}"))
    assert "58 % de résolution perçue, sur 6 réponses" in agents
    assert "38 % (4 réponses) Non résolu pour les usagers" in agents  # the irritant's row
    assert "Pas encore assez de réponses (2)" in agents


def test_the_backlog_flags_and_filters_the_unresolved(client, login, world):
    login("product_owner")
    everything = client.get(BACKLOG).get_data(as_text=True)
    assert everything.count("Non résolu pour les usagers</p>") == 1
    assert 'name="unresolved" value="1"' in everything and "au moins 50 %" in everything
    flagged = client.get(f"{BACKLOG}?unresolved=1").get_data(as_text=True)
    listed = set(re.findall(r'href="/agents/irritants/(\d+)"', flagged))
    assert listed == {str(world["unresolved"])}
    assert 'id="filtre-unresolved" name="unresolved" value="1" checked' in flagged
    api = client.get("/api/v1/triage/clusters?unresolved=1").get_json()
    assert [c["id"] for c in api["items"]] == [world["unresolved"]]


def test_the_api_gives_the_perceived_resolution_of_an_irritant(client, world):
    body = client.get(f"/api/v1/clusters/{world['unresolved']}").get_json()
    assert body["perceived_resolution"] == {
        "answers": 4,
        "yes": 1,
        "no": 2,
        "partly": 1,
        "rate": 0.375,
        "flagged": True,
    }
    few = client.get(f"/api/v1/clusters/{world['few']}").get_json()["perceived_resolution"]
    assert (few["answers"], few["rate"], few["flagged"]) == (2, None, False)


def test_the_openapi_document_describes_the_answer_and_the_rate(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/reports/{token}/resolution"]["post"]
    assert {"200", "404", "409", "422"} <= set(operation["responses"])
    schemas = spec["components"]["schemas"]
    assert set(schemas["PerceivedResolution"]["properties"]) == {"answers", "yes", "no", "partly", "rate", "flagged"}
    assert schemas["ResolutionAnswer"]["properties"]["answer"]["enum"] == ["oui", "non", "en_partie"]
