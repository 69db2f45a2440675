"""The managers' dashboard through the real HTTP stack: who may see it, its filters in the URL with French messages,
its figures against the previous period, and the link from every figure to the irritants behind it."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from irritants.db import get_db
from irritants.french import PARIS
from irritants.squads.models import Squad
from tests.conftest import make_cluster, make_report, make_squad

DASHBOARD = "/agents/tableau-de-bord"


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


def days_ago(days: int) -> dt.datetime:
    now = dt.datetime.now(PARIS).replace(hour=12, minute=0, second=0, microsecond=0)
    return (now - dt.timedelta(days=days)).astimezone(dt.UTC)


@pytest.fixture
def app(make_app):
    """Figures computed at each request: the short cache per filter set would carry one test's figures into the
    next (same filters, another database content)."""
    return make_app(DASHBOARD_CACHE_SECONDS=0)


def build_world(app) -> dict[str, int | str]:
    """A squad's irritant with five reports in the Nord this period, two last period, and one report elsewhere."""
    with app.app_context(), get_db(app).session_scope() as s:
        squad = make_squad(s, "Aides sociales")
        cluster = make_cluster(s, "Dossier RSA bloqué à la CAF", reports=0, squad_id=squad.id)
        for i in range(5):
            make_report(s, cluster=cluster, territory="59", created_at=days_ago(3 + i))
        for i in range(2):
            make_report(s, cluster=cluster, territory="59", created_at=days_ago(100 + i))
        other = make_cluster(s, "Rendez-vous introuvables en préfecture", reports=0)
        make_report(s, cluster=other, territory="75", channel="en_ligne", created_at=days_ago(10))
        s.commit()
        return {"squad": squad.slug, "squad_id": squad.id, "cluster": cluster.id, "other": other.id}


@pytest.fixture
def world(app):
    return build_world(app)


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_see_the_dashboard_and_it_is_in_their_header(client, login, world, role):
    login(role)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    page = text_of(response)
    assert '<h1 class="fr-mt-2w">Tableau de bord</h1>' in page
    assert 'href="/agents/tableau-de-bord">Tableau de bord</a>' in page  # the header's link
    assert "comparé à la période précédente de même durée" in page
    assert "Chiffres calculés le" in page


@pytest.mark.parametrize("role", ["product_owner", "squad_member"])
def test_product_owners_and_squad_members_are_refused_and_not_offered_the_link(app, client, login, world, role):
    with app.app_context(), get_db(app).session_scope() as s:
        squad = s.get(Squad, world["squad_id"])
    login(role, squads=[squad])
    response = client.get(DASHBOARD)
    assert response.status_code == 403
    assert "réservé au pilotage" in text_of(response)
    assert "/agents/tableau-de-bord" not in text_of(client.get("/agents/"))


def test_anonymous_callers_are_sent_to_sign_in(client, world):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "/agents/connexion" in response.headers["Location"]


