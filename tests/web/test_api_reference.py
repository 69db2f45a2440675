"""Reference lists and the OpenAPI document."""

from __future__ import annotations


def test_territories_lists_the_101_departements(client):
    data = client.get("/api/v1/territories").get_json()
    codes = {t["code"] for t in data}
    assert len(data) == 101
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= codes
    assert "20" not in codes


def test_administrations_come_with_their_procedures(client):
    data = client.get("/api/v1/administrations").get_json()
    caf = next(a for a in data if a["slug"] == "caf")
    assert caf["procedures"], "la CAF a des démarches"
    assert all({"slug", "name"} <= set(p) for p in caf["procedures"])


def test_channels_include_france_services(client):
    codes = [c["code"] for c in client.get("/api/v1/channels").get_json()]
    assert "france_services" in codes and "en_ligne" in codes


def test_openapi_document_describes_every_route_and_problem_errors(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    api_rules = {
        rule.rule.replace("<string:token>", "{token}").replace("<token>", "{token}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert {r for r in api_rules} <= documented
    post = spec["paths"]["/api/v1/reports"]["post"]
    assert "201" in post["responses"] and "422" in post["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in post.get("parameters", []))
    for status in ("400", "413", "422", "429", "503"):
        assert "application/problem+json" in post["responses"][status]["content"], status
    assert "application/problem+json" in spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem)


def test_api_docs_page_is_served_from_local_static_files(client):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_health_probes(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["migrations"]["at_head"] is True
