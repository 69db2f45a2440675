"""« Exporter les données »: the form, its errors, the notice of a large export and the list of one's background
exports, by keyboard, with zero axe-core violations (WCAG 2.1 AA, RGAA 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from irritants.db import get_db, utcnow
from irritants.exports.models import ExportRequest, ExportState
from tests.browser.test_admin_forms import sign_in
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_squad, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "pilotage.exports@beta.gouv.fr"


@pytest.fixture
def manager(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        make_squad(s, "Rendez-vous prefecture")
        user = make_user(s, "manager", email=EMAIL, password=PASSWORD)
        now = utcnow()
        for state, extra in (
            (ExportState.READY, {"rows": 25000, "file_name": "absent.csv", "expires_at": now + dt.timedelta(days=7)}),
            # Being built, its lease alive: the server's background runner leaves it (and writes no file).
            (ExportState.RUNNING, {"rows": 30000, "claimed_until": now + dt.timedelta(days=1)}),
            (ExportState.FAILED, {"rows": 40000, "error": "Filtres invalides."}),
        ):
            s.add(ExportRequest(requested_by_id=user.id, what="reports", format="csv", filters={}, state=state,
                                finished_at=now, **extra))  # fmt: skip
        s.commit()


def test_the_export_page_is_accessible(server, page, manager):
    sign_in(page, server.url, EMAIL)
    tab_to(page, "a[href='/agents/exports']")  # from the agents' space
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/agents/exports")
    assert page.get_by_label("Signalements").is_checked()
    page.goto(server.url + "/agents/exports?what=irritants&format=xlsx")
    assert page.locator("h1").inner_text() == "Exporter les données"
    assert page.get_by_label("Irritants").is_checked()
    assert page.locator("#exports-en-arriere-plan tbody tr").count() == 3
    assert_accessible(page)
    page.goto(server.url + "/agents/exports/fichier?what=reports&format=csv&territory=2C&from=2026-02-30")
    page.wait_for_selector("#error-summary")
    assert "Code de département invalide" in page.locator("#error-summary").inner_text()
    assert_accessible(page)
