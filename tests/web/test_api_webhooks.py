"""``/api/v1/squads/<slug>/webhooks`` through the real HTTP stack: its product owners and admins register, read,
change, rotate and delete a squad's endpoints; the secret is in the answer that made it only and sealed at rest;
bad bodies are 422 problems in French; others are refused and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from irritants.audit.models import Event
from irritants.auth.api_tokens import create_token
from irritants.db import get_db
from irritants.settings import settings_of
from irritants.webhooks import sealing
from irritants.webhooks.models import WebhookEndpoint
from tests.conftest import make_squad, make_user

HOOK = "https://outil.exemple.fr/irritants"
EVENTS = ["irritant.status_changed", "item.state_changed"]


@pytest.fixture
def world(app) -> dict[str, Any]:
    with get_db(app).session_scope() as s:
        squad, other = make_squad(s, "Rendez-vous prefecture"), make_squad(s, "Aides au logement")
        tokens = {}
        for name, roles, squads in (
            ("po", ("product_owner",), [squad]),
            ("po_other", ("product_owner",), [other]),
            ("member", ("squad_member",), [squad]),
            ("manager", ("manager",), []),
            ("admin", ("admin",), []),
        ):
            _, raw = create_token(s, make_user(s, *roles, squads=squads), "outil")
            tokens[name] = {"Authorization": f"Bearer {raw}"}
        s.commit()
        return {
            "slug": squad.slug,
            "squad_id": squad.id,
            "tokens": tokens,
            "base": f"/api/v1/squads/{squad.slug}/webhooks",
        }


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def pointers(body: dict[str, Any]) -> dict[str, str]:
    return {e["pointer"]: e["detail"] for e in body.get("errors", [])}


def register(client, world, who: str = "po", **body: Any) -> Any:
    return client.post(world["base"], json={"url": HOOK, "events": EVENTS} | body, headers=world["tokens"][who])


def stored(app, endpoint_id: int) -> WebhookEndpoint:
    with get_db(app).session_scope() as s:
        found = s.get(WebhookEndpoint, endpoint_id)
        s.expunge(found)
        return found


def test_a_product_owner_registers_an_endpoint_and_gets_its_secret_once_sealed_at_rest(app, client, world):
    response = register(client, world)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and body["secret_prefix"] == secret[:10]
    assert (body["url"], body["events"], body["active"]) == (HOOK, EVENTS, True)
    assert response.headers["Location"] == f"{world['base']}/{body['id']}"
    assert response.headers["Cache-Control"] == "no-store"
    row = stored(app, body["id"])
    assert secret.encode() not in row.sealed_secret
    assert sealing.unseal(settings_of(app).webhooks.sealing_key, row.sealed_secret, endpoint_id=row.id) == secret
    # Never again: not in the list, not in the endpoint, not in the audit log.
    listed = client.get(world["base"], headers=world["tokens"]["po"]).get_json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert "secret" not in client.get(f"{world['base']}/{body['id']}", headers=world["tokens"]["po"]).get_json()
    with get_db(app).session_scope() as s:
        event = s.scalars(select(Event).where(Event.action == "webhook.create")).one()
        assert secret not in str(event.after) and event.after["url"] == HOOK


def test_rotating_gives_a_new_secret_once_and_the_old_one_no_longer_opens(app, client, world):
    first = register(client, world).get_json()
    response = client.post(f"{world['base']}/{first['id']}/secret", headers=world["tokens"]["admin"])
    assert response.status_code == 200, response.get_data(as_text=True)
    second = response.get_json()
    assert second["secret"] != first["secret"] and second["secret_rotated_at"]
    row = stored(app, first["id"])
    assert (
        sealing.unseal(settings_of(app).webhooks.sealing_key, row.sealed_secret, endpoint_id=row.id) == second["secret"]
    )


def test_patch_changes_events_url_and_suspends_then_resumes(client, world):
    made = register(client, world).get_json()
    url = f"{world['base']}/{made['id']}"
    po = world["tokens"]["po"]
    body = client.patch(url, json={"events": ["irritant.report_added"], "url": HOOK + "/v2"}, headers=po).get_json()
    assert (body["events"], body["url"]) == (["irritant.report_added"], HOOK + "/v2")
    body = client.patch(url, json={"active": False}, headers=po).get_json()
    assert body["active"] is False and body["disabled_reason"].startswith("Désactivé par")
    body = client.patch(url, json={"active": True}, headers=po).get_json()
    assert (body["active"], body["disabled_reason"]) == (True, None)
    assert is_problem(client.patch(url, json={}, headers=po), 422)["detail"]


def test_delete_removes_the_endpoint(app, client, world):
    made = register(client, world).get_json()
    response = client.delete(f"{world['base']}/{made['id']}", headers=world["tokens"]["po"])
    assert response.status_code == 204
    is_problem(client.get(f"{world['base']}/{made['id']}", headers=world["tokens"]["po"]), 404)
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
        assert s.scalar(select(func.count()).select_from(Event).where(Event.action == "webhook.delete")) == 1


@pytest.mark.parametrize(
    ("body", "pointer", "message"),
    [
        ({"url": "http://outil.exemple.fr/hook"}, "url", "https://"),
        ({"url": "https://127.0.0.1/hook"}, "url", "bouclage"),
        ({"url": "https://10.2.3.4/hook"}, "url", "privée"),
        ({"url": "https://[::1]/hook"}, "url", "bouclage"),
        ({"url": "https://169.254.169.254/latest"}, "url", "lien-local"),
        ({"url": "https://agent:motdepasse@outil.exemple.fr/"}, "url", "identifiant"),
        ({"url": "https://outil.exemple.fr/" + "a" * 600}, "url", "500 caractères"),
        ({"events": []}, "events", "au moins un"),
        ({"events": ["irritant.deleted"]}, "events", "Événement inconnu"),
        ({"url": None}, "url", "obligatoire"),
        ({"extra": 1}, "extra", "Champ inconnu"),
    ],
)
def test_bad_bodies_are_422_problems_naming_the_field_in_french_and_write_nothing(
    app, client, world, body, pointer, message
):
    response = register(client, world, **body)
    problem = is_problem(response, 422)
    found = pointers(problem)
    assert any(pointer in key and message in text for key, text in found.items()), found
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_the_same_url_twice_in_a_squad_is_refused(client, world):
    assert register(client, world).status_code == 201
    problem = is_problem(register(client, world), 422)
    assert any("url" in key and "déjà" in text for key, text in pointers(problem).items())


@pytest.mark.parametrize("who", ["po_other", "member", "manager"])
def test_other_agents_neither_read_nor_register_a_squads_webhooks(app, client, world, who):
    made = register(client, world).get_json()
    headers = world["tokens"][who]
    for method, path in (
        ("GET", world["base"]),
        ("POST", world["base"]),
        ("GET", f"{world['base']}/{made['id']}"),
        ("PATCH", f"{world['base']}/{made['id']}"),
        ("DELETE", f"{world['base']}/{made['id']}"),
        ("POST", f"{world['base']}/{made['id']}/secret"),
        ("GET", f"{world['base']}/{made['id']}/deliveries"),
    ):
        response = client.open(
            path, method=method, json={"active": False} if method == "PATCH" else None, headers=headers
        )
        is_problem(response, 403)
    assert stored(app, made["id"]).active


def test_anonymous_callers_get_a_401_problem(client, world):
    is_problem(client.get(world["base"]), 401)
    is_problem(client.post(world["base"], json={"url": HOOK, "events": EVENTS}), 401)


def test_another_squads_endpoint_is_not_found_through_this_squad(client, world):
    made = register(client, world).get_json()
    with_other = client.post(
        "/api/v1/squads/aides-au-logement/webhooks",
        json={"url": HOOK, "events": EVENTS},
        headers=world["tokens"]["admin"],
    ).get_json()
    is_problem(client.get(f"{world['base']}/{with_other['id']}", headers=world["tokens"]["admin"]), 404)
    assert client.get(f"{world['base']}/{made['id']}", headers=world["tokens"]["admin"]).status_code == 200


def test_the_openapi_document_describes_the_webhook_paths(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    base = "/api/v1/squads/{slug}/webhooks"
    assert {"get", "post"} <= set(paths[base])
    assert {"get", "patch", "delete"} <= set(paths[base + "/{endpoint_id}"])
    assert "post" in paths[base + "/{endpoint_id}/secret"]
    assert "get" in paths[base + "/{endpoint_id}/deliveries"]
    assert "422" in paths[base]["post"]["responses"]
