"""The irritant page of the back-office stays short and organised: a summary, then sections a product owner opens
(decisions, reshaping, reports, territories, history), usable with the keyboard, a screen reader and no JavaScript."""

from __future__ import annotations

import re

import pytest

from irritants.auth.policy import Agent
from irritants.clusters import stats
from irritants.db import get_db
from irritants.ranking import Weights
from irritants.triage import services as triage
from irritants.triage.models import ReplyTemplate
from tests.browser.test_backoffice import open_section
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_cluster, make_report, make_squad, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "responsable.long@beta.gouv.fr"


@pytest.fixture
def long_irritant(make_app):
    """A realistic irritant: 40 reports, 10 decisions in its history, similar irritants, squads and templates."""
    app = make_app()
    with get_db(app).session_scope() as s:
        squads = [make_squad(s, name) for name in ("Rendez-vous préfecture", "Aides au logement", "Retraite")]
        user = make_user(s, "product_owner", squads=squads[:1], email=EMAIL, password=PASSWORD)
        cluster = make_cluster(s, "Titre de séjour : aucun rendez-vous disponible en préfecture", reports=0)
        territories = [f"{n:02d}" for n in range(1, 96) if n != 20][:40]
        for i, territory in enumerate(territories):
            text = f"Impossible d'obtenir un rendez-vous en préfecture pour mon titre de séjour, essai n° {i + 1}."
            make_report(s, cluster=cluster, description=text + " Mon récépissé expire bientôt.", territory=territory)
        others = [make_cluster(s, f"Rendez-vous en préfecture introuvable n° {i}", reports=2) for i in range(5)]
        s.add_all(
            [
                ReplyTemplate(title="Même blocage", body="Ces signalements décrivent le même blocage."),
                ReplyTemplate(title="Pris en charge", body="La start-up d'État s'en occupe."),
            ]
        )
        stats.refresh(s, Weights(), [c.id for c in (cluster, *others)])
        agent = Agent(user.id, user.email, frozenset({"product_owner"}), frozenset({squads[0].id}))
        for i in range(5):
            triage.set_pinned(s, agent, cluster.id, i % 2 == 0, reason=f"Revue n° {i}")
        triage.change_status(s, agent, cluster.id, "triaged", reason="Blocage confirmé")
        triage.assign_squad(s, agent, cluster.id, squads[0].id, reason="Pour la start-up")
        triage.change_status(s, agent, cluster.id, "planned", reason="Au prochain sprint")
        triage.edit_label(s, agent, cluster.id, "Aucun rendez-vous en préfecture", ["rendez-vous", "préfecture"])
        triage.change_status(s, agent, cluster.id, "in_progress", reason="Commencé")
        s.commit()
        cluster_id = cluster.id
    yield app, cluster_id


def sign_in(page, server) -> None:
    page.goto(server.url + "/agents/connexion")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Se connecter')")
    page.wait_for_url(re.compile(r".*/agents/(equipes/[^/]+)?$"))  # a squad's people land on « mon équipe »


def page_height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


SECTIONS = ("decisions", "remodeler", "signalements", "questions", "score", "territoires", "historique")
# 14,435 px before the sections (1280 × 900 window, this irritant): ten stacked forms, then every report.
MAX_HEIGHT = 4000


def test_the_irritant_page_is_short_with_its_sections_closed_and_each_opens_with_the_keyboard(
    server, page, long_irritant
):
    _, cluster_id = long_irritant
    sign_in(page, server)
    page.goto(f"{server.url}/agents/irritants/{cluster_id}")
    assert page_height(page) < MAX_HEIGHT
    # The summary stays in view: status, squad, figures and the key actions.
    assert page.locator("#statut-irritant").text_content() == "Statut : En cours"
    assert page.locator("#start-up-actuelle").inner_text() == "Rendez-vous préfecture"
    assert page.locator("#chiffre-signalements").inner_text() == "40"
    for section in SECTIONS:
        button = page.locator(f'button[aria-controls="{section}-contenu"]')
        assert button.get_attribute("aria-expanded") == "false", section
        assert page.locator(f"#{section}-contenu").is_hidden(), section
    assert_accessible(page)

    # Each section opens with the keyboard and says so; the reports are one page at a time.
    for section in ("decisions", "signalements", "historique"):
        open_section(page, section)
    assert page.locator("#signalements-form .fr-checkbox-group").count() == 20
    assert page.locator("#liste-historique > li").count() == 10
    assert_accessible(page)
    with page.expect_navigation():
        page.locator('#signalements-contenu a[title="Page 2"]').click()
    assert page.locator('button[aria-controls="signalements-contenu"]').get_attribute("aria-expanded") == "true"
    assert page.locator("#signalements-form .fr-checkbox-group").count() == 20


def test_a_key_action_opens_the_section_of_its_form(server, page, long_irritant):
    _, cluster_id = long_irritant
    sign_in(page, server)
    page.goto(f"{server.url}/agents/irritants/{cluster_id}")
    tab_to(page, 'a[href="#statut"]')
    page.keyboard.press("Enter")
    page.locator("#statut").wait_for(state="visible")
    assert page.locator('button[aria-controls="decisions-contenu"]').get_attribute("aria-expanded") == "true"


def test_handing_the_irritant_to_another_squad_is_confirmed_first_with_the_keyboard(server, page, long_irritant):
    _, cluster_id = long_irritant
    sign_in(page, server)
    page.goto(f"{server.url}/agents/irritants/{cluster_id}")
    open_section(page, "decisions")
    tab_to(page, "#start-up-squad")
    page.keyboard.type("Retraite")
    tab_to(page, "#start-up button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Nothing changed yet: the page asks, its warning takes the focus and says who could give it back.
    assert page.evaluate("document.activeElement.id") == "start-up-confirmation"
    warning = page.locator("#start-up-confirmation").inner_text()
    assert "seuls les responsables produit de « Retraite » et les administrateurs" in warning
    assert page.locator("#start-up-actuelle").inner_text() == "Rendez-vous préfecture"
    assert page.locator("#start-up-squad option:checked").inner_text() == "Retraite"
    assert_accessible(page)
    tab_to(page, '#start-up-confirmation button[name="confirm"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#start-up-actuelle").inner_text() == "Retraite"
    assert "Seuls ses responsables produit" in page.locator(".fr-alert--success").inner_text()
    assert "seuls ses responsables produit et les administrateurs" in page.locator("#qui-decide").inner_text()
    assert page.locator('button[aria-controls="decisions-contenu"]').count() == 0  # no decision left to them


def test_without_javascript_every_section_is_shown(browser, server, long_irritant):
    _, cluster_id = long_irritant
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, server)
        page.goto(f"{server.url}/agents/irritants/{cluster_id}")
        for section in SECTIONS:
            assert page.locator(f"#{section}-contenu").is_visible(), section
            # The button that could not open anything is replaced by the plain heading.
            assert page.locator(f'button[aria-controls="{section}-contenu"]').is_hidden(), section
            assert page.locator(f"#{section} .irritants-section__heading").is_visible(), section
        assert page.locator("#statut").is_visible() and page.locator("#fusion").is_visible()
        print(f"\nirritant page without JavaScript: {page_height(page)} px")
    finally:
        context.close()
