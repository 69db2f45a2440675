"""Unexpected errors: the 500 page and problem+json say what is true (« l'équipe a été prévenue » only when errors
are reported, the request's id either way), and what goes to Sentry carries no personal data. sentry-sdk runs for
real with a fake DSN and a transport of its own API that keeps the events: nothing leaves the machine."""

from __future__ import annotations

import json
from typing import Any

import pytest

sentry_sdk = pytest.importorskip("sentry_sdk")
from sentry_sdk.transport import Transport  # noqa: E402

from irritants.extensions import csrf  # noqa: E402
from tests.log_capture import json_lines  # noqa: E402
from tests.web import test_no_personal_data_in_logs as planted  # noqa: E402

FAKE_DSN = "https://public@sentry.invalid/1"
TOLD = "L'équipe a été prévenue."


class KeptEnvelopes(Transport):
    """sentry-sdk's transport interface, keeping what would be sent."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Any] = []

    def capture_envelope(self, envelope: Any) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict[str, Any]]:
        return [e.get_event() for e in self.envelopes if e.get_event() is not None]

    def raw(self) -> str:
        return "\n".join(e.serialize().decode("utf-8") for e in self.envelopes)


@pytest.fixture
def kept() -> Any:
    previous = sentry_sdk.get_global_scope().client
    transport = KeptEnvelopes()
    yield transport
    sentry_sdk.get_global_scope().set_client(previous)


def failing(app) -> None:
    def boom() -> str:
        raise RuntimeError(f"échec pour {planted.EMAIL}")

    app.add_url_rule("/essai/boum", "boom", csrf.exempt(boom), methods=["GET", "POST"])


def html_text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&#x27;", "'")


def test_without_a_dsn_the_500_page_gives_the_reference_and_does_not_say_anyone_was_told(app, client):
    failing(app)
    page = client.get("/essai/boum", headers={"X-Request-ID": "ref-123"})
    assert page.status_code == 500 and page.mimetype == "text/html"
    text = html_text(page)
    assert TOLD not in text and "prévenu" not in text
    assert "écrivez à l'équipe en indiquant la référence de la demande : ref-123." in text
    assert "Traceback" not in text and planted.EMAIL not in text

    problem = client.get("/essai/boum", headers={"Accept": "application/json", "X-Request-ID": "ref-124"})
    body = problem.get_json()
    assert problem.status_code == 500 and problem.mimetype == "application/problem+json"
    assert "ref-124" in body["detail"] and "prévenu" not in body["detail"]


def test_with_a_dsn_the_500_page_says_the_team_was_told_and_the_report_carries_the_same_id(make_app, kept):
    app = make_app(SENTRY_DSN=FAKE_DSN, SENTRY_TRANSPORT=kept)
    failing(app)
    client = app.test_client()
    client.set_cookie("session", "cookie-secret-value")
    page = client.post(
        f"/essai/boum?email={planted.EMAIL}",
        data={"description": planted.FORM_TEXT},
        headers={"X-Request-ID": "ref-777", "Authorization": "Bearer jeton-secret"},
    )
    assert page.status_code == 500
    assert TOLD in html_text(page) and "ref-777" in html_text(page)
    problem = client.get("/essai/boum", headers={"Accept": "application/json"})
    assert problem.get_json()["detail"].startswith("Une erreur inattendue s'est produite. " + TOLD)

    events = kept.events()
    assert len(events) == 2  # one per error: the exception's line, not a second « HTTP 500 » line
    first = events[0]
    assert first["tags"]["request_id"] == "ref-777"
    assert first["request"] == {"method": "POST", "url": "/essai/boum"}
    assert first["exception"]["values"][-1]["type"] == "RuntimeError"
    assert all("vars" not in frame for frame in first["exception"]["values"][-1]["stacktrace"]["frames"])
    assert "user" not in first
    raw = kept.raw()
    for secret in (planted.EMAIL, "cookie-secret-value", "jeton-secret", "Zyxland", planted.PHONE):
        assert secret not in raw, secret


def test_the_whole_scenario_sends_no_personal_data_to_the_error_reports(make_app, kept):
    app = make_app(SENTRY_DSN=FAKE_DSN, SENTRY_TRANSPORT=kept)
    with json_lines() as lines:
        tokens = planted.scenario(app, app.test_client())
    planted.assert_clean(lines, tokens)
    raw = kept.raw()
    assert len(kept.events()) >= 2
    for secret in (planted.EMAIL, planted.AGENT_EMAIL, planted.PHONE, planted.PHONE.replace(" ", ""), *tokens):
        assert secret not in raw, secret
    for fragment in ("Zyxland", "Qwortz", "Vlorbique"):
        assert fragment not in raw, fragment
    # Breadcrumbs (the INFO lines before an error) keep no data either.
    for event in kept.events():
        for crumb in (event.get("breadcrumbs") or {}).get("values", []):
            assert "data" not in crumb, json.dumps(crumb)


def test_a_dsn_without_sentry_sdk_installed_stops_the_start_with_what_to_install(make_app, monkeypatch):
    import builtins

    from irritants.config import ConfigurationError

    real_import = builtins.__import__

    def without_sentry(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sentry_sdk" or name.startswith("sentry_sdk."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_sentry)
    with pytest.raises(ConfigurationError, match=r"irritants\[sentry\]"):
        make_app(SENTRY_DSN=FAKE_DSN)
