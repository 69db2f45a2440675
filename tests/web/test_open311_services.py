"""Open311 discovery, services and service definitions, in XML and in JSON, through the real HTTP stack."""

from __future__ import annotations

import pytest

from tests.web.open311_helpers import BASE, children, json_body, xml


def test_discovery_names_the_endpoint_contact_key_service_and_formats(client):
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(children(root))
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url").endswith("/open311/v2")
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    assert endpoint.findtext("changeset")[-6:] in ("+01:00", "+02:00")  # ISO 8601 with its offset

    body = json_body(client.get(f"{BASE}/discovery.json"))
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert body["contact"] and body["key_service"]


def test_services_list_one_per_administration_and_per_demarche(client):
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    services = {s.findtext("service_code"): children(s) for s in root.findall("service")}
    assert "caf" in services
    caf_procedures = [code for code in services if code.startswith("caf:")]
    assert caf_procedures, "each démarche of the CAF is a service of its own"
    caf = services["caf"]
    assert set(caf) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert caf["metadata"] == "true" and caf["type"] == "realtime"
    assert services[caf_procedures[0]]["group"] == caf["group"]

    listed = json_body(client.get(f"{BASE}/services.json"))
    assert [s["service_code"] for s in listed] == list(services)
    assert listed[0]["metadata"] is True


def test_service_definition_carries_the_form_attributes_with_value_lists(client):
    root = xml(client.get(f"{BASE}/services/caf.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "caf"
    attributes = {a.findtext("code"): a for a in root.findall("attributes/attribute")}
    assert list(attributes) == ["departement", "channel", "severity", "demarche", "occurred_on", "assisted"]
    departement = attributes["departement"]
    assert departement.findtext("datatype") == "singlevaluelist"
    assert departement.findtext("required") == "false"
    keys = [v.findtext("key") for v in departement.findall("values/value")]
    assert len(keys) == 101 and "2A" in keys and "976" in keys
    assert attributes["channel"].findtext("required") == "true"
    assert attributes["severity"].findtext("order") == "3"
    assert attributes["occurred_on"].findtext("datatype") == "string"

    body = json_body(client.get(f"{BASE}/services/caf.json"))
    assert body["service_code"] == "caf"
    codes = [a["code"] for a in body["attributes"]]
    assert codes == ["departement", "channel", "severity", "demarche", "occurred_on", "assisted"]
    assert all(a["variable"] is True for a in body["attributes"])
    assert body["attributes"][1]["values"][0].keys() == {"key", "name"}


def test_a_demarche_service_has_no_demarche_attribute(client):
    code = next(s["service_code"] for s in client.get(f"{BASE}/services.json").get_json() if ":" in s["service_code"])
    body = client.get(f"{BASE}/services/{code}.json").get_json()
    assert "demarche" not in [a["code"] for a in body["attributes"]]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_service_is_a_404_in_the_errors_format(client, fmt):
    response = client.get(f"{BASE}/services/inconnu.{fmt}")
    assert response.status_code == 404
    if fmt == "xml":
        error = xml(response).find("error")
        assert error.findtext("code") == "404"
        assert "inconnu" in error.findtext("description")
    else:
        assert json_body(response) == [
            {"code": 404, "description": "service_code inconnu : « inconnu » (voir services.xml)."}
        ]


def test_unknown_format_and_resource_answer_in_the_errors_format(client):
    response = client.get(f"{BASE}/services.csv")
    assert response.status_code == 404
    assert xml(response).tag == "errors"
    response = client.get(f"{BASE}/nothing.json")
    assert response.status_code == 404
    assert json_body(response)[0]["code"] == 404


def test_jurisdiction_id_is_accepted_and_empty_parameters_are_missing_ones(client):
    plain = client.get(f"{BASE}/services.json").get_json()
    assert client.get(f"{BASE}/services.json?jurisdiction_id=irritants.beta.gouv.fr").get_json() == plain
    assert client.get(f"{BASE}/services.json?jurisdiction_id=").get_json() == plain


def test_a_wrong_method_is_a_405_in_the_errors_format_while_the_api_keeps_problem_json(client):
    response = client.post(f"{BASE}/services.json")
    assert response.status_code == 405
    assert json_body(response)[0]["code"] == 405
    assert "Allow" in response.headers
    api = client.delete("/api/v1/territories")
    assert api.status_code == 405 and api.mimetype == "application/problem+json"
