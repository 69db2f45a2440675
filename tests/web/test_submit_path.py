"""One submit path: the public form and ``POST /api/v1/reports`` validate with the same schema and accept a report
the same way (insert, idempotent replay, commit, then wake the clustering once); only their edges differ."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from sqlalchemy import select

from irritants import events
from irritants.db import get_db
from irritants.intake.models import Report, Source
from tests.conftest import report_payload
from tests.web.test_report_form import VALID_FORM, fill


@pytest.fixture
def woken(app):
    """Report ids the clustering was woken for, in order."""
    ids: list[int] = []

    def receiver(sender, report_id, **_):
        ids.append(report_id)

    events.report_accepted.connect(receiver, sender=app)
    yield ids
    events.report_accepted.disconnect(receiver, sender=app)


def stored(app) -> list[Report]:
    with get_db(app).session_scope() as s:
        return list(s.scalars(select(Report).order_by(Report.id)))


def test_form_and_api_store_the_same_report_and_wake_the_clustering_once_each_replays_nothing(app, client, woken):
    posted = fill(client)
    assert client.post("/", data=posted).status_code == 303
    assert client.post("/", data=posted).status_code == 303  # the same form sent again: the same report
    payload = report_payload(**VALID_FORM)
    first = client.post("/api/v1/reports", json=payload, headers={"Idempotency-Key": "cle-1"})
    again = client.post("/api/v1/reports", json=payload, headers={"Idempotency-Key": "cle-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"

    web, api = stored(app)
    assert woken == [web.id, api.id]
    assert (web.source, api.source) == (Source.WEB, Source.API)
    columns = ("description", "administration_id", "procedure_id", "territory_code", "channel_code", "severity")
    assert [getattr(web, c) for c in columns] == [getattr(api, c) for c in columns]
    assert web.moderation == api.moderation and web.status == api.status


def form_errors(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, message in re.findall(r'id="id_([a-z_]+)-error[^"]*"[^>]*>\s*([^<]+?)\s*<', page):
        found.setdefault(name, []).append(htmllib.unescape(message))
    return found


@pytest.mark.parametrize(
    "fields",
    [
        {"administration": "licornes"},
        {"territory": "20"},
        {"channel": "pigeon", "description": "Trop court"},
        {"administration": "caf", "procedure": "demarche-inconnue"},
    ],
)
def test_the_same_invalid_report_gets_the_same_field_messages_from_the_form_and_the_api(app, client, woken, fields):
    page = client.post("/", data=fill(client, **fields))
    assert page.status_code == 422
    problem = client.post("/api/v1/reports", json=report_payload(**{**VALID_FORM, **fields}))
    assert problem.status_code == 422
    by_field: dict[str, list[str]] = {}
    for error in problem.get_json()["errors"]:
        by_field.setdefault(error["pointer"].removeprefix("#/"), []).append(error["detail"])
    assert form_errors(page.get_data(as_text=True)) == by_field
    assert stored(app) == [] and woken == []
