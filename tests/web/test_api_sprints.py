"""Sprints, backlog items and the burndown through the real HTTP stack: who may do what, problem+json errors in
French naming the field, optimistic versions (409, nothing changed), the change log replayed into a burndown."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from irritants.audit.models import Event
from irritants.auth.api_tokens import create_token
from irritants.db import get_db
from irritants.intake.models import Report
from irritants.squads import backlog
from irritants.squads.sprint_services import create_sprint
from irritants.squads.sprints import BacklogItem, BacklogItemChange, BacklogItemCluster, ItemState, Sprint
from tests.conftest import make_cluster, make_squad, make_user
from tests.web.test_api_squads import is_problem, messages


def bearer(app: Flask, *roles: str, squads: Any = ()) -> dict[str, str]:
    with get_db(app).session_scope() as s:
        user = make_user(s, *roles, squads=[s.get(type(q), q.id) for q in squads] if squads else [])
        _, raw = create_token(s, user, "tests")
        s.commit()
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def world(app) -> dict[str, Any]:
    with get_db(app).session_scope() as s:
        squad, other = make_squad(s, "Rendez-vous préfecture"), make_squad(s, "Aides au logement")
        cluster = make_cluster(s, "Aucun créneau de rendez-vous", squad_id=squad.id, status="planned")
        s.commit()
        ids = {"squad": squad, "other": other, "slug": squad.slug, "cluster": cluster.id}
    ids["po"] = bearer(app, "product_owner", squads=[ids["squad"]])
    ids["member"] = bearer(app, "squad_member", squads=[ids["squad"]])
    ids["other_member"] = bearer(app, "squad_member", squads=[ids["other"]])
    ids["manager"] = bearer(app, "manager")
    return ids


def new_sprint(client, w, starts="2026-12-07", ends="2026-12-18", goal="Des créneaux le samedi") -> dict[str, Any]:
    response = client.post(
        f"/api/v1/squads/{w['slug']}/sprints",
        json={"starts_on": starts, "ends_on": ends, "goal": goal},
        headers=w["po"],
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def new_item(client, w, **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/squads/{w['slug']}/items", json={"title": "Créneaux", **body}, headers=w["po"])
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def table(app, model) -> list[tuple[Any, ...]]:
    with get_db(app).session_scope() as s:
        rows = s.scalars(select(model)).all()
        return sorted(
            (tuple(getattr(r, c.key) for c in model.__table__.columns) for r in rows), key=repr
        )  # every column


def test_sprints_are_planned_read_started_and_closed(app, client, world):
    sprint = new_sprint(client, world)
    assert (sprint["number"], sprint["state"], sprint["state_label"]) == (1, "planned", "prévu")
    nxt = new_sprint(client, world, "2026-12-21", "2026-12-31", "Suite")
    assert nxt["number"] == 2
    listed = client.get(f"/api/v1/squads/{world['slug']}/sprints", headers=world["manager"]).get_json()
    assert ([s["number"] for s in listed["items"]], listed["total"], listed["page"]) == ([2, 1], 2, 1)

    one = client.get(f"/api/v1/sprints/{sprint['id']}", headers=world["member"])
    assert one.status_code == 200 and one.headers["ETag"] == f'"{sprint["version"]}"'
    started = client.patch(
        f"/api/v1/sprints/{sprint['id']}",
        json={"state": "active", "goal": "Créneaux du samedi", "expected_version": sprint["version"]},
        headers=world["po"],
    )
    assert started.status_code == 200, started.get_data(as_text=True)
    assert (started.get_json()["state"], started.get_json()["goal"]) == ("active", "Créneaux du samedi")

    item = new_item(client, world, points=3, sprint_id=sprint["id"])
    done = new_item(client, world, title="Rappel par SMS", points=2, sprint_id=sprint["id"])
    client.patch(f"/api/v1/items/{done['id']}", json={"state": "done"}, headers=world["member"])
    closed = client.patch(
        f"/api/v1/sprints/{sprint['id']}",
        json={"state": "closed", "unfinished": "next_sprint", "review_notes": "Démo faite."},
        headers=world["po"],
    )
    assert closed.status_code == 200, closed.get_data(as_text=True)
    assert (closed.get_json()["state"], closed.get_json()["unfinished_to"]) == ("closed", "next_sprint")
    moved = client.get(f"/api/v1/items/{item['id']}", headers=world["member"]).get_json()
    kept = client.get(f"/api/v1/items/{done['id']}", headers=world["member"]).get_json()
    assert (moved["sprint_id"], kept["sprint_id"]) == (nxt["id"], sprint["id"])
    with get_db(app).session_scope() as s:
        actions = s.scalars(select(Event.action).where(Event.subject_type == "sprint")).all()
    assert {"sprint.create", "sprint.start", "sprint.close"} <= set(actions)


def test_sprint_validation_errors_name_the_field_in_french(client, world):
    path = f"/api/v1/squads/{world['slug']}/sprints"
    body = is_problem(client.post(path, json={"starts_on": "2026-12-07"}, headers=world["po"]), 422)
    assert messages(body) == {"#/ends_on": "Ce champ est obligatoire."}
    body = is_problem(
        client.post(path, json={"starts_on": "2026-12-07", "ends_on": "demain"}, headers=world["po"]), 422
    )
    assert messages(body)["#/ends_on"] == "Date invalide : AAAA-MM-JJ attendu."
    body = is_problem(
        client.post(path, json={"starts_on": "2026-12-07", "ends_on": "2026-12-01"}, headers=world["po"]), 422
    )
    assert "postérieure" in messages(body)["#/ends_on"]
    sprint = new_sprint(client, world)
    overlap = client.post(path, json={"starts_on": "2026-12-10", "ends_on": "2026-12-20"}, headers=world["po"])
    assert "chevauchent le sprint 1" in messages(is_problem(overlap, 422))["#/starts_on"]
    closing = client.patch(f"/api/v1/sprints/{sprint['id']}", json={"state": "closed"}, headers=world["po"])
    assert "non terminés" in messages(is_problem(closing, 422))["#/unfinished"]
    twice = client.patch(
        f"/api/v1/sprints/{sprint['id']}", json={"state": "closed", "unfinished": "backlog"}, headers=world["po"]
    )
    assert "ne peut pas passer" in messages(is_problem(twice, 422))["#/state"]
    is_problem(client.get("/api/v1/sprints/999999", headers=world["po"]), 404)


def test_a_stale_sprint_version_is_a_409_and_nothing_changes(app, client, world):
    sprint = new_sprint(client, world)
    client.patch(f"/api/v1/sprints/{sprint['id']}", json={"goal": "Nouveau"}, headers=world["po"])
    before = table(app, Sprint)
    stale = client.patch(
        f"/api/v1/sprints/{sprint['id']}",
        json={"goal": "Écrasé", "state": "active", "expected_version": sprint["version"]},
        headers=world["po"],
    )
    assert "modifié entre-temps" in is_problem(stale, 409)["detail"]
    assert table(app, Sprint) == before


def test_items_are_created_listed_moved_and_linked(app, client, world):
    sprint = new_sprint(client, world)
    first = new_item(client, world, points=3, sprint_id=sprint["id"], cluster_ids=[world["cluster"]])
    assert (first["state"], first["state_label"], first["cluster_ids"]) == ("todo", "à faire", [world["cluster"]])
    second = new_item(client, world, title="Rappel par SMS")
    third = new_item(client, world, title="Accessibilité du formulaire")
    path = f"/api/v1/items/{third['id']}"
    moved = client.patch(
        path, json={"state": "in_progress", "points": 5, "rank": second["rank"], "expected_version": third["version"]},
        headers=world["member"],
    )  # fmt: skip
    assert moved.status_code == 200, moved.get_data(as_text=True)
    got = moved.get_json()
    assert (got["state"], got["points"], got["rank"]) == ("in_progress", 5, second["rank"])
    assert moved.headers["ETag"] == f'"{got["version"]}"'
    backlog_only = client.get(f"/api/v1/squads/{world['slug']}/items?sprint=none", headers=world["manager"])
    assert [i["id"] for i in backlog_only.get_json()["items"]] == [third["id"], second["id"]]
    in_sprint = client.get(f"/api/v1/squads/{world['slug']}/items?sprint={sprint['id']}", headers=world["member"])
    assert [i["id"] for i in in_sprint.get_json()["items"]] == [first["id"]]

    to_sprint = client.patch(path, json={"sprint_id": sprint["id"], "points": None}, headers=world["member"]).get_json()
    assert (to_sprint["sprint_id"], to_sprint["points"]) == (sprint["id"], None)
    relinked = client.patch(path, json={"cluster_ids": [world["cluster"]]}, headers=world["po"]).get_json()
    assert relinked["cluster_ids"] == [world["cluster"]]
    unlinked = client.patch(f"/api/v1/items/{first['id']}", json={"cluster_ids": []}, headers=world["po"]).get_json()
    assert unlinked["cluster_ids"] == []
    with get_db(app).session_scope() as s:
        fields = set(s.scalars(select(BacklogItemChange.field).where(BacklogItemChange.item_id == third["id"])))
    assert {"created", "state", "points", "rank", "sprint", "link"} <= {str(f) for f in fields}


def test_item_validation_errors_name_the_field_and_write_nothing(app, client, world):
    path = f"/api/v1/squads/{world['slug']}/items"
    before = table(app, BacklogItem), table(app, BacklogItemCluster)
    unknown = client.post(
        path, json={"title": "Créneaux", "cluster_ids": [world["cluster"], 987654]}, headers=world["po"]
    )
    assert messages(is_problem(unknown, 422)) == {"#/cluster_ids": "Irritant introuvable : 987654."}
    body = is_problem(client.post(path, json={"title": "Créneaux", "points": -1}, headers=world["po"]), 422)
    assert messages(body)["#/points"] == "Les points sont un nombre entier positif ou nul."
    body = is_problem(client.post(path, json={"points": 2}, headers=world["member"]), 422)
    assert messages(body)["#/title"] == "Ce champ est obligatoire."
    body = is_problem(client.post(path, json={"title": "   "}, headers=world["member"]), 422)
    assert messages(body)["#/title"] == "Donnez un titre à l'élément de backlog."
    body = is_problem(client.post(path, json={"title": "x", "sprint_id": 424242}, headers=world["member"]), 422)
    assert "introuvable" in messages(body)["#/sprint_id"]
    assert (table(app, BacklogItem), table(app, BacklogItemCluster)) == before

    item = new_item(client, world)
    body = is_problem(client.patch(f"/api/v1/items/{item['id']}", json={"state": "fini"}, headers=world["member"]), 422)
    assert messages(body)["#/state"] == "État inconnu. Attendu : todo, in_progress ou done."
    before = table(app, BacklogItem), table(app, BacklogItemCluster)
    bad_link = client.patch(
        f"/api/v1/items/{item['id']}", json={"state": "done", "cluster_ids": [987654]}, headers=world["po"]
    )
    assert "#/cluster_ids" in messages(is_problem(bad_link, 422))
    assert (table(app, BacklogItem), table(app, BacklogItemCluster)) == before


def test_a_stale_item_version_is_a_409_and_nothing_changes(app, client, world):
    item = new_item(client, world, points=1)
    client.patch(f"/api/v1/items/{item['id']}", json={"points": 2}, headers=world["member"])
    before = table(app, BacklogItem), table(app, BacklogItemChange)
    stale = client.patch(
        f"/api/v1/items/{item['id']}",
        json={"state": "done", "points": 8, "expected_version": item["version"]},
        headers=world["member"],
    )
    assert "modifié entre-temps" in is_problem(stale, 409)["detail"]
    assert (table(app, BacklogItem), table(app, BacklogItemChange)) == before


def test_squad_roles_decide_who_changes_what(app, client, world):
    sprint = new_sprint(client, world)
    item = new_item(client, world)
    path = f"/api/v1/items/{item['id']}"
    # A member moves the squad's items along but neither plans sprints nor links irritants.
    assert client.patch(path, json={"state": "in_progress"}, headers=world["member"]).status_code == 200
    is_problem(client.patch(path, json={"cluster_ids": [world["cluster"]]}, headers=world["member"]), 403)
    is_problem(client.patch(f"/api/v1/sprints/{sprint['id']}", json={"goal": "x"}, headers=world["member"]), 403)
    # Another squad's member does not touch this squad's items; a manager reads only.
    is_problem(client.patch(path, json={"state": "done"}, headers=world["other_member"]), 403)
    is_problem(client.patch(path, json={"state": "done"}, headers=world["manager"]), 403)
    assert client.get(path, headers=world["manager"]).status_code == 200
    is_problem(client.get(path), 401)
    assert client.get(path, headers=world["po"]).get_json()["state"] == "in_progress"


def test_burndown_of_a_small_sprint(app, client, world):
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=10)

    def at(day: int, hour: int = 10) -> dt.datetime:
        return dt.datetime.combine(start + dt.timedelta(days=day), dt.time(hour), tzinfo=dt.UTC)

    with get_db(app).session_scope() as s:
        squad_id = world["squad"].id
        for report in s.scalars(select(Report).where(Report.cluster_id == world["cluster"])):
            report.created_at = at(-30)  # three people came forward long before the sprint
        sprint = create_sprint(s, None, squad_id, starts_on=start, ends_on=start + dt.timedelta(days=4))
        linked = backlog.create_item(
            s,
            None,
            squad_id,
            title="Créneaux",
            points=3,
            sprint_id=sprint.id,
            cluster_ids=[world["cluster"]],
            now=at(0, 9),
        )
        backlog.create_item(s, None, squad_id, title="SMS", points=2, sprint_id=sprint.id, now=at(0, 9))
        backlog.change_state(s, None, linked.id, ItemState.DONE, now=at(1))
        backlog.create_item(s, None, squad_id, title="Ajout", points=5, sprint_id=sprint.id, now=at(2))
        s.commit()
        sprint_id = sprint.id
    response = client.get(f"/api/v1/sprints/{sprint_id}/burndown", headers=world["manager"])
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["sprint"]["id"] == sprint_id
    rows = [(d["date"], d["points_remaining"], d["scope"], d["ideal"], d["people_affected"]) for d in body["days"]]
    day = [(start + dt.timedelta(days=i)).isoformat() for i in range(5)]
    assert rows == [
        (day[0], 5, 5, 5.0, 3),
        (day[1], 2, 5, 3.75, 3),  # done, but its irritant is not fixed: its people still count
        (day[2], 7, 10, 5.0, 3),  # five points added mid-sprint raise the line
        (day[3], 7, 10, 2.5, 3),
        (day[4], 7, 10, 0.0, 3),
    ]
    is_problem(client.get(f"/api/v1/sprints/{sprint_id}/burndown"), 401)


def test_the_openapi_document_lists_the_new_paths(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/squads/{slug}/sprints",
        "/api/v1/sprints/{sprint_id}",
        "/api/v1/sprints/{sprint_id}/burndown",
        "/api/v1/squads/{slug}/items",
        "/api/v1/items/{item_id}",
    ):
        assert path in paths, path
    assert "expected_version" in str(paths["/api/v1/items/{item_id}"]["patch"])
