"""Issue 11 from end to end in a real browser, with the keyboard only: a product owner signs in, opens « Mon équipe »,
moves an item linked to an irritant from « À faire » to « En cours » (the irritant becomes « En cours » on its
back-office page), then to « Fait »; the board invites to declare « correctif livré », which they do from the board;
the irritant is « Corrigé » on its public page and listed under « Correctifs livrés » on the squad's public page.
Zero axe-core violations (WCAG 2.1 AA, RGAA 4) on the board, its product backlog, the sprint page, the squad's
fiche, the public squad page and the item page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.squads import backlog
from irritants.squads.sprint_services import create_sprint, start_sprint
from irritants.status import StatusKind
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_cluster, make_squad, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "responsable.equipe@beta.gouv.fr"
NOTE = "Les créneaux du samedi sont ouverts dans toutes les préfectures."


@pytest.fixture
def data(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous en ligne")
        make_user(s, "product_owner", squads=[squad], email=EMAIL, password=PASSWORD)
        cluster = make_cluster(s, "Aucun créneau de rendez-vous", squad_id=squad.id, status=StatusKind.PLANNED)
        start = dt.date.today() - dt.timedelta(days=1)
        sprint = create_sprint(
            s, None, squad.id, starts_on=start, ends_on=start + dt.timedelta(days=11), goal="Créneaux"
        )
        start_sprint(s, None, sprint.id)
        item = backlog.create_item(s, None, squad.id, title="Créneaux du samedi", points=3, sprint_id=sprint.id,
                                   cluster_ids=[cluster.id])  # fmt: skip
        backlog.create_item(s, None, squad.id, title="Rappel par SMS", points=2, sprint_id=sprint.id)
        backlog.create_item(s, None, squad.id, title="Confirmation par courriel")
        backlog.create_item(s, None, squad.id, title="Annulation en ligne")
        s.commit()
        yield app, {"slug": squad.slug, "item": item.id, "cluster": cluster.id}


def press_enter_and_wait(page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def move(page, item_id: int, state: str) -> None:
    """Tab to the card's button that moves it to ``state``, press Enter: back on the board, at the card."""
    tab_to(page, f"#element-{item_id} form:has(input[name=state][value={state}]) button")
    press_enter_and_wait(page)
    assert page.url.endswith(f"?element={item_id}#element-{item_id}")
    assert page.locator(f"#colonne-{state} + ul > li#element-{item_id}").count() == 1


def test_a_product_owner_works_an_irritant_to_its_fix_with_the_keyboard(server, page, data):
    app, ids = data
    board = f"{server.url}/agents/equipes/{ids['slug']}"
    page.goto(server.url + "/agents/connexion")
    tab_to(page, "#id_email")
    page.keyboard.type(EMAIL)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    press_enter_and_wait(page)
    # « Mon équipe », from the header, with the keyboard: their one squad's board.
    tab_to(page, "header a[href='/agents/mon-equipe']")
    press_enter_and_wait(page)
    page.wait_for_url(re.compile(rf".*/agents/equipes/{ids['slug']}$"))
    assert page.locator("h1").inner_text() == "Rendez-vous en ligne"
    assert page.locator("#progression").inner_text() == "Progression du sprint 1"
    assert page.locator("#correctifs").count() == 0
    assert_accessible(page)

    move(page, ids["item"], "in_progress")
    page.goto(f"{server.url}/agents/irritants/{ids['cluster']}")
    assert page.locator("#statut-irritant").inner_text().lower().endswith("en cours")

    page.goto(board)
    move(page, ids["item"], "done")
    invitation = page.locator(f"#invitation-correctif-{ids['cluster']}")
    assert (
        f"Tous les éléments liés à l’irritant n° {ids['cluster']} « Aucun créneau de rendez-vous » sont faits"
        in invitation.inner_text()
    )
    assert_accessible(page)

    form = f"#correctif-{ids['cluster']}"
    assert page.locator(f"{form}-date_livraison").input_value()  # today (Paris), prefilled
    tab_to(page, f"{form}-note_publique")
    page.keyboard.type(NOTE)
    tab_to(page, f"{form} button[type=submit]")
    press_enter_and_wait(page)
    assert re.search(rf"/agents/equipes/{ids['slug']}$", page.url)
    assert f"l'irritant n° {ids['cluster']} est « Corrigé »" in page.locator(".fr-alert--success").inner_text()
    assert page.locator(f"#invitation-correctif-{ids['cluster']}").count() == 0
    with get_db(app).session_scope() as s:
        assert s.get(Cluster, ids["cluster"]).status == StatusKind.FIXED

    # The product backlog, at its heading (same page, its section read by axe with the rest).
    page.goto(board + "#backlog-produit")
    assert page.locator("#backlog-produit ~ ol > li").count() == 2
    assert_accessible(page)

    page.goto(f"{server.url}/irritants/{ids['cluster']}")
    assert page.locator("#statut-irritant").inner_text().lower().endswith("corrigé")

    page.goto(f"{server.url}/startups/{ids['slug']}")
    assert "Aucun créneau de rendez-vous" in page.locator("ul#correctifs").inner_text()
    assert NOTE in page.locator("ul#correctifs").inner_text()
    assert_accessible(page)

    for path in ("/sprints/1", "/fiche", f"/elements/{ids['item']}"):
        page.goto(board + path)
        assert page.locator("h1").count() == 1
        assert_accessible(page)
