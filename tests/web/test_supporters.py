"""« Moi aussi » and abuse flags cannot be forged: supporter ids are issued and signed by the server, and a
network counts once per irritant (and per excerpt), whatever number of cookie jars or made-up ids it uses."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from sqlalchemy import select

from irritants import people as anonymous
from irritants.clusters.models import Cluster, Support
from irritants.config import load_config
from irritants.db import get_db
from irritants.intake.models import AbuseFlag, Moderation, Report
from irritants.public.browser import PERSON_COOKIE
from tests.conftest import RANKING, TEST_SECRET, make_cluster, make_report

TEXT = "Aucun rendez-vous disponible en préfecture depuis trois mois pour mon titre de séjour."
BEFORE_SUNSET = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
AFTER_SUNSET = dt.datetime(2027, 3, 3, 0, 0, 1, tzinfo=dt.UTC)


@pytest.fixture
def irritant(app) -> tuple[int, int]:
    """A public irritant with one published excerpt: (cluster id, report id)."""
    with get_db(app).session_scope() as s:
        cluster = make_cluster(s, "Rendez-vous introuvables en préfecture", reports=0)
        report = make_report(s, cluster=cluster, description=TEXT)
        cluster.size = cluster.people = 1
        cluster.excerpt_report_ids = [report.id]
        s.commit()
        return cluster.id, report.id


def person(app, address: str = "203.0.113.7"):
    """A fresh cookie jar (a new browser, or cleared cookies) on the network of ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def csrf(client, cluster_id: int) -> str:
    html = client.get(f"/irritants/{cluster_id}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def support(client, cluster_id: int):
    return client.post(f"/irritants/{cluster_id}/moi-aussi", data={"csrf_token": csrf(client, cluster_id)})


def flag(client, cluster_id: int, report_id: int):
    url = f"/irritants/{cluster_id}/extraits/{report_id}/abus"
    return client.post(url, data={"csrf_token": csrf(client, cluster_id)})


def people(app, cluster_id: int) -> int:
    with get_db(app).session_scope() as s:
        return s.get(Cluster, cluster_id).people


def report_state(app, report_id: int) -> tuple[Moderation, int]:
    with get_db(app).session_scope() as s:
        report = s.get(Report, report_id)
        return report.moderation, report.abuse_flags


# --- the web: cookie jars and networks --------------------------------------------------------------------


def test_three_fresh_cookie_jars_from_one_network_add_one_person(app, irritant):
    cluster_id, _ = irritant
    before = people(app, cluster_id)
    jars = [person(app) for _ in range(3)]
    pages = [jar.get(support(jar, cluster_id).headers["Location"]).get_data(as_text=True) for jar in jars]
    assert people(app, cluster_id) == before + 1
    assert "nous avons ajouté votre voix" in pages[0]
    assert all("une seule voix par connexion internet" in page for page in pages[1:])
    with get_db(app).session_scope() as s:
        rows = s.execute(select(Support.counted, Support.source_hash).order_by(Support.id)).all()
        assert [row.counted for row in rows] == [True, False, False]
        assert len({row.source_hash for row in rows}) == 1 and "203.0.113.7" not in rows[0].source_hash
        assert s.get(Cluster, cluster_id).supporters == 1


def test_three_fresh_cookie_jars_from_one_network_hide_nothing(app, irritant):
    cluster_id, report_id = irritant
    for jar in [person(app) for _ in range(3)]:
        assert flag(jar, cluster_id, report_id).status_code == 303
    assert report_state(app, report_id) == (Moderation.PUBLISHED, 1)
    with get_db(app).session_scope() as s:
        assert list(s.scalars(select(AbuseFlag.counted).order_by(AbuseFlag.id))) == [True, False, False]


def test_distinct_networks_count_and_hide(app, irritant):
    cluster_id, report_id = irritant
    before = people(app, cluster_id)
    jars = [person(app, f"198.51.100.{n}") for n in (1, 2, 3)]
    for jar in jars:
        support(jar, cluster_id)
        flag(jar, cluster_id, report_id)
    assert people(app, cluster_id) == before + 3
    assert report_state(app, report_id) == (Moderation.PENDING, 3)


def test_an_ipv6_network_is_its_64(app, irritant):
    cluster_id, _ = irritant
    before = people(app, cluster_id)
    for address in ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:3::1"):
        support(person(app, address), cluster_id)
    assert people(app, cluster_id) == before + 2


def test_a_new_flag_series_after_a_moderator_publishes_counts_the_same_network_again(app, irritant):
    from irritants.auth.services import agent_for
    from irritants.moderation import services as moderation
    from tests.conftest import make_user

    cluster_id, report_id = irritant
    app.config["ABUSE_FLAG_THRESHOLD"] = 1
    flag(person(app), cluster_id, report_id)
    assert report_state(app, report_id) == (Moderation.PENDING, 1)
    with get_db(app).session_scope() as s:
        moderation.decide(s, agent_for(s, make_user(s, "product_owner")), report_id, moderation.Decision.PUBLISH)
        s.commit()
    flag(person(app), cluster_id, report_id)
    assert report_state(app, report_id) == (Moderation.PENDING, 1)


@pytest.mark.parametrize(
    "cookie",
    ["a" * 24, "forged-value.not-our-signature", anonymous.issue_supporter_id("x" * 20)],
    ids=["unsigned", "forged", "signed-with-another-secret"],
)
def test_an_unsigned_or_forged_cookie_is_replaced_by_a_signed_id(app, irritant, cookie):
    cluster_id, _ = irritant
    jar = person(app)
    jar.set_cookie(PERSON_COOKIE, cookie, domain="irritants.test")
    response = support(jar, cluster_id)
    [set_cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{PERSON_COOKIE}=")]
    issued = re.match(rf"{PERSON_COOKIE}=([^;]+)", set_cookie).group(1)
    assert issued != cookie and anonymous.is_issued(TEST_SECRET, issued)
    assert "HttpOnly" in set_cookie
    # A signed cookie is kept: the same person is not counted twice.
    again = support(jar, cluster_id)
    assert not [h for h in again.headers.getlist("Set-Cookie") if h.startswith(f"{PERSON_COOKIE}=")]
    assert "déjà comptée" in jar.get(again.headers["Location"]).get_data(as_text=True)


def test_moi_aussi_on_a_merged_irritant_goes_to_the_one_holding_it(app, irritant):
    from irritants.auth.services import agent_for
    from irritants.triage import services as triage
    from tests.conftest import make_user

    cluster_id, _ = irritant
    with get_db(app).session_scope() as s:
        source = make_cluster(s, "Rendez-vous introuvables, bis", reports=1)
        triage.merge(s, agent_for(s, make_user(s, "product_owner")), cluster_id, [source.id], ranking=RANKING)
        s.commit()
        source_id = source.id
    before = people(app, cluster_id)
    jar = person(app)
    token = csrf(jar, cluster_id)
    response = jar.post(f"/irritants/{source_id}/moi-aussi", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/irritants/{cluster_id}")
    assert people(app, cluster_id) == before + 1
    api = person(app, "198.51.100.9").post(
        f"/api/v1/clusters/{source_id}/supports", headers={"X-Supporter-Id": anonymous.issue_supporter_id(TEST_SECRET)}
    )
    assert api.status_code == 201 and api.get_json() == {"counted": True, "people": before + 2, "contact": False}


# --- the API: issued ids, and the deprecation of home-made ones -----------------------------------------------


def test_the_api_issues_signed_supporter_ids(client):
    response = client.post("/api/v1/supporters")
    assert response.status_code == 201
    supporter_id = response.get_json()["supporter_id"]
    assert anonymous.is_issued(TEST_SECRET, supporter_id) and 16 <= len(supporter_id) <= 100
    assert client.post("/api/v1/supporters").get_json()["supporter_id"] != supporter_id
    assert response.headers["Cache-Control"] == "no-store"


def test_an_issued_id_counts_without_deprecation_headers(app, client, irritant):
    cluster_id, _ = irritant
    before = people(app, cluster_id)
    supporter_id = client.post("/api/v1/supporters").get_json()["supporter_id"]
    response = client.post(f"/api/v1/clusters/{cluster_id}/supports", headers={"X-Supporter-Id": supporter_id})
    assert response.status_code == 201
    assert response.get_json() == {"counted": True, "people": before + 1, "contact": False}
    assert "Deprecation" not in response.headers and "Sunset" not in response.headers


def test_made_up_ids_work_before_the_sunset_with_headers_but_one_network_adds_one_person(app, irritant):
    cluster_id, _ = irritant
    before = people(app, cluster_id)
    client = person(app)
    with time_machine.travel(BEFORE_SUNSET, tick=False):
        answers = [
            client.post(f"/api/v1/clusters/{cluster_id}/supports", headers={"X-Supporter-Id": made_up * 20})
            for made_up in "xyz"
        ]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert [a.get_json()["counted"] for a in answers] == [True, False, False]
    assert people(app, cluster_id) == before + 1
    headers = answers[0].headers
    assert headers["Deprecation"] == "@1796256000"  # 2026-12-03T00:00:00Z, RFC 9745
    assert headers["Sunset"] == "Wed, 03 Mar 2027 00:00:00 GMT"  # RFC 8594
    assert 'rel="deprecation"' in headers["Link"] and "/api/v1/docs" in headers["Link"]


def test_made_up_ids_are_refused_after_the_sunset_and_add_nothing(app, irritant):
    cluster_id, _ = irritant
    before = people(app, cluster_id)
    with time_machine.travel(AFTER_SUNSET, tick=False):
        answers = [
            person(app, f"198.51.100.{n}").post(
                f"/api/v1/clusters/{cluster_id}/supports", headers={"X-Supporter-Id": made_up * 20}
            )
            for n, made_up in enumerate("xyz", start=1)
        ]
        issued = person(app).post("/api/v1/supporters").get_json()["supporter_id"]
        still = person(app).post(f"/api/v1/clusters/{cluster_id}/supports", headers={"X-Supporter-Id": issued})
    assert {a.status_code for a in answers} == {400}
    problem = answers[0].get_json()
    assert answers[0].mimetype == "application/problem+json"
    assert problem["type"].endswith("/unsigned-supporter-id") and "POST /api/v1/supporters" in problem["detail"]
    assert still.status_code == 201
    assert people(app, cluster_id) == before + 1


def test_the_sunset_date_is_a_setting(make_app, monkeypatch, irritant):
    app = make_app(UNSIGNED_SUPPORTER_SUNSET=dt.date(2026, 1, 1))
    cluster_id, _ = irritant
    response = app.test_client().post(f"/api/v1/clusters/{cluster_id}/supports", headers={"X-Supporter-Id": "m" * 20})
    assert response.status_code == 400
    monkeypatch.setenv("IRRITANTS_UNSIGNED_SUPPORTER_SUNSET", "2027-06-01")
    assert load_config({"ENV": "testing"})["UNSIGNED_SUPPORTER_SUNSET"] == dt.date(2027, 6, 1)


def test_the_openapi_document_describes_supporter_ids(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "201" in spec["paths"]["/api/v1/supporters"]["post"]["responses"]
    responses = spec["paths"]["/api/v1/clusters/{cluster_id}/supports"]["post"]["responses"]
    assert {"Deprecation", "Sunset", "Link"} <= set(responses["201"]["headers"])
    assert "400" in responses


# --- per-network limits -------------------------------------------------------------------------------------


def test_supports_and_flags_are_limited_per_network(make_app, irritant):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SUPPORT="2 per minute", RATELIMIT_FLAG="1 per minute")
    cluster_id, report_id = irritant
    statuses = [support(person(app, "203.0.113.9"), cluster_id).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]
    # Another address of the same IPv6 /64 is the same network; another network is not limited.
    v6 = [support(person(app, f"2001:db8:5:6::{n}"), cluster_id).status_code for n in (1, 2, 3)]
    assert v6 == [303, 303, 429]
    assert support(person(app, "198.51.100.50"), cluster_id).status_code == 303
    assert [flag(person(app, "203.0.113.10"), cluster_id, report_id).status_code for _ in range(2)] == [303, 429]


def test_the_personal_data_page_explains_the_network_hash_its_retention_and_the_cookie(make_app):
    html = make_app(SOURCE_RETENTION_DAYS=14).test_client().get("/donnees-personnelles").get_data(as_text=True)
    assert "empreinte chiffrée du réseau" in html and "effacée au bout de 14 jours" in html
    assert "espace France Services" in html and "ne comptent qu’une fois par irritant" in html
    assert "irritants_personne" in html
