"""The public pages of the start-ups d'État (``/startups``, ``/startups/<slug>``): what citizens read, no login, no
personal data, a French 404 page for an unknown one."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from irritants.auth.policy import Agent
from irritants.db import get_db
from irritants.squads import services as squads
from irritants.triage import fixes
from irritants.triage import services as triage
from tests.conftest import make_cluster, make_user

MEMBER_EMAIL = "dominique.secret@beta.gouv.fr"
ADMIN_EMAIL = "admin.secret@beta.gouv.fr"


@pytest.fixture
def world(app):
    with get_db(app).session_scope() as s:
        admin_user = make_user(s, "admin", email=ADMIN_EMAIL)
        admin_user.name = "Alix Administratrice"
        admin = Agent(admin_user.id, ADMIN_EMAIL, frozenset({"admin"}))
        squad = squads.create_squad(
            s,
            admin,
            {
                "name": "Rendez-vous en préfecture",
                "mission": "Obtenir un rendez-vous en préfecture sans passer ses nuits devant l'écran.",
                "administration": "prefecture",
                "incubator": "Incubateur de l'Intérieur",
                "product_url": "https://rdv-prefecture.beta.gouv.fr",
                "started_on": dt.date(2025, 10, 6),
            },
        )
        squads.change_phase(
            s,
            admin,
            squad,
            {"phase": "construction", "note": "Un premier département pilote.", "started_on": dt.date(2026, 2, 2)},
        )
        member = make_user(s, "product_owner", squads=[squad], email=MEMBER_EMAIL)
        member.name = "Dominique Membre"
        worked = make_cluster(
            s, "Aucun créneau de rendez-vous en ligne", reports=5, squad_id=squad.id, status="in_progress"
        )
        fixed = make_cluster(
            s, "Confirmation de rendez-vous jamais reçue", reports=2, squad_id=squad.id, status="in_progress"
        )
        triage.declare_fix(s, admin, fixed.id, fixed_on=fixes.today(), public_note="Les courriels partent de nouveau.")
        spam = make_cluster(s, "Publicité sans rapport", reports=1, squad_id=squad.id, status="spam")
        other = make_cluster(s, "Formulaire CAF qui refuse un IBAN", reports=4)
        s.commit()
        return {"slug": squad.slug, "worked": worked.id, "fixed": fixed.id, "spam": spam.id, "other": other.id}


def test_the_public_page_shows_mission_phases_administration_links_irritants_and_fixes(client, world):
    response = client.get(f"/startups/{world['slug']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<h1 class="fr-mt-2w fr-mb-2w">Rendez-vous en préfecture</h1>' in html
    assert "Obtenir un rendez-vous en préfecture sans passer ses nuits" in html
    assert re.search(r'id="phase-actuelle">.*Construction</p>', html)
    assert '<time datetime="2026-02-02">2 février 2026</time>' in html and "Un premier département pilote." in html
    assert '<time datetime="2025-10-06">6 octobre 2025</time>' in html
    assert '<dd id="administration">Préfecture</dd>' in html and "Incubateur de l&#39;Intérieur" in html
    assert 'href="https://rdv-prefecture.beta.gouv.fr"' in html
    table = html.split('id="irritants-pris-en-charge"')[1].split("</table>")[0]
    assert f'href="/irritants/{world["worked"]}"' in table and f'href="/irritants/{world["fixed"]}"' in table
    assert "Correction en cours" in table and "Corrigé" in table  # the citizens' words for the statuses
    assert "7 personnes concernées au total" in html
    fixes = html.split('id="correctifs"')[1].split("</ul>")[0]
    assert "Confirmation de rendez-vous jamais reçue" in fixes and "Les courriels partent de nouveau." in fixes
    assert "Aucun créneau" not in fixes


def test_the_public_page_holds_no_personal_data_nor_other_squads_irritants(client, world):
    html = client.get(f"/startups/{world['slug']}").get_data(as_text=True)
    for private in (MEMBER_EMAIL, "Dominique Membre", ADMIN_EMAIL, "Alix Administratrice", "@beta.gouv.fr"):
        assert private not in html
    assert "Publicité sans rapport" not in html  # spam is never public
    assert "Formulaire CAF" not in html  # not this squad's


def test_an_abandoned_squad_shows_its_post_mortem(app, client, world):
    with get_db(app).session_scope() as s:
        squad = squads.squad_by_slug(s, world["slug"])
        squads.change_phase(
            s, None, squad, {"phase": "abandon", "note": "Le nouveau portail de l'État couvre ce besoin."}
        )
        s.commit()
    html = client.get(f"/startups/{world['slug']}").get_data(as_text=True)
    assert re.search(r'id="phase-actuelle">.*Abandon</p>', html)
    assert "Bilan : Le nouveau portail de l&#39;État couvre ce besoin." in html


def test_an_unknown_squad_is_a_french_404_page(client):
    response = client.get("/startups/nulle-part")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "start-up d&#39;État n&#39;existe pas" in response.get_data(as_text=True)


def test_the_list_links_every_squad_with_its_phase(app, client, world):
    with get_db(app).session_scope() as s:
        squads.create_squad(s, None, {"name": "Aides au logement", "administration": "caf"})
        s.commit()
    html = client.get("/startups").get_data(as_text=True)
    assert html.index("Aides au logement") < html.index("Rendez-vous en préfecture")  # by name
    assert f'href="/startups/{world["slug"]}"' in html and 'href="/startups/aides-au-logement"' in html
    assert "Portée par : Caisse d&#39;allocations familiales" in html and "Investigation" in html
    assert MEMBER_EMAIL not in html
    assert client.get("/startups?page=abc").status_code == 200


def test_the_demo_squads_come_with_a_profile_and_a_dated_history(app, client):
    from irritants.auth.demo import create_demo_agents

    with get_db(app).session_scope() as s:
        create_demo_agents(s)
        s.commit()
    html = client.get("/startups/aides-logement").get_data(as_text=True)
    assert "Accélération" in html and "Caisse d&#39;allocations familiales" in html
    history = html.split('id="historique-phases"')[1].split("</ol>")[0]
    assert [m for m in re.findall(r"<strong>(\w+)</strong>", history)] == [
        "Accélération",
        "Construction",
        "Investigation",
    ]
    page = client.get("/startups/rendez-vous-prefecture").get_data(as_text=True)
    assert "Préfecture" in page and "Construction" in page
    assert "demo.irritants.fr" not in page
