"""A moderator masks a passage the detector missed, in a real browser: select it in the report, « Ajouter le texte
sélectionné », preview, publish. Pages have zero axe-core violations."""

from __future__ import annotations

import re

import pytest

from irritants.db import get_db
from irritants.intake.models import Moderation, Report
from tests.browser.test_report_form import assert_accessible
from tests.conftest import PASSWORD, make_cluster, make_report, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "moderation@beta.gouv.fr"
TEXT = "Le conseiller Kévin du guichet 4 de Roubaix refuse mon dossier, rappelez-moi au 06 12 34 56 78."
MISSED = "Kévin du guichet 4"

SELECT = """([id, passage]) => {
  const node = [...document.getElementById(id).childNodes].find((n) => n.nodeType === 3 && n.data.includes(passage));
  const start = node.data.indexOf(passage);
  const range = document.createRange();
  range.setStart(node, start);
  range.setEnd(node, start + passage.length);
  window.getSelection().removeAllRanges();
  window.getSelection().addRange(range);
}"""


@pytest.fixture
def held(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        make_user(s, "product_owner", email=EMAIL, password=PASSWORD)
        cluster = make_cluster(s, "Dossiers refusés au guichet", reports=1)
        report = make_report(s, cluster=cluster, description=TEXT)
        s.commit()
        return app, report.id


def test_a_moderator_selects_a_missed_name_previews_and_publishes_it_masked(server, page, held):
    app, report_id = held
    page.goto(server.url + "/agents/moderation")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/agents/moderation$"))
    add = page.locator(f'button[data-masquer="masquer-{report_id}"]')
    assert add.is_visible()  # shown by static/js/moderation.js
    assert_accessible(page)

    page.evaluate(SELECT, [f"texte-{report_id}", MISSED])
    add.click()
    assert page.input_value(f"#masquer-{report_id}") == MISSED
    page.click(f'#signalement-{report_id} button[formaction$="/apercu"]')
    page.wait_for_url(re.compile(rf".*/agents/moderation/{report_id}/apercu$"))
    assert "Le conseiller [masqué] de Roubaix refuse mon dossier" in page.locator("#apercu + blockquote").inner_text()
    assert_accessible(page)

    page.click("button[name=decision][value=publish]")
    page.wait_for_url(re.compile(r".*/agents/moderation$"))
    assert "1 passage masqué" in page.content()
    with get_db(app).session_scope() as s:
        report = s.get(Report, report_id)
        assert report.moderation == Moderation.PUBLISHED and MISSED not in report.description
