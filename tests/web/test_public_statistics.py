"""The public statistics (``/statistiques``): per administration, reports received, share fixed against closed
without a fix, fixes per 1,000 reports and the median days to fix, never a rate under 10 reports; the changelog of
fixes with squads and fix effects; the map by département; the method; the open data links; no personal data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from irritants.db import get_db, utcnow
from irritants.french import PARIS, today
from irritants.intake.models import Report
from irritants.public import statistics
from tests.conftest import make_squad
from tests.web.test_public_irritants import SECRET_EMAIL, irritant

# Noon in Paris 20 days ago: 20 Paris days before today whatever the hour and the clock changes.
DAYS_AGO_20 = dt.datetime.combine(today() - dt.timedelta(days=20), dt.time(12), tzinfo=PARIS).astimezone(dt.UTC)


@pytest.fixture
def world(app):
    """The CAF: 12 reports (8 in an irritant fixed 15 days after its first report, 2 closed without a fix, 2 open,
    one of them with an email in its text); the Assurance Maladie: 3 reports and one rejected by moderation (received
    all the same); a report of last year is out of the period."""
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Aides au logement")
        fixed = irritant(
            s,
            "Aide au logement suspendue",
            reports=8,
            status="fixed",
            squad=squad,
            fixed_on=today() - dt.timedelta(days=5),
        )
        for report in reports_of(s, fixed):
            report.created_at = DAYS_AGO_20
        irritant(s, "Prime d'activité refusée", reports=2, status="closed_not_fixed")
        irritant(s, "Numéro de la CAF saturé", reports=2, text=f"Appelez ma fille au 06 12 34 56 78 ou {SECRET_EMAIL}")
        irritant(s, "Carte Vitale jamais reçue", admin="assurance-maladie", territory="75", reports=3)
        old = irritant(s, "Vieux souci", admin="assurance-maladie", territory="75", reports=1)
        for report in reports_of(s, old):
            report.created_at = utcnow() - dt.timedelta(days=400)
        rejected = irritant(s, "Texte injurieux", admin="assurance-maladie", territory="75", reports=1)
        for report in reports_of(s, rejected):
            report.moderation = "rejected"
        s.commit()
        return {"fixed": fixed.id, "squad": squad.slug}


def reports_of(s, cluster):
    return list(s.scalars(select(Report).where(Report.cluster_id == cluster.id)))


def row(html: str, slug: str) -> list[str]:
    """The cells of an administration's row, tags removed."""
    tr = html.split(f'id="administration-{slug}"')[1].split("</tr>")[0]
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


def test_figures_per_administration_are_rates_over_ten_reports_and_counts_under(client, world):
    response = client.get("/statistiques")
    assert response.status_code == 200
    html = response.get_data(as_text=True).replace("\u202f", " ")
    assert row(html, "caf") == [
        "Caisse d'allocations familiales".replace("'", "&#39;"),
        "12",
        "80 % (8 sur 10)",
        "83,3 (1 correctif)",
        "15 jours (sur 1 irritant)",
    ]
    assert row(html, "assurance-maladie")[1:] == ["4", *["moins de 10 signalements"] * 3]
    assert row(html, "ensemble")[1] == "16"
    assert html.index('id="administration-caf"') < html.index('id="administration-assurance-maladie"')


def test_a_share_over_fewer_than_ten_closed_reports_is_not_given(app, client):
    with get_db(app).session_scope() as s:
        irritant(s, "Aide au logement suspendue", reports=9, status="fixed", fixed_on=today())
        irritant(s, "Dossier ouvert", reports=3)
        s.commit()
    html = client.get("/statistiques").get_data(as_text=True)
    assert row(html, "caf")[2] == "moins de 10 signalements clos"


def test_the_changelog_names_the_fix_its_date_squad_and_effect(client, world):
    html = client.get("/statistiques").get_data(as_text=True)
    log = html.split('id="journal"')[1].split("</ol>")[0]
    assert f'href="/irritants/{world["fixed"]}"' in log and "Aide au logement suspendue" in log
    assert (today() - dt.timedelta(days=5)).isoformat() in log
    assert f'href="/startups/{world["squad"]}">Aides au logement</a>' in log
    assert "rapport des signalements hebdomadaires après/avant" in log
    assert "Prime d&#39;activité refusée" not in log  # closed without a fix: not a fix


def test_the_period_comes_from_the_url_and_a_wrong_one_is_named(client, world):
    before = client.get("/statistiques?from=2020-01-01&to=2020-12-31").get_data(as_text=True)
    assert (
        "Aucun signalement reçu sur cette période." in before and "Aucun correctif livré sur cette période." in before
    )
    wrong = client.get("/statistiques?from=demain").get_data(as_text=True)
    assert "Date de début invalide (AAAA-MM-JJ)." in wrong and 'id="administration-caf"' in wrong


def test_the_map_gives_rates_per_inhabitants_only_over_ten_reports(client, world):
    html = client.get("/statistiques").get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")
    assert 'id="carte"' in html and "Signalements pour 100 000 habitants, par département" in html
    assert re.search(r'aria-label="Nord : [\d,]+ signalements pour 100 000 habitants"', html)
    assert 'aria-label="Paris : sans donnée"' in html
    assert "4 (moins de 10 signalements : pas de taux)" in html
    assert 'href="/irritants?territory=59"' in html  # each département leads to its irritants


def test_the_page_explains_its_method_and_links_the_open_data(client, world):
    html = client.get("/statistiques").get_data(as_text=True)
    method = html.split('id="methode"')[1].split("</section>")[0]
    for term in ("Signalements reçus", "Part corrigée", "pour 1 000 signalements", "Délai médian", "Moins de 10"):
        assert term in method
    for name in ("irritants.csv", "signalements.csv", "datapackage.json"):
        assert f'href="/statistiques/donnees/{name}"' in html


def test_no_personal_data_nor_report_text_is_shown(client, world):
    html = client.get("/statistiques").get_data(as_text=True)
    main = html.split("<main")[1].split("</main>")[0]
    assert SECRET_EMAIL not in main and "06 12 34 56 78" not in main and "Appelez ma fille" not in main
    assert not re.search(r"[\w.+-]+@[\w-]+\.\w+", main)  # no address of any kind


def test_the_figures_of_a_period_are_kept_five_minutes_and_say_when_they_were_computed(app, client, monkeypatch):
    def caf_reports():
        html = client.get("/statistiques").get_data(as_text=True)
        assert "Chiffres calculés le <time" in html
        return row(html, "caf")[1]

    def one_more():
        with get_db(app).session_scope() as s:
            irritant(s, "Encore un souci", reports=1)
            s.commit()

    one_more()
    assert caf_reports() == "1"
    one_more()
    assert caf_reports() == "1"  # the same figures, from this process's cache
    monkeypatch.setattr(statistics, "CACHE_SECONDS", 0)
    app.extensions[statistics._EXTENSION].clear()
    assert caf_reports() == "2"
    one_more()
    assert caf_reports() == "3"  # nothing kept: computed again
