"""One schema per decision input: the same invalid input, sent through a back-office form (French field names) and
through the API (JSON), is refused with the same French messages, each shown next to its own form field."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from sqlalchemy import select

from irritants.auth.api_tokens import create_token
from irritants.db import get_db
from irritants.intake.models import Report
from irritants.moderation.schemas import ModerationDecisionSchema
from irritants.triage import schemas
from tests.conftest import make_cluster, make_report, make_user
from tests.web.test_backlog import BACKLOG, form_tokens

API = "/api/v1/triage"


@pytest.fixture
def world(app, login) -> dict[str, Any]:
    with get_db(app).session_scope() as s:
        cluster = make_cluster(s, "Courrier illisible", reports=2)
        _, token = create_token(s, make_user(s, "admin"), "schémas")
        s.commit()
        report = s.scalar(select(Report.id).where(Report.cluster_id == cluster.id).order_by(Report.id))
        ids = {"cluster": cluster.id, "report": report, "token": token}
    login("admin")
    return ids


def form_messages(page: str, key: str) -> dict[str, list[str]]:
    """Messages of a refused back-office form, by form field (the alert links each message to its field)."""
    found: dict[str, list[str]] = {}
    for name, message in re.findall(rf'<a href="#{key}-([\w-]+)">[^<]*? : ([^<]*)</a>', page):
        found.setdefault(name, []).append(htmllib.unescape(message))
    return found


def api_messages(body: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in body["errors"]:
        found.setdefault(error["pointer"].removeprefix("#/").split("/")[0], []).append(error["detail"])
    return found


CASES = [
    # form path (after /agents/irritants/<id>), form key, form data, API path, JSON body, form field, API field
    ("/libelle", "libelle", {"label": ""}, "/label", {}, "label", "label"),
    ("/libelle", "libelle", {"label": "ab"}, "/label", {"label": "ab"}, "label", "label"),
    (
        "/libelle",
        "libelle",
        {"label": "Courrier illisible", "keywords": ", ".join(f"mot{i}" for i in range(13))},
        "/label",
        {"label": "Courrier illisible", "keywords": [f"mot{i}" for i in range(13)]},
        "keywords",
        "keywords",
    ),
    ("/statut", "statut", {"to": "inconnu"}, "/status", {"to": "inconnu"}, "to", "to"),
    ("/statut", "statut", {}, "/status", {}, "to", "to"),
    (
        "/statut",
        "statut",
        {"to": "triaged", "motif": "x" * 2001},
        "/status",
        {"to": "triaged", "reason": "x" * 2001},
        "motif",
        "reason",
    ),
    (
        "/statut",
        "statut",
        {"to": "triaged", "note_publique": "x" * 1001},
        "/status",
        {"to": "triaged", "public_note": "x" * 1001},
        "note_publique",
        "public_note",
    ),
    (
        "/doublon",
        "doublon",
        {"number": "douze"},
        "/status",
        {"to": "duplicate", "duplicate_of": "douze"},
        "number",
        "duplicate_of",
    ),
    ("/doublon", "doublon", {}, "/status", {"to": "duplicate"}, "number", "duplicate_of"),
    ("/hors-perimetre", "hors-perimetre", {}, "/status", {"to": "not_our_scope"}, "routed_to", "routed_to"),
    ("/fusion", "fusion", {}, "/merge", {}, "others", "source_ids"),
    ("/fusion", "fusion", {"others": "0"}, "/merge", {"source_ids": [0]}, "others", "source_ids"),
    ("/signalements", "signalements", {"action": "scinder"}, "/split", {}, "reports", "report_ids"),
    (
        "/signalements",
        "signalements",
        {"action": "scinder", "reports": "{report}", "new_label": "ab"},
        "/split",
        {"report_ids": ["{report}"], "label": "ab"},
        "new_label",
        "label",
    ),
    ("/start-up", "start-up", {}, "/assign", {}, "squad", "squad_id"),
    ("/start-up", "start-up", {"squad": "abc"}, "/assign", {"squad_id": "abc"}, "squad", "squad_id"),
]


def fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{"):
        return int(value.format(**ids))
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


@pytest.mark.parametrize(("form_path", "key", "posted", "api_path", "body", "form_field", "api_field"), CASES)
def test_a_decision_refused_through_the_form_and_the_api_says_the_same(
    client, world, form_path, key, posted, api_path, body, form_field, api_field
):
    page_url = f"{BACKLOG}/{world['cluster']}"
    data = {name: fill(value, world) for name, value in posted.items()}
    page = client.post(page_url + form_path, data={**form_tokens(client, page_url), **data})
    assert page.status_code == 422, page.get_data(as_text=True)[:500]
    shown = form_messages(page.get_data(as_text=True), key)

    answer = client.post(
        f"{API}/clusters/{world['cluster']}{api_path}",
        json={name: fill(value, world) for name, value in body.items()},
        headers={"Authorization": f"Bearer {world['token']}"},
    )
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    said = api_messages(answer.get_json())

    assert said[api_field] and shown[form_field] == said[api_field], (shown, said)


def test_a_report_move_and_bulk_actions_say_the_same(client, world):
    token = {"Authorization": f"Bearer {world['token']}"}
    page_url = f"{BACKLOG}/{world['cluster']}"
    posted = {"action": "deplacer", "reports": world["report"]}
    page = client.post(page_url + "/signalements", data={**form_tokens(client, page_url), **posted})
    answer = client.post(f"{API}/reports/{world['report']}/move", json={}, headers=token)
    assert (
        form_messages(page.get_data(as_text=True), "signalements")["to_cluster"]
        == (api_messages(answer.get_json())["to_cluster_id"])
    )
    assert "Indiquez le numéro de l'irritant de destination." in api_messages(answer.get_json())["to_cluster_id"]

    for posted, body, form_field, api_field in (
        ({"operation": "pin"}, {"operation": "pin"}, "ids", "cluster_ids"),
        (
            {"ids": world["cluster"], "operation": "assign"},
            {"cluster_ids": [world["cluster"]], "operation": "assign"},
            "squad",
            "squad_id",
        ),
        (
            {"ids": world["cluster"], "operation": "rien"},
            {"cluster_ids": [world["cluster"]], "operation": "rien"},
            "operation",
            "operation",
        ),
    ):
        page = client.post(BACKLOG + "/lot", data={**form_tokens(client, BACKLOG), **posted})
        assert page.status_code == 422
        answer = client.post(f"{API}/bulk", json=body, headers=token)
        assert answer.status_code == 422
        said = api_messages(answer.get_json())[api_field]
        assert form_messages(page.get_data(as_text=True), "lot")[form_field] == said, posted


def test_a_reply_template_refused_through_the_form_and_the_api_says_the_same(client, world):
    token = {"Authorization": f"Bearer {world['token']}"}
    posted = {"title": "", "body": "x" * 2001, "squad": "partage"}
    page = client.post("/agents/modeles", data={**form_tokens(client, "/agents/modeles"), **posted}).get_data(
        as_text=True
    )
    answer = client.post(f"{API}/templates", json={"title": "", "body": "x" * 2001}, headers=token)
    said = api_messages(answer.get_json())
    assert said == {"title": ["Donnez un titre au modèle."], "body": ["Le texte ne doit pas dépasser 2000 caractères."]}
    for field, messages in said.items():
        assert f'<a href="#id_{field}">' in page and htmllib.escape(messages[0]) in page


def test_a_moderation_decision_refused_through_the_form_and_the_api_says_the_same(app, client, world):
    with get_db(app).session_scope() as s:
        held = make_report(s, description="Rappelez-moi au 06 12 34 56 78, mon dossier est bloqué.")
        s.commit()
        held_id = held.id
    token = {"Authorization": f"Bearer {world['token']}"}
    url = f"/agents/moderation/{held_id}"
    answer = client.post(
        f"/api/v1/moderation/reports/{held_id}/decision", json={"decision": "peut-être"}, headers=token
    )
    [message] = api_messages(answer.get_json())["decision"]
    page = client.post(url, data={**form_tokens(client, "/agents/moderation"), "decision": "peut-être"})
    assert htmllib.escape(message) in client.get(page.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    "schema",
    [
        *(getattr(schemas, name) for name in dir(schemas) if name.startswith("Triage") and name.endswith("Schema")),
        schemas.MoveReportsSchema,
        ModerationDecisionSchema,
    ],
)
def test_every_form_name_of_a_decision_schema_is_one_of_its_fields(schema):
    assert set(schema.FORM_NAMES) <= set(schema().load_fields), schema
