"""``X-Request-ID``: the client's kept when short and plain, else a new one; on every answer (pages, API, Open311,
errors); in every log line of that request, with the signed-in agent's id."""

from __future__ import annotations

import re

import pytest

from irritants.extensions import csrf
from tests.log_capture import json_lines
from tests.web.open311_helpers import BASE

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "path",
    ["/", "/irritants", "/api/v1/administrations", f"{BASE}/services.json", "/nulle-part", "/api/v1/nulle-part",
     f"{BASE}/requests/inconnu.xml", "/healthz"],
)  # fmt: skip
def test_every_answer_carries_a_request_id_pages_api_open311_and_errors(client, path):
    response = client.get(path)
    assert GENERATED.fullmatch(response.headers["X-Request-ID"]), (path, response.status_code)


@pytest.mark.parametrize("asked", ["abc", "req-2026.12.04_0001", "A" * 64, "0f8e2c7d-1b5a-4c3e-9d2f-6a7b8c9d0e1f"])
def test_a_short_plain_request_id_from_the_client_is_kept(client, asked):
    assert client.get("/api/v1/administrations", headers={"X-Request-ID": asked}).headers["X-Request-ID"] == asked


@pytest.mark.parametrize(
    "asked",
    ["A" * 65, "a b", "a\\b", "<script>", "id;rm", "é", "a/b", "x" * 1000, "abc\u2028def"],
)
def test_a_long_or_unplain_request_id_is_replaced_by_a_new_one(client, asked):
    answered = client.get("/api/v1/administrations", headers={"X-Request-ID": asked}).headers["X-Request-ID"]
    assert answered != asked and GENERATED.fullmatch(answered)


def test_two_requests_get_two_ids(client):
    assert client.get("/").headers["X-Request-ID"] != client.get("/").headers["X-Request-ID"]


def test_an_error_answer_and_a_refused_request_carry_it_too(app, client):
    # Refused before any view: a body too large (413), a write without its CSRF token (400).
    big = client.post("/api/v1/reports", data="x" * (65 * 1024), content_type="application/json")
    assert big.status_code == 413 and GENERATED.fullmatch(big.headers["X-Request-ID"])
    no_csrf = client.post("/agents/connexion", data={"email": "a@b.fr"}, headers={"X-Request-ID": "r-csrf"})
    assert no_csrf.status_code == 400 and no_csrf.headers["X-Request-ID"] == "r-csrf"


def test_every_log_line_of_a_request_carries_its_id_and_the_agents(app, client, login):
    def noisy() -> str:
        import logging

        from flask_login import current_user

        assert current_user.is_authenticated in (True, False)  # as any view that asks who is calling
        logging.getLogger("irritants.essai").info("first")
        logging.getLogger("irritants.essai").warning("second")
        return "ok"

    app.add_url_rule("/essai/journal", "noisy", csrf.exempt(noisy))
    with json_lines() as lines:
        assert client.get("/essai/journal", headers={"X-Request-ID": "anonyme-1"}).status_code == 200
    mine = [line for line in lines.parsed() if line["logger"] == "irritants.essai"]
    assert [(line["message"], line["request_id"]) for line in mine] == [("first", "anonyme-1"), ("second", "anonyme-1")]
    assert all("agent_id" not in line for line in mine)

    agent = login("manager")
    with json_lines() as lines:
        client.get("/essai/journal", headers={"X-Request-ID": "agent-2"})
    mine = [line for line in lines.parsed() if line["logger"] == "irritants.essai"]
    assert [(line["request_id"], line["agent_id"]) for line in mine] == [("agent-2", agent.id)] * 2


def test_the_lines_of_an_unhandled_error_carry_the_request_id_the_answer_shows(app, client):
    def boom() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/essai/boum", "boom", boom)
    with json_lines() as lines:
        response = client.get("/essai/boum", headers={"X-Request-ID": "boum-42", "Accept": "application/json"})
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "boum-42"
    errors = [line for line in lines.parsed() if line["level"] == "ERROR"]
    assert len(errors) == 1  # one line, one error report
    assert errors[0]["request_id"] == "boum-42" and errors[0]["exc_type"] == "RuntimeError"
    assert "boum-42" in response.get_json()["detail"]


def test_the_openapi_document_names_the_request_id_on_every_operation_and_every_answer(app):
    from tests.web.openapi_document import spec_of

    spec = spec_of(app)
    header = spec["components"]["headers"]["XRequestId"]
    assert header["required"] is True and header["schema"]["maxLength"] == 64
    unnamed = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            asked = [p for p in operation["parameters"] if p["name"] == "X-Request-ID"]
            if [(p["in"], p["required"]) for p in asked] != [("header", False)]:
                unnamed.append(f"{method} {path}")
            for status, answer in operation["responses"].items():
                if "$ref" in answer:
                    answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
                if answer.get("headers", {}).get("X-Request-ID") != {"$ref": "#/components/headers/XRequestId"}:
                    unnamed.append(f"{method} {path} {status}")
    assert unnamed == []
    unavailable = spec["paths"]["/api/v1/reports"]["post"]["responses"]["503"]
    assert "Retry-After" in unavailable["headers"]
