"""NUL and the other C0/C1 control characters are refused at the edge, on every database (PostgreSQL text cannot
hold NUL: these were 500s there), with a 422 naming the field; tab, line feed and carriage return stay allowed."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from irritants.auth.api_tokens import create_token
from irritants.db import get_db
from irritants.intake.models import Moderation, Report
from tests.conftest import PASSWORD, make_cluster, make_report, make_user, report_payload
from tests.web.test_report_form import fill

NUL_MESSAGE = "Caractère non autorisé (U+0000) : retirez-le ou retapez le texte."


def bearer(app, *roles: str) -> dict[str, str]:
    with get_db(app).session_scope() as s:
        _, raw = create_token(s, make_user(s, *roles), "tests")
        s.commit()
    return {"Authorization": f"Bearer {raw}"}


def csrf(client, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, "CSRF token missing"
    return match.group(1)


def text(response: Any) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def problem_pointers(response: Any) -> list[str]:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return [e["pointer"] for e in response.get_json()["errors"]]


def count_reports(app) -> int:
    with get_db(app).session_scope() as s:
        return s.scalar(select(func.count()).select_from(Report))


@pytest.mark.parametrize(
    ("url", "pointer"),
    [
        ("/api/v1/clusters?administration=caf%00", "#/administration"),
        ("/api/v1/clusters?territory=59&status=new%01", "#/status"),
        ("/api/v1/similar?text=Mon%20dossier%00bloqu%C3%A9", "#/text"),
        ("/api/v1/similar?text=Mon%20dossier&administration=caf%C2%85", "#/administration"),  # U+0085 (C1)
        ("/api/v1/clusters?caf%00=1", "#/caf"),
    ],
)
def test_public_api_query_strings_with_control_characters_are_422_naming_the_parameter(client, url, pointer):
    assert problem_pointers(client.get(url)) == [pointer]


def test_every_offending_parameter_is_named_in_one_answer(client):
    response = client.get("/api/v1/clusters?administration=caf%00&period=30j%07")
    assert sorted(problem_pointers(response)) == ["#/administration", "#/period"]
    assert "« administration »" in response.get_json()["detail"]


def test_triage_api_filters_with_nul_are_422(app, client):
    headers = bearer(app, "product_owner")
    assert problem_pointers(client.get("/api/v1/triage/clusters?q=caf%00", headers=headers)) == ["#/q"]
    assert client.get("/api/v1/triage/clusters?q=caf%09rsa", headers=headers).status_code == 200  # tab is fine


@pytest.mark.parametrize(
    ("header", "value"),
    [("Idempotency-Key", "key\x00"), ("X-Supporter-Id", "0123456789abcdef\x01"), ("If-Match", '"3"\x00')],
)
def test_headers_read_as_input_with_control_characters_are_422(app, client, header, value):
    assert problem_pointers(client.get("/api/v1/clusters", headers={header: value})) == [f"#/{header}"]


def test_json_strings_with_nul_are_refused_in_agents_texts(app, client):
    with get_db(app).session_scope() as s:
        report = make_report(s, description="Mon numéro est le 06 12 34 56 78, personne ne rappelle à la CAF.")
        s.commit()
        report_id = report.id
    admin = bearer(app, "admin")
    decision = client.post(
        f"/api/v1/moderation/reports/{report_id}/decision",
        json={"decision": "publish", "reason": "ok\u0000"},
        headers=admin,
    )
    assert problem_pointers(decision) == ["#/reason"]
    template = client.post("/api/v1/triage/templates", json={"title": "Transmis\u0000", "body": "Ok"}, headers=admin)
    assert problem_pointers(template) == ["#/title"]


def test_sign_in_email_with_nul_is_a_french_422_naming_the_field(client):
    response = client.post(
        "/agents/connexion",
        data={"csrf_token": csrf(client, "/agents/connexion"), "email": "agent\x00@beta.gouv.fr", "password": PASSWORD},
    )
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "« email »" in text(response) and "U+0000" in text(response)


def test_backoffice_filters_and_forms_with_nul_are_french_422(app, client, login):
    login("admin")
    filters = client.get("/agents/irritants?q=caf%00")
    assert filters.status_code == 422 and "« q »" in text(filters)
    with get_db(app).session_scope() as s:
        cluster_id = make_cluster(s).id
        held = make_report(s, description="Mon numéro est le 06 12 34 56 78, personne ne rappelle à la CAF.")
        s.commit()
        held_id = held.id
    token = csrf(client, "/agents/modeles")
    template = client.post("/agents/modeles", data={"csrf_token": token, "title": "T\x00", "body": "Texte"})
    assert template.status_code == 422 and "« title »" in text(template)
    reason = client.post(
        f"/agents/moderation/{held_id}",
        data={"csrf_token": token, "decision": "publish", "expected": "pending", "reason": "motif\x00"},
    )
    assert reason.status_code == 422 and "« reason »" in text(reason)
    with get_db(app).session_scope() as s:
        assert s.get(Report, held_id).moderation == Moderation.PENDING
    status = client.post(
        f"/agents/irritants/{cluster_id}/statut", data={"csrf_token": token, "to": "triaged", "reason\x00": "x"}
    )
    assert status.status_code == 422 and "« reason »" in text(status)


def test_a_control_character_in_a_path_segment_is_a_404(client):
    assert client.get("/suivi/abc%00def").status_code == 404
    assert client.get("/api/v1/reports/abc%00def").status_code == 404


def test_the_public_form_keeps_what_was_typed_and_names_the_field(app, client):
    typed = "Impossible de prendre\x00 rendez-vous pour mon titre de séjour\tdepuis six semaines."
    response = client.post("/", data=fill(client, description=typed, email="moi\x00@exemple.fr"))
    html = text(response)
    assert response.status_code == 422
    assert NUL_MESSAGE in html
    # The text is shown back without the refused character (never echoed into the page), the rest intact.
    assert "Impossible de prendre rendez-vous pour mon titre de séjour\tdepuis six semaines." in html
    assert "\x00" not in response.get_data(as_text=True)
    assert count_reports(app) == 0


def test_tab_line_feed_and_carriage_return_are_accepted(app, client):
    description = "Mon dossier de RSA est bloqué\tdepuis trois mois.\r\nPersonne ne répond au téléphone."
    response = client.post("/api/v1/reports", json=report_payload(description=description))
    assert response.status_code == 201
    view = client.get(f"/api/v1/reports/{response.get_json()['tracking_token']}").get_json()
    assert view["description"] == "Mon dossier de RSA est bloqué\tdepuis trois mois.\nPersonne ne répond au téléphone."
