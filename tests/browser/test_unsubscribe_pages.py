"""« Ne plus recevoir de messages » and the « moi aussi » email in a real browser: the message's link (a confirmation
with one button), the tracking page's button, the irritant page's optional email and its French errors; zero axe-core
violations on each page."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from irritants.clusters.models import SupportContact
from irritants.db import get_db
from irritants.intake.models import ReportContact
from irritants.notify.unsubscribe import token_for
from irritants.tokens import email_hmac
from tests.browser.test_report_form import assert_accessible
from tests.conftest import make_cluster, report_payload

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "camille.martin@example.org"


def _unsubscribed(app) -> list[bool]:
    with get_db(app).session_scope() as s:
        rows = [*s.scalars(select(ReportContact.unsubscribed_at)), *s.scalars(select(SupportContact.unsubscribed_at))]
        return [value is not None for value in rows]


def test_the_messages_link_and_the_tracking_page_unsubscribe_without_javascript(server, page, make_app):
    app = make_app()
    filed = requests.post(
        server.url + "/api/v1/reports", json=report_payload(email=EMAIL, contact_consent=True), timeout=10
    )
    assert filed.status_code == 201, filed.text

    page.goto(f"{server.url}/suivi/{filed.json()['tracking_token']}")
    assert "Nous vous écrivons" in page.locator("#desabonnement-etat").inner_text()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Ne plus recevoir de messages").click()
    assert "vous ne recevrez plus de messages" in page.locator(".fr-alert--success").inner_text()
    assert "Vous ne recevez plus de messages" in page.locator("#desabonnement-etat").inner_text()
    assert _unsubscribed(app) == [True]
    assert_accessible(page)


def test_the_link_of_a_message_asks_once_then_confirms(server, page, make_app):
    app = make_app()
    requests.post(server.url + "/api/v1/reports", json=report_payload(email=EMAIL, contact_consent=True), timeout=10)
    secret = "gunicorn-test-secret"  # the test servers' (tests/gunicorn_server.py)
    page.goto(f"{server.url}/desabonnement/{token_for(secret, email_hmac(secret, EMAIL))}")
    assert page.locator("h1").inner_text() == "Ne plus recevoir de messages"
    assert page.get_by_role("button").filter(has_text="Ne plus recevoir de messages").count() == 1
    assert _unsubscribed(app) == [False]  # opening the link changes nothing
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Ne plus recevoir de messages").click()
    assert page.locator("#desabonnement-fait h1").inner_text() == "Vous ne recevrez plus de messages"
    assert _unsubscribed(app) == [True]
    assert_accessible(page)


def test_moi_aussi_with_an_email_says_what_to_correct_then_keeps_it(server, page, make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        cluster = make_cluster(s, "Rendez-vous introuvables en préfecture", reports=1)
        s.commit()
        cluster_id = cluster.id
    page.goto(f"{server.url}/irritants/{cluster_id}")
    page.fill("#id_email", EMAIL)
    with page.expect_navigation():
        page.get_by_role("button", name="C’est aussi mon cas").click()
    summary = page.locator("#error-summary")
    assert "Le formulaire contient une erreur" in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#id_email").input_value() == EMAIL
    assert_accessible(page)
    page.locator("label[for=id_contact_consent]").click()
    with page.expect_navigation():
        page.get_by_role("button", name="C’est aussi mon cas").click()
    assert "Votre adresse est enregistrée" in page.locator("main").inner_text()
    assert EMAIL not in page.content()
    assert_accessible(page)
    with get_db(app).session_scope() as s:
        assert s.scalar(select(SupportContact.email)) == EMAIL
