"""The public form through the real HTTP stack: CSRF, anti-abuse, inline errors, confirmation, tracking."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from irritants.db import get_db
from irritants.intake.models import Report, Source

VALID_FORM = {
    "description": "Impossible de prendre rendez-vous pour mon titre de séjour depuis six semaines.",
    "administration": "prefecture",
    "territory": "13",
    "channel": "en_ligne",
    "severity": "blocage",
}


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, f"hidden field {name} missing"
    return match.group(1)


def fill(client, **overrides) -> dict:
    html = client.get("/").get_data(as_text=True)
    data = {"csrf_token": hidden(html, "csrf_token"), "form_token": hidden(html, "form_token"), **VALID_FORM}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count(app) -> int:
    with app.app_context(), get_db(app).session_scope() as s:
        return s.scalar(select(func.count()).select_from(Report))


def test_form_page_lists_reference_data_and_security_headers(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr"' in html
    assert "Signaler un irritant" in html
    assert 'value="2A"' in html and 'value="976"' in html
    assert 'value="france_services"' in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN" or "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_script_tag_carries_the_csp_nonce(client):
    response = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script\b[^>]*>", response.get_data(as_text=True))
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "style=" not in response.get_data(as_text=True)


def test_valid_submission_commits_then_redirects_to_a_one_time_confirmation(app, client):
    response = client.post("/", data=fill(client))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/confirmation")
    assert count(app) == 1
    page = client.get("/confirmation")
    html = page.get_data(as_text=True)
    with app.app_context(), get_db(app).session_scope() as s:
        report = s.scalar(select(Report))
    assert report.source == Source.WEB
    assert report.reference in html
    token = re.search(r"/suivi/([A-Za-z0-9_-]{43})", html).group(1)
    assert page.headers["Cache-Control"] == "no-store"
    # Shown once only: a shared computer does not give the link to the next person.
    assert client.get("/confirmation").status_code == 302
    tracking = client.get(f"/suivi/{token}")
    assert tracking.status_code == 200
    assert report.reference in tracking.get_data(as_text=True)
    assert "noindex" in tracking.headers["X-Robots-Tag"]


def test_double_submission_of_the_same_form_creates_one_report(app, client):
    data = fill(client)
    client.post("/", data=data)
    client.post("/", data=data)
    assert count(app) == 1


def test_errors_are_inline_in_french_and_the_input_is_kept(app, client):
    response = client.post(
        "/", data=fill(client, description="trop court", territory="", email="x@", occurred_on="2999-12-31")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "au moins 20 caractères" in html
    assert "Ce champ est obligatoire." in html
    assert "adresse électronique valide" in html
    assert "futur" in html
    assert "trop court</textarea>" in html
    assert 'value="x@"' in html
    assert 'aria-invalid="true"' in html
    assert count(app) == 0


def test_missing_csrf_token_is_refused(app, client):
    data = fill(client)
    del data["csrf_token"]
    response = client.post("/", data=data)
    assert response.status_code == 400
    assert count(app) == 0


def test_honeypot_filled_by_a_bot_stores_nothing(app, client):
    response = client.post("/", data=fill(client, site_web="http://spam.example"))
    assert response.status_code == 422
    assert count(app) == 0


def test_too_fast_submission_is_refused_but_input_kept(make_app):
    app = make_app(FORM_MIN_FILL_SECONDS=30)
    client = app.test_client()
    response = client.post("/", data=fill(client))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "envoyé trop vite" in html
    assert VALID_FORM["description"] in html
    assert count(app) == 0


def test_submissions_are_rate_limited_per_ip_with_retry_after(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SUBMIT="2 per minute")
    client = app.test_client()
    statuses = [client.post("/", data=fill(client)).status_code for _ in range(3)]
    assert statuses[:2] == [303, 303]
    assert statuses[2] == 429
    limited = client.post("/", data=fill(client))
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "Trop de demandes" in limited.get_data(as_text=True)
    api = client.post("/api/v1/reports", json={})
    assert api.status_code == 429 and api.mimetype == "application/problem+json"
    assert count(app) == 2


def test_procedure_must_belong_to_the_chosen_administration(app, client):
    response = client.post("/", data=fill(client, procedure="demande-rsa", administration="ants"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Cette démarche n&#39;existe pas" in html or "Cette démarche n’existe pas" in html


def test_unknown_tracking_token_is_a_french_404_page(client):
    response = client.get("/suivi/" + "a" * 43)
    assert response.status_code == 404
    assert "introuvable" in response.get_data(as_text=True).lower()


def test_session_cookie_is_httponly_and_samesite(client):
    client.get("/")
    client.post("/", data=fill(client))
    cookie = client.get_cookie("session", domain="irritants.test")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_static_pages_exist(client):
    for path, text in [
        ("/accessibilite", "accessibilité"),
        ("/mentions-legales", "Mentions légales"),
        ("/donnees-personnelles", "Données personnelles"),
        ("/plan-du-site", "Plan du site"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert text.lower() in response.get_data(as_text=True).lower()
