"""A correspondant of the CAF in a real browser: their narrowed backlog, an irritant's page with « Réponse publique de
l'administration », a refused answer (personal data), the published answer on the public page, and the accounts'
form with the administration. Zero axe-core violations (WCAG 2.1 AA, RGAA 4)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from irritants.db import get_db
from irritants.referential.models import Administration
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_cluster, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "correspondant.navigateur@caf.fr"
ADMIN = "admin.navigateur@beta.gouv.fr"
ANSWER = "La CAF ouvre des créneaux supplémentaires de rendez-vous dès le mois prochain."


@pytest.fixture
def world(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        cluster = make_cluster(s, "Dossier de RSA bloqué sans réponse", reports=2)
        user = make_user(s, "correspondant", email=EMAIL, password=PASSWORD)
        user.administration_id = s.scalar(select(Administration.id).where(Administration.slug == "caf"))
        make_user(s, "admin", email=ADMIN, password=PASSWORD)
        s.commit()
        return {"cluster": cluster.id, "user": user.id}


def sign_in(server, page, email: str) -> None:
    page.goto(server.url + "/agents/connexion")
    tab_to(page, "#id_email")
    page.keyboard.type(email)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/agents/connexion" not in url)


def test_a_correspondant_reads_their_backlog_and_answers_publicly(server, page, world):
    sign_in(server, page, EMAIL)
    page.goto(server.url + "/agents/irritants?administration=dgfip")
    assert page.locator("#administration-imposee").is_visible()
    assert_accessible(page)

    page.goto(f"{server.url}/agents/irritants/{world['cluster']}")
    assert page.locator("#reponse-form").count() == 1
    assert_accessible(page)
    page.locator("#reponse-texte").fill("Appelez le 06 12 34 56 78 pour un rendez-vous.")
    page.get_by_role("button", name="Publier la réponse").click()
    page.wait_for_selector("text=La réponse n’a pas été publiée")
    assert_accessible(page)
    page.locator("#reponse-texte").fill(ANSWER)
    page.get_by_role("button", name="Publier la réponse").click()
    page.wait_for_selector("text=Réponse publiée")
    assert_accessible(page)

    page.goto(f"{server.url}/irritants/{world['cluster']}")
    assert page.locator("#reponses-titre").inner_text() == "Réponse de la CAF"
    assert ANSWER in page.locator("#reponses").inner_text()
    assert_accessible(page)


def test_the_accounts_form_offers_the_administration(server, page, world):
    sign_in(server, page, ADMIN)
    page.goto(f"{server.url}/agents/comptes/{world['user']}")
    assert page.locator("#id_administration").input_value() == "caf"
    assert_accessible(page)
    page.goto(f"{server.url}/agents/comptes/nouveau")
    assert_accessible(page)
