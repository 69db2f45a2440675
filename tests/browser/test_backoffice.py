"""A product owner's main path in a real browser, with the keyboard: sign in, open the backlog, filter it, open an
irritant, merge another one into it, give it to a squad; then write, edit and delete a reply template. Every page
has zero axe-core violations (WCAG 2.1 AA, RGAA 4)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from irritants.clusters import stats
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.ranking import Weights
from irritants.status import StatusKind
from irritants.triage.models import ReplyTemplate
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_cluster, make_squad, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "responsable.produit@beta.gouv.fr"
TEMPLATE_BODY = "Ces signalements décrivent le même blocage : nous les suivons ensemble."


@pytest.fixture
def data(make_app):
    """A product owner with a password, a squad, a reply template and a few scored irritants."""
    app = make_app()
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        make_user(s, "product_owner", squads=[squad], email=EMAIL, password=PASSWORD)
        target = make_cluster(s, "Titre de séjour : aucun rendez-vous disponible", reports=3)
        source = make_cluster(s, "Préfecture : plus aucun créneau en ligne", reports=2)
        others = [make_cluster(s, f"Allocation logement en retard n° {i}", reports=1) for i in range(3)]
        s.add(ReplyTemplate(title="Même blocage", body=TEMPLATE_BODY))
        stats.refresh(s, Weights(), [c.id for c in (target, source, *others)])
        s.commit()
        ids = {"target": target.id, "source": source.id, "squad": squad.id}
    yield app, ids


def open_section(page, section: str) -> None:
    """Open a section of the irritant page with the keyboard: Tab to its button, Enter."""
    button = f'button[aria-controls="{section}-contenu"]'
    tab_to(page, button)
    page.keyboard.press("Enter")
    page.wait_for_function("(s) => document.querySelector(s).getAttribute('aria-expanded') === 'true'", arg=button)
    page.locator(f"#{section}-contenu").wait_for(state="visible")


def test_product_owner_filters_opens_merges_and_assigns_with_the_keyboard(server, page, data):
    app, ids = data
    page.goto(server.url + "/agents/irritants?sort=-size")
    page.wait_for_url(re.compile(r".*/agents/connexion\?next=.*"))
    assert_accessible(page)

    tab_to(page, "#id_email")
    page.keyboard.type(EMAIL)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/agents/irritants\?sort=-size$"))
    assert page.locator("h1").inner_text() == "Suivi des irritants"
    assert page.locator("#tableau-irritants tbody tr").count() == 5
    assert_accessible(page)

    # Filter: a text search, then the form's other values stay in the URL.
    tab_to(page, "#filtre-q")
    page.keyboard.type("séjour")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*[?&]q=s%C3%A9jour.*"))
    assert "sort=-size" in page.url
    assert page.locator("#resultats").inner_text().startswith("1 irritant correspond")
    assert page.locator("#tableau-irritants tbody tr").count() == 1
    assert_accessible(page)

    # Open the irritant (the link of its row).
    tab_to(page, f'a[href="/agents/irritants/{ids["target"]}"]')
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/agents/irritants/{ids['target']}$"))
    assert page.locator("h1").inner_text() == "Titre de séjour : aucun rendez-vous disponible"
    assert_accessible(page)

    # The page opens with its sections closed; open « Fusion, doublon… » with the keyboard.
    assert page.locator("#cherche").is_hidden()
    open_section(page, "remodeler")
    assert_accessible(page)

    # Find the other irritant, tick it in the merge form, pick a reply template (it fills the reason), merge.
    tab_to(page, "#cherche")
    page.keyboard.type("créneau")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*cherche=cr%C3%A9neau.*"))
    assert_accessible(page)
    tab_to(page, f"#fusion-sources-{ids['source']}")
    page.keyboard.press("Space")
    assert page.locator(f"#fusion-sources-{ids['source']}").is_checked()
    tab_to(page, "#fusion-modele")
    page.keyboard.press("ArrowDown")
    assert page.locator("#fusion-motif").input_value() == TEMPLATE_BODY
    tab_to(page, "#fusion button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/agents/irritants/{ids['target']}")
    assert "Fusion faite" in page.locator(".fr-alert--success").inner_text()
    assert page.locator("#chiffre-signalements").inner_text() == "5"
    assert_accessible(page)

    # Give it to the squad (theirs: no confirmation asked), from the « Décisions » section.
    open_section(page, "decisions")
    tab_to(page, "#start-up-squad")
    page.keyboard.type("Rendez")
    assert page.locator("#start-up-squad").input_value() == str(ids["squad"])
    tab_to(page, "#start-up button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/agents/irritants/{ids['target']}")
    assert "Irritant confié à la start-up" in page.locator(".fr-alert--success").inner_text()
    assert page.locator("#start-up-actuelle").inner_text() == "Rendez-vous préfecture"
    open_section(page, "historique")
    history = page.locator("#liste-historique").inner_text()
    assert "Start-up d’État" in history and "Fusion d’autres irritants dans celui-ci" in history
    assert TEMPLATE_BODY in history
    assert_accessible(page)

    with get_db(app).session_scope() as s:
        target, source = s.get(Cluster, ids["target"]), s.get(Cluster, ids["source"])
        assert target.squad_id == ids["squad"] and target.size == 5
        assert (source.status, source.duplicate_of_id) == (StatusKind.DUPLICATE, ids["target"])
        assert s.scalars(select(Cluster.id).where(Cluster.squad_id == ids["squad"])).all() == [ids["target"]]


def test_a_refused_decision_is_announced_and_takes_the_focus(server, page, data):
    _, ids = data
    page.goto(server.url + "/agents/connexion")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Se connecter')")
    page.goto(f"{server.url}/agents/irritants/{ids['target']}")

    open_section(page, "remodeler")
    tab_to(page, "#fusion-others")
    page.keyboard.type(str(ids["target"]))
    tab_to(page, "#fusion button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    alert = page.locator("#fusion-erreur")
    assert "ne peut pas être fusionné avec lui-même" in alert.inner_text()
    assert page.evaluate("document.activeElement.id") == "fusion-erreur"
    assert page.title().startswith("Erreur : ")
    assert page.locator("#fusion-others").input_value() == str(ids["target"])
    # Its section is open; the address is the irritant's own (reloading does not send the form again).
    assert page.locator('button[aria-controls="remodeler-contenu"]').get_attribute("aria-expanded") == "true"
    assert page.url == f"{server.url}/agents/irritants/{ids['target']}"
    assert page.locator("#fusion-erreur a[data-adresse-page]").inner_text() == "Recharger la page"
    assert_accessible(page)


def test_product_owner_manages_reply_templates_with_the_keyboard(server, page, data):
    app, ids = data
    page.goto(server.url + "/agents/connexion")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Se connecter')")
    page.wait_for_url(re.compile(r".*/agents/equipes/[^/]+$"))  # a squad's product owner lands on « mon équipe »
    page.goto(server.url + "/agents/")

    # From the agents' home, with the keyboard.
    tab_to(page, 'a[href="/agents/modeles"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Modèles de réponse"
    assert page.locator("#liste-modeles tbody th").all_inner_texts() == ["Même blocage"]
    assert_accessible(page)

    # Sent empty: the error summary takes the focus and links to the fields.
    tab_to(page, "#formulaire-modele button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title().startswith("Erreur : ")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert "Donnez un titre au modèle." in page.locator("#error-summary").inner_text()
    assert_accessible(page)

    tab_to(page, "#id_title")
    page.keyboard.type("Pris en charge")
    tab_to(page, "#id_body")
    page.keyboard.type("Votre signalement est pris en charge par la start-up d’État.")
    tab_to(page, "#id_squad")
    page.keyboard.press("ArrowDown")  # from « Partagé » to the squad
    assert page.locator("#id_squad_1").is_checked()
    tab_to(page, "#formulaire-modele button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Modèle « Pris en charge » créé" in page.locator(".fr-alert--success").inner_text()
    assert "Rendez-vous préfecture" in page.locator("#liste-modeles").inner_text()
    assert_accessible(page)

    with get_db(app).session_scope() as s:
        created = s.scalar(select(ReplyTemplate).where(ReplyTemplate.title == "Pris en charge"))
        assert created.squad_id == ids["squad"]
        template_id = created.id

    # Second step of an edit, then of a deletion: the confirmation takes the focus.
    tab_to(page, f'a[href="/agents/modeles?modifier={template_id}"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "formulaire-modele-titre"
    assert page.locator("#id_title").input_value() == "Pris en charge"
    assert_accessible(page)
    page.goto(f"{server.url}/agents/modeles")
    tab_to(page, f'a[href="/agents/modeles?supprimer={template_id}"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "confirmation-suppression"
    assert_accessible(page)
    tab_to(page, "#confirmation-suppression button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Modèle « Pris en charge » supprimé" in page.locator(".fr-alert--success").inner_text()
    assert page.locator("#liste-modeles tbody th").all_inner_texts() == ["Même blocage"]
    assert_accessible(page)
