"""An agent signs in with the keyboard, creates and revokes an API token, signs out; every page has zero
axe-core violations (WCAG 2.1 AA, RGAA 4)."""

from __future__ import annotations

import re

import pytest

from irritants.db import get_db
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_squad, make_user
from tests.gunicorn_server import Gunicorn
from tests.web.test_proconnect import running_provider

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "agent.navigateur@beta.gouv.fr"


@pytest.fixture
def agent(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        make_user(s, "product_owner", squads=[squad], email=EMAIL, password=PASSWORD)
        s.commit()


def test_sign_in_manage_a_token_and_sign_out_with_the_keyboard(server, page, agent):
    page.goto(server.url + "/agents/connexion")
    assert_accessible(page)

    # A wrong password: the error summary takes the focus and says nothing about which field was wrong.
    tab_to(page, "#id_email")
    page.keyboard.type(EMAIL)
    tab_to(page, "#id_password")
    page.keyboard.type("pas le bon mot de passe")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    assert "Adresse électronique ou mot de passe incorrect." in page.locator("#error-summary").inner_text()
    assert page.title().startswith("Erreur : ")
    assert_accessible(page)

    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    # A product owner in one squad lands on « mon équipe »: that squad's page.
    page.wait_for_url(re.compile(r".*/agents/equipes/[^/]+$"))
    assert "Rendez-vous préfecture" in page.locator("h1").inner_text()
    page.goto(server.url + "/agents/")
    assert page.locator("h1").inner_text() == "Espace agents"
    assert_accessible(page)

    tab_to(page, "#id_name")
    page.keyboard.type("Tableau de bord")
    tab_to(page, "#id_days")
    page.locator("#id_days").select_option("30")
    page.locator("#creer-jeton ~ form button[type=submit]").press("Enter")
    page.wait_for_selector("#id_new_token")
    token = page.locator("#id_new_token").input_value()
    assert token.startswith("irr_")
    assert page.locator("#liste-jetons tbody tr").count() == 1
    assert_accessible(page)

    page.goto(server.url + "/agents/")
    assert token not in page.content()
    page.get_by_role("button", name="Révoquer le jeton « Tableau de bord »").press("Enter")
    page.wait_for_selector("text=Le jeton est révoqué")
    assert_accessible(page)

    page.locator("#contenu form[action='/agents/deconnexion'] button").press("Enter")
    page.wait_for_url(re.compile(r".*/agents/connexion$"))
    assert "Vous êtes déconnecté(e)." in page.content()
    page.goto(server.url + "/agents/")
    page.wait_for_url(re.compile(r".*/agents/connexion\?next=.*"))


def type_and_send(page, fields: dict[str, str]) -> None:
    """Tab to each field, type its value, and send the form with Enter."""
    for field, value in fields.items():
        tab_to(page, f"#id_{field}")
        page.keyboard.type(value)
    page.keyboard.press("Enter")


def test_change_my_password_with_the_keyboard(server, page, agent):
    page.goto(server.url + "/agents/connexion")
    type_and_send(page, {"email": EMAIL, "password": PASSWORD})
    page.wait_for_url(re.compile(r".*/agents/equipes/[^/]+$"))
    page.goto(server.url + "/agents/")

    page.get_by_role("link", name="Changer mon mot de passe").press("Enter")
    page.wait_for_url(re.compile(r".*/agents/mot-de-passe$"))
    assert_accessible(page)

    # Two different new passwords: the summary takes the focus, the error sits next to its field.
    new = "une toute nouvelle phrase de passe 7"
    type_and_send(page, {"current_password": PASSWORD, "new_password": new, "new_password_confirmation": "autre"})
    page.wait_for_selector("#error-summary")
    assert page.title().startswith("Erreur : ")
    assert "ne sont pas identiques" in page.locator("#id_new_password_confirmation-group").inner_text()
    assert_accessible(page)

    type_and_send(page, {"current_password": PASSWORD, "new_password": new, "new_password_confirmation": new})
    page.wait_for_url(re.compile(r".*/agents/$"))
    assert "Votre mot de passe est changé." in page.content()
    assert_accessible(page)


def test_proconnect_sign_in_and_sign_out_in_a_real_browser(database_url, make_app, browser, page):
    """Forms that end in a redirect to ProConnect must be allowed by the CSP's form-action (Chromium enforces it)."""
    app = make_app()
    with get_db(app).session_scope() as s:
        make_user(s, "manager", email=EMAIL).name = ""  # opened for ProConnect: the name comes from it
        s.commit()
    server = Gunicorn(database_url, workers=1, threads=4)
    with running_provider(f"{server.url}/agents/proconnect/retour") as provider:
        provider.add_person("sub-navigateur", email=EMAIL, usual_name="Navigateur")
        server.env.update(
            IRRITANTS_PROCONNECT_ISSUER=provider.url,
            IRRITANTS_PROCONNECT_CLIENT_ID=provider.client_id,
            IRRITANTS_PROCONNECT_CLIENT_SECRET=provider.client_secret,
        )
        with server:
            page.goto(server.url + "/agents/connexion")
            assert_accessible(page)
            page.locator("button.fr-connect--pro").click()
            page.wait_for_url(re.compile(re.escape(provider.url) + r"/oauth2/authorize\?.*"))
            page.locator("input[name=sub]").fill("sub-navigateur")
            page.get_by_role("button", name="Authorize").click()
            page.wait_for_url(re.compile(r".*/agents/$"))
            assert "Bonjour Navigateur." in page.content()

            page.locator("#contenu form[action='/agents/deconnexion'] button").click()
            page.wait_for_url(re.compile(re.escape(provider.url) + r"/oauth2/end_session\?.*"))
            page.get_by_role("button", name="End session").click()
            page.wait_for_url(re.compile(r".*/agents/connexion$"))
            assert "Vous êtes déconnecté(e) de ce service et de ProConnect." in page.content()
