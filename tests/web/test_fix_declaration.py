"""« Correctif livré » and the propagation of backlog items, through the real HTTP stack: the API's
``POST /api/v1/triage/clusters/<id>/fix`` and the back-office form (problem+json or the form's own errors, in
French, naming the field), a plain change to fixed refused, a refused link writing nothing, the invitation and the
notice on the irritant's page, and the citizen's tracking page showing the fix's public note."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from irritants.audit.models import Event
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.squads import backlog
from irritants.squads.sprints import BacklogItemChange, BacklogItemCluster, ItemState
from irritants.status import StatusKind
from irritants.triage import fixes
from tests.conftest import make_cluster, make_squad
from tests.web.test_api_sprints import bearer
from tests.web.test_api_squads import is_problem, messages
from tests.web.test_backlog import page_of, post
from tests.web.test_tracking_history import filed, steps

S = StatusKind
API = "/api/v1/triage/clusters"
TODAY = fixes.today()


@pytest.fixture
def world(app) -> dict[str, Any]:
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Rendez-vous préfecture")
        cluster = make_cluster(s, "Aucun créneau de rendez-vous", squad_id=squad.id, status=S.IN_PROGRESS)
        s.commit()
        ids = {"squad": squad, "cluster": cluster.id, "version": cluster.version}
    ids["po"] = bearer(app, "product_owner", squads=[ids["squad"]])
    return ids


def read(app, cluster_id: int) -> Cluster:
    with get_db(app).session_scope() as s:
        return s.get(Cluster, cluster_id)


def count(app, model) -> int:
    with get_db(app).session_scope() as s:
        return s.scalar(select(func.count()).select_from(model))


def fix(client, world, **body: Any) -> Any:
    payload = {"fixed_on": TODAY.isoformat(), "public_note": "Les créneaux du samedi sont ouverts.", **body}
    return client.post(f"{API}/{world['cluster']}/fix", json=payload, headers=world["po"])


# --- the API --------------------------------------------------------------------------------------------------


def test_the_product_owner_declares_the_fix_and_citizens_read_its_note_and_day(app, client, world):
    with get_db(app).session_scope() as s:
        path, _ = filed(client, s, s.get(Cluster, world["cluster"]))
    response = fix(client, world, expected_version=world["version"])
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["fixed_on"]) == ("fixed", TODAY.isoformat())
    assert response.headers["ETag"] == f'"{read(app, world["cluster"]).version}"'
    assert steps(client, path)[0] == (
        f"Corrigé (correctif livré le {TODAY:%d/%m/%Y}) Message de l’équipe : Les créneaux du samedi sont ouverts."
    )


@pytest.mark.parametrize(
    ("body", "pointer", "words"),
    [
        ({"fixed_on": (TODAY + dt.timedelta(days=1)).isoformat()}, "#/fixed_on", "futur"),
        ({"fixed_on": "18/12/2026"}, "#/fixed_on", "AAAA-MM-JJ"),
        ({"public_note": ""}, "#/public_note", "note publique"),
        ({"public_note": None}, "#/public_note", "note publique"),
    ],
)
def test_a_fix_in_the_future_or_without_public_note_is_a_422_naming_the_field(app, client, world, body, pointer, words):
    before = count(app, Event)
    problem = is_problem(fix(client, world, **body), 422)
    assert words in messages(problem)[pointer]
    assert read(app, world["cluster"]).status == S.IN_PROGRESS and count(app, Event) == before


def test_a_missing_note_in_a_json_body_is_a_422(app, client, world):
    response = client.post(f"{API}/{world['cluster']}/fix", json={"fixed_on": TODAY.isoformat()}, headers=world["po"])
    assert "note publique" in messages(is_problem(response, 422))["#/public_note"]


def test_a_stale_fix_is_a_409_and_changes_nothing(app, client, world):
    assert fix(client, world, expected_version=world["version"] + 5).status_code == 409
    assert read(app, world["cluster"]).status == S.IN_PROGRESS


def test_a_plain_status_change_to_fixed_is_a_422_that_names_the_fix_endpoint(app, client, world):
    response = client.post(f"{API}/{world['cluster']}/status", json={"to": "fixed"}, headers=world["po"])
    problem = is_problem(response, 422)
    assert f"POST /api/v1/triage/clusters/{world['cluster']}/fix" in messages(problem)["#/to"]
    assert read(app, world["cluster"]).status == S.IN_PROGRESS


def test_linking_an_item_to_a_new_irritant_plans_it_and_linking_spam_writes_nothing(app, client, world):
    with get_db(app).session_scope() as s:
        new, spam = make_cluster(s, "Nouveau"), make_cluster(s, "Publicité", status=S.SPAM)
        s.commit()
        ids = new.id, spam.id
    slug = world["squad"].slug
    item = client.post(f"/api/v1/squads/{slug}/items", json={"title": "Créneaux"}, headers=world["po"]).get_json()
    response = client.patch(f"/api/v1/items/{item['id']}", json={"cluster_ids": [ids[0]]}, headers=world["po"])
    assert response.status_code == 200, response.get_data(as_text=True)
    planned = read(app, ids[0])
    assert (planned.status, planned.squad_id) == (S.PLANNED, world["squad"].id)

    links, changes, events = count(app, BacklogItemCluster), count(app, BacklogItemChange), count(app, Event)
    patch = {"cluster_ids": [ids[0], ids[1]], "state": "in_progress"}
    problem = is_problem(client.patch(f"/api/v1/items/{item['id']}", json=patch, headers=world["po"]), 422)
    assert f"L'irritant n° {ids[1]} est classé indésirable" in messages(problem)["#/cluster_ids"]
    assert (count(app, BacklogItemCluster), count(app, BacklogItemChange), count(app, Event)) == (
        links, changes, events
    )  # fmt: skip
    assert read(app, ids[0]).status == S.PLANNED  # the state change of the same request rolled back too


# --- the back-office ------------------------------------------------------------------------------------------


def test_the_irritant_page_invites_to_declare_and_the_form_makes_it_fixed(app, client, world, login):
    with get_db(app).session_scope() as s:
        item = backlog.create_item(s, None, world["squad"].id, title="Créneaux", cluster_ids=[world["cluster"]])
        backlog.change_state(s, None, item.id, ItemState.DONE)
        s.commit()
    login("product_owner", squads=[world["squad"]])
    page = page_of(world["cluster"])
    html = client.get(page).get_data(as_text=True)
    assert 'id="invitation-correctif"' in html and 'href="#correctif"' in html
    assert 'id="correctif"' in html and 'name="date_livraison"' in html and 'value="fixed"' not in html

    future = (TODAY + dt.timedelta(days=3)).isoformat()
    refused = post(client, page + "/correctif", {"date_livraison": future, "note_publique": "Ouvert."}, page)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert (
        "ne peut pas être dans le futur" in html and 'id="correctif-erreur"' in html and ">Ouvert.</textarea>" in html
    )

    done = post(client, page + "/correctif", {"date_livraison": TODAY.isoformat(), "note_publique": "Ouvert."}, page)
    assert done.status_code == 303
    cluster = read(app, world["cluster"])
    assert (cluster.status, cluster.fixed_on) == (S.FIXED, TODAY)

    with get_db(app).session_scope() as s:  # an item re-opened: still fixed, and the page says so
        backlog.change_state(s, None, item.id, ItemState.IN_PROGRESS)
        s.commit()
    html = client.get(page).get_data(as_text=True)
    assert read(app, world["cluster"]).status == S.FIXED
    assert 'id="rouvert-apres-correctif"' in html and 'id="invitation-correctif"' not in html


def test_a_squad_member_sees_no_fix_form_and_cannot_post_it(app, client, world, login):
    login("squad_member", squads=[world["squad"]])
    page = page_of(world["cluster"])
    html = client.get(page).get_data(as_text=True)
    assert 'id="correctif"' not in html and 'value="fixed"' not in html
    response = post(client, page + "/correctif", {"date_livraison": TODAY.isoformat(), "note_publique": "Ok."}, page)
    assert response.status_code == 403
    assert read(app, world["cluster"]).status == S.IN_PROGRESS
