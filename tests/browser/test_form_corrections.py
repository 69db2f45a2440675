"""The report form in a real browser: a citizen who sends too soon and corrects fast gets through, and the
démarche list follows the chosen administration (with JavaScript; grouped by administration without)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.browser.test_report_form import assert_accessible
from tests.gunicorn_server import Gunicorn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Long enough that a page load and a scripted send on a loaded 2-core machine (four test workers, a browser each)
# stay well within it: at 3 s the « too fast » send was, once in a full run, no longer too fast.
MIN_FILL = 6.0


@pytest.fixture
def slow_form_server(servers, make_app) -> Iterator[Gunicorn]:
    make_app()  # cleans the reports this test creates
    with servers.fresh({"IRRITANTS_FORM_MIN_FILL_SECONDS": str(MIN_FILL)}) as running:
        yield running


def test_an_empty_quick_send_shows_field_errors_then_a_fast_correction_succeeds(slow_form_server, page):
    page.goto(slow_form_server.url + "/")
    shown = time.monotonic()
    page.click("button[type=submit]")  # at once, empty
    page.wait_for_load_state()
    assert "trop vite" not in page.content()
    assert "au moins 20 caractères" in page.locator("#id_description-error").inner_text()
    assert "obligatoire" in page.locator("#id_administration-error").inner_text()
    assert page.locator("#id_description").get_attribute("aria-invalid") == "true"

    page.fill("#id_description", "Mon dossier de prime d'activité est bloqué depuis deux mois, sans réponse.")
    page.select_option("#id_administration", "caf")
    page.select_option("#id_territory", "59")
    page.check("input[name=channel]", force=True)
    page.check("input[name=severity]", force=True)
    # Past the minimum counted from the first display, yet well within it counted from the re-render.
    time.sleep(max(0.0, MIN_FILL + 0.3 - (time.monotonic() - shown)))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/confirmation$"))
    assert "bien été enregistré" in page.content()


def test_too_fast_keeps_the_input_and_the_next_send_is_accepted(slow_form_server, page):
    # A first display pays once for what a freshly forked worker and a new browser context do the first time
    # (templates compiled, database connections opened, styles and fonts fetched): 3 to 4 s of the minimum on a
    # loaded machine, which left the « too fast » send, once in a while, no longer too fast. The form timed is the
    # second display, sent as soon as its document is there (its styles and fonts are not what a send waits for).
    page.goto(slow_form_server.url + "/")
    page.goto(slow_form_server.url + "/", wait_until="domcontentloaded")
    description = "Impossible de prendre rendez-vous en préfecture pour mon titre de séjour depuis six semaines."
    # Filled and sent in one go, well within the minimum fill time even on a busy machine (typing field by field
    # can take longer than the minimum there, and the send would then rightly be accepted).
    with page.expect_navigation():
        page.evaluate(
            """description => {
            document.querySelector("#id_description").value = description;
            document.querySelector("#id_administration").value = "prefecture";
            document.querySelector("#id_territory").value = "13";
            document.querySelector("input[name=channel]").checked = true;
            document.querySelector("input[name=severity]").checked = true;
            document.querySelector("button[type=submit]").click();
        }""",
            description,
        )
    page.wait_for_load_state()
    assert "envoyé trop vite" in page.content()
    assert page.locator("#id_description").input_value() == description
    assert page.locator("#id_administration").input_value() == "prefecture"
    time.sleep(MIN_FILL)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/confirmation$"))


def procedure_groups(page) -> list[str]:
    return page.eval_on_selector_all("#id_procedure optgroup", "groups => groups.map(g => g.dataset.group)")


def test_the_demarche_list_follows_the_administration_and_says_so(server, page):
    page.goto(server.url + "/")
    all_groups = procedure_groups(page)
    assert len(all_groups) > 20  # nothing chosen: every administration's démarches
    page.select_option("#id_administration", "caf")
    assert procedure_groups(page) == ["caf"]
    labels = page.eval_on_selector_all("#id_procedure option", "options => options.map(o => o.value)")
    assert labels[0] == "" and len(labels) == 1 + 8
    status = page.locator("#id_procedure-status")
    assert status.get_attribute("role") == "status"
    page.wait_for_function("() => document.getElementById('id_procedure-status').textContent.includes('8 démarches')")
    # The select keeps its label; a démarche of another administration is dropped when the administration changes.
    assert page.locator("label[for=id_procedure]").inner_text().startswith("Démarche concernée")
    page.select_option("#id_procedure", index=1)
    page.select_option("#id_administration", "prefecture")
    assert procedure_groups(page) == ["prefecture"]
    assert page.locator("#id_procedure").input_value() == ""
    page.select_option("#id_administration", "")
    assert procedure_groups(page) == all_groups
    assert_accessible(page)


def test_without_javascript_the_demarches_are_grouped_by_administration(browser, server):
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        groups = page.eval_on_selector_all(
            "#id_procedure optgroup", "groups => groups.map(g => [g.dataset.group, g.label])"
        )
        assert ["caf", "Caisse d'allocations familiales"] in groups and len(groups) > 20
        assert page.locator("#id_procedure-status").count() == 0
    finally:
        context.close()
