"""The public list of irritants, its roadmap and the public statistics in a real browser: searched and filtered
from the form, « C'est aussi mon cas » from a card back to the same list, the roadmap's columns, the statistics'
table and map; zero axe-core violations on each page."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from irritants.db import get_db
from irritants.french import today
from irritants.intake.models import Report
from tests.browser.test_report_form import assert_accessible
from tests.conftest import make_squad
from tests.web.test_public_irritants import irritant

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def data(make_app):
    app = make_app()
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Aides au logement")
        fixed = irritant(
            s,
            "Aide au logement suspendue",
            reports=11,
            status="fixed",
            squad=squad,
            score=3.0,
            fixed_on=today() - dt.timedelta(days=6),
        )
        for report in s.scalars(select(Report).where(Report.cluster_id == fixed.id)):
            report.created_at = report.created_at - dt.timedelta(days=30)
        planned = irritant(
            s,
            "Préfecture : aucun rendez-vous en ligne",
            admin="prefecture",
            territory="2A",
            reports=2,
            people=9,
            status="planned",
            squad=squad,
            score=8.0,
        )
        irritant(
            s, "Dossier de RSA bloqué", procedure="demande-rsa", reports=3, status="in_progress", squad=squad, score=5.0
        )
        irritant(s, "Carte Vitale jamais reçue", admin="assurance-maladie", territory="75", reports=2, score=1.0)
        s.commit()
        yield {"fixed": fixed.id, "planned": planned.id}


def test_the_list_searches_filters_and_counts_me_too_accessibly(server, page, data):
    page.goto(f"{server.url}/irritants")
    assert page.locator("h1").inner_text() == "Les irritants"
    assert page.locator("#irritants > li").count() == 4
    assert_accessible(page)

    page.fill("#id_q", "PREFECTURE")
    page.click("#filtres button[type=submit]")
    assert page.locator("#irritants > li").count() == 1
    assert "q=PREFECTURE" in page.url
    page.select_option("#id_sort", "people")
    page.click("#filtres button[type=submit]")
    assert "sort=people" in page.url and "q=PREFECTURE" in page.url

    page.click(f"#moi-aussi-{data['planned']}")
    assert page.url.endswith("#messages") and "q=PREFECTURE" in page.url and "sort=people" in page.url
    assert "nous avons ajouté votre voix" in page.locator("#messages").inner_text()
    # Counts are recomputed from the stored reports and supports: its 2 reports and this voice.
    assert "3 personnes concernées" in page.locator(f"#irritant-{data['planned']}").inner_text()
    assert_accessible(page)


def test_the_roadmap_shows_three_columns_accessibly(server, page, data):
    page.goto(f"{server.url}/irritants/feuille-de-route")
    assert page.locator("#feuille-de-route > section").count() == 3
    assert page.locator(f"#colonne-planned #carte-{data['planned']}").count() == 1
    assert "Aides au logement" in page.locator(f"#colonne-fixed #carte-{data['fixed']}").inner_text()
    assert page.locator(f"#carte-{data['fixed']}-effet").count() == 1
    assert_accessible(page)


def test_the_statistics_show_the_table_the_map_and_the_method_accessibly(server, page, data):
    page.goto(f"{server.url}/statistiques")
    assert page.locator("h1").inner_text() == "Statistiques"
    caf = page.locator("#administration-caf").inner_text()
    assert "14" in caf and "100 %" in caf.replace("\u202f", " ")
    assert "moins de 10 signalements" in page.locator("#administration-prefecture").inner_text()
    assert page.locator("svg#carte a").count() > 90
    assert page.locator(f"#correctif-{data['fixed']}").count() == 1
    assert page.locator("#methode dt").count() >= 5
    assert_accessible(page)
