"""« Correctif livré » in a real browser, with the keyboard: the irritant whose every backlog item is done invites
its product owner to declare the fix; the form (day prefilled, public note) makes it « Corrigé ». Zero axe-core
violations with the invitation, the form and after."""

from __future__ import annotations

import re

import pytest

from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.squads import backlog
from irritants.squads.sprints import ItemState
from irritants.status import StatusKind
from tests.browser.test_backoffice import open_section
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_cluster, make_squad, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "responsable.correctif@beta.gouv.fr"
NOTE = "Les créneaux du samedi sont ouverts dans toutes les préfectures."


@pytest.fixture
def data(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        make_user(s, "product_owner", squads=[squad], email=EMAIL, password=PASSWORD)
        cluster = make_cluster(s, "Aucun créneau de rendez-vous", squad_id=squad.id, status=StatusKind.IN_PROGRESS)
        item = backlog.create_item(s, None, squad.id, title="Créneaux du samedi", cluster_ids=[cluster.id])
        backlog.change_state(s, None, item.id, ItemState.DONE)
        s.commit()
        yield app, cluster.id


def test_product_owner_declares_the_fix_with_the_keyboard(server, page, data):
    app, cluster_id = data
    page.goto(server.url + "/agents/connexion")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Se connecter')")
    page.goto(f"{server.url}/agents/irritants/{cluster_id}")
    assert "sont « faits »" in page.locator("#invitation-correctif").inner_text()
    assert_accessible(page)

    open_section(page, "decisions")
    assert page.locator("#correctif-date_livraison").input_value()  # today, prefilled
    tab_to(page, "#correctif-note_publique")
    page.keyboard.type(NOTE)
    tab_to(page, "#correctif button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(rf"/agents/irritants/{cluster_id}$", page.url)
    assert "Correctif livré le" in page.locator(".fr-alert--success").inner_text()
    assert page.locator("#statut-irritant").inner_text().lower().endswith("corrigé")
    assert page.locator("#invitation-correctif").count() == 0
    assert_accessible(page)
    with get_db(app).session_scope() as s:
        assert s.get(Cluster, cluster_id).status == StatusKind.FIXED
