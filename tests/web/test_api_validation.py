"""Validation in one round: every field error of a report (schema and unknown references alike) in one answer,
and one paging rule for every list of the API and the back-office."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from irritants.auth.api_tokens import create_token
from irritants.db import get_db
from irritants.paging import PAGE_MESSAGE, PAGE_SIZE_MESSAGE
from tests.conftest import make_cluster, make_user, report_payload
from tests.web.test_report_form import fill


def pointers(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.get_data(as_text=True)
    found: dict[str, list[str]] = {}
    for error in response.get_json()["errors"]:
        found.setdefault(error["pointer"], []).append(error["detail"])
    return found


def test_schema_errors_and_unknown_references_come_in_the_same_answer(client):
    payload = report_payload(
        description="Trop court", administration="ministere-inconnu", channel="pigeon", severity="grave"
    )
    errors = pointers(client.post("/api/v1/reports", json=payload))
    assert set(errors) == {"#/description", "#/administration", "#/channel", "#/severity"}
    assert errors["#/administration"] == ["Administration inconnue : choisissez-en une dans la liste."]
    assert errors["#/channel"] == ["Canal inconnu : choisissez-en un dans la liste."]


def test_an_unknown_procedure_is_reported_with_the_other_errors(client):
    errors = pointers(client.post("/api/v1/reports", json=report_payload(procedure="demarche-inconnue", assisted=3)))
    assert set(errors) == {"#/procedure", "#/assisted"}
    assert errors["#/procedure"][0].startswith("Cette démarche n'existe pas pour")


def test_consent_errors_come_with_the_other_errors_without_repeating_a_field(client):
    errors = pointers(client.post("/api/v1/reports", json=report_payload(description="Court", email="a@exemple.fr")))
    assert set(errors) == {"#/description", "#/contact_consent"}
    errors = pointers(
        client.post("/api/v1/reports", json=report_payload(email="pas-une-adresse", contact_consent=True))
    )
    assert errors == {"#/email": ["Indiquez une adresse électronique valide, par exemple nom@domaine.fr."]}


def test_the_public_form_shows_unknown_references_with_the_other_errors(client):
    response = client.post("/", data=fill(client, description="Court", channel="pigeon"))
    page = html_lib.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Canal inconnu : choisissez-en un dans la liste." in page
    assert "Décrivez la situation en au moins 20 caractères" in page


@pytest.fixture
def lists(app) -> list[tuple[str, dict[str, str]]]:
    """The four paginated API lists, with the headers that reach them."""
    with get_db(app).session_scope() as s:
        cluster_id = make_cluster(s, reports=2).id
        _, raw = create_token(s, make_user(s, "admin"), "tests")
        s.commit()
    agent = {"Authorization": f"Bearer {raw}"}
    return [
        ("/api/v1/clusters", {}),
        ("/api/v1/triage/clusters", agent),
        (f"/api/v1/triage/clusters/{cluster_id}/reports", agent),
        ("/api/v1/moderation/reports", agent),
    ]


def test_every_api_list_accepts_any_page_size_of_the_one_rule(client, lists):
    for url, headers in lists:
        for size in ("1", "7", "100"):
            response = client.get(f"{url}?page_size={size}", headers=headers)
            assert response.status_code == 200, (url, size, response.get_json())
            assert response.get_json()["page_size"] == int(size)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("page_size=0", "#/page_size", PAGE_SIZE_MESSAGE),
        ("page_size=101", "#/page_size", PAGE_SIZE_MESSAGE),
        ("page_size=dix", "#/page_size", PAGE_SIZE_MESSAGE),
        ("page=0", "#/page", PAGE_MESSAGE),
        ("page=100001", "#/page", PAGE_MESSAGE),
    ],
)
def test_every_api_list_refuses_the_same_pages_with_the_same_words(client, lists, query, field, message):
    for url, headers in lists:
        assert pointers(client.get(f"{url}?{query}", headers=headers)) == {field: [message]}, url


def test_the_backlog_page_accepts_the_same_page_sizes_and_shows_the_one_asked(client, login):
    login("admin")
    response = client.get("/agents/irritants?page_size=7")
    assert response.status_code == 200
    assert re.search(r'<option value="7" selected>7 par page</option>', response.get_data(as_text=True))
    refused = html_lib.unescape(client.get("/agents/irritants?page_size=101").get_data(as_text=True))
    assert PAGE_SIZE_MESSAGE in refused


def test_digits_int_cannot_read_are_not_taken_for_numbers(app, client, login):
    # "²".isdigit() is true but int("²") fails: these were 500s.
    login("admin")
    with get_db(app).session_scope() as s:
        cluster_id = make_cluster(s, reports=1).id
        s.commit()
    assert client.get("/agents/irritants?q=%C2%B2").status_code == 200
    assert client.get(f"/agents/irritants/{cluster_id}?page=%C2%B2").status_code == 200
    assert client.get("/agents/modeles?modifier=%C2%B2").status_code == 404
    assert client.get("/api/v1/triage/clusters?q=%C2%B2").status_code == 200


def test_an_unknown_administration_filter_comes_with_the_other_errors(client, lists):
    for url, headers in lists[:2]:
        errors = pointers(client.get(f"{url}?administration=ministere-inconnu&page_size=500", headers=headers))
        assert errors == {"#/administration": ["Administration inconnue."], "#/page_size": [PAGE_SIZE_MESSAGE]}, url
        assert client.get(f"{url}?administration=caf", headers=headers).status_code == 200
