"""Public irritant pages in a real browser: the page of an irritant and its score, « C'est aussi mon cas »,
similar irritants while typing on the report form, and the irritant shown on a tracking page.
Every page has zero axe-core violations (WCAG 2.1 AA, RGAA 4)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from sqlalchemy import text

from irritants import create_app
from irritants.db import get_db
from tests.browser.test_report_form import assert_accessible
from tests.conftest import TEST_SECRET, report_payload
from tests.gunicorn_server import Gunicorn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PRIME = [
    ("Ma prime d'activité est bloquée depuis trois mois, la CAF ne répond pas à mes messages.", "59"),
    ("La CAF a suspendu ma prime d'activité sans explication, aucune réponse à mes messages.", "75"),
    ("Prime d'activité bloquée depuis deux mois, la CAF ne répond ni au téléphone ni aux messages.", "13"),
    ("Depuis trois mois ma prime d'activité est bloquée et la CAF ne répond pas aux messages.", "69"),
]
CARTE_GRISE = [
    ("Impossible de finaliser ma demande de carte grise sur le site de l'ANTS, le dossier reste en erreur.", "33"),
    ("Ma demande de carte grise est en erreur sur le site de l'ANTS depuis des semaines, impossible de finir.", "35"),
    ("Le site de l'ANTS affiche une erreur à chaque demande de carte grise, impossible de finaliser.", "44"),
]


@dataclass
class Site:
    server: Gunicorn
    cluster: dict  # the public JSON of the « prime d'activité » irritant
    tracking_url: str  # tracking page of one of its reports


@pytest.fixture(scope="module")
def site(database_url: str) -> Iterator[Site]:
    """A server with clustered reports: posted through the API, then grouped by the ``recluster`` command."""
    app = create_app(
        {"ENV": "testing", "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, "CLUSTERING_ENCODER": "tfidf"}
    )
    env = {
        "IRRITANTS_FORM_MIN_FILL_SECONDS": "1",
        "IRRITANTS_CLUSTERING_ENCODER": "tfidf",
        "IRRITANTS_JOBS_MODE": "inline",
    }
    try:
        with Gunicorn(database_url, workers=1, threads=4, env=env) as server:
            tracking = []
            for descriptions, admin in ((PRIME, "caf"), (CARTE_GRISE, "ants")):
                for description, territory in descriptions:
                    payload = report_payload(description=description, administration=admin, territory=territory)
                    response = requests.post(server.url + "/api/v1/reports", json=payload, timeout=10)
                    assert response.status_code == 201, response.text
                    tracking.append(response.json()["tracking_url"])
            result = app.test_cli_runner().invoke(args=["recluster"])
            assert result.exit_code == 0, result.output
            listing = requests.get(server.url + "/api/v1/clusters", params={"administration": "caf"}, timeout=10)
            cluster = next(c for c in listing.json()["items"] if "prime" in " ".join(c["keywords"]))
            assert cluster["size"] == len(PRIME), listing.json()
            yield Site(server, cluster, tracking[0])
    finally:
        with get_db(app).engine.begin() as conn:
            for table in ("report_vectors", "report_contacts", "reports", "supports", "clusters", "encoder_states"):
                conn.execute(text(f"DELETE FROM {table}"))
        get_db(app).dispose()


def test_irritant_page_explains_its_score_and_counts_me_once(site, page):
    cluster = site.cluster
    page.goto(f"{site.server.url}/irritants/{cluster['id']}")
    assert page.locator("h1").inner_text() == cluster["label"]
    assert page.title().startswith(cluster["label"])
    assert page.locator("#statut-irritant").text_content().endswith("Reçu")
    assert page.locator("#chiffre-signalements").inner_text() == str(len(PRIME))
    assert page.locator("#chiffre-departements").inner_text() == str(len(PRIME))
    assert page.locator(".fr-tags-group .fr-tag").count() == len(cluster["keywords"])
    assert page.locator("blockquote").count() >= 1
    table = page.locator("#detail-score table")
    assert "Détail du score" in table.locator("caption").inner_text()
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert headers == ["Critère", "Valeur", "Points", "Explication"]
    labels = table.locator("tbody th").all_inner_texts()
    assert labels == [term["label"] for term in cluster["score_breakdown"]["terms"]]
    total = f"{cluster['score_breakdown']['total']:.1f}".replace(".", ",")
    assert table.locator("tfoot td").nth(1).inner_text() == total
    assert page.locator("nav.fr-breadcrumb a[aria-current=page]").inner_text() == "Irritant"
    assert_accessible(page)

    people = int(page.locator("#chiffre-personnes").inner_text())
    with page.expect_navigation():
        page.get_by_role("button", name="C’est aussi mon cas").click()
    assert "ajouté votre voix" in page.locator(".fr-alert--success").inner_text()
    assert int(page.locator("#chiffre-personnes").inner_text()) == people + 1
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name="C’est aussi mon cas").click()
    assert "déjà comptée" in page.locator(".fr-alert--info").inner_text()
    assert int(page.locator("#chiffre-personnes").inner_text()) == people + 1


def test_similar_irritants_while_typing_never_block_the_report(site, page):
    page.goto(site.server.url + "/")
    page.locator("#id_description").focus()
    page.keyboard.type("Ma prime d'activité est bloquée et la CAF ne répond pas.")
    suggestion = page.locator(f"#similar-irritants a[href='/irritants/{site.cluster['id']}']")
    suggestion.wait_for(timeout=5000)
    assert "Ces irritants ressemblent" in page.locator("#similar-irritants h3").inner_text()
    assert suggestion.get_attribute("target") == "_blank"
    assert "nouvelle fenêtre" in suggestion.get_attribute("title")
    assert page.locator("#similar-irritants li").count() <= 5
    assert page.evaluate("document.activeElement.id") == "id_description"  # the focus stays in the field
    assert_accessible(page)

    # Too short a text clears the suggestions.
    page.fill("#id_description", "trop court")
    page.locator("#similar-irritants li").first.wait_for(state="detached", timeout=3000)

    # The citizen still files their own report.
    page.fill("#id_description", "Ma prime d'activité est bloquée depuis un mois, la CAF ne répond pas.")
    page.select_option("#id_administration", "caf")
    page.select_option("#id_territory", "59")
    page.locator("label[for=id_channel]").click()
    page.locator("label[for=id_severity]").click()
    time.sleep(1.1)
    page.get_by_role("button", name="Envoyer le signalement").click()
    page.wait_for_url(re.compile(r".*/confirmation$"))
    assert "bien été enregistré" in page.content()


def _support_from_the_form(page, url: str, typed: str) -> None:
    page.goto(url + "/")
    page.fill("#id_description", typed)
    with page.expect_navigation():
        page.locator("#similar-irritants button").first.click()


def test_support_from_the_form_keeps_the_text(site, page, browser):
    typed = "La CAF ne répond pas et ma prime d'activité reste bloquée."
    # Another person on this machine's network supports first (counted, or only recorded if an earlier test's
    # browser already was): whatever ran before, this network is then counted for the irritant.
    other = browser.new_context(locale="fr-FR")
    try:
        _support_from_the_form(other.new_page(), site.server.url, typed)
    finally:
        other.close()
    _support_from_the_form(page, site.server.url, typed)
    # A new person on a network already counted: recorded, not added to the people affected.
    assert "votre voix est enregistrée" in page.locator(".fr-alert--info").inner_text()
    assert page.locator("#id_description").input_value() == typed


def test_tracking_page_links_to_the_irritant(site, page):
    page.goto(site.tracking_url)
    link = page.locator("#irritant-rattache a")
    assert link.inner_text() == site.cluster["label"]
    assert re.search(r"\d+ signalements semblables", page.locator("#irritant-rattache").inner_text())
    assert_accessible(page)
    link.click()
    page.wait_for_url(re.compile(rf".*/irritants/{site.cluster['id']}$"))


def test_public_squad_pages_show_the_irritants_a_squad_owns(site, page, database_url):
    import datetime as dt

    from irritants.clusters.models import Cluster
    from irritants.squads import services as squads

    app = create_app({"ENV": "testing", "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET})
    with get_db(app).session_scope() as s:
        squad = squads.create_squad(
            s,
            None,
            {
                "name": "Prime d'activité sans blocage",
                "mission": "Que la prime d'activité ne soit plus suspendue sans explication.",
                "administration": "caf",
                "product_url": "https://prime.beta.gouv.fr",
                "started_on": dt.date(2026, 1, 5),
            },
        )
        squads.change_phase(s, None, squad, {"phase": "abandon", "note": "Repris par la CAF elle-même."})
        s.get(Cluster, site.cluster["id"]).squad_id = squad.id
        s.commit()
        slug, squad_id = squad.slug, squad.id
    try:
        page.goto(f"{site.server.url}/startups")
        assert_accessible(page)
        page.get_by_role("link", name="Prime d'activité sans blocage").click()
        page.wait_for_url(re.compile(rf".*/startups/{slug}$"))
        assert page.locator("h1").inner_text() == "Prime d'activité sans blocage"
        assert page.locator("#phase-actuelle").text_content().endswith("Abandon")
        row = page.locator("#irritants-pris-en-charge tbody tr")
        assert row.count() == 1 and row.locator("a").inner_text() == site.cluster["label"]
        assert "Bilan : Repris par la CAF elle-même." in page.locator("#historique-phases").inner_text()
        assert_accessible(page)
        page.goto(f"{site.server.url}/startups/nulle-part")
        assert_accessible(page)
    finally:
        with get_db(app).engine.begin() as conn:
            conn.execute(text("UPDATE clusters SET squad_id = NULL WHERE squad_id = :id"), {"id": squad_id})
            conn.execute(text("DELETE FROM squad_phase_changes WHERE squad_id = :id"), {"id": squad_id})
            conn.execute(text("DELETE FROM events WHERE subject_type = 'squad' AND subject_id = :id"), {"id": squad_id})
            conn.execute(text("DELETE FROM squads WHERE id = :id"), {"id": squad_id})
        get_db(app).dispose()
