"""A sprint's page in Chromium: its charts are images with an accessible name, the page has no axe-core violation,
and a product owner closes the sprint with the keyboard alone."""

from __future__ import annotations

import re

import pytest

from irritants.db import get_db
from irritants.squads.models import Squad
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_user
from tests.web.test_sprint_pages import build_sprints

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "responsable.sprints@beta.gouv.fr"


def test_a_sprint_page_with_its_charts_is_accessible_and_closes_with_the_keyboard(server, page, make_app):
    app = make_app()
    world = build_sprints(app)
    with get_db(app).session_scope() as s:
        make_user(s, "product_owner", squads=[s.get(Squad, world["squad"])], email=EMAIL, password=PASSWORD)
        s.commit()
    page.goto(server.url + "/agents/connexion")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Se connecter')")
    page.wait_for_url(re.compile(r".*/agents/equipes/[^/?#]+$"))  # a squad's people land on « mon équipe »

    page.goto(f"{server.url}/agents/equipes/{world['slug']}/sprints/2")
    for name in (
        "Burndown en points du sprint 2",
        "Burndown en personnes du sprint 2",
        "Vélocité : points faits par sprint terminé",
        "Irritants corrigés par sprint terminé",
    ):
        chart = page.get_by_role("img", name=name, exact=True)
        assert chart.count() == 1 and chart.is_visible()
        assert chart.bounding_box()["width"] > 200
    assert page.locator("#burndown-points-tableau caption").is_visible()
    assert_accessible(page)

    # Close it, keyboard only: choose the product backlog, send.
    tab_to(page, "#terminer-unfinished")
    page.keyboard.press("Space")
    tab_to(page, "#terminer button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/sprints/2$", page.url)
    assert page.get_by_text(
        "Sprint 2 terminé : 2 éléments non terminés retournent dans le backlog produit."
    ).is_visible()
    assert_accessible(page)
