"""A reporter's follow-up in a real browser, with the keyboard: the tracking page with a conversation (a question of
the team, an answer typed and sent), « lien de suivi perdu » and its one answer, the withdrawal's confirmation, and
the agents' « Questions aux personnes »; zero axe-core violations on each."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from irritants.conversations.models import Direction, ReportMessage
from irritants.db import get_db
from irritants.intake.models import Report, Source
from irritants.intake.services import submit_report
from tests.browser.test_backoffice import open_section
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, TEST_SECRET, make_cluster, make_squad, make_user, report_payload

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "responsable.questions@beta.gouv.fr"
QUESTION = "Depuis quand le site refuse-t-il votre dossier ?"
ANSWER = "Depuis le mois de mars, à chaque envoi."


@pytest.fixture
def data(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        po = make_user(s, "product_owner", squads=[squad], email=EMAIL, password=PASSWORD)
        cluster = make_cluster(s, "Aucun créneau de rendez-vous", squad_id=squad.id)
        payload = report_payload(email="camille@example.org", contact_consent=True)
        submission = submit_report(s, payload, source=Source.API, secret_key=TEST_SECRET)
        s.get(Report, submission.report_id).cluster_id = cluster.id
        s.add(
            ReportMessage(
                report_id=submission.report_id, direction=Direction.TO_REPORTER, body=QUESTION, personal_data=[],
                author_id=po.id,
            )
        )  # fmt: skip
        s.commit()
        yield app, cluster.id, submission.tracking_token


def test_the_author_answers_the_teams_question_with_the_keyboard(server, page, data):
    app, cluster_id, token = data
    page.goto(f"{server.url}/suivi/{token}")
    assert QUESTION in page.locator("#echanges + ol").inner_text()
    assert_accessible(page)

    tab_to(page, "#id_body")
    page.keyboard.type(ANSWER)
    tab_to(page, "form[action$='/messages'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "transmis à l’équipe" in page.locator(".fr-alert--success").inner_text()
    assert ANSWER in page.locator("#echanges + ol").inner_text()
    assert_accessible(page)
    with get_db(app).session_scope() as s:
        answered = s.scalar(select(ReportMessage).where(ReportMessage.direction == Direction.FROM_REPORTER))
        assert answered.body == ANSWER and answered.in_reply_to_id is not None

    page.goto(f"{server.url}/suivi/{token}/retirer")
    assert_accessible(page)

    page.goto(server.url + "/agents/connexion")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Se connecter')")
    page.goto(f"{server.url}/agents/irritants/{cluster_id}")
    open_section(page, "questions")
    assert ANSWER in page.locator("#questions-contenu").inner_text()
    assert_accessible(page)


def test_lost_link_gives_its_one_answer(server, page):
    page.goto(f"{server.url}/suivi/retrouver")
    assert_accessible(page)
    tab_to(page, "#id_email")
    page.keyboard.type("personne@example.org")
    tab_to(page, "form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Si cette adresse a servi à suivre un signalement" in page.locator("main").inner_text()
    assert_accessible(page)
