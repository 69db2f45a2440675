"""A product owner adds a webhook to their squad with the keyboard alone, reads its delivery log and rotates its
secret; every page, errors included, has zero axe-core violations (WCAG 2.1 AA, RGAA 4)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from irritants.db import get_db
from irritants.outbox import services as outbox
from irritants.outbox.models import OutboxAttempt
from irritants.webhooks.models import WebhookEndpoint
from irritants.webhooks.services import KIND, ref
from tests.browser.test_admin_forms import sign_in
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_squad, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "po.webhooks@beta.gouv.fr"
PAGE = "/agents/equipes/rendez-vous-prefecture/webhooks"


@pytest.fixture
def owner(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous prefecture")
        make_user(s, "product_owner", email=EMAIL, password=PASSWORD, squads=[squad])
        s.commit()
    return app


def test_a_product_owner_adds_a_webhook_reads_its_log_and_rotates_its_secret(server, page, owner):
    sign_in(page, server.url, EMAIL, lands=r".*/agents/equipes/rendez-vous-prefecture$")  # « mon équipe »
    page.goto(server.url + "/agents/equipes/rendez-vous-prefecture")
    tab_to(page, f"a[href='{PAGE}']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_url")
    assert "Aucun webhook pour l’instant." in page.content()
    assert_accessible(page)

    # Sent without an event: the summary takes the focus and names the check boxes.
    tab_to(page, "#id_url")
    page.keyboard.type("https://outil.exemple.fr/irritants")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    assert "Choisissez au moins un événement" in page.locator("#error-summary").inner_text()
    assert_accessible(page)

    tab_to(page, "#id_events")
    page.keyboard.press("Space")
    tab_to(page, f"form[action='{PAGE}'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#nouveau-secret")
    assert page.locator("#id_secret").input_value().startswith("whsec_")
    assert_accessible(page)

    with get_db(owner).session_scope() as s:
        endpoint = s.scalars(select(WebhookEndpoint)).one()
        for status, code in (("sent", 200), ("pending", 500)):
            payload = {"endpoint_id": endpoint.id, "event": "irritant.status_changed", "delivery_id": f"d-{code}"}
            message = outbox.queue(s, KIND, payload | {"body": "{}"}, topic="webhook", ref=ref(endpoint.id))
            error = None if code == 200 else "HTTP 500"
            message.status, message.attempts, message.last_error = status, 1, error
            s.add(OutboxAttempt(message_id=message.id, ok=code == 200, status_code=code, duration_ms=42, error=error))
        s.commit()
        endpoint_id = endpoint.id
    tab_to(page, f"a[href='{PAGE}/{endpoint_id}']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#journal")
    assert "HTTP 500" in page.locator("#journal").inner_text()
    assert_accessible(page)

    tab_to(page, f"form[action='{PAGE}/{endpoint_id}/secret'] button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#nouveau-secret")
    assert page.locator("#id_secret").input_value().startswith("whsec_")
    assert_accessible(page)
