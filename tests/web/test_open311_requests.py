"""POST requests through Open311: the report form's path, a partner's key, the département located, idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from irritants.db import get_db
from irritants.intake.models import Moderation, Report, Source
from irritants.partners import services as partners
from irritants.partners.models import PartnerRequest
from irritants.tokens import hash_token
from tests.web.open311_helpers import BASE, json_body, new_partner, open311_form, xml


def _reports(app) -> list[Report]:
    with app.app_context(), get_db(app).session_scope() as s:
        return list(s.scalars(select(Report).order_by(Report.id)))


def test_post_xml_creates_a_report_as_the_form_does(app, client):
    key = new_partner(app)
    response = client.post(f"{BASE}/requests.xml", data=open311_form(key, account_id="compte-42"))
    assert response.status_code == 200
    request = xml(response).find("request")
    assert request is not None and xml(response).tag == "service_requests"
    [report] = _reports(app)
    # The public reference, never the database id; the notice; the client's account id echoed.
    assert request.findtext("service_request_id") == report.reference
    assert request.findtext("service_notice")
    assert request.findtext("account_id") == "compte-42"
    assert report.source == Source.OPEN311
    assert report.administration.slug == "caf" and report.procedure is None
    assert report.territory_code == "59"
    assert report.channel_code == "telephone"
    assert report.severity.value == "rupture_de_droits"
    assert report.moderation == Moderation.PUBLISHED
    assert response.headers["Cache-Control"] == "no-store"


def test_post_json_with_a_demarche_service_and_every_attribute(app, client):
    key = new_partner(app)
    services = client.get(f"{BASE}/services.json").get_json()
    code = next(s["service_code"] for s in services if s["service_code"].startswith("caf:"))
    form = open311_form(
        key,
        service_code=code,
        address_string=None,
        **{"attribute[departement]": "2A", "attribute[occurred_on]": "2026-11-02", "attribute[assisted]": "true"},
    )
    response = client.post(f"{BASE}/requests.json", data=form)
    assert response.status_code == 200, response.get_data(as_text=True)
    [answer] = json_body(response)
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    assert answer["account_id"] is None
    [report] = _reports(app)
    assert report.reference == answer["service_request_id"]
    assert report.procedure.slug == code.split(":")[1]
    assert report.territory_code == "2A"
    assert report.assisted is True
    assert str(report.occurred_on) == "2026-11-02"


def test_the_open311_token_is_not_the_tracking_token_and_leads_to_the_reference(app, client):
    key = new_partner(app)
    response = client.post(f"{BASE}/requests.json", data=open311_form(key))
    reference = response.get_json()[0]["service_request_id"]
    token = response.headers["X-Open311-Token"]
    [report] = _reports(app)
    assert hash_token(token) != report.tracking_token_hash
    for fmt in ("xml", "json"):
        answer = client.get(f"{BASE}/tokens/{token}.{fmt}")
        assert answer.status_code == 200
        if fmt == "json":
            assert answer.get_json() == [{"service_request_id": reference, "token": token}]
        else:
            assert xml(answer).find("request").findtext("service_request_id") == reference
    missing = client.get(f"{BASE}/tokens/inconnu.json")
    assert missing.status_code == 404 and missing.get_json()[0]["code"] == 404


def test_a_repeated_request_gives_back_the_same_report(app, client):
    key = new_partner(app)
    first = client.post(f"{BASE}/requests.json", data=open311_form(key))
    again = client.post(f"{BASE}/requests.json", data=open311_form(key))
    assert again.status_code == 200
    assert again.get_json()[0]["service_request_id"] == first.get_json()[0]["service_request_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["X-Open311-Token"] == first.headers["X-Open311-Token"]
    assert len(_reports(app)) == 1
    with app.app_context(), get_db(app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(PartnerRequest)) == 1


def test_an_idempotency_key_reused_for_another_body_is_refused(app, client):
    key = new_partner(app)
    headers = {"Idempotency-Key": "envoi-1"}
    assert client.post(f"{BASE}/requests.json", data=open311_form(key), headers=headers).status_code == 200
    other = open311_form(key, description="Un tout autre blocage avec la CAF depuis plusieurs semaines déjà.")
    refused = client.post(f"{BASE}/requests.json", data=other, headers=headers)
    assert refused.status_code == 400
    assert "idempotence" in refused.get_json()[0]["description"]
    assert len(_reports(app)) == 1
    malformed = client.post(f"{BASE}/requests.json", data=other, headers={"Idempotency-Key": "deux mots"})
    assert malformed.status_code == 400 and "Idempotency-Key" in malformed.get_json()[0]["description"]


def test_another_partner_sending_the_same_form_creates_its_own_report(app, client):
    first, second = new_partner(app, "Ville A"), new_partner(app, "Ville B")
    a = client.post(f"{BASE}/requests.json", data=open311_form(first)).get_json()[0]
    b = client.post(f"{BASE}/requests.json", data=open311_form(second)).get_json()[0]
    assert a["service_request_id"] != b["service_request_id"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize("api_key", [None, "", "o311_faux", "x" * 500])
def test_a_missing_or_wrong_key_is_a_403(app, client, fmt, api_key):
    new_partner(app)
    response = client.post(f"{BASE}/requests.{fmt}", data=open311_form(api_key))
    assert response.status_code == 403
    if fmt == "json":
        [error] = response.get_json()
        assert error["code"] == 403 and "api_key" in error["description"]
    else:
        assert xml(response).find("error").findtext("code") == "403"
    assert _reports(app) == []


def test_a_revoked_key_is_refused(app, client):
    key = new_partner(app, "Ancien partenaire")
    with app.app_context(), get_db(app).session_scope() as s:
        partners.revoke_partner(s, "Ancien partenaire")
        s.commit()
    assert client.post(f"{BASE}/requests.json", data=open311_form(key)).status_code == 403


def test_the_key_is_stored_only_as_its_hash(app):
    key = new_partner(app)
    with app.app_context(), get_db(app).session_scope() as s:
        [partner] = partners.list_partners(s)
        assert partner.key_hash == hash_token(key)
        assert key not in (partner.key_prefix, partner.name)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"attribute[departement]": "13"}, "13"),  # the attribute first, whatever the address says
        ({"address_string": "3 place de la Mairie, 20000 Ajaccio"}, "2A"),
        ({"address_string": None, "address_id": "97400"}, "974"),
        ({"address_string": "", "address_id": "75011"}, "75"),  # an empty parameter is a missing one
    ],
)
def test_the_departement_is_taken_from_the_attribute_else_the_postcode(app, client, where, expected):
    key = new_partner(app)
    response = client.post(f"{BASE}/requests.json", data=open311_form(key, **where))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _reports(app)[0].territory_code == expected


def test_the_departement_is_taken_from_lat_long_last(app, client):
    key = new_partner(app)
    form = open311_form(key, address_string="Devant la mairie", lat="50.6366", long="3.0635")
    response = client.post(f"{BASE}/requests.json", data=form)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _reports(app)[0].territory_code == "59"


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ({"address_string": None}, "Département introuvable"),
        ({"address_string": "Devant la mairie"}, "Département introuvable"),
        ({"address_string": None, "lat": "48.85"}, "lat et long"),
        ({"address_string": None, "lat": "abc", "long": "2.35"}, "lat invalide"),
        ({"address_string": None, "lat": "47.0", "long": "-30.0"}, "aucun département"),  # the Atlantic
        ({"attribute[departement]": "99"}, "attribute[departement]"),
    ],
)
def test_no_departement_is_a_400_saying_what_to_send(app, client, where, words):
    key = new_partner(app)
    response = client.post(f"{BASE}/requests.json", data=open311_form(key, **where))
    assert response.status_code == 400
    assert any(words in error["description"] for error in response.get_json()), response.get_json()
    assert _reports(app) == []


def test_the_form_validation_applies_and_names_open311_fields(app, client):
    key = new_partner(app)
    form = open311_form(key, description="Trop court", **{"attribute[severity]": None, "attribute[channel]": "pigeon"})
    response = client.post(f"{BASE}/requests.xml", data=form)
    assert response.status_code == 400
    descriptions = [e.findtext("description") for e in xml(response).findall("error")]
    assert all(e.findtext("code") == "400" for e in xml(response).findall("error"))
    assert any(d.startswith("description : ") for d in descriptions)
    assert any(d.startswith("attribute[severity] : ") for d in descriptions)
    assert any(d.startswith("attribute[channel] : ") for d in descriptions)
    assert _reports(app) == []


def test_unknown_attributes_missing_and_unknown_service_codes(app, client):
    key = new_partner(app)
    unknown = client.post(f"{BASE}/requests.json", data=open311_form(key, **{"attribute[couleur]": "bleu"}))
    assert unknown.status_code == 400 and "attribute[couleur]" in unknown.get_json()[0]["description"]
    missing = client.post(f"{BASE}/requests.json", data=open311_form(key, service_code=""))
    assert missing.status_code == 400 and "service_code" in missing.get_json()[0]["description"]
    wrong = client.post(f"{BASE}/requests.json", data=open311_form(key, service_code="caf:inconnue"))
    assert wrong.status_code == 404
    assert _reports(app) == []


def test_personal_data_holds_the_report_for_moderation_and_out_of_the_lists(app, client):
    key = new_partner(app)
    text = "Mon dossier est bloqué, écrivez-moi à camille.martin@example.org ou au 06 12 34 56 78 svp."
    response = client.post(f"{BASE}/requests.json", data=open311_form(key, description=text))
    assert response.status_code == 200
    reference = response.get_json()[0]["service_request_id"]
    [report] = _reports(app)
    assert report.moderation == Moderation.PENDING
    assert client.get(f"{BASE}/requests.json").get_json() == []
    assert client.get(f"{BASE}/requests/{reference}.json").status_code == 404


def test_posting_needs_no_csrf_token_but_keeps_the_control_character_check(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    key = new_partner(app)
    assert client.post(f"{BASE}/requests.json", data=open311_form(key)).status_code == 200
    refused = client.post(f"{BASE}/requests.json", data=open311_form(key, description="Bloqué\x00 depuis trois mois"))
    assert refused.status_code == 400
    assert refused.get_json()[0]["code"] == 400


def test_posts_are_rate_limited_per_partner_key(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PARTNER_SUBMIT="2 per minute")
    client = app.test_client()
    key, other = new_partner(app, "A"), new_partner(app, "B")
    for n in range(2):
        form = open311_form(key, description=f"Mon dossier de RSA est bloqué depuis {n + 2} mois sans réponse.")
        assert client.post(f"{BASE}/requests.json", data=form).status_code == 200
    limited = client.post(f"{BASE}/requests.xml", data=open311_form(key))
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert xml(limited).find("error").findtext("code") == "429"
    assert client.post(f"{BASE}/requests.json", data=open311_form(other)).status_code == 200
