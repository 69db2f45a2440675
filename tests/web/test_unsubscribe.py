"""« Ne plus recevoir de messages » : the link of every message (a confirmation with one button, without JavaScript;
the RFC 8058 one-click POST with nothing but the signed token) and the tracking page's button (CSRF)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from irritants.clusters.models import Support, SupportContact
from irritants.db import get_db, utcnow
from irritants.intake.models import Report, ReportContact
from irritants.intake.services import email_hmac
from irritants.notify.unsubscribe import token_for
from tests.conftest import TEST_SECRET, make_cluster, report_payload

EMAIL = "camille.martin@example.org"


@pytest.fixture
def followed(app, client) -> dict[str, str]:
    """Camille reported with an email (through the API) and said « moi aussi » with the same address elsewhere."""
    body = client.post("/api/v1/reports", json=report_payload(email=EMAIL, contact_consent=True)).get_json()
    with get_db(app).session_scope() as s:
        other = make_cluster(s, "Site de la CAF en panne", reports=1)
        support = Support(cluster_id=other.id, person_key="k" * 64)
        s.add(support)
        s.flush()
        now = utcnow()
        s.add(
            SupportContact(
                support_id=support.id,
                email=EMAIL.upper(),
                email_hmac=email_hmac(TEST_SECRET, EMAIL),
                consent_at=now,
                purge_after=now,
            )
        )
        s.commit()
    return {"tracking": f"/suivi/{body['tracking_token']}", "link": f"/desabonnement/{link_token()}"}


def link_token(email: str = EMAIL) -> str:
    return token_for(TEST_SECRET, email_hmac(TEST_SECRET, email))


def unsubscribed(app) -> list[bool]:
    with get_db(app).session_scope() as s:
        rows = [*s.scalars(select(ReportContact.unsubscribed_at)), *s.scalars(select(SupportContact.unsubscribed_at))]
        return [value is not None for value in rows]


def test_the_link_shows_a_confirmation_with_one_button_and_changes_nothing(app, client, followed):
    response = client.get(followed["link"])
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "<h1" in page and "Ne plus recevoir de messages" in page
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form.group(1) == followed["link"]
    assert form.group(2).count("<button") == 1 and "<input" not in form.group(2)  # nothing but the button
    assert unsubscribed(app) == [False, False]


def test_the_button_works_without_javascript_and_covers_reports_and_moi_aussi(app, client, followed):
    response = client.post(followed["link"])  # what the browser sends: no field, no token but the path's
    assert response.status_code == 200
    assert "Vous ne recevrez plus de messages" in response.get_data(as_text=True)
    assert unsubscribed(app) == [True, True]
    again = client.get(followed["link"]).get_data(as_text=True)
    assert "<button" not in again.split('id="desabonnement-etat"')[1].split("</main>")[0]
    assert client.post(followed["link"]).status_code == 200  # idempotent


def test_one_click_post_of_rfc_8058_needs_only_the_signed_token(app, followed):
    mail_client = app.test_client()  # no session, no cookie, no CSRF token
    response = mail_client.post(
        followed["link"], data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert unsubscribed(app) == [True, True]


@pytest.mark.parametrize("token", ["nimporte-quoi", "x" * 300])
def test_a_token_not_signed_by_the_service_is_a_404_and_changes_nothing(app, client, followed, token):
    assert client.get(f"/desabonnement/{token}").status_code == 404
    assert client.post(f"/desabonnement/{token}").status_code == 404
    forged = token_for("another-secret", email_hmac(TEST_SECRET, EMAIL))
    assert client.post(f"/desabonnement/{forged}").status_code == 404
    assert unsubscribed(app) == [False, False]


def test_another_address_keeps_its_messages(app, client, followed):
    assert client.post(f"/desabonnement/{link_token('autre@example.org')}").status_code == 200
    assert unsubscribed(app) == [False, False]


def test_the_tracking_page_offers_the_same_with_a_csrf_protected_form(app, client, followed):
    page = client.get(followed["tracking"]).get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page.split('id="desabonnement"')[1], re.S)
    assert form.group(1) == f"{followed['tracking']}/desabonnement"
    assert "Ne plus recevoir de messages" in form.group(2)
    assert app.test_client().post(form.group(1)).status_code == 400  # no CSRF token: refused
    assert unsubscribed(app) == [False, False]
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(2)).group(1)
    response = client.post(form.group(1), data={"csrf_token": csrf_token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{followed['tracking']}#desabonnement")
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "vous ne recevrez plus de messages par courriel" in after
    assert "Vous ne recevez plus de messages par courriel au sujet de ce signalement" in after
    assert unsubscribed(app) == [True, True]


def test_a_report_without_email_has_no_such_button(app, client):
    body = client.post("/api/v1/reports", json=report_payload()).get_json()
    page = client.get(f"/suivi/{body['tracking_token']}").get_data(as_text=True)
    assert "Ne plus recevoir de messages" not in page
    with get_db(app).session_scope() as s:
        assert s.scalar(select(Report.id)) is not None
