"""The minimum fill time counts from the form's first display, after the fields are checked, and a citizen never
loses what they typed: re-renders carry the same signed token and every input."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from sqlalchemy import func, select

from irritants.db import get_db
from irritants.intake.models import Report
from tests.web.test_report_form import VALID_FORM, hidden

T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


def count(app) -> int:
    with get_db(app).session_scope() as s:
        return s.scalar(select(func.count()).select_from(Report))


def first_display(client) -> dict[str, str]:
    html = client.get("/").get_data(as_text=True)
    return {"csrf_token": hidden(html, "csrf_token"), "form_token": hidden(html, "form_token")}


def test_an_empty_quick_submission_shows_the_field_errors_not_too_fast(make_app):
    app = make_app(FORM_MIN_FILL_SECONDS=30)
    client = app.test_client()
    response = client.post("/", data=first_display(client))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="id_description-error"' in html and "Ce champ est obligatoire." in html
    assert "trop vite" not in html


def test_a_fast_correction_is_accepted_because_time_counts_from_the_first_display(make_app):
    app = make_app(FORM_MIN_FILL_SECONDS=30)
    client = app.test_client()
    with time_machine.travel(T0, tick=False) as clock:
        tokens = first_display(client)
        clock.shift(20)
        empty = client.post("/", data=tokens)  # empty: field errors, and the same token comes back
        assert empty.status_code == 422
        assert hidden(empty.get_data(as_text=True), "form_token") == tokens["form_token"]
        clock.shift(15)  # 5 seconds after the re-render, 35 after the first display
        response = client.post("/", data={**tokens, **VALID_FORM})
    assert response.status_code == 303
    assert count(app) == 1


def test_too_fast_keeps_every_input_and_the_next_send_is_accepted(make_app):
    app = make_app(FORM_MIN_FILL_SECONDS=30)
    client = app.test_client()
    typed = {**VALID_FORM, "email": "camille@example.org", "contact_consent": "on", "assisted": "on"}
    with time_machine.travel(T0, tick=False) as clock:
        tokens = first_display(client)
        clock.shift(2)
        fast = client.post("/", data={**tokens, **typed})
        html = fast.get_data(as_text=True)
        assert fast.status_code == 422
        assert "envoyé trop vite" in html
        assert f"{VALID_FORM['description']}</textarea>" in html
        assert 'value="camille@example.org"' in html
        assert re.search(r'id="id_contact_consent"[^>]*checked', html)
        assert re.search(r'id="id_assisted"[^>]*checked', html)
        assert re.search(r'<option value="prefecture"[^>]*selected', html)
        assert hidden(html, "form_token") == tokens["form_token"]
        assert count(app) == 0
        clock.shift(30)
        again = client.post("/", data={**tokens, **typed})
    assert again.status_code == 303
    assert count(app) == 1


def test_an_expired_form_is_refused_with_its_input_and_a_fresh_token(make_app):
    app = make_app(FORM_MIN_FILL_SECONDS=0)
    client = app.test_client()
    with time_machine.travel(T0, tick=False) as clock:
        tokens = first_display(client)
        clock.shift(25 * 3600)
        response = client.post("/", data={**tokens, **VALID_FORM, "csrf_token": first_display(client)["csrf_token"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "expiré" in html and f"{VALID_FORM['description']}</textarea>" in html
    assert hidden(html, "form_token") != tokens["form_token"]
    assert count(app) == 0


def test_a_refused_csrf_token_keeps_what_was_typed(app, client):
    tokens = first_display(client)
    response = client.post("/", data={**tokens, **VALID_FORM, "csrf_token": "périmé"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "session a expiré" in html and f"{VALID_FORM['description']}</textarea>" in html
    assert count(app) == 0
