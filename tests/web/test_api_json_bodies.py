"""Every JSON body goes through one defensive parse: crafted bodies are 400/413/422 problems, never a 500, and
endpoints for agents check who calls before they read the body."""

from __future__ import annotations

import json
import logging
from typing import Any

import flask_smorest
import pytest
from flask import Flask, request

from irritants.api.spec import GuardedParser
from irritants.auth.api_tokens import create_token
from irritants.db import get_db
from tests.conftest import make_cluster, make_user, report_payload

DEEP = "[" * 5000 + "]" * 5000
_DESCRIPTION = "Mon dossier de RSA est bloqué depuis trois mois et personne ne répond."


def token_for(app: Flask, *roles: str) -> dict[str, str]:
    with get_db(app).session_scope() as s:
        user = make_user(s, *roles)
        _, raw = create_token(s, user, "tests")
        s.commit()
    return {"Authorization": f"Bearer {raw}"}


def post_raw(client: Any, url: str, body: str | bytes, **headers: str) -> Any:
    return client.post(url, data=body, content_type="application/json", headers=headers)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_a_body_nested_thousands_of_levels_deep_is_a_400_without_traceback(client, caplog):
    caplog.set_level(logging.INFO)
    body = problem(post_raw(client, "/api/v1/reports", DEEP), 400)
    assert body["detail"] == "Le JSON est trop imbriqué (32 niveaux au plus)."
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_nesting_is_accepted_up_to_32_levels(client):
    nested: Any = "x"
    for _ in range(31):
        nested = [nested]
    # 32 levels with the top object: the schema refuses the unknown field, the parser let it through.
    body = problem(client.post("/api/v1/reports", json={**report_payload(), "extra": nested}), 422)
    assert body["errors"] == [{"pointer": "#/extra", "detail": "Champ inconnu ou réservé au service."}]
    problem(client.post("/api/v1/reports", json={**report_payload(), "extra": [nested]}), 400)


def test_an_integer_of_thousands_of_digits_is_a_422_on_its_field(client):
    raw = json.dumps(report_payload())[:-1] + ', "assisted": ' + "9" * 5000 + "}"
    body = problem(post_raw(client, "/api/v1/reports", raw), 422)
    assert body["errors"] == [
        {"pointer": "#/assisted", "detail": "Nombre hors limites (entre -9007199254740991 et 9007199254740991)."}
    ]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(client, literal):
    raw = json.dumps(report_payload())[:-1] + f', "assisted": {literal}' + "}"
    problem(post_raw(client, "/api/v1/reports", raw), 400)


def test_a_float_overflowing_to_infinity_is_refused_on_its_field(client):
    raw = json.dumps(report_payload())[:-1] + ', "assisted": 1e999}'
    assert problem(post_raw(client, "/api/v1/reports", raw), 422)["errors"][0]["pointer"] == "#/assisted"


def test_a_lone_surrogate_is_a_422_pointing_at_the_field_even_with_an_idempotency_key(app, client):
    # The surrogate used to crash in the idempotency fingerprint (UTF-8 encoding of the canonical JSON).
    raw = json.dumps(report_payload(description=_DESCRIPTION + "\ud800"))
    assert "\\ud800" in raw
    body = problem(post_raw(client, "/api/v1/reports", raw, **{"Idempotency-Key": "k-surrogate"}), 422)
    assert body["errors"] == [
        {"pointer": "#/description", "detail": "Caractère non autorisé (U+D800) : retirez-le ou retapez le texte."}
    ]


def test_every_refused_string_is_reported_at_once_with_escaped_pointers(client):
    payload = report_payload(description=_DESCRIPTION + "\u0000", channel="tel\u0085")
    payload["a/b~c"] = ["ok", "\u0007"]
    body = problem(client.post("/api/v1/reports", json=payload), 422)
    assert sorted(e["pointer"] for e in body["errors"]) == ["#/a~1b~0c/1", "#/channel", "#/description"]


@pytest.mark.parametrize("raw", [b"\xff\xfe{}", b'{"description": "\xe9t\xe9"}', b"{", b"null x"])
def test_unreadable_bodies_are_a_400_problem(client, raw):
    body = problem(post_raw(client, "/api/v1/reports", raw), 400)
    assert body["detail"] == "Le corps de la requête n'est pas un JSON valide (UTF-8 attendu)."
    assert body["type"] == "/api/v1/problems/invalid-json"
    assert client.get(body["type"]).status_code == 200  # the problem type is documented


