"""What the API contract run found, each kept as a plain test: the document and the behaviour say the same."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from irritants import people as anonymous
from irritants.auth.api_tokens import create_token
from irritants.clusters.models import SupportContact
from irritants.db import get_db
from irritants.intake.models import ReportContact
from tests.conftest import TEST_SECRET, make_cluster, make_squad, make_user, report_payload


def _count(app: Any, model: Any) -> int:
    with get_db(app).session_scope() as s:
        return s.scalar(select(func.count()).select_from(model))


def _property(spec: dict[str, Any], schema: str, name: str) -> dict[str, Any]:
    return spec["components"]["schemas"][schema]["properties"][name]


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_email_on_a_report_is_no_address_and_stores_no_contact(app, client, blank):
    response = client.post("/api/v1/reports", json=report_payload(email=blank))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert _count(app, ReportContact) == 0


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_email_on_a_moi_aussi_is_no_address_and_stores_no_contact(app, client, blank):
    with get_db(app).session_scope() as s:
        cluster_id = make_cluster(s, reports=1).id
        s.commit()
    headers = {"X-Supporter-Id": anonymous.issue_supporter_id(TEST_SECRET)}
    response = client.post(f"/api/v1/clusters/{cluster_id}/supports", json={"email": blank}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["contact"] is False
    assert _count(app, SupportContact) == 0


@pytest.mark.parametrize("schema", ["ReportCreate", "SupportCreate"])
def test_the_document_says_an_email_is_an_address_or_empty(client, schema):
    email = _property(client.get("/api/v1/openapi.json").get_json(), schema, "email")
    assert "format" not in email  # else "" would be documented as refused
    assert email["nullable"] is True
    assert {"type": "string", "format": "email", "maxLength": 254} in email["anyOf"]
    assert any(alternative.get("pattern") == r"^\s*$" for alternative in email["anyOf"])


def test_a_malformed_email_is_still_refused_on_its_field(client):
    response = client.post("/api/v1/reports", json=report_payload(email="pas-une-adresse", contact_consent=True))
    assert response.status_code == 422
    assert [e["pointer"] for e in response.get_json()["errors"]] == ["#/email"]


LIMITS = ("RATELIMIT_READ", "RATELIMIT_SUBMIT", "RATELIMIT_SUPPORT", "RATELIMIT_REPORTER_MESSAGE")


def test_every_rate_limited_operation_documents_its_429_and_the_rate_limit_headers(make_app):
    # The contract run has the limiter off; a route counting requests but not saying it could answer 429 to a client
    # that the document told it never would (the cluster reads, /similar and the report's messages did).
    app = make_app(RATELIMIT_ENABLED=True, **dict.fromkeys(LIMITS, "1 per day"))
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    limited = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            answers = [client.open(_concrete(path), method=method.upper(), json={}) for _ in range(2)]
            if answers[-1].status_code != 429:
                continue
            limited.append(f"{method.upper()} {path}")
            documented = operation["responses"].get("429")
            assert documented, f"{method.upper()} {path} answers 429 without documenting it"
            assert "application/problem+json" in documented["content"]
            assert {"Retry-After", "X-RateLimit-Limit"} <= set(documented["headers"]), path
            assert {"Retry-After", "X-RateLimit-Limit"} <= set(answers[-1].headers.keys())
    assert "GET /api/v1/clusters/{cluster_id}" in limited and "GET /api/v1/reports/{token}/messages" in limited


def _concrete(path: str) -> str:
    """``path`` with its parameters filled in (any value: the limiter counts before the view looks)."""
    parts = []
    for part in path.split("/"):
        if part == "{token}":
            part = "t" * 24
        elif part.startswith("{"):
            part = "1"
        parts.append(part)
    return "/".join(parts)


def test_a_blank_list_filter_is_documented_as_allowed_and_read_as_missing(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    parameters = {p["name"]: p for p in spec["paths"]["/api/v1/triage/clusters"]["get"]["parameters"]}
    assert parameters["status"]["allowEmptyValue"] is True and parameters["territory"]["allowEmptyValue"] is True
    with get_db(app).session_scope() as s:
        make_cluster(s, reports=1)
        _, token = create_token(s, make_user(s, "admin"), "contrat")
        s.commit()
    headers = {"Authorization": f"Bearer {token}"}
    blank = client.get("/api/v1/triage/clusters?status=&territory=&squad=", headers=headers)
    assert blank.status_code == 200
    assert blank.get_json() == client.get("/api/v1/triage/clusters", headers=headers).get_json()


def test_every_operation_reading_a_body_documents_the_413_it_answers_to_an_oversized_one(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    with_body = [(p, m, op) for p, item in spec["paths"].items() for m, op in item.items() if "requestBody" in op]
    assert len(with_body) > 20
    for path, method, operation in with_body:
        assert "application/problem+json" in operation["responses"]["413"]["content"], (method, path)
    response = client.post("/api/v1/reports", json=report_payload(description="x" * 2000))
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def test_the_location_and_etag_the_squad_api_sends_are_documented(app, client):
    with get_db(app).session_scope() as s:
        squad = make_squad(s)
        _, token = create_token(s, make_user(s, "admin"), "contrat")
        s.commit()
        slug = squad.slug
    headers = {"Authorization": f"Bearer {token}"}
    spec = client.get("/api/v1/openapi.json").get_json()
    sprint = client.post(
        f"/api/v1/squads/{slug}/sprints", json={"starts_on": "2026-12-07", "ends_on": "2026-12-18"}, headers=headers
    )
    item = client.post(f"/api/v1/squads/{slug}/items", json={"title": "Créneaux"}, headers=headers)
    item_url = f"/api/v1/items/{item.get_json()['id']}"
    answers = {
        ("/api/v1/squads/{slug}/sprints", "post", "201"): sprint,
        ("/api/v1/squads/{slug}/items", "post", "201"): item,
        ("/api/v1/items/{item_id}", "get", "200"): client.get(item_url, headers=headers),
        ("/api/v1/squads/{slug}", "get", "200"): client.get(f"/api/v1/squads/{slug}", headers=headers),
    }
    for (path, method, status), response in answers.items():
        assert response.status_code == int(status), response.get_data(as_text=True)
        documented = set(spec["paths"][path][method]["responses"][status].get("headers", {}))
        sent = {"Location", "ETag"} & set(response.headers.keys())
        assert sent and sent <= documented, (path, sent, documented)
