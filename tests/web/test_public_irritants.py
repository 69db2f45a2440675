"""The public list of irritants (``/irritants``) and their roadmap (``/irritants/feuille-de-route``): no login,
searched without regard to accents, filtered and sorted from the URL, « C'est aussi mon cas » from a card and back to
the same list, and nothing but published irritants' labels and counts: no report text, no personal data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.french import today
from irritants.referential.models import Administration, Procedure
from tests.conftest import make_report, make_squad

SECRET_EMAIL = "jean.dupont@example.org"
RAW_TEXT = "Mon voisin Marcel Dugommier ne reçoit plus rien"


def irritant(s, label, *, status="new", admin="caf", procedure=None, territory="59", reports=1, people=None,
             score=0.0, squad=None, fixed_on=None, text=None):  # fmt: skip
    """A cluster of ``reports`` reports of one administration, démarche and département, flushed."""
    admin_id = s.scalar(select(Administration.id).where(Administration.slug == admin))
    cluster = Cluster(label=label, keywords=label.lower().split()[:4], status=status, score=score, fixed_on=fixed_on,
                      squad_id=squad.id if squad else None, main_administration_id=admin_id)  # fmt: skip
    s.add(cluster)
    s.flush()
    procedure_id = None
    if procedure:
        procedure_id = s.scalar(
            select(Procedure.id).where(Procedure.slug == procedure, Procedure.administration_id == admin_id)
        )
    for i in range(reports):
        report = make_report(
            s,
            cluster=cluster,
            administration=admin,
            territory=territory,
            description=text or f"{label} : cela dure depuis {i + 2} semaines et personne ne répond.",
        )
        report.procedure_id = procedure_id
    cluster.size = cluster.territories = reports
    cluster.people = reports if people is None else people
    s.flush()
    return cluster


@pytest.fixture
def world(app):
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous en préfecture")
        ids = {
            "prefecture": irritant(
                s,
                "Préfecture : aucun rendez-vous en ligne",
                admin="prefecture",
                territory="2A",
                reports=3,
                people=40,
                score=9.0,
                status="planned",
                squad=squad,
            ),
            "rsa": irritant(
                s,
                "Dossier de RSA bloqué",
                procedure="demande-rsa",
                reports=2,
                people=2,
                score=20.0,
                status="in_progress",
                squad=squad,
            ),
            "vitale": irritant(
                s,
                "Carte Vitale jamais reçue",
                admin="assurance-maladie",
                territory="75",
                reports=2,
                people=12,
                score=5.0,
                status="fixed",
                squad=squad,
                fixed_on=today() - dt.timedelta(days=10),
            ),
            "old_fix": irritant(
                s,
                "Attestation introuvable",
                reports=1,
                score=1.0,
                status="fixed",
                fixed_on=today() - dt.timedelta(days=200),
            ),
            "held": irritant(
                s,
                "Courrier de la CAF illisible",
                reports=1,
                score=2.0,
                text=f"{RAW_TEXT}, écrivez-moi à {SECRET_EMAIL}",
            ),
            "spam": irritant(s, "Publicité pour un casino", status="spam", score=50.0),
            "duplicate": irritant(s, "Préfecture sans créneau (doublon)", status="duplicate", score=40.0),
        }
        empty = Cluster(label="Irritant vidé de ses signalements", keywords=[], score=60.0)
        s.add(empty)
        s.commit()
        return {key: c.id for key, c in ids.items()} | {"empty": empty.id, "squad": squad.slug}


def listed(html: str) -> list[int]:
    """The irritants of the list, in order."""
    part = html.split('id="irritants"')[1].split("</ol>")[0] if 'id="irritants"' in html else ""
    return [int(n) for n in re.findall(r'<li class="[^"]*" id="irritant-(\d+)"', part)]


def test_the_list_shows_every_published_irritant_by_score_and_nothing_else(client, world):
    response = client.get("/irritants")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert listed(html) == [world[k] for k in ("rsa", "prefecture", "vitale", "held", "old_fix")]
    assert "5 irritants, par priorité" in html
    for hidden in ("Publicité pour un casino", "doublon", "vidé de ses signalements"):
        assert hidden not in html
    assert 'Pris en charge par <a href="/startups/' in html
    assert "40 personnes concernées" in html and "Correction en cours" in html


def test_no_report_text_nor_personal_data_reaches_the_list_or_the_roadmap(client, world):
    for url in ("/irritants", "/irritants?q=caf", "/irritants/feuille-de-route"):
        html = client.get(url).get_data(as_text=True)
        assert SECRET_EMAIL not in html and "Dugommier" not in html and RAW_TEXT not in html
        assert "cela dure depuis" not in html  # the reports' own words stay on no list
        assert "@" not in html.split("<main")[1].split("</main>")[0]


@pytest.mark.parametrize("q", ["prefecture", "Préfecture", "PREFECTURE", "préfécture", "  prefecture  "])
def test_search_ignores_accents_and_case(client, world, q):
    assert listed(client.get("/irritants", query_string={"q": q}).get_data(as_text=True)) == [world["prefecture"]]


def test_search_by_number_and_with_wildcards_taken_literally(client, world):
    assert listed(client.get(f"/irritants?q={world['vitale']}").get_data(as_text=True)) == [world["vitale"]]
    assert listed(client.get("/irritants?q=%25").get_data(as_text=True)) == []
    html = client.get("/irritants?q=introuvable-nulle-part").get_data(as_text=True)
    assert "Aucun irritant ne correspond" in html and "signaler ce qui vous bloque" in html


def test_filters_by_administration_demarche_departement_and_status(client, world):
    def ids(**args):
        return listed(client.get("/irritants", query_string=args).get_data(as_text=True))

    assert ids(administration="prefecture") == [world["prefecture"]]
    assert ids(administration="caf") == [world["rsa"], world["held"], world["old_fix"]]
    assert ids(procedure="caf/demande-rsa") == [world["rsa"]]
    assert ids(territory="2A") == [world["prefecture"]]
    assert ids(status="fixed") == [world["vitale"], world["old_fix"]]
    assert ids(status="fixed", administration="assurance-maladie") == [world["vitale"]]
    html = client.get("/irritants?administration=caf&procedure=caf/demande-rsa").get_data(as_text=True)
    assert '<option value="caf/demande-rsa" selected>Demande de RSA</option>' in html  # the form keeps the choice
    assert 'href="/irritants"' in html and "Effacer les filtres" in html


def test_sorts_by_people_affected(client, world):
    html = client.get("/irritants?sort=people").get_data(as_text=True)
    assert listed(html)[:3] == [world["prefecture"], world["vitale"], world["rsa"]]
    assert "du plus grand nombre de personnes concernées au plus petit" in html


def test_wrong_or_unknown_values_are_named_in_french_and_the_rest_applies(client, world):
    html = client.get(
        "/irritants?administration=nulle-part&status=spam&sort=hasard&territory=99&procedure=caf/rien&q=rsa"
    ).get_data(as_text=True)
    assert "Certains filtres ont été ignorés" in html
    for message in (
        "Administration inconnue.",
        "Statut inconnu.",
        "Tri inconnu.",
        "Département inconnu.",
        "Démarche inconnue.",
    ):
        assert message in html
    assert listed(html) == [world["rsa"]]  # the search still applies
    assert client.get("/irritants?page=abc").status_code == 200
    assert client.get("/irritants?page=999999999").status_code == 200


def test_pages_keep_the_filters(app, client):
    with get_db(app).session_scope() as s:
        for n in range(23):
            irritant(s, f"Démarche numéro {n} bloquée", score=float(n))
        s.commit()
    first = client.get("/irritants?q=demarche&sort=people").get_data(as_text=True)
    assert len(listed(first)) == 20 and "23 irritants" in first
    assert 'href="/irritants?q=demarche&amp;sort=people&amp;page=2"' in first
    second = client.get("/irritants?q=demarche&sort=people&page=2").get_data(as_text=True)
    assert len(listed(second)) == 3


def test_me_too_from_the_list_counts_and_comes_back_to_the_same_list(app, client, world):
    html = client.get("/irritants?administration=caf&sort=people").get_data(as_text=True)
    form = html.split(f'action="/irritants/{world["rsa"]}/moi-aussi"')[1].split("</form>")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    back = re.search(r'name="next" value="([^"]+)"', form).group(1).replace("&amp;", "&")
    assert back == "/irritants?administration=caf&sort=people"
    response = client.post(f"/irritants/{world['rsa']}/moi-aussi", data={"csrf_token": token, "next": back})
    assert response.status_code == 303
    assert response.headers["Location"] == "/irritants?administration=caf&sort=people#messages"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "nous avons ajouté votre voix à cet irritant" in page
    with get_db(app).session_scope() as s:
        assert s.get(Cluster, world["rsa"]).people == 3


@pytest.mark.parametrize(
    "target", ["https://evil.example/irritants", "//evil.example/irritants", "/agents/connexion", "/irritants/1"]
)
def test_me_too_never_sends_anywhere_but_the_list_or_the_roadmap(client, world, target):
    html = client.get("/irritants").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post(f"/irritants/{world['rsa']}/moi-aussi", data={"csrf_token": token, "next": target})
    assert response.headers["Location"] == f"/irritants/{world['rsa']}"


def test_me_too_without_the_form_token_is_refused(client, world):
    assert client.post(f"/irritants/{world['rsa']}/moi-aussi", data={"next": "/irritants"}).status_code == 400


def test_the_roadmap_shows_planned_in_progress_and_recently_fixed_with_squad_and_fix_effect(client, world):
    html = client.get("/irritants/feuille-de-route").get_data(as_text=True)

    def column(key):
        return html.split(f'id="colonne-{key}"')[1].split("</section>")[0]

    assert f'id="carte-{world["prefecture"]}"' in column("planned")
    assert f'id="carte-{world["rsa"]}"' in column("in_progress")
    fixed = column("fixed")
    assert f'id="carte-{world["vitale"]}"' in fixed and f'id="carte-{world["old_fix"]}"' not in fixed
    assert "Rendez-vous en préfecture" in fixed and 'href="/startups/' in fixed
    assert f'id="carte-{world["vitale"]}-effet"' in fixed and "rapport des signalements hebdomadaires" in fixed
    assert (today() - dt.timedelta(days=10)).isoformat() in fixed
    for key in ("held", "spam", "duplicate"):  # new, spam and duplicates are on no column
        assert f'id="carte-{world[key]}"' not in html
    assert f'action="/irritants/{world["prefecture"]}/moi-aussi"' in html
    assert 'name="next" value="/irritants/feuille-de-route"' in html


def test_a_regressed_irritant_is_back_in_progress_with_its_status(app, client, world):
    with get_db(app).session_scope() as s:
        s.get(Cluster, world["vitale"]).status = "regressed"
        s.commit()
    html = client.get("/irritants/feuille-de-route").get_data(as_text=True)
    progress = html.split('id="colonne-in_progress"')[1].split("</section>")[0]
    assert f'id="carte-{world["vitale"]}"' in progress and "Réapparu après correction" in progress


def test_public_pages_are_rate_limited(make_app, world):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_READ="2 per minute").test_client()
    for url in ("/irritants", "/irritants/feuille-de-route", "/statistiques"):
        assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_the_header_and_footer_link_the_list_and_the_statistics(client):
    html = client.get("/startups").get_data(as_text=True)
    header, footer = html.split("</header>")[0], html.split('id="pied-de-page"')[1]
    for part in (header, footer):
        assert 'href="/irritants">Les irritants</a>' in part and 'href="/statistiques">Statistiques</a>' in part
