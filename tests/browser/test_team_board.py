"""A squad member's board in a real browser, with the keyboard only: sign in, land on « mon équipe » (their squad's
page), move an item to « En cours » with Tab and Enter, land back on the moved card with the notice; the squad page
and the item page have zero axe-core violations (WCAG 2.1 AA, RGAA 4)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from irritants.db import get_db
from irritants.squads import backlog
from irritants.squads.sprint_services import create_sprint, start_sprint
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_cluster, make_squad, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "membre.equipe@beta.gouv.fr"


@pytest.fixture
def data(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous en ligne")
        make_user(s, "squad_member", squads=[squad], email=EMAIL, password=PASSWORD)
        owned = make_cluster(s, "Aucun créneau de rendez-vous", squad_id=squad.id, status="planned", reports=2)
        start = dt.date.today() - dt.timedelta(days=1)
        sprint = create_sprint(s, None, squad.id, starts_on=start, ends_on=start + dt.timedelta(days=11))
        start_sprint(s, None, sprint.id)
        moved = backlog.create_item(s, None, squad.id, title="Créneaux du samedi", points=3, sprint_id=sprint.id,
                                    cluster_ids=[owned.id])  # fmt: skip
        backlog.create_item(s, None, squad.id, title="Rappel par SMS", points=2, sprint_id=sprint.id)
        backlog.create_item(s, None, squad.id, title="Confirmation par courriel")
        backlog.create_item(s, None, squad.id, title="Annulation en ligne")
        s.commit()
        yield app, {"slug": squad.slug, "item": moved.id}


def test_a_member_moves_an_item_across_the_board_with_the_keyboard(server, page, data):
    _app, ids = data
    page.goto(server.url + "/agents/connexion")
    tab_to(page, "#id_email")
    page.keyboard.type(EMAIL)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/agents/equipes/{ids['slug']}$"))  # « mon équipe » → their one squad
    assert page.locator("h1").inner_text() == "Rendez-vous en ligne"
    assert page.locator("#colonne-todo + ul > li").count() == 2
    assert_accessible(page)

    card = f"#element-{ids['item']}"
    tab_to(page, f"{card} form:has(input[name=state][value=in_progress]) button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"?element={ids['item']}#element-{ids['item']}")
    # The keyboard lands on the moved card, now in « En cours », described by the notice.
    assert page.evaluate("() => document.activeElement.id") == f"element-{ids['item']}"
    assert page.locator(f"#colonne-in_progress + ul > li{card}").count() == 1
    assert "« Créneaux du samedi » : en cours." in page.locator(".fr-alert--success").inner_text()
    assert page.locator(card).get_attribute("aria-describedby") == "messages"
    assert_accessible(page)
    # The next Tab goes on from the card: its title, then its buttons.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('li.fr-card').id") == f"element-{ids['item']}"

    # In the product backlog, the second item goes up, with the keyboard.
    tab_to(page, "#backlog-produit ~ ol form:has(input[name=move][value=up]) button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    titles = page.locator("#backlog-produit ~ ol .fr-card__title").all_inner_texts()
    assert titles == ["Annulation en ligne", "Confirmation par courriel"]
    assert_accessible(page)

    page.goto(server.url + f"/agents/equipes/{ids['slug']}/elements/{ids['item']}")
    assert page.locator("h1").inner_text() == "Créneaux du samedi"
    assert_accessible(page)
