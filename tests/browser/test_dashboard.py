"""The managers' dashboard in Chromium: no axe-core violation (filters, tiles, charts, tables, the map), its charts
are images with an accessible name, the map's départements are links named with their figure and reached with the
keyboard, and its filters are applied from the form into the address."""

from __future__ import annotations

import re

import pytest

from irritants.db import get_db
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_user
from tests.web.test_dashboard_page import build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "pilotage.tableau@beta.gouv.fr"


def test_the_dashboard_is_accessible_and_its_map_and_filters_work_with_the_keyboard(server, page, make_app):
    app = make_app()
    build_world(app)
    with get_db(app).session_scope() as s:
        make_user(s, "manager", email=EMAIL, password=PASSWORD)
        s.commit()
    page.goto(server.url + "/agents/connexion")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Se connecter')")
    page.wait_for_load_state()
    page.get_by_role("link", name="Tableau de bord").first.click()
    page.wait_for_url(re.compile(r".*/agents/tableau-de-bord$"))

    for name in ("Signalements reçus chaque semaine", "Signalements par administration", "Signalements par canal"):
        chart = page.get_by_role("img", name=name, exact=True)
        assert chart.count() == 1 and chart.is_visible(), name
    nord = page.get_by_role("link", name=re.compile(r"^Nord : [\d,]+ signalements pour 100\s000 habitants$"))
    assert nord.count() == 1 and nord.is_visible()
    assert page.get_by_role("group", name="Signalements pour 100 000 habitants, par département").is_visible()
    assert_accessible(page)

    # The map's tables open without script; every département is in it.
    page.get_by_text("Le tableau par département").click()
    assert page.locator("#carte-departements-tableau tbody tr").count() == 101
    assert_accessible(page)

    # The keyboard reaches the Nord on the map, and it leads to the backlog filtered to it.
    tab_to(page, '#carte-departements a[aria-label^="Nord :"]', limit=400)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/agents/irritants\?.*territory=59", page.url)

    # Filters from the form land in the address, to be shared.
    page.goto(server.url + "/agents/tableau-de-bord")
    page.select_option("#filtre-channel", "telephone")
    page.click("#filtres button[type=submit]")
    page.wait_for_url(re.compile(r".*channel=telephone.*"))
    assert page.locator("#filtre-channel").input_value() == "telephone"
    assert_accessible(page)
