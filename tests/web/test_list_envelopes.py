"""Every list of the API answers with one envelope — ``items``, ``total``, ``page``, ``page_size`` — found by
walking the OpenAPI document, so that a list added later is held to it too; a whole, bounded list (reference
data, suggestions) says so in the document."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from irritants.auth.api_tokens import create_token
from irritants.db import get_db
from irritants.paging import ENVELOPE, UNPAGED
from tests.conftest import make_cluster, make_squad, make_user
from tests.web.openapi_document import resolve, spec_of


def answer_of(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation["responses"].get("200", {}).get("content", {}).get("application/json")
    return resolve(spec, content["schema"]) if content else None


def gets(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, item["get"]) for path, item in sorted(spec["paths"].items()) if "get" in item]


def paged(spec: dict[str, Any]) -> list[str]:
    """Paths of the lists that answer with the envelope."""
    return [path for path, op in gets(spec) if "items" in ((answer_of(spec, op) or {}).get("properties") or {})]


def query_parameters(operation: dict[str, Any]) -> dict[str, Any]:
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}


def test_every_list_of_the_openapi_document_is_the_one_envelope_or_says_why_it_is_whole(app):
    spec = spec_of(app)
    envelopes, whole = [], []
    for path, operation in gets(spec):
        answer = answer_of(spec, operation)
        if answer is None:
            continue
        properties = answer.get("properties") or {}
        if answer.get("type") == "array":
            assert operation.get(UNPAGED), f"{path}: a list answers with the envelope, or documents {UNPAGED}"
            assert "page" not in query_parameters(operation), path
            whole.append(path)
        elif "items" in properties or {"page", "page_size"} & set(query_parameters(operation)):
            assert set(properties) == set(ENVELOPE), path
            assert resolve(spec, properties["items"]).get("type") == "array", path
            assert {"page", "page_size"} <= set(query_parameters(operation)), path
            envelopes.append(path)
    # Today's lists: enough to know the walk finds them (a new one only adds to these).
    assert {
        "/api/v1/clusters",
        "/api/v1/moderation/reports",
        "/api/v1/triage/clusters",
        "/api/v1/triage/clusters/{cluster_id}/events",
        "/api/v1/triage/clusters/{cluster_id}/reports",
        "/api/v1/triage/templates",
        "/api/v1/squads/{slug}/sprints",
        "/api/v1/squads/{slug}/items",
    } <= set(envelopes)
    assert {
        "/api/v1/administrations",
        "/api/v1/territories",
        "/api/v1/channels",
        "/api/v1/similar",
        "/api/v1/triage/suggestions",
        "/api/v1/triage/clusters/{cluster_id}/similar",
        "/api/v1/reports/{token}/messages",
        "/api/v1/squads/{slug}/webhooks",
        "/api/v1/squads/{slug}/webhooks/{endpoint_id}/deliveries",
    } == set(whole)


@pytest.fixture
def admin_token(app: Flask) -> tuple[str, int, str]:
    with get_db(app).session_scope() as s:
        cluster = make_cluster(s, "Dossier bloqué", reports=3)
        squad = make_squad(s, "Aides au logement")
        _, token = create_token(s, make_user(s, "admin"), "listes")
        s.commit()
        return token, cluster.id, squad.slug


def test_every_list_answers_exactly_the_envelope_keys(app, client, admin_token):
    token, cluster_id, slug = admin_token
    headers = {"Authorization": f"Bearer {token}"}
    spec = spec_of(app)
    for path in paged(spec):
        url = re.sub(r"\{[a-z_]*id\}", str(cluster_id), path).replace("{slug}", slug)
        first = client.get(url, headers=headers)
        assert first.status_code == 200, (url, first.get_data(as_text=True))
        body = first.get_json()
        assert set(body) == set(ENVELOPE), (url, set(body))
        default = query_parameters(spec["paths"][path]["get"])["page_size"]["schema"]["default"]
        assert (body["page"], body["page_size"]) == (1, default), url
        assert isinstance(body["items"], list) and body["total"] >= len(body["items"]), url
        second = client.get(url, query_string={"page": 2, "page_size": 1}, headers=headers).get_json()
        assert set(second) == set(ENVELOPE), url
        assert (second["page"], second["page_size"], second["total"]) == (2, 1, body["total"]), url
        assert len(second["items"]) == (1 if body["total"] >= 2 else 0), url
        refused = client.get(url, query_string={"page_size": 1000}, headers=headers)
        assert refused.status_code == 422 and refused.mimetype == "application/problem+json", url
