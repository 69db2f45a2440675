"""« C'est aussi mon cas » takes an optional email with consent (page and API), stored apart in support_contacts,
never shown nor logged, purged and erased like reports' contacts."""

from __future__ import annotations

import datetime as dt
import html
import logging

import pytest
import time_machine
from sqlalchemy import func, select

from irritants import people as anonymous
from irritants.clusters.models import Support, SupportContact
from irritants.db import get_db
from irritants.intake.services import email_hmac
from tests.conftest import TEST_SECRET, make_cluster
from tests.web.test_supporters import csrf, person

EMAIL = "Camille.Martin@Example.org"


@pytest.fixture
def cluster_id(app) -> int:
    with get_db(app).session_scope() as s:
        cluster = make_cluster(s, "Rendez-vous introuvables en préfecture", reports=1)
        s.commit()
        return cluster.id


def support_with(client, cluster_id: int, **form: str):
    return client.post(f"/irritants/{cluster_id}/moi-aussi", data={"csrf_token": csrf(client, cluster_id), **form})


def contacts(app) -> list[tuple[int, str, str, dt.datetime | None]]:
    with get_db(app).session_scope() as s:
        rows = s.execute(
            select(Support.cluster_id, SupportContact.email, SupportContact.email_hmac, SupportContact.unsubscribed_at)
            .join(Support, Support.id == SupportContact.support_id)
            .order_by(Support.id)
        )
        return [tuple(row) for row in rows]


def test_an_email_with_consent_is_kept_apart_and_never_shown(app, cluster_id, caplog):
    caplog.set_level(logging.DEBUG)
    client = person(app)
    response = support_with(client, cluster_id, email=EMAIL, contact_consent="on")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre adresse est enregistrée" in page and "ajouté votre voix" in page
    assert EMAIL.lower() not in page.lower()
    assert contacts(app) == [(cluster_id, EMAIL, email_hmac(TEST_SECRET, EMAIL), None)]
    assert EMAIL.lower() not in caplog.text.lower()
    with get_db(app).session_scope() as s:
        row = s.scalar(select(SupportContact))
        assert row.purge_after - row.consent_at == dt.timedelta(days=app.config["CONTACT_RETENTION_DAYS"])


def test_the_page_offers_the_email_and_its_consent_as_optional_fields(app, cluster_id):
    page = person(app).get(f"/irritants/{cluster_id}").get_data(as_text=True)
    assert 'name="email"' in page and 'type="email"' in page and "Adresse électronique (facultatif)" in page
    assert 'name="contact_consent"' in page and "Chaque message contient un lien pour ne plus en recevoir" in page


def test_an_email_without_consent_shows_the_page_again_in_french_and_stores_nothing(app, cluster_id):
    client = person(app)
    response = support_with(client, cluster_id, email=EMAIL)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Le formulaire contient une erreur" in page
    assert "Cochez cette case pour être recontacté par courriel, ou laissez l'adresse vide." in page
    assert f'value="{EMAIL}"' in page  # what was typed comes back
    assert contacts(app) == []
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Support)) == 0  # nothing half done


def test_a_malformed_email_is_refused_on_its_field(app, cluster_id):
    response = support_with(person(app), cluster_id, email="camille@", contact_consent="on")
    assert response.status_code == 422
    assert "Indiquez une adresse électronique valide, par exemple nom@domaine.fr." in response.get_data(as_text=True)
    assert contacts(app) == []


def test_a_second_moi_aussi_from_the_same_person_adds_the_email_to_their_support(app, cluster_id):
    client = person(app)
    support_with(client, cluster_id)
    assert contacts(app) == []
    support_with(client, cluster_id, email=EMAIL, contact_consent="on")
    assert [row[1] for row in contacts(app)] == [EMAIL]
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Support)) == 1


def test_the_api_takes_an_optional_email_with_consent(app, cluster_id):
    client = person(app)
    headers = {"X-Supporter-Id": anonymous.issue_supporter_id(TEST_SECRET)}
    url = f"/api/v1/clusters/{cluster_id}/supports"
    refused = client.post(url, json={"email": EMAIL}, headers=headers)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"] == [
        {
            "pointer": "#/contact_consent",
            "detail": "Cochez cette case pour être recontacté par courriel, ou laissez l'adresse vide.",
        }
    ]
    unknown = client.post(url, json={"email": EMAIL, "contact_consent": True, "name": "Camille"}, headers=headers)
    assert unknown.status_code == 422
    accepted = client.post(url, json={"email": EMAIL, "contact_consent": True}, headers=headers)
    assert accepted.status_code == 201 and accepted.get_json()["contact"] is True
    assert EMAIL.lower() not in accepted.get_data(as_text=True).lower()
    assert [row[1] for row in contacts(app)] == [EMAIL]


def test_the_openapi_document_describes_the_optional_body(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/clusters/{cluster_id}/supports"]["post"]
    assert operation["requestBody"]["required"] is False
    schema_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][schema_ref.rsplit("/", 1)[-1]]
    assert set(schema["properties"]) == {"email", "contact_consent"}
    assert "contact" in spec["components"]["schemas"]["SupportOut"]["properties"]


NOW = dt.datetime(2025, 6, 15, 12, 0, tzinfo=dt.UTC)


def test_purge_and_erasure_remove_supporters_emails(app, cluster_id):
    with time_machine.travel(NOW - dt.timedelta(days=400), tick=False):
        support_with(person(app, "198.51.100.1"), cluster_id, email="ancien@example.org", contact_consent="on")
    with time_machine.travel(NOW - dt.timedelta(days=10), tick=False):
        support_with(person(app, "198.51.100.2"), cluster_id, email=EMAIL, contact_consent="on")
    runner = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        purged = runner.invoke(args=["purge-personal-data"])
    assert purged.exit_code == 0 and purged.output.startswith("1 adresse supprimée"), purged.output
    assert [row[1] for row in contacts(app)] == [EMAIL]
    erased = runner.invoke(args=["erase-citizen", EMAIL.upper()])
    assert erased.exit_code == 0, erased.output
    assert "1 adresse supprimée, 1 « C’est aussi mon cas » supprimé" in erased.output
    assert contacts(app) == []
    with get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Support)) == 1  # the first supporter's voice stays
