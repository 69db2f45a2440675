"""An unexpected error is a generic answer in every door's format: no stack trace, no message of the exception, no
path of the code, no SQL (SECURITY.md, ASVS 16.5.1), with the security headers like any other answer."""

from __future__ import annotations

import pytest

from tests.web.security_world import assert_security_headers

# What the exception carries: none of it may reach the caller.
LEAKS = ("SECRET-MARK-5f1c", "/srv/irritants/app/crash.py", "SELECT password_hash FROM users", "RuntimeError")
TRACE = ("Traceback", 'File "', "werkzeug", "sqlalchemy")


@pytest.fixture
def crashing(make_app):
    """An app as in production on this point: exceptions are handled by the app, not propagated to the test."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def crash():
        raise RuntimeError(f"{LEAKS[0]} in {LEAKS[1]} running {LEAKS[2]}")

    for path in ("/signaler/crash", "/api/v1/crash", "/open311/v2/crash.json", "/open311/v2/crash.xml"):
        app.add_url_rule(path, f"crash{path.replace('/', '_').replace('.', '_')}", crash)
    return app


def assert_generic(response) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    for leak in (*LEAKS, *TRACE):
        assert leak not in body, (leak, body[:500])
    assert_security_headers(response, f"visitor {response.request.path} 500")
    return body


def test_a_crashing_page_is_the_generic_french_error_page(crashing):
    response = crashing.test_client().get("/signaler/crash")
    body = assert_generic(response)
    assert response.mimetype == "text/html"
    assert "Erreur interne" in body


def test_a_crashing_api_call_is_a_generic_problem(crashing):
    response = crashing.test_client().get("/api/v1/crash")
    assert_generic(response)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 500 and problem["title"] == "Erreur interne"
    assert set(problem) <= {"type", "title", "status", "detail", "instance"}


@pytest.mark.parametrize("suffix", ["json", "xml"])
def test_a_crashing_open311_call_is_a_generic_open311_error(crashing, suffix):
    response = crashing.test_client().get(f"/open311/v2/crash.{suffix}")
    assert_generic(response)
    assert suffix in response.mimetype


def test_the_exception_is_logged_for_the_team(crashing, caplog):
    crashing.test_client().get("/api/v1/crash")
    assert any(record.exc_info and LEAKS[0] in str(record.exc_info[1]) for record in caplog.records)
