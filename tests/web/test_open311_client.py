"""A GeoReport v2 client from PyPI (``georeport``), unchanged, against the Open311 door on a real gunicorn.

The client reads (services, definitions, requests) in XML and in JSON; it does not create requests, so the post is
the plain form-encoded POST the specification describes, as any client sends it.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
import requests
from georeport import GeoReport

from tests.gunicorn_server import Gunicorn
from tests.web.open311_helpers import new_partner, open311_form

pytestmark = pytest.mark.slow


@pytest.fixture
def server(database_url, make_app):
    app = make_app()  # registers the database cleanup for this test
    with Gunicorn(database_url, workers=1, env={"IRRITANTS_CLUSTERING_ENCODER": "tfidf"}) as running:
        yield app, running


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_pypi_georeport_client_reads_what_a_partner_posted(server, fmt):
    app, running = server
    root = f"{running.url}/open311/v2"
    client = GeoReport(root, jurisdiction="irritants.beta.gouv.fr", output_format=fmt)

    services = client.get_service_list()
    codes = [service["service_code"] for service in services]
    assert "caf" in codes and any(code.startswith("caf:") for code in codes)

    definition = client.get_service_definition("caf")
    attributes = definition["attributes"]["attribute"] if fmt == "xml" else definition["attributes"]
    assert [a["code"] for a in attributes][:3] == ["departement", "channel", "severity"]

    key = new_partner(app, f"Application citoyenne {fmt}")
    posted = requests.post(
        f"{root}/requests.{fmt}",
        data=open311_form(key, description=f"Mon dossier de RSA est bloqué depuis trois mois ({fmt})."),
        timeout=20,
    )
    assert posted.status_code == 200
    assert posted.headers["Content-Type"].startswith("text/xml" if fmt == "xml" else "application/json")
    if fmt == "json":
        reference = posted.json()[0]["service_request_id"]
    else:
        reference = ET.fromstring(posted.content).findtext("request/service_request_id")

    one = client.get_service_request(reference)
    assert one["service_request_id"] == reference
    assert one["status"] == "open"
    assert one["service_code"] == "caf"

    listed = client.get_service_requests(service_request_id=reference)
    listed = [listed] if isinstance(listed, dict) else listed  # xmltodict gives one element as a mapping
    assert [item["service_request_id"] for item in listed] == [reference]
    assert client.get_service_requests(status="open", service_code="caf")

    refused = requests.post(f"{root}/requests.{fmt}", data=open311_form("mauvaise-cle"), timeout=20)
    assert refused.status_code == 403
