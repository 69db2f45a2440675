"""``GET /api/v1/squads/<slug>/velocity``: per closed sprint, its dates, the points done and the irritants fixed."""

from __future__ import annotations

import datetime as dt

from irritants import french
from irritants.auth.services import agent_for
from irritants.db import get_db
from irritants.squads import backlog, sprint_services
from irritants.squads.sprints import ItemState
from irritants.triage import services as triage
from tests.conftest import make_cluster, make_squad, make_user
from tests.web.test_api_sprints import bearer
from tests.web.test_api_squads import is_problem

TODAY = dt.datetime.now(dt.UTC).date()


def D(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


def test_the_velocity_lists_each_closed_sprints_dates_points_done_and_irritants_fixed(app, client):
    with get_db(app).session_scope() as s:
        squad = make_squad(s)
        cluster = make_cluster(s, squad_id=squad.id, status="planned")
        one = sprint_services.create_sprint(s, None, squad.id, starts_on=D(-30), ends_on=D(-19))
        two = sprint_services.create_sprint(s, None, squad.id, starts_on=D(-16), ends_on=D(-3))
        sprint_services.create_sprint(s, None, squad.id, starts_on=D(1), ends_on=D(12))
        sprint_services.start_sprint(s, None, one.id)
        a = backlog.create_item(s, None, squad.id, title="Créneaux", points=3, sprint_id=one.id)
        backlog.create_item(s, None, squad.id, title="SMS", points=5, sprint_id=one.id)
        backlog.change_state(s, None, a.id, ItemState.DONE)
        sprint_services.close_sprint(s, None, one.id, unfinished="next_sprint")
        sprint_services.start_sprint(s, None, two.id)
        b = backlog.create_item(s, None, squad.id, title="Rappel", points=2, sprint_id=two.id, cluster_ids=[cluster.id])
        backlog.change_state(s, None, b.id, ItemState.DONE)
        s.flush()
        admin = agent_for(s, make_user(s, "admin"))
        triage.declare_fix(s, admin, cluster.id, fixed_on=french.today(), public_note="Les créneaux sont ouverts.")
        sprint_services.close_sprint(s, None, two.id, unfinished="backlog")
        s.commit()
        slug, ids = squad.slug, (one.id, two.id)
    response = client.get(f"/api/v1/squads/{slug}/velocity", headers=bearer(app, "manager"))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["squad"] == slug
    assert [
        (r["id"], r["number"], r["starts_on"], r["ends_on"], r["points_done"], r["irritants_fixed"])
        for r in body["sprints"]
    ] == [
        (ids[0], 1, D(-30).isoformat(), D(-19).isoformat(), 3, 0),
        (ids[1], 2, D(-16).isoformat(), D(-3).isoformat(), 2, 1),
    ]
    assert all(r["closed_at"] for r in body["sprints"])
    is_problem(client.get(f"/api/v1/squads/{slug}/velocity"), 401)
    is_problem(client.get("/api/v1/squads/inconnue/velocity", headers=bearer(app, "manager")), 404)


def test_the_openapi_document_describes_the_velocity(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "points_done" in str(client.get("/api/v1/openapi.json").get_json()["components"])
    assert "get" in paths["/api/v1/squads/{slug}/velocity"]
