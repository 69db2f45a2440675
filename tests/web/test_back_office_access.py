"""The back-office as a whole: its HTML pages are for signed-in browsers, never for API tokens, and nothing shown
to an agent is kept by a browser or proxy cache. Both rules are checked on every route of the URL map, so a page
added later is covered without being listed here."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import sign_in
from tests.web.authorization.matrix import World, build_world, snapshot

# Which object of the test world fills each URL variable.
ARGUMENTS = {
    "cluster_id": "cluster",
    "report_id": "report",
    "template_id": "template",
    "token_id": "own_token",
    "slug": "squad_a_slug",
    "item_id": "linked_item",
    "number": "sprint_number",
    "user_id": "target_user",
    "endpoint_id": "webhook",
    "token": "link_token",
    "export_id": "export",
    "job_id": "recluster_job",
}
AGENT_API = ("/api/v1/triage", "/api/v1/moderation", "/api/v1/me")


@pytest.fixture
def office(make_app: Any, tmp_path: Any) -> Flask:
    # CSRF has its own tests: here a refused POST must be refused for the token, not for a missing form token.
    # The instance folder holds the world's background export file.
    return make_app(WTF_CSRF_ENABLED=False, INSTANCE_PATH=str(tmp_path))


def routes(app: Flask, prefixes: tuple[str, ...], world: World) -> list[tuple[str, str]]:
    """(method, concrete path) of every rule under these prefixes, variables filled from the world."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefixes):
            continue
        values = {name: getattr(world, ARGUMENTS[name]) for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]  # type: ignore[index]
        found.extend((method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return found


def test_every_back_office_page_and_agents_api_read_is_no_store(office):
    world, principals = build_world(office)
    browser = office.test_client()
    sign_in(browser, principals["admin"].user)
    world.own_token = principals["admin"].token_id
    reads = [path for method, path in routes(office, ("/agents", *AGENT_API), world) if method == "GET"]
    assert "/agents/irritants" in reads and f"/agents/irritants/{world.cluster}" in reads and "/agents/modeles" in reads
    # A download is a read like the pages: the backlog CSV is checked too (no browser or proxy keeps it).
    assert any(path.startswith("/agents/equipes/") and path.endswith("/backlog.csv") for path in reads)

    for path in reads:
        response = browser.get(path)
        assert response.headers.get("Cache-Control") == "no-store", (path, response.status_code)
    tool = office.test_client()
    token = {"Authorization": f"Bearer {principals['admin'].token}"}
    for path in [p for p in reads if p.startswith("/api/")]:
        response = tool.get(path, headers=token)
        assert response.status_code == 200, path
        assert response.headers.get("Cache-Control") == "no-store", path


def test_a_signed_in_agent_is_never_cached_even_on_public_pages(office):
    _world, principals = build_world(office)
    anonymous = office.test_client()
    assert anonymous.get("/accessibilite").headers.get("Cache-Control") != "no-store"
    agent = office.test_client()
    sign_in(agent, principals["manager"].user)
    assert agent.get("/accessibilite").headers.get("Cache-Control") == "no-store"
    # Static files are the same for everyone: they stay cacheable.
    with agent.get("/static/css/irritants.css") as static:
        assert static.status_code == 200 and static.headers.get("Cache-Control") != "no-store"


def test_an_api_token_opens_no_back_office_page(office):
    world, principals = build_world(office)
    world.own_token = principals["admin"].token_id
    client = office.test_client()
    token = {"Authorization": f"Bearer {principals['admin'].token}"}  # an administrator's token: may do anything
    pages = routes(office, ("/agents",), world)
    assert ("GET", "/agents/irritants") in pages and ("POST", f"/agents/moderation/{world.report}") in pages
    before = snapshot(office)

    for method, path in pages:
        response = client.open(path, method=method, headers=token, data={})
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.mimetype == "text/html"
        assert "jeton d'API ne donne accès qu'à l'API" in response.get_data(as_text=True).replace("&#39;", "'")
    assert snapshot(office) == before
    # The same token still works where it belongs.
    assert client.get("/api/v1/triage/clusters", headers=token).status_code == 200


def test_a_token_sent_with_a_signed_in_session_does_not_open_the_pages_either(office):
    _world, principals = build_world(office)
    client = office.test_client()
    sign_in(client, principals["admin"].user)
    assert client.get("/agents/irritants").status_code == 200
    token = {"Authorization": f"Bearer {principals['admin'].token}"}
    assert client.get("/agents/irritants", headers=token).status_code == 403
