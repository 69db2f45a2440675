"""Every GET route of the URL map, walked by an anonymous visitor and by an admin in a world whose free texts all
hold markup: each answer carries the security headers, and no HTML page ever shows the markup raw (SECURITY.md,
ASVS 3.4 and 1.2.1)."""

from __future__ import annotations

import pytest

from tests.conftest import module_app, sign_in
from tests.web.authorization.matrix import snapshot
from tests.web.security_world import RAW, Walk, assert_security_headers, clients, escaped, plant, routes_of

# The free texts planted by security_world.plant that some page shows: each must be found there, escaped. The others
# (the routing of an irritant of another status, the agent's label of a phase) are only checked never to be raw.
SHOWN = (
    "cluster.label",
    "report.description",
    "template.title",
    "template.body",
    "squad.name",
    "squad.mission",
    "phase.note",
    "sprint.goal",
    "item.title",
    "item.description",
    "user.name",
    "token.name",
    "answer.text",
    "question.body",
    "event.reason",
    "event.public_note",
    "sprint.review_notes",
    "webhook.created_by",
)


@pytest.fixture(scope="module")
def walk_app(database_url, tmp_path_factory):
    """One app and one world for the module: the walk only reads. Rate limits off: one client walks every route."""
    yield from module_app(database_url, tmp_path_factory, RATELIMIT_ENABLED=False)


@pytest.fixture(scope="module")
def walked(walk_app) -> tuple[Walk, dict[tuple[str, str], object]]:
    """Each (caller, path) and its answer."""
    walk = plant(walk_app)
    answers = {}
    for who, client in clients(walk_app, walk):
        for _endpoint, path in routes_of(walk_app, walk.samples):
            answers[who, path] = client.get(path)
    return walk, answers


def test_every_get_route_is_walked_and_none_fails(walked):
    _walk, answers = walked
    assert len(answers) > 150
    failures = {key: answer.status_code for key, answer in answers.items() if answer.status_code >= 500}
    assert not failures
    admin_pages = [a for (who, _path), a in answers.items() if who == "admin" and a.status_code == 200]
    assert len(admin_pages) > 75  # the samples open the pages, not only their 404s


def test_every_answer_of_every_route_carries_the_security_headers(walked):
    _walk, answers = walked
    for (who, path), response in answers.items():
        assert_security_headers(response, f"{who} {path} {response.status_code}")


def test_every_answer_has_a_content_type_with_its_charset_when_it_is_text(walked):
    _walk, answers = walked
    for (who, path), response in answers.items():
        if response.status_code in (204, 304) or not response.data:
            continue
        assert response.mimetype, (who, path)
        if response.mimetype.startswith("text/"):
            assert response.mimetype_params.get("charset", "").lower() == "utf-8", (who, path, response.content_type)


def test_no_page_shows_planted_markup_raw_and_each_text_is_shown_escaped(walked):
    _walk, answers = walked
    pages = {key: answer.get_data(as_text=True) for key, answer in answers.items() if answer.mimetype == "text/html"}
    for key, body in pages.items():
        for raw in RAW:
            assert raw not in body, key
    everything = "\n".join(pages.values())
    missing = [field for field in SHOWN if escaped(field) not in everything]
    assert not missing, f"planted texts no page showed: {missing}"


# Writes that act for no session: Open311 partners authenticate each call with their key; the one-click
# unsubscription of RFC 8058 is posted by the mail client with only its signed token; the citizens' public API
# (no account) takes JSON only, which no cross-site form can send (see the test after this one).
CSRF_EXEMPT_PREFIXES = ("open311.",)
CITIZENS_API = {
    "api.create_report",
    "api.post_message",
    "api.answer_resolution",
    "api_clusters.support",
    "api_clusters.new_supporter",
}
CSRF_EXEMPT = {"unsubscribe.confirm", *CITIZENS_API}


def test_every_write_from_a_browser_session_needs_the_csrf_token(walk_app, walked):
    walk, _answers = walked
    admin = walk_app.test_client()
    sign_in(admin, walk.principals["admin"].user)
    before = snapshot(walk_app)
    accepted, walked_writes = {}, 0
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for endpoint, path in routes_of(walk_app, walk.samples, method):
            if endpoint in CSRF_EXEMPT or endpoint.startswith(CSRF_EXEMPT_PREFIXES):
                continue
            walked_writes += 1
            if path.startswith("/api/"):
                response = admin.open(path, method=method, json={})
            else:
                response = admin.open(path, method=method, data={})
            if response.status_code != 400:
                accepted[method, path] = response.status_code
    assert walked_writes > 80
    assert not accepted, f"writes answered without their CSRF token: {accepted}"
    assert snapshot(walk_app) == before


def test_the_citizens_api_refuses_what_a_cross_site_form_can_send(walk_app, walked):
    walk, _answers = walked
    before = snapshot(walk_app)
    client = walk_app.test_client()
    posts = [(e, p) for e, p in routes_of(walk_app, walk.samples, "POST") if e in CITIZENS_API]
    assert len(posts) == len(CITIZENS_API)
    for endpoint, path in posts:
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
            response = client.post(path, data='{"description": "x"}', content_type=content_type)
            if endpoint == "api_clusters.new_supporter":
                continue  # reads no body and stores nothing: it hands out a new signed id (checked below)
            assert response.status_code in (415, 422), (path, content_type, response.status_code)
    assert snapshot(walk_app) == before


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/page-qui-n-existe-pas", {}, 404),
        ("/api/v1/pas-ici", {}, 404),
        ("/open311/v2/requests/inconnu.json", {}, 404),
        ("/api/v1/reports", {}, 405),
        ("/agents/irritants", {"Authorization": "Bearer faux"}, 403),
        ("/api/v1/triage/clusters", {"Authorization": "Bearer faux"}, 401),
    ],
)
def test_error_answers_carry_the_security_headers_too(walk_app, path, headers, status):
    response = walk_app.test_client().get(path, headers=headers)
    assert response.status_code == status
    assert_security_headers(response, f"visitor {path} {response.status_code}")


def test_https_deployments_send_hsts_on_pages_api_open311_and_errors(make_app):
    app = make_app(FORCE_HTTPS=True)
    client = app.test_client()
    for path in ("/", "/api/v1/administrations", "/open311/v2/services.json", "/page-inconnue"):
        response = client.get(path, base_url="https://irritants.test")
        hsts = dict(
            part.strip().partition("=")[::2] for part in response.headers["Strict-Transport-Security"].split(";")
        )
        assert int(hsts["max-age"]) >= 365 * 24 * 3600 and "includeSubDomains" in hsts, (path, hsts)
        assert_security_headers(response, f"visitor {path} {response.status_code}")
    plain = client.get("/", base_url="http://irritants.test")
    assert plain.status_code in (301, 302) and plain.headers["Location"].startswith("https://")
