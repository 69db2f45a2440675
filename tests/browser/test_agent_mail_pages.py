"""« Mot de passe oublié ? », the dead-link page, « Mes notifications » and the digest's unsubscribe page: reachable
from the sign-in page and the keyboard, zero axe-core violations (WCAG 2.1 AA, RGAA 4)."""

from __future__ import annotations

import re

import pytest

from irritants.db import get_db
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_squad, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "agent.notifications@beta.gouv.fr"


@pytest.fixture
def agent(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        make_user(s, "manager", squads=[squad], email=EMAIL, password=PASSWORD)
        s.commit()


def test_forgotten_password_pages_are_accessible(server, page, agent):
    page.goto(server.url + "/agents/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.wait_for_url(re.compile(r".*/agents/mot-de-passe-oublie$"))
    assert_accessible(page)
    page.keyboard.press("Enter")  # nothing typed: the error summary
    page.locator("button[type=submit]").click()
    page.wait_for_selector("#error-summary")
    assert_accessible(page)
    tab_to(page, "#id_email")
    page.keyboard.type("personne@beta.gouv.fr")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Demande prise en compte")
    assert_accessible(page)
    page.goto(server.url + "/agents/mot-de-passe-oublie/lien-inconnu")
    assert page.locator("h1").inner_text() == "Lien expiré ou déjà utilisé"
    assert_accessible(page)


def test_notification_pages_are_accessible(server, page, agent):
    page.goto(server.url + "/agents/connexion")
    tab_to(page, "#id_email")
    page.keyboard.type(EMAIL)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/agents/")
    page.goto(server.url + "/agents/notifications")
    assert page.locator("h1").inner_text() == "Mes notifications"
    assert_accessible(page)
    page.locator("label", has_text="Rendez-vous préfecture").click()  # DSFR draws the box on the label
    page.get_by_role("button", name="Enregistrer mes choix").click()
    page.wait_for_selector(".fr-alert--success, .fr-alert")
    assert page.get_by_label("Rendez-vous préfecture").is_checked()
    assert_accessible(page)
    page.goto(server.url + "/agents/notifications/desabonnement/lien-inconnu")
    assert_accessible(page)
