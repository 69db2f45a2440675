"""An administrator creates an agent's account and edits a squad's « fiche » with the keyboard alone; every page,
errors included, has zero axe-core violations (WCAG 2.1 AA, RGAA 4)."""

from __future__ import annotations

import re

import pytest

from irritants.db import get_db
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_squad, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "admin.navigateur@beta.gouv.fr"


@pytest.fixture
def admin(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        squad.slug = "rendez-vous-prefecture"
        make_user(s, "admin", email=EMAIL, password=PASSWORD)
        s.commit()


def sign_in(page, url: str, email: str = EMAIL, lands: str = r".*/agents/$") -> None:
    """Sign in with the keyboard, then wait for the landing page (``lands``, a pattern of its URL)."""
    page.goto(url + "/agents/connexion")
    tab_to(page, "#id_email")
    page.keyboard.type(email)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(lands))


def test_an_admin_creates_an_account_with_the_keyboard(server, page, admin):
    sign_in(page, server.url)
    tab_to(page, "a[href='/agents/comptes']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/agents/comptes$"))
    assert_accessible(page)
    tab_to(page, "a[href='/agents/comptes/nouveau']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_email")
    assert_accessible(page)

    # Sent without a role: the summary takes the focus and links to the fieldset's first box.
    tab_to(page, "#id_email")
    page.keyboard.type("camille.durand@beta.gouv.fr")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    assert "Cochez au moins un rôle." in page.locator("#error-summary").inner_text()
    assert_accessible(page)

    tab_to(page, "#id_roles_1")  # « Membre d'une start-up d'État »
    page.keyboard.press("Space")
    tab_to(page, "#id_squads")
    page.keyboard.press("Space")
    tab_to(page, "form[action='/agents/comptes'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#new-password")
    assert len(page.locator("#new-password").inner_text()) >= 20
    assert "Compte créé pour camille.durand@beta.gouv.fr." in page.locator("#secret").inner_text()
    assert_accessible(page)


def test_an_admin_edits_a_squad_sheet_with_the_keyboard(server, page, admin):
    sign_in(page, server.url)
    tab_to(page, "a[href='/agents/startups']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/agents/startups$"))
    assert_accessible(page)
    tab_to(page, "a[href='/agents/equipes/rendez-vous-prefecture/fiche']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_mission")
    assert_accessible(page)

    tab_to(page, "#id_product_url")
    page.keyboard.type("http://pas-https.example.fr")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    assert "https://" in page.locator("#error-summary").inner_text()
    assert_accessible(page)

    tab_to(page, "#id_product_url")
    page.keyboard.press("Control+A")
    page.keyboard.type("https://rdv.beta.gouv.fr")
    tab_to(page, "#id_mission")
    page.keyboard.type("Des rendez-vous en préfecture pour tous.")
    tab_to(page, "#id_administration")
    page.locator("#id_administration").select_option("ants")
    tab_to(page, "#profile button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Fiche enregistrée.")
    assert page.locator("#id_product_url").input_value() == "https://rdv.beta.gouv.fr"
    assert_accessible(page)

    tab_to(page, "#id_phase")
    page.locator("#id_phase").select_option("construction")
    tab_to(page, "#phase button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Changement de phase enregistré.")
    assert_accessible(page)
