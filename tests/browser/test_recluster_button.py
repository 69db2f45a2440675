"""« Regrouper à nouveau les signalements » in a real browser on gunicorn: an administrator reaches the button at the
foot of the backlog with the keyboard, presses it, lands on the job's page, and sees it finished once the web
process's background thread has run it; both pages have zero axe-core violations (WCAG 2.1 AA, RGAA 4)."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from irritants.db import get_db
from irritants.intake.models import Report
from tests.browser.test_admin_forms import sign_in
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_report, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "admin.regroupement@beta.gouv.fr"
THEMES = (
    "Impossible d'obtenir un rendez-vous en préfecture pour mon titre de séjour, semaine {n}.",
    "Mon dossier de RSA à la CAF est bloqué depuis {n} mois, aucune réponse au téléphone.",
)


@pytest.fixture
def admin(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        make_user(s, "admin", email=EMAIL, password=PASSWORD)
        for i in range(8):
            make_report(s, description=THEMES[i % 2].format(n=i + 2))
        s.commit()
    return app


def test_an_admin_starts_a_recluster_with_the_keyboard_and_follows_it(server, page, admin):
    sign_in(page, server.url, EMAIL)
    page.goto(server.url + "/agents/irritants")
    assert_accessible(page)
    tab_to(page, "#regroupement button[type=submit]", limit=200)
    with page.expect_navigation(url=re.compile(r".*/agents/regroupements/\d+$")):
        page.keyboard.press("Enter")
    assert "Regroupement demandé" in page.locator("#messages").inner_text()
    assert_accessible(page)
    deadline = time.monotonic() + 60
    while "Regroupement terminé" not in page.content():
        assert time.monotonic() < deadline, page.locator("#etat").inner_text()
        time.sleep(0.5)
        page.reload()
    assert "8 signalements regroupés" in page.locator("#bilan").inner_text()
    assert_accessible(page)
    with get_db(admin).read_sessions() as s:
        assert all(s.scalars(select(Report.cluster_id)))
