"""``/api/v1/triage`` through the real HTTP stack: Bearer tokens and browser sessions (with CSRF), the same
policy and audit log as the back-office, problem+json errors, optimistic concurrency."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from irritants.audit.models import Event
from irritants.auth.api_tokens import create_token
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.intake.models import Report
from irritants.status import StatusKind
from irritants.triage.models import ReplyTemplate
from tests.conftest import make_cluster, make_report, make_squad, make_user, sign_in

API = "/api/v1/triage"
S = StatusKind


def token_for(app: Flask, *roles: str, squads: Any = ()) -> str:
    with get_db(app).session_scope() as s:
        user = make_user(s, *roles, squads=[s.merge(q) for q in squads])
        _, raw = create_token(s, user, "tests")
        s.commit()
        return raw


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cluster(app: Flask, label: str = "Rendez-vous introuvables", **fields: Any) -> int:
    with get_db(app).session_scope() as s:
        made = make_cluster(s, label, **fields)
        s.commit()
        return made.id


def read(app: Flask, cluster_id: int) -> Cluster:
    with get_db(app).session_scope() as s:
        return s.get(Cluster, cluster_id)


def event_count(app: Flask) -> int:
    with get_db(app).session_scope() as s:
        return s.scalar(select(func.count(Event.id)))


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    return body


def page_csrf(client: FlaskClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").get_data(as_text=True))
    assert match, "a signed-in page carries the CSRF token"
    return match.group(1)


@pytest.fixture
def squad(app):
    with get_db(app).session_scope() as s:
        made = make_squad(s)
        s.commit()
        return made


@pytest.fixture
def po(app, squad):
    return token_for(app, "product_owner", squads=[squad])


# --- who may call -----------------------------------------------------------------------------------------


def test_anonymous_and_bad_tokens_get_401_problems(app, client):
    cluster_id = cluster(app)
    is_problem(client.get(f"{API}/clusters"), 401)
    body = is_problem(client.get(f"{API}/clusters", headers=bearer("irr_nope")), 401)
    assert "jeton" in body["detail"].lower()
    is_problem(client.post(f"{API}/clusters/{cluster_id}/status", json={"to": "triaged"}), 401)
    assert read(app, cluster_id).status == S.NEW


def test_an_account_without_role_gets_403(app, client):
    is_problem(client.get(f"{API}/clusters", headers=bearer(token_for(app))), 403)


# --- reading ----------------------------------------------------------------------------------------------


def test_backlog_lists_irritants_with_their_version_and_filters(app, client, po):
    first, second = cluster(app, "Rendez-vous introuvables"), cluster(app, "IBAN refusé", status=S.TRIAGED)
    body = client.get(f"{API}/clusters", headers=bearer(po)).get_json()
    assert {item["id"] for item in body["items"]} == {first, second}
    assert body["total"] == 2 and body["page"] == 1
    item = next(i for i in body["items"] if i["id"] == second)
    assert item["version"] >= 1 and item["status"] == "triaged" and item["status_label"] == "Qualifié"
    only = client.get(f"{API}/clusters?status=triaged", headers=bearer(po)).get_json()
    assert [i["id"] for i in only["items"]] == [second]
    searched = client.get(f"{API}/clusters?q=IBAN", headers=bearer(po)).get_json()
    assert [i["id"] for i in searched["items"]] == [second]
    is_problem(client.get(f"{API}/clusters?status=resolu", headers=bearer(po)), 422)


def test_detail_has_version_squad_pin_routing_duplicate_and_next_statuses(app, client, po, squad):
    root = cluster(app, "Original")
    cluster_id = cluster(app, squad_id=squad.id, pinned=True)
    response = client.get(f"{API}/clusters/{cluster_id}", headers=bearer(po))
    body = response.get_json()
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert body["squad"] == {"id": squad.id, "name": squad.name}
    assert body["pinned"] is True and body["routed_to"] is None and body["duplicate_of"] is None
    assert [t["status"] for t in body["allowed_transitions"]] == ["triaged", "not_our_scope", "duplicate", "spam"]
    client.post(
        f"{API}/clusters/{cluster_id}/status", json={"to": "duplicate", "duplicate_of": root}, headers=bearer(po)
    )
    body = client.get(f"{API}/clusters/{cluster_id}", headers=bearer(po)).get_json()
    assert body["duplicate_of"]["id"] == root and body["closed_at"]
    duplicates = client.get(f"{API}/clusters/{root}", headers=bearer(po)).get_json()["duplicates"]
    assert [d["id"] for d in duplicates] == [cluster_id]
    is_problem(client.get(f"{API}/clusters/987654", headers=bearer(po)), 404)
    is_problem(client.get(f"{API}/clusters/99999999999999", headers=bearer(po)), 404)


def test_reports_are_raw_for_moderators_and_redacted_for_others(app, client, po, squad):
    member = token_for(app, "squad_member", squads=[squad])
    with get_db(app).session_scope() as s:
        made = make_cluster(s, reports=0)
        make_report(s, cluster=made, description="Rappelez-moi au 06 12 34 56 78, mon dossier RSA est bloqué.")
        for i in range(2):
            make_report(s, cluster=made, description=f"Dossier RSA bloqué depuis {i + 2} mois sans réponse.")
        s.commit()
        cluster_id = made.id
    raw = client.get(f"{API}/clusters/{cluster_id}/reports", headers=bearer(po)).get_json()
    redacted = client.get(f"{API}/clusters/{cluster_id}/reports", headers=bearer(member)).get_json()
    assert {r["raw"] for r in raw["items"]} == {True} and {r["raw"] for r in redacted["items"]} == {False}
    assert any("06 12 34 56 78" in r["text"] for r in raw["items"])
    assert not any("06 12 34 56 78" in (r["text"] or "") for r in redacted["items"])
    paged = client.get(f"{API}/clusters/{cluster_id}/reports?page=2&page_size=2", headers=bearer(po)).get_json()
    assert (paged["total"], len(paged["items"])) == (3, 1)
    is_problem(client.get(f"{API}/clusters/{cluster_id}/reports?page_size=1000", headers=bearer(po)), 422)


def test_events_are_the_timeline_newest_first(app, client, po):
    cluster_id = cluster(app)
    client.post(f"{API}/clusters/{cluster_id}/status", json={"to": "triaged", "reason": "Vu"}, headers=bearer(po))
    client.post(f"{API}/clusters/{cluster_id}/pin", json={"pinned": True}, headers=bearer(po))
    listed = client.get(f"{API}/clusters/{cluster_id}/events", headers=bearer(po)).get_json()
    assert (listed["total"], listed["page"], listed["page_size"]) == (2, 1, 20)
    events = listed["items"]
    assert [e["action"] for e in events] == ["cluster.pin", "cluster.status"]
    assert events[1]["before"]["status"] == "new" and events[1]["after"]["status"] == "triaged"
    assert events[1]["reason"] == "Vu" and "(jeton tests)" in events[1]["actor"]


# --- deciding ---------------------------------------------------------------------------------------------


def test_status_change_with_a_token(app, client, po):
    cluster_id = cluster(app)
    response = client.post(f"{API}/clusters/{cluster_id}/status", json={"to": "triaged"}, headers=bearer(po))
    assert response.status_code == 200
    assert response.get_json()["status"] == "triaged"
    assert read(app, cluster_id).status == S.TRIAGED
    with get_db(app).session_scope() as s:
        assert set(s.scalars(select(Report.status).where(Report.cluster_id == cluster_id))) == {S.TRIAGED}


def test_an_illegal_transition_is_a_422_problem_naming_both_statuses(app, client, po):
    cluster_id = cluster(app)
    body = is_problem(
        client.post(f"{API}/clusters/{cluster_id}/status", json={"to": "planned"}, headers=bearer(po)), 422
    )
    assert body["detail"].startswith("Passage de « Nouveau » à « Planifié » impossible")
    assert body["errors"][0]["pointer"] == "#/to"
    assert read(app, cluster_id).status == S.NEW and event_count(app) == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"to": "triaged", "surprise": 1},
        {},
        {"to": 3},
        {"to": "triaged", "expected_version": "trois"},
        {"to": "triaged", "expected_version": 2**40},
        {"to": "duplicate", "duplicate_of": 2**70},
        {"to": "triaged", "reason": "x" * 2001},
    ],
)
def test_invalid_bodies_are_422_problems_with_french_messages(app, client, po, payload):
    cluster_id = cluster(app)
    body = is_problem(client.post(f"{API}/clusters/{cluster_id}/status", json=payload, headers=bearer(po)), 422)
    assert body["errors"] and all(e["detail"] and "field" not in e["detail"].lower() for e in body["errors"])
    assert event_count(app) == 0


def test_a_session_write_needs_the_csrf_token(app, client, login):
    cluster_id = cluster(app)
    login("product_owner")
    is_problem(client.post(f"{API}/clusters/{cluster_id}/pin", json={"pinned": True}), 400)
    assert not read(app, cluster_id).pinned and event_count(app) == 0
    token = page_csrf(client)
    response = client.post(f"{API}/clusters/{cluster_id}/pin", json={"pinned": True}, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert read(app, cluster_id).pinned and event_count(app) == 1
    # Reads need no token.
    assert client.get(f"{API}/clusters/{cluster_id}").status_code == 200


def test_wrong_role_gets_403_and_nothing_changes(app, client, squad):
    member = token_for(app, "squad_member", squads=[squad])
    manager = token_for(app, "manager")
    cluster_id = cluster(app, squad_id=squad.id, status=S.PLANNED)
    for token, url, payload in (
        (member, f"{API}/clusters/{cluster_id}/status", {"to": "spam"}),
        (member, f"{API}/clusters/{cluster_id}/pin", {"pinned": True}),
        (manager, f"{API}/clusters/{cluster_id}/status", {"to": "in_progress"}),
        (manager, f"{API}/bulk", {"cluster_ids": [cluster_id], "operation": "pin"}),
    ):
        is_problem(client.post(url, json=payload, headers=bearer(token)), 403)
    stored = read(app, cluster_id)
    assert (stored.status, stored.pinned) == (S.PLANNED, False) and event_count(app) == 0
    # The squad member may move their own work along.
    ok = client.post(f"{API}/clusters/{cluster_id}/status", json={"to": "in_progress"}, headers=bearer(member))
    assert ok.status_code == 200


def test_two_agents_on_the_same_irritant_the_second_gets_409(app, client, po, squad):
    other = token_for(app, "product_owner", squads=[squad])
    cluster_id = cluster(app)
    seen = client.get(f"{API}/clusters/{cluster_id}", headers=bearer(po)).get_json()["version"]
    assert client.get(f"{API}/clusters/{cluster_id}", headers=bearer(other)).get_json()["version"] == seen
    first = client.post(
        f"{API}/clusters/{cluster_id}/status", json={"to": "triaged", "expected_version": seen}, headers=bearer(po)
    )
    assert first.status_code == 200 and first.get_json()["version"] == seen + 1
    body = is_problem(
        client.post(
            f"{API}/clusters/{cluster_id}/status", json={"to": "spam", "expected_version": seen}, headers=bearer(other)
        ),
        409,
    )
    assert "modifié entre-temps" in body["detail"]
    stored = read(app, cluster_id)
    assert (stored.status, stored.version) == (S.TRIAGED, seen + 1) and event_count(app) == 1


def test_if_match_carries_the_version_too(app, client, po):
    cluster_id = cluster(app)
    etag = client.get(f"{API}/clusters/{cluster_id}", headers=bearer(po)).headers["ETag"]
    stale = {**bearer(po), "If-Match": '"1"' if etag != '"1"' else '"99"'}
    is_problem(client.post(f"{API}/clusters/{cluster_id}/pin", json={"pinned": True}, headers=stale), 409)
    is_problem(
        client.post(
            f"{API}/clusters/{cluster_id}/pin", json={"pinned": True}, headers={**bearer(po), "If-Match": "nimporte"}
        ),
        400,
    )
    both = {**bearer(po), "If-Match": etag}
    is_problem(
        client.post(f"{API}/clusters/{cluster_id}/pin", json={"pinned": True, "expected_version": 99}, headers=both),
        422,
    )
    assert client.post(f"{API}/clusters/{cluster_id}/pin", json={"pinned": True}, headers=both).status_code == 200


def test_merge_and_unmerge_round_trip(app, client, po):
    target, source = cluster(app, "Cible", reports=2), cluster(app, "Source", reports=3)
    merged = client.post(f"{API}/clusters/{target}/merge", json={"source_ids": [source]}, headers=bearer(po))
    assert merged.status_code == 200, merged.get_data(as_text=True)
    assert merged.get_json()["size"] == 5 and [d["id"] for d in merged.get_json()["duplicates"]] == [source]
    assert read(app, source).status == S.DUPLICATE
    restored = client.post(f"{API}/clusters/{source}/unmerge", json={"reason": "Erreur"}, headers=bearer(po))
    assert restored.status_code == 200
    assert (restored.get_json()["status"], restored.get_json()["size"]) == ("new", 3)
    assert read(app, target).size == 2
    is_problem(client.post(f"{API}/clusters/{source}/unmerge", json={}, headers=bearer(po)), 422)


def test_split_move_and_bulk(app, client, po):
    origin, other = cluster(app, "Origine", reports=3), cluster(app, "Autre", reports=1)
    with get_db(app).session_scope() as s:
        ids = list(s.scalars(select(Report.id).where(Report.cluster_id == origin).order_by(Report.id)))
    split = client.post(
        f"{API}/clusters/{origin}/split", json={"report_ids": ids[:1], "label": "À part"}, headers=bearer(po)
    )
    assert split.status_code == 201 and split.headers["Location"].endswith(f"/clusters/{split.get_json()['id']}")
    assert (split.get_json()["label"], split.get_json()["size"]) == ("À part", 1)
    moved = client.post(f"{API}/reports/{ids[1]}/move", json={"to_cluster_id": other}, headers=bearer(po))
    assert moved.get_json() == {"id": ids[1], "cluster_id": other, "cluster_locked": True, "status": "new"}
    is_problem(client.post(f"{API}/reports/987654/move", json={"to_cluster_id": other}, headers=bearer(po)), 404)

    closed = cluster(app, "Clos", status=S.CLOSED_NOT_FIXED)
    refused = is_problem(
        client.post(
            f"{API}/bulk",
            json={"cluster_ids": [origin, closed], "operation": "status", "to": "planned"},
            headers=bearer(po),
        ),
        422,
    )
    assert {e["pointer"] for e in refused["errors"]} == {"#/cluster_ids/0", "#/cluster_ids/1"}
    done = client.post(f"{API}/bulk", json={"cluster_ids": [origin, other], "operation": "pin"}, headers=bearer(po))
    assert [c["pinned"] for c in done.get_json()["changed"]] == [True, True] and done.get_json()["skipped"] == []
    assert not read(app, closed).pinned


def test_bulk_changes_those_that_can_change_and_lists_the_others_with_why(app, client, po, squad):
    ours, new = cluster(app, "À qualifier", status=S.TRIAGED), cluster(app, "Nouveau")
    theirs = cluster(app, "Ailleurs", squad_id=make_other_squad(app).id, status=S.TRIAGED)
    before = event_count(app)
    response = client.post(
        f"{API}/bulk",
        json={"cluster_ids": [ours, new, theirs], "operation": "status", "to": "closed_not_fixed", "reason": "Non"},
        headers=bearer(po),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert [c["id"] for c in body["changed"]] == [ours] and body["changed"][0]["status"] == "closed_not_fixed"
    assert body["skipped"] == [
        {
            "id": new,
            "reason": "Passage de « Nouveau » à « Clos sans correction » impossible : depuis « Nouveau », les statuts "
            "possibles sont : « Qualifié », « Hors périmètre », « Doublon », « Indésirable ».",
        },
        {"id": theirs, "reason": "Vous ne pouvez pas changer le statut de cet irritant."},
    ]
    assert event_count(app) == before + 1
    assert (read(app, new).status, read(app, theirs).status) == (S.NEW, S.TRIAGED)
    # Nothing the policy lets this agent touch: 403, each irritant said.
    refused = is_problem(client.post(f"{API}/bulk", json={"cluster_ids": [theirs], "operation": "pin"},
                                     headers=bearer(po)), 403)  # fmt: skip
    assert refused["errors"] == [
        {
            "pointer": "#/cluster_ids/0",
            "detail": f"Irritant n° {theirs} : Cet irritant est suivi par une autre start-up d'État.",
        }
    ]
    assert event_count(app) == before + 1


def test_assigning_to_a_squad_one_is_not_in_needs_confirm_transfer(app, client, po, squad):
    theirs = make_other_squad(app)
    cluster_id = cluster(app)
    refused = is_problem(
        client.post(f"{API}/clusters/{cluster_id}/assign", json={"squad_id": theirs.id}, headers=bearer(po)), 422
    )
    assert "seuls les responsables produit de « Autre équipe » et les administrateurs" in refused["detail"]
    assert '"confirm_transfer": true' in refused["detail"]
    assert [e["pointer"] for e in refused["errors"]] == ["#/confirm_transfer"]
    is_problem(
        client.post(f"{API}/bulk", json={"cluster_ids": [cluster_id], "operation": "assign", "squad_id": theirs.id},
                    headers=bearer(po)), 422,
    )  # fmt: skip
    assert read(app, cluster_id).squad_id is None and event_count(app) == 0
    # Their own squad needs no confirmation; another one does, and then it is out of their hands.
    mine = client.post(f"{API}/clusters/{cluster_id}/assign", json={"squad_id": squad.id}, headers=bearer(po))
    assert mine.status_code == 200
    confirmed = client.post(
        f"{API}/clusters/{cluster_id}/assign",
        json={"squad_id": theirs.id, "confirm_transfer": True},
        headers=bearer(po),
    )
    assert confirmed.status_code == 200 and confirmed.get_json()["squad"]["id"] == theirs.id
    is_problem(client.post(f"{API}/clusters/{cluster_id}/pin", json={"pinned": True}, headers=bearer(po)), 403)


def test_reply_templates_crud_and_use_as_reason(app, client, po, squad):
    member = token_for(app, "squad_member", squads=[squad])
    outsider = token_for(app, "squad_member", squads=[make_other_squad(app)])
    created = client.post(
        f"{API}/templates", json={"title": "Transmis", "body": "Nous avons transmis."}, headers=bearer(po)
    )
    assert created.status_code == 201
    shared = created.get_json()["id"]
    ours = client.post(
        f"{API}/templates",
        json={"title": "Équipe", "body": "On s'en occupe.", "squad_id": squad.id},
        headers=bearer(member),
    ).get_json()["id"]
    is_problem(client.post(f"{API}/templates", json={"title": "", "body": "x"}, headers=bearer(po)), 422)
    is_problem(client.post(f"{API}/templates", json={"title": "Partagé", "body": "x"}, headers=bearer(member)), 403)
    usable = client.get(f"{API}/templates", headers=bearer(member)).get_json()
    assert [t["id"] for t in usable["items"]] == [shared, ours] and usable["total"] == 2
    assert [t["id"] for t in client.get(f"{API}/templates", headers=bearer(outsider)).get_json()["items"]] == [shared]
    second = client.get(f"{API}/templates?page=2&page_size=1", headers=bearer(member)).get_json()
    assert ([t["id"] for t in second["items"]], second["total"], second["page"]) == ([ours], 2, 2)
    is_problem(client.patch(f"{API}/templates/{ours}", json={"title": "Piraté"}, headers=bearer(outsider)), 404)
    patched = client.patch(f"{API}/templates/{ours}", json={"body": "L'équipe corrige."}, headers=bearer(member))
    assert patched.get_json()["title"] == "Équipe" and patched.get_json()["body"] == "L'équipe corrige."

    cluster_id = cluster(app)
    client.post(
        f"{API}/clusters/{cluster_id}/status",
        json={"to": "triaged", "template_id": shared, "reason": "Priorité."},
        headers=bearer(po),
    )
    events = client.get(f"{API}/clusters/{cluster_id}/events", headers=bearer(po)).get_json()["items"]
    assert events[0]["reason"] == "Nous avons transmis.\n\nPriorité."
    assert client.delete(f"{API}/templates/{shared}", headers=bearer(po)).status_code == 204
    with get_db(app).session_scope() as s:
        assert s.get(ReplyTemplate, shared) is None


def make_other_squad(app: Flask) -> Any:
    with get_db(app).session_scope() as s:
        made = make_squad(s, "Autre équipe")
        s.commit()
        return made


def test_the_openapi_document_describes_the_triage_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    status = spec["paths"]["/api/v1/triage/clusters/{cluster_id}/status"]["post"]
    assert status["security"] == [{"bearerAuth": []}]
    assert {"400", "401", "403", "404", "409", "422"} <= set(status["responses"])
    assert "application/problem+json" in status["responses"]["409"]["content"]
    for path in ("/clusters", "/clusters/{cluster_id}/events", "/bulk", "/templates/{template_id}"):
        assert f"/api/v1/triage{path}" in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert set(schemas["TriageBulkResult"]["properties"]) == {"changed", "skipped"}
    assert set(schemas["TriageSkipped"]["properties"]) == {"id", "reason"}
    assert "confirm_transfer" in schemas["TriageAssignBody"]["properties"]
    assert "confirm_transfer" in schemas["TriageBulkBody"]["properties"]
    assert "confirm_transfer" in spec["paths"]["/api/v1/triage/clusters/{cluster_id}/assign"]["post"]["description"]


def test_a_signed_in_session_reads_without_a_token(app, client):
    with get_db(app).session_scope() as s:
        user = make_user(s, "manager")
        s.commit()
    sign_in(client, user)
    assert client.get(f"{API}/clusters").status_code == 200


def test_the_backlogs_squad_filter_takes_a_slug_as_the_squads_api_names_it(app, client):
    with get_db(app).session_scope() as s:
        squad = make_squad(s, "Aides au logement")
        taken = make_cluster(s, "Aide suspendue sans courrier", reports=1, squad_id=squad.id)
        make_cluster(s, "Carte grise bloquée", reports=1)
        s.commit()
        slug, taken_id = squad.slug, taken.id
    headers = bearer(token_for(app, "manager"))
    by_slug = client.get(f"{API}/clusters", query_string={"squad": slug}, headers=headers).get_json()
    assert [item["id"] for item in by_slug["items"]] == [taken_id]
    unknown = client.get(f"{API}/clusters", query_string={"squad": "personne-ici"}, headers=headers).get_json()
    assert unknown["items"] == [] and unknown["total"] == 0