def test_the_filters_stay_in_the_address_and_the_form_shows_them(client, login, world):
    login("manager")
    today = dt.datetime.now(PARIS).date()
    start = today - dt.timedelta(days=29)
    query = (
        f"from={start.isoformat()}&to={today.isoformat()}&administration=caf&territory=59&severity=rupture_de_droits"
    )
    page = text_of(client.get(f"{DASHBOARD}?{query}&squad={world['squad']}"))
    assert "Certains filtres ont été ignorés" not in page
    assert f'value="{start.isoformat()}"' in page
    assert re.search(r'<option value="caf" selected>', page)
    assert re.search(r'<option value="59" selected>', page)
    assert re.search(rf'<option value="{world["squad"]}" selected>', page)
    share = re.search(r'id="adresse-partage">([^<]+)<', page).group(1)
    assert parse_qs(urlsplit(share).query) == {
        "from": [start.isoformat()],
        "to": [today.isoformat()],
        "administration": ["caf"],
        "territory": ["59"],
        "severity": ["rupture_de_droits"],
        "squad": [world["squad"]],
    }
    assert "(30 jours)" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-45", "Du : Date de début invalide (AAAA-MM-JJ)."),
        ("to=demain", "Au : Date de fin invalide (AAAA-MM-JJ)."),
        ("from=2026-03-01&to=2026-02-01", "Du : La date de début doit précéder la date de fin."),
        ("administration=nulle-part", "Administration : Administration inconnue."),
        ("territory=99", "Département : Département inconnu."),
        ("territory=59&region=32", "Région : Choisissez un département ou une région, pas les deux."),
        ("channel=pigeon", "Canal : Canal inconnu."),
        ("severity=grave", "Gravité signalée : Gravité inconnue."),
        ("squad=personne", "Start-up d’État : Start-up d'État inconnue."),
    ],
)
def test_a_wrong_filter_is_left_out_with_a_french_message_and_the_page_still_shows_figures(
    client, login, world, query, message
):
    login("manager")
    response = client.get(f"{DASHBOARD}?{query}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Certains filtres ont été ignorés" in page
    assert message in page
    assert 'aria-invalid="true"' in page
    assert 'id="chiffres-cles"' in page


def tile(page: str, tile_id: str) -> str:
    found = re.search(rf'id="chiffre-{tile_id}">(.*?)</li>', page, re.S)
    assert found, tile_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_key_figures_compare_the_period_with_the_previous_one_and_lead_to_the_backlog(client, login, world):
    login("manager")
    today = dt.datetime.now(PARIS).date()
    start = today - dt.timedelta(days=89)
    page = text_of(client.get(f"{DASHBOARD}?from={start.isoformat()}&to={today.isoformat()}"))
    # Six reports in the last 90 days (five in the Nord, one in Paris), two in the 90 days before.
    assert tile(page, "signalements").startswith("Signalements reçus 6 Période précédente : 2 (+200 %)")
    assert "Irritants ouverts sans start-up d’État 1" in tile(page, "orphelins")
    everything = re.search(r'id="chiffre-signalements">.*?href="([^"]+)"', page, re.S).group(1)
    assert everything == "/agents/irritants?period=90j"
    orphans = re.search(r'id="chiffre-orphelins">.*?href="([^"]+)"', page, re.S).group(1)
    assert parse_qs(urlsplit(orphans).query) == {"squad": ["none"], "period": ["90j"]}


def test_every_irritant_listed_links_to_its_page_and_the_map_to_the_backlog_by_departement(client, login, world):
    login("manager")
    page = text_of(client.get(DASHBOARD))
    hrefs = links(page)
    assert f"/agents/irritants/{world['cluster']}" in hrefs  # top irritants
    assert f"/agents/irritants/{world['other']}" in hrefs  # the orphan
    nord = re.search(r'<a class="irritants-map__area" href="([^"]+)" aria-label="Nord : ([^"]+)"', page)
    assert nord, "the Nord is a link on the map"
    assert parse_qs(urlsplit(nord.group(1)).query) == {"territory": ["59"], "period": ["90j"]}
    # Five reports for the Nord's inhabitants (INSEE population shipped with the reference data).
    from irritants.referential import geography

    rate = 5 * 100_000 / geography.populations()["59"]
    assert nord.group(2) == f"{rate:.1f}".replace(".", ",") + " signalements pour 100\u00a0000 habitants"
    assert 'aria-label="Ain : 0 signalements pour 100\u00a0000 habitants"' in page


def test_a_region_leaves_the_other_departements_without_data_and_a_channel_links_to_the_dashboard(client, login, world):
    login("manager")
    page = text_of(client.get(f"{DASHBOARD}?region=32"))  # Hauts-de-France
    assert 'aria-label="Nord : ' in page and "Paris : sans donnée" in page
    page = text_of(client.get(DASHBOARD))
    channel_row = re.search(r'id="canaux-tableau".*?</table>', page, re.S).group(0)
    assert "/agents/tableau-de-bord?" in channel_row and "channel=telephone" in html.unescape(channel_row)
    admin_row = re.search(r'id="administrations-tableau".*?</table>', page, re.S).group(0)
    assert "/agents/irritants?administration=caf" in html.unescape(admin_row)


def test_each_chart_has_its_table_and_the_squads_their_phase(client, login, world):
    login("admin")
    page = text_of(client.get(DASHBOARD))
    for section in ("arrivees", "top-irritants", "administrations", "canaux", "startups"):
        assert f'id="{section}-graphique"' in page, section
        assert f'id="{section}-tableau"' in page, section
    startups = re.search(r'id="startups-tableau".*?</table>', page, re.S).group(0)
    assert "/agents/equipes/aides-sociales" in startups and "Investigation" in startups


def test_a_correspondant_reads_their_administrations_figures_whatever_the_address_says(app, client, world):
    from sqlalchemy import select

    from irritants.referential.models import Administration
    from tests.conftest import make_user, sign_in

    with app.app_context(), get_db(app).session_scope() as s:
        user = make_user(s, "correspondant")
        user.administration_id = s.scalar(select(Administration.id).where(Administration.slug == "caf"))
        s.commit()
    sign_in(client, user)
    page = text_of(client.get(f"{DASHBOARD}?administration=nulle-part"))
    assert "Certains filtres ont été ignorés" not in page
    assert "les chiffres de la vôtre seulement" in page
    assert 'name="administration"' not in page
    share = re.search(r'id="adresse-partage">([^<]+)<', page).group(1)
    assert parse_qs(urlsplit(share).query)["administration"] == ["caf"]


def test_the_page_says_when_its_figures_were_computed_and_how_late_the_cache_may_be(make_app, world):
    from irritants.insights import cache
    from tests.conftest import make_user, sign_in

    app = make_app(DASHBOARD_CACHE_SECONDS=60)
    client = app.test_client()
    with app.app_context(), get_db(app).session_scope() as s:
        user = make_user(s, "manager")
        s.commit()
    sign_in(client, user)
    cache._local.clear()
    try:
        page = text_of(client.get(DASHBOARD))
        again = text_of(client.get(DASHBOARD))
    finally:
        cache._local.clear()  # no figure of this test's database for the next test
    computed = re.search(r'id="calcul">Chiffres calculés le <time datetime="([^"]+)"', page).group(1)
    assert "ils peuvent avoir jusqu’à 60 secondes de retard" in page
    assert f'<time datetime="{computed}"' in again  # the second answer came from the cache
