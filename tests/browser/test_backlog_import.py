"""Importing a squad's backlog file in Chromium, with the keyboard only: a file with a problem gives the error summary
(focused, linking to the table of problems by line and column), then the corrected file gives the plan and
« Appliquer ces changements » lands on the squad's page with the notice; zero axe-core violations on each page."""

from __future__ import annotations

import re

import pytest

from irritants.db import get_db
from irritants.squads import backlog
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_squad, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "membre.import@beta.gouv.fr"
HEADER = "\ufeffid;title;description;points;state;sprint;rank;irritants\r\n"


def choose_file(page, path) -> None:
    """Reach the file field with the keyboard and pick ``path`` (the operating system's dialog is not the page's:
    headless Chromium opens it on Space only now and then, so the file is set on the focused field)."""
    tab_to(page, "#id_fichier")
    page.locator("#id_fichier").set_input_files(str(path))
    tab_to(page, "form[action$='/import'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def focused_id(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def test_a_member_imports_a_file_with_the_keyboard_after_fixing_its_problem(server, page, make_app, tmp_path):
    app = make_app()
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous en ligne")
        make_user(s, "squad_member", squads=[squad], email=EMAIL, password=PASSWORD)
        item = backlog.create_item(s, None, squad.id, title="Créneaux du samedi", points=3)
        s.commit()
        slug, item_id = squad.slug, item.id
    wrong, right = tmp_path / "faux.csv", tmp_path / "backlog.csv"
    wrong.write_text(f"{HEADER}{item_id};Créneaux du samedi;;trois;todo;;1;\r\n", encoding="utf-8")
    right.write_text(f"{HEADER}{item_id};Créneaux du samedi;;5;todo;;1;\r\n;Rappel par SMS;;;todo;;;\r\n", "utf-8")

    page.goto(server.url + "/agents/connexion")
    tab_to(page, "#id_email")
    page.keyboard.type(EMAIL)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/agents/equipes/{slug}$"))
    tab_to(page, "a[href$='/import']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Importer le backlog depuis un fichier CSV"
    assert_accessible(page)

    choose_file(page, wrong)
    assert page.title().startswith("Erreur : ")
    assert focused_id(page) == "error-summary"
    assert page.locator("#error-summary-title").inner_text().startswith("Le fichier contient 1 problème")
    row = page.locator("#problemes ~ div table tbody tr")
    assert row.count() == 1 and re.match(r"2\s+points\s+Points « trois »", row.first.inner_text())
    assert_accessible(page)
    tab_to(page, "#error-summary a[href='#problemes']")
    page.keyboard.press("Enter")
    assert focused_id(page) == "problemes"

    choose_file(page, right)
    assert focused_id(page) == "simulation"
    assert page.get_by_text("1 élément créé, 1 élément modifié, 0 élément inchangé").is_visible()
    assert_accessible(page)
    tab_to(page, "form[action$='/import/application'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/agents/equipes/{slug}#messages")
    assert page.get_by_text("Import du fichier : 1 élément créé, 1 modifié.").is_visible()
