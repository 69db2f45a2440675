"""GET requests and requests/{id} through Open311: published, redacted reports; filters, windows, limits, extensions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

from irritants.db import get_db, utcnow
from irritants.intake.models import Moderation, Report
from irritants.status import StatusKind
from tests.conftest import make_cluster, make_report, make_squad
from tests.web.open311_helpers import BASE, children, json_body, xml

NOW = utcnow()


def _world(app) -> dict[str, str]:
    """Reports of several kinds; returns their references by role."""
    with app.app_context(), get_db(app).session_scope() as s:
        squad = make_squad(s, "Allocations sans attente")
        cluster = make_cluster(s, "Dossiers RSA bloqués", reports=2, squad_id=squad.id, score=12.5)
        in_cluster = s.scalars(select(Report).where(Report.cluster_id == cluster.id).order_by(Report.id)).first()
        cluster_report = in_cluster.reference
        closed = make_report(
            s,
            description="Mon titre de séjour est expiré, la préfecture ne donne aucun rendez-vous depuis des mois.",
            administration="caf",
            status=StatusKind.FIXED,
        )
        with_phone = make_report(
            s, description="Appelez-moi au 06 12 34 56 78 : mon dossier CAF est bloqué depuis mai."
        )
        with_phone.moderation = Moderation.PUBLISHED  # published by a moderator: public readers still get it redacted
        held = make_report(s, description="Mon dossier est bloqué et je ne sais plus quoi faire avec la CAF ici.")
        held.moderation = Moderation.PENDING
        old = make_report(s, description="Un ancien signalement sur les allocations qui date de plusieurs mois.")
        old.created_at = NOW - dt.timedelta(days=120)
        s.commit()
        return {
            "cluster": cluster_report,
            "closed": closed.reference,
            "phone": with_phone.reference,
            "held": held.reference,
            "old": old.reference,
        }


def _ids(response) -> list[str]:
    return [item["service_request_id"] for item in json_body(response)]


def test_requests_list_published_reports_of_the_last_90_days_in_both_formats(app, client):
    refs = _world(app)
    listed = _ids(client.get(f"{BASE}/requests.json"))
    assert {refs["cluster"], refs["closed"], refs["phone"]} <= set(listed)
    assert refs["held"] not in listed and refs["old"] not in listed
    assert len(listed) == 4  # the cluster's two reports, the closed one, the redacted one

    root = xml(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in root.findall("request")] == listed
    fields = children(root.find("request"))
    for name in (
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ):
        assert name in fields


def test_a_request_shows_status_squad_redacted_text_and_dates_with_offsets(app, client):
    refs = _world(app)
    [item] = json_body(client.get(f"{BASE}/requests/{refs['cluster']}.json"))
    assert item["status"] == "open"
    assert item["status_notes"] == "Reçu"
    assert item["agency_responsible"] == "Allocations sans attente"
    assert item["service_code"] == "caf"
    assert item["address"].endswith("(10)")
    assert item["requested_datetime"][-6:] in ("+01:00", "+02:00")
    assert dt.datetime.fromisoformat(item["updated_datetime"]) >= dt.datetime.fromisoformat(item["requested_datetime"])
    assert "extended_attributes" not in item and "notes" not in item

    [closed] = json_body(client.get(f"{BASE}/requests/{refs['closed']}.json"))
    assert closed["status"] == "closed" and closed["status_notes"] == "Corrigé"
    assert closed["agency_responsible"] is None

    phone = xml(client.get(f"{BASE}/requests/{refs['phone']}.xml")).find("request")
    assert "06 12 34 56 78" not in phone.findtext("description")
    assert "mon dossier CAF est bloqué" in phone.findtext("description")


def test_unknown_held_and_malformed_ids_are_404(app, client):
    refs = _world(app)
    for reference in (refs["held"], "AAA-BBB-CCC", "1"):
        response = client.get(f"{BASE}/requests/{reference}.xml")
        assert response.status_code == 404
        assert xml(response).find("error").findtext("code") == "404"


def test_service_request_id_list_overrides_every_other_filter(app, client):
    refs = _world(app)
    asked = f"{refs['closed']},{refs['old']} , {refs['held']}"
    response = client.get(f"{BASE}/requests.json?service_request_id={asked}&status=open&service_code=ants")
    # The old one is outside the default window, the closed one is not open: ids win. The held one stays hidden.
    assert set(_ids(response)) == {refs["closed"], refs["old"]}


def test_filters_by_status_service_code_and_dates(app, client):
    refs = _world(app)
    assert _ids(client.get(f"{BASE}/requests.json?status=closed")) == [refs["closed"]]
    assert refs["closed"] not in _ids(client.get(f"{BASE}/requests.json?status=open"))
    assert len(_ids(client.get(f"{BASE}/requests.json?status=open,closed"))) == 4
    assert len(_ids(client.get(f"{BASE}/requests.json?service_code=caf"))) == 4
    assert _ids(client.get(f"{BASE}/requests.json?service_code=ants")) == []
    start = (NOW - dt.timedelta(days=150)).isoformat()
    end = (NOW - dt.timedelta(days=100)).isoformat()
    response = client.get(f"{BASE}/requests.json", query_string={"start_date": start, "end_date": end})
    assert _ids(response) == [refs["old"]]
    only_start = client.get(f"{BASE}/requests.json", query_string={"start_date": start})  # 90 days from start
    assert _ids(only_start) == [refs["old"]]
    z = client.get(f"{BASE}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-01-02T00:00:00Z")
    assert z.status_code == 200


def test_empty_optional_parameters_behave_like_missing_ones(app, client):
    _world(app)
    plain = client.get(f"{BASE}/requests.json").get_json()
    empty = client.get(
        f"{BASE}/requests.json?service_request_id=&service_code=&start_date=&end_date=&status=&page=&page_size="
        "&extensions=&jurisdiction_id="
    )
    assert empty.get_json() == plain


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "90 jours"),
        ("start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "avant"),
        ("start_date=hier", "start_date invalide"),
        ("status=pending", "status invalide"),
        ("page_size=1001", "page_size invalide"),
        ("page=0", "page invalide"),
        ("service_request_id=<script>", "service_request_id invalide"),
    ],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_parameters_are_400_in_the_errors_format(client, query, words, fmt):
    response = client.get(f"{BASE}/requests.{fmt}?{query}")
    assert response.status_code == 400
    if fmt == "json":
        assert words in response.get_json()[0]["description"]
    else:
        error = xml(response).find("error")
        assert error.findtext("code") == "400" and words in error.findtext("description")


def test_extensions_add_the_irritant_and_the_status_history_as_notes(app, client):
    refs = _world(app)
    [item] = json_body(client.get(f"{BASE}/requests/{refs['cluster']}.json?extensions=true"))
    cluster = item["extended_attributes"]["cluster"]
    assert cluster["label"] == "Dossiers RSA bloqués" and cluster["size"] == 2 and cluster["score"] == 12.5
    assert isinstance(cluster["id"], int)
    assert item["notes"][0]["summary"] == "Signalement reçu" and item["notes"][0]["type"] == "status"
    root = xml(client.get(f"{BASE}/requests.xml?extensions=true&status=open"))
    first = root.find("request")
    assert first.find("extended_attributes") is not None
    assert first.find("notes/note/summary") is not None


def test_pages_of_the_pagination_extension(app, client):
    _world(app)
    everything = _ids(client.get(f"{BASE}/requests.json"))
    pages = [_ids(client.get(f"{BASE}/requests.json?page={n}&page_size=3")) for n in (1, 2, 3)]
    assert pages[0] + pages[1] == everything and pages[2] == []


def test_at_most_1000_requests_are_returned(app, client):
    with app.app_context(), get_db(app).session_scope() as s:
        first = make_report(s)
        columns = {c.name: getattr(first, c.key) for c in Report.__table__.columns if c.name != "id"}
        rows = []
        for n in range(1004):
            rows.append(
                {
                    **columns,
                    "reference": f"T{n:04d}-XX",
                    "tracking_token_hash": f"{n:064d}",
                    "created_at": NOW - dt.timedelta(minutes=n + 1),
                }
            )
        s.execute(insert(Report), rows)
        s.commit()
    listed = _ids(client.get(f"{BASE}/requests.json"))
    assert len(listed) == 1000
    assert listed[0] == first.reference  # newest first
    assert len(_ids(client.get(f"{BASE}/requests.json?page=2"))) == 5