def test_a_body_over_max_content_length_is_a_413_problem(app, client):
    raw = json.dumps(report_payload(description="x" * (app.config["MAX_CONTENT_LENGTH"] + 1)))
    problem(post_raw(client, "/api/v1/reports", raw), 413)


def test_every_api_blueprint_reads_json_through_the_defensive_parser(app):
    blueprints = [bp for bp in app.blueprints.values() if isinstance(bp, flask_smorest.Blueprint)]
    assert len(blueprints) >= 5
    assert all(isinstance(bp.ARGUMENTS_PARSER, GuardedParser) for bp in blueprints), [
        bp.name for bp in blueprints if not isinstance(bp.ARGUMENTS_PARSER, GuardedParser)
    ]


def test_request_get_json_goes_through_the_same_parse(app):
    with app.test_request_context("/", method="POST", data=DEEP, content_type="application/json"):
        assert request.get_json(silent=True) is None
    with app.test_request_context("/", method="POST", data='{"a": "\\u0000"}', content_type="application/json"):
        with pytest.raises(Exception) as refused:
            request.get_json()
        assert refused.value.errors == {"a": ["Caractère non autorisé (U+0000) : retirez-le ou retapez le texte."]}


def _agent_writes(app: Flask) -> list[tuple[str, str]]:
    """Every API route that writes and is not open to anonymous citizens, with its ids filled in."""
    public = {
        "/api/v1/reports",
        "/api/v1/clusters/<int:cluster_id>/supports",
        "/api/v1/supporters",
        "/api/v1/reports/<string:token>/messages",  # the author's, with the secret tracking token
        "/api/v1/reports/<string:token>/resolution",  # « Est-ce résolu pour vous ? », with the same token
    }
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in public:
            continue
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            url = rule.rule
            for arg in rule.arguments:
                url = url.replace(f"<int:{arg}>", "1")
            routes.append((method, url))
    return routes


def test_there_are_agent_write_routes_to_check(app):
    assert len(_agent_writes(app)) >= 10


@pytest.mark.parametrize("body", [DEEP, "{", '{"reason": "\\u0000"}'])
def test_anonymous_callers_get_401_before_any_body_is_read(app, client, body):
    for method, url in _agent_writes(app):
        response = client.open(url, method=method, data=body, content_type="application/json")
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


# Writes every agent may make on their own account: a manager's body is read there (and a bad one refused).
SELF_SERVICE_WRITES = {("POST", "/api/v1/me/password")}


def test_agents_without_any_right_to_write_get_403_before_any_body_is_read(app, client):
    manager = token_for(app, "manager")
    for method, url in _agent_writes(app):
        response = client.open(url, method=method, data=DEEP, content_type="application/json", headers=manager)
        expected = 400 if (method, url) in SELF_SERVICE_WRITES else 403
        assert response.status_code == expected, (method, url, response.status_code)


def test_a_squad_member_gets_403_from_moderation_before_the_body_is_read(app, client):
    member = token_for(app, "squad_member")
    response = post_raw(client, "/api/v1/moderation/reports/1/decision", "{", **member)
    problem(response, 403)


@pytest.mark.parametrize(
    ("url", "raw", "status"),
    [
        ("/api/v1/moderation/reports/1/decision", DEEP, 400),
        ("/api/v1/moderation/reports/1/decision", '{"decision": "publish", "reason": "x\\ud800"}', 422),
        ("/api/v1/triage/clusters/1/status", '{"to": "triaged", "expected_version": ' + "1" * 4400 + "}", 422),
        ("/api/v1/triage/templates", '{"title": "T\\u0000", "body": "Texte"}', 422),
        ("/api/v1/triage/bulk", DEEP, 400),
    ],
)
def test_agents_crafted_bodies_are_problems_not_500(app, client, url, raw, status):
    problem(post_raw(client, url, raw, **token_for(app, "admin")), status)


def test_an_empty_expected_versions_map_on_a_merge_is_a_problem_not_500(app, client):
    # The message about it held "{ identifiant : version }", which str.format took for a field: a KeyError.
    with get_db(app).session_scope() as s:
        target, source = make_cluster(s, reports=1), make_cluster(s, "Dossier CAF bloqué", reports=1)
        s.commit()
        url, body = f"/api/v1/triage/clusters/{target.id}/merge", {"source_ids": [source.id], "expected_versions": []}
    response = client.post(url, json=body, headers=token_for(app, "admin"))
    problem(response, 422)
