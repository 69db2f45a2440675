"""A citizen files a report with the keyboard only; every page has zero axe-core violations
for WCAG 2.1 AA and RGAA 4."""

from __future__ import annotations

import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "RGAAv4"]},
    "resultTypes": ["violations"],
}


def assert_accessible(page) -> None:
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has focus (keyboard-only navigation)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with the keyboard")


def test_keyboard_only_report_then_confirmation_and_tracking(server, page):
    page.goto(server.url + "/")
    assert page.title().startswith("Signaler un irritant")
    assert_accessible(page)
    started = time.monotonic()

    tab_to(page, "#id_description")
    page.keyboard.type("Mon dossier de prime d'activité est bloqué depuis deux mois, sans aucune réponse.")
    tab_to(page, "#id_administration")
    page.keyboard.type("Caisse d")  # typeahead selects the option in a native select
    tab_to(page, "#id_territory")
    page.keyboard.type("59")
    tab_to(page, "input[name=channel]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=severity]")
    page.keyboard.press("Space")
    assert page.locator("#id_administration").input_value() == "caf"
    assert page.locator("#id_territory").input_value() == "59"
    # The honeypot is never reached with the keyboard.
    assert page.locator("input[name=site_web]").evaluate("e => e.tabIndex") == -1
    time.sleep(max(0.0, 1.2 - (time.monotonic() - started)))
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/confirmation$"))
    content = page.content()
    assert "bien été enregistré" in content
    reference = page.locator(".irritants-reference").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3}", reference)
    assert_accessible(page)

    tracking_url = page.locator("#tracking-url").input_value()
    page.goto(tracking_url)
    assert reference in page.content()
    assert "Reçu" in page.content()
    assert_accessible(page)


def test_errors_are_shown_next_to_fields_with_input_kept(server, page):
    page.goto(server.url + "/")
    page.fill("#id_description", "trop court")
    page.fill("#id_email", "pas-une-adresse")
    time.sleep(1.1)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#id_description").input_value() == "trop court"
    assert page.locator("#id_email").input_value() == "pas-une-adresse"
    assert "au moins 20 caractères" in page.locator("#id_description-error").inner_text()
    assert "adresse électronique valide" in page.locator("#id_email-error").inner_text()
    description = page.locator("#id_description")
    assert description.get_attribute("aria-invalid") == "true"
    assert "id_description-error" in description.get_attribute("aria-describedby")
    assert_accessible(page)


def test_static_pages_are_accessible(server, page):
    for path in ("/accessibilite", "/mentions-legales", "/donnees-personnelles", "/plan-du-site"):
        page.goto(server.url + path)
        assert_accessible(page)
