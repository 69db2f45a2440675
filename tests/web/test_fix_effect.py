"""The fix effect over HTTP: GET /api/v1/clusters/<id>/fix-effect (shape, 404, an irritant never fixed, a merged one),
the irritant's pages (chart and table), the squad pages, and a regression as citizens read it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.french import PARIS, today
from irritants.intake.models import Report
from irritants.intake.services import derive_tracking_token
from irritants.status import StatusKind
from tests.conftest import TEST_SECRET, make_cluster, make_report, make_squad

S = StatusKind


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=PARIS).astimezone(dt.UTC)


@pytest.fixture
def irritants(app):
    """A fix 9 weeks ago with 2 reports a week before and none after; an irritant never fixed; one merged into it."""
    fixed_on = today() - dt.timedelta(weeks=9)
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        fixed = make_cluster(
            s, "Rendez-vous introuvables en préfecture", reports=0, status=S.FIXED, fixed_on=fixed_on, squad_id=squad.id
        )
        for week in range(1, 9):
            for day in (1, 4):
                when = noon(fixed_on - dt.timedelta(weeks=week) + dt.timedelta(days=day))
                make_report(s, cluster=fixed, created_at=when, description=f"Toujours rien, semaine {week}.")
        fixed.size = fixed.people = 16
        fixed.fixed_at = noon(fixed_on)
        open_one = make_cluster(s, "Formulaire qui refuse un IBAN valide", reports=1)
        merged = make_cluster(s, "Créneaux introuvables", reports=0, status=S.DUPLICATE, duplicate_of_id=fixed.id)
        s.commit()
        return {"fixed": fixed.id, "open": open_one.id, "merged": merged.id, "fixed_on": fixed_on, "squad": squad}


def test_the_api_gives_the_weeks_the_ratio_its_interval_and_the_verdict(client, irritants):
    response = client.get(f"/api/v1/clusters/{irritants['fixed']}/fix-effect")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"fixed_on", "weeks", "rate_ratio", "ci_low", "ci_high", "verdict", "verdict_label"}
    assert body["fixed_on"] == irritants["fixed_on"].isoformat()
    assert [w["side"] for w in body["weeks"]] == ["before"] * 8 + ["after"] * 8
    assert [w["count"] for w in body["weeks"]] == [2] * 8 + [0] * 8
    assert body["weeks"][8] == {"start": irritants["fixed_on"].isoformat(), "count": 0, "side": "after", "days": 7}
    assert body["rate_ratio"] == 0 and body["ci_low"] == 0
    assert 0 < body["ci_high"] < 1
    assert (body["verdict"], body["verdict_label"]) == ("drop", "baisse nette")


def test_an_irritant_never_fixed_answers_the_documented_empty_shape(client, irritants):
    body = client.get(f"/api/v1/clusters/{irritants['open']}/fix-effect").get_json()
    assert body == {
        "fixed_on": None,
        "weeks": [],
        "rate_ratio": None,
        "ci_low": None,
        "ci_high": None,
        "verdict": "not_fixed",
        "verdict_label": "pas de correctif livré",
    }


def test_an_unknown_irritant_is_a_404_problem(client):
    response = client.get("/api/v1/clusters/999999/fix-effect")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_a_merged_irritant_sends_to_the_fix_effect_of_its_root(client, irritants):
    response = client.get(f"/api/v1/clusters/{irritants['merged']}/fix-effect")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/api/v1/clusters/{irritants['fixed']}/fix-effect")


def test_the_openapi_document_describes_the_fix_effect(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/clusters/{cluster_id}/fix-effect"]["get"]
    assert {"200", "302", "404"} <= set(operation["responses"])
    assert "FixEffect" in spec["components"]["schemas"]


def test_the_public_page_shows_the_verdict_the_chart_and_its_table(client, irritants):
    page = client.get(f"/irritants/{irritants['fixed']}").get_data(as_text=True)
    assert 'id="effet-correctif-verdict">baisse nette</span>' in page
    assert '<svg class="irritants-chart" id="effet-correctif-graphique" role="img"' in page
    assert f"Correctif livré le {irritants['fixed_on']:%d/%m}" in page  # the rule marking the fix day
    assert page.count('class="irritants-chart__bar irritants-chart__tone--2"') == 8 + 1  # 8 weeks before, + legend
    assert 'id="effet-correctif-tableau"' in page
    assert f'<th scope="row">Semaine du {irritants["fixed_on"]:%d/%m/%Y}</th>' in page
    assert "2 signalements par semaine avant, 0 après" in page


def test_the_public_page_of_an_irritant_never_fixed_has_no_fix_effect(client, irritants):
    page = client.get(f"/irritants/{irritants['open']}").get_data(as_text=True)
    assert "Effet du correctif" not in page


def test_fix_effect_weeks_setting_changes_the_window(make_app, irritants):
    client = make_app(FIX_EFFECT_WEEKS=3).test_client()
    body = client.get(f"/api/v1/clusters/{irritants['fixed']}/fix-effect").get_json()
    assert [w["side"] for w in body["weeks"]] == ["before"] * 3 + ["after"] * 3
    with get_db(client.application).session_scope() as s:
        assert s.get(Cluster, irritants["fixed"]).fixed_on == irritants["fixed_on"]


def test_the_agents_irritant_page_shows_the_fix_effect(client, irritants, login):
    login("squad_member", squads=[irritants["squad"]])
    page = client.get(f"/agents/irritants/{irritants['fixed']}").get_data(as_text=True)
    assert 'id="effet-correctif-verdict">baisse nette</span>' in page
    assert 'id="effet-correctif-graphique"' in page and 'id="effet-correctif-tableau"' in page


def test_the_squad_pages_give_each_fix_its_verdict_and_ratio(client, irritants, login):
    fixed = irritants["fixed"]
    public = client.get("/startups/rendez-vous-préfecture").get_data(as_text=True)
    badge = '<span class="fr-badge fr-badge--sm fr-badge--success">'
    assert f'<span id="effet-correctif-{fixed}">Effet : {badge}' in public
    assert "baisse nette" in public and "— rapport des signalements hebdomadaires après/avant : 0 (" in public
    login("squad_member", squads=[irritants["squad"]])
    board = client.get("/agents/equipes/rendez-vous-préfecture").get_data(as_text=True)
    assert f'<td id="effet-correctif-{fixed}">{badge}baisse nette' in board


def test_a_regression_marked_by_the_alarm_is_what_citizens_read_on_their_tracking_page(app, client, irritants):
    fixed_on = irritants["fixed_on"]
    with get_db(app).session_scope() as s:
        cluster = s.get(Cluster, irritants["fixed"])
        # 8 weeks at 2 a week before the fix, then 9 in each of the last two complete weeks.
        for week in (7, 8):
            for n in range(9):
                when = noon(fixed_on + dt.timedelta(weeks=week, days=n % 7))
                make_report(s, cluster=cluster, created_at=when, description=f"Le blocage est revenu ({week}, {n}).")
        report = s.scalars(select(Report).where(Report.cluster_id == cluster.id).limit(1)).one()
        token = derive_tracking_token(TEST_SECRET, report.token_seed)
        s.commit()
    result = app.test_cli_runner().invoke(args=["check-regressions"])
    assert f"n° {irritants['fixed']}" in result.output
    page = client.get(f"/suivi/{token}").get_data(as_text=True)
    assert "Réapparu après correction" in page
    assert f"plus nombreux qu’avant le correctif livré le {fixed_on:%d/%m/%Y}" in page
    public = client.get(f"/irritants/{irritants['fixed']}").get_data(as_text=True)
    assert 'id="statut-irritant"><span class="fr-sr-only">Statut : </span>Réapparu après correction' in public
