"""« Est-ce résolu pour vous ? » in a real browser, with the keyboard: the tracking page of a fixed irritant's report
asks the question, one button answers, the answer shows and can be changed from a mail's link (confirmed by a
button). Zero axe-core violations with the question, after answering and on the confirmation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from irritants.db import get_db
from irritants.feedback.models import Answer, ResolutionAnswer
from irritants.intake.models import Report, Source
from irritants.intake.services import submit_report
from irritants.status import StatusKind
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import TEST_SECRET, make_cluster, report_payload

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def data(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        cluster = make_cluster(s, "Aucun créneau de rendez-vous", reports=2, status=StatusKind.FIXED)
        submission = submit_report(s, report_payload(), source=Source.API, secret_key=TEST_SECRET)
        s.get(Report, submission.report_id).cluster_id = cluster.id
        s.commit()
    yield app, submission.tracking_token, submission.report_id


def answers(app, report_id):
    with get_db(app).session_scope() as s:
        return list(s.scalars(select(ResolutionAnswer.answer).where(ResolutionAnswer.report_id == report_id)))


def test_a_reporter_answers_with_the_keyboard_then_confirms_another_answer_from_a_mail(server, page, data):
    app, token, report_id = data
    page.goto(f"{server.url}/suivi/{token}")
    assert "Est-ce résolu pour vous ?" in page.locator("#resolu").inner_text()
    assert_accessible(page)

    tab_to(page, "#resolu button[value=non]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/suivi/{token}#resolu")
    assert "« Non » est enregistrée" in page.locator(".fr-alert--success").inner_text()
    assert "Votre réponse actuelle : Non" in page.locator("#resolu").inner_text()
    assert answers(app, report_id) == [Answer.NO]
    assert_accessible(page)

    page.goto(f"{server.url}/suivi/{token}/resolu?reponse=en_partie")
    assert answers(app, report_id) == [Answer.NO]  # opening the link changed nothing
    assert_accessible(page)
    tab_to(page, "#resolu button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Votre réponse actuelle : En partie" in page.locator("#resolu").inner_text()
    assert answers(app, report_id) == [Answer.PARTLY]
