"""POST/GET /api/v1/reports through the real HTTP stack and database."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from irritants.db import get_db
from irritants.intake.models import Report, ReportContact
from tests.conftest import report_payload


def _count(app, model=Report) -> int:
    with app.app_context(), get_db(app).session_scope() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_create_report_returns_201_with_location_reference_and_token(app, client):
    response = client.post("/api/v1/reports", json=report_payload())
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"reference", "tracking_token", "tracking_url", "status", "created_at"}
    assert body["status"] == "new"
    assert len(body["tracking_token"]) >= 43  # 256 bits in base64url
    assert response.headers["Location"].endswith(f"/api/v1/reports/{body['tracking_token']}")
    assert _count(app) == 1


def test_report_is_committed_before_the_answer(app, client):
    body = client.post("/api/v1/reports", json=report_payload()).get_json()
    # A separate connection sees it: it is durable, not only in the request's transaction.
    with app.app_context(), get_db(app).session_scope() as s:
        stored = s.scalar(select(Report).where(Report.reference == body["reference"]))
    assert stored is not None
    assert stored.description.startswith("Mon dossier de RSA")


def test_public_view_by_token_shows_the_report_without_contact_data(client):
    body = client.post(
        "/api/v1/reports", json=report_payload(email="camille@example.org", contact_consent=True)
    ).get_json()
    response = client.get(f"/api/v1/reports/{body['tracking_token']}")
    assert response.status_code == 200
    view = response.get_json()
    assert view["reference"] == body["reference"]
    assert view["administration"]["slug"] == "caf"
    assert view["territory"]["code"] == "59"
    assert "email" not in response.get_data(as_text=True)
    assert "camille" not in response.get_data(as_text=True)


def test_unknown_token_is_a_404_problem(client):
    response = client.get("/api/v1/reports/" + "x" * 43)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_huge_token_is_a_404_not_a_crash(client):
    response = client.get("/api/v1/reports/" + "9" * 5000)
    assert response.status_code == 404


def test_idempotency_key_replay_returns_the_same_report_without_duplicate(app, client):
    key = str(uuid.uuid4())
    first = client.post("/api/v1/reports", json=report_payload(), headers={"Idempotency-Key": key})
    second = client.post("/api/v1/reports", json=report_payload(), headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert first.get_json()["reference"] == second.get_json()["reference"]
    assert first.get_json()["tracking_token"] == second.get_json()["tracking_token"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count(app) == 1


def test_idempotency_key_reused_with_another_body_is_refused(app, client):
    key = str(uuid.uuid4())
    client.post("/api/v1/reports", json=report_payload(), headers={"Idempotency-Key": key})
    response = client.post("/api/v1/reports", json=report_payload(territory="75"), headers={"Idempotency-Key": key})
    assert response.status_code == 422
    assert response.get_json()["type"].endswith("/idempotency-key-reused")
    assert _count(app) == 1


def test_invalid_idempotency_key_is_a_400(client):
    response = client.post("/api/v1/reports", json=report_payload(), headers={"Idempotency-Key": "a b"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_without_key_two_posts_make_two_reports(app, client):
    client.post("/api/v1/reports", json=report_payload())
    client.post("/api/v1/reports", json=report_payload())
    assert _count(app) == 2


def test_server_owned_fields_are_refused(app, client):
    for field, value in [
        ("reference", "AAA-BBB-CCC"),
        ("status", "fixed"),
        ("cluster_id", 3),
        ("tracking_token", "x"),
        ("created_at", "2020-01-01T00:00:00Z"),
    ]:
        response = client.post("/api/v1/reports", json=report_payload(**{field: value}))
        assert response.status_code == 422, field
        pointers = [e["pointer"] for e in response.get_json()["errors"]]
        assert f"#/{field}" in pointers
    assert _count(app) == 0


def test_each_invalid_field_gets_a_french_message_with_a_pointer(client):
    response = client.post(
        "/api/v1/reports",
        json=report_payload(
            description="trop court",
            severity="terrible",
            territory="99",
            occurred_on="2999-01-01",
            email="pas-un-mail",
        ),
    )
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["title"] == "Données invalides"
    by_pointer = {e["pointer"]: e["detail"] for e in problem["errors"]}
    assert "au moins 20 caractères" in by_pointer["#/description"]
    assert "#/severity" in by_pointer
    assert "département" in by_pointer["#/territory"]
    assert "futur" in by_pointer["#/occurred_on"]
    assert "adresse électronique valide" in by_pointer["#/email"]


def test_unknown_administration_and_foreign_procedure_are_422(app, client):
    response = client.post("/api/v1/reports", json=report_payload(administration="inconnue"))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "#/administration"
    response = client.post("/api/v1/reports", json=report_payload(procedure="demarche-qui-n-existe-pas"))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "#/procedure"
    assert _count(app) == 0


def test_email_requires_explicit_consent_and_is_stored_apart(app, client):
    response = client.post("/api/v1/reports", json=report_payload(email="camille@example.org"))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "#/contact_consent"
    response = client.post("/api/v1/reports", json=report_payload(email="Camille@Example.org", contact_consent=True))
    assert response.status_code == 201
    with app.app_context(), get_db(app).session_scope() as s:
        contact = s.scalar(select(ReportContact))
        assert contact.email == "Camille@Example.org"
        assert len(contact.email_hmac) == 64 and "camille" not in contact.email_hmac
        assert contact.purge_after > contact.consent_at


def test_wrong_types_are_422_not_500(client):
    for payload in (
        [1, 2],
        "texte",
        {
            "description": 12,
            "administration": ["caf"],
            "territory": {"a": 1},
            "channel": None,
            "severity": 3,
            "assisted": "peut-être",
        },
    ):
        response = client.post("/api/v1/reports", json=payload)
        assert response.status_code == 422, payload
        assert response.mimetype == "application/problem+json"


def test_invalid_json_and_invalid_utf8_are_400(client):
    for raw in (b"{not json", b'{"description": "\xff\xfe"}'):
        response = client.post("/api/v1/reports", data=raw, content_type="application/json")
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        assert "JSON" in response.get_json()["detail"]


def test_oversized_body_is_413(client):
    response = client.post("/api/v1/reports", data=b"{" + b" " * 200_000 + b"}", content_type="application/json")
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/api/v1/reports")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.mimetype == "application/problem+json"


def test_unknown_api_path_is_a_404_problem(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_invisible_and_bidirectional_characters_are_removed_and_text_kept_plain(app, client):
    text = "Le site <b>plante</b>\u200b quand je \u202evalide\u2069\r\nmon dossier de prime\u00ad d'activité.\ufeff"
    body = client.post("/api/v1/reports", json=report_payload(description=text)).get_json()
    view = client.get(f"/api/v1/reports/{body['tracking_token']}").get_json()
    assert view["description"] == "Le site <b>plante</b> quand je valide\nmon dossier de prime d'activité."


def test_a_nul_character_in_the_description_is_refused_and_named(client):
    text = "Le site <b>plante</b>\x00 quand je valide mon dossier de prime d'activité."
    response = client.post("/api/v1/reports", json=report_payload(description=text))
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"pointer": "#/description", "detail": "Caractère non autorisé (U+0000) : retirez-le ou retapez le texte."}
    ]
