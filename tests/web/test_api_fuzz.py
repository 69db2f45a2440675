"""Whatever a client sends, the API answers with a documented status, never a 500."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from irritants.auth.api_tokens import create_token
from irritants.db import get_db
from irritants.intake.models import Report
from irritants.intake.schemas import ReportCreateSchema
from tests.conftest import make_cluster, make_user, report_payload

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)  # JSON has neither (Python writes them, a 400)
    | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELDS = list(ReportCreateSchema().fields)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6))
def test_random_field_values_never_crash_the_api(client, overrides):
    response = client.post("/api/v1/reports", json=report_payload(**overrides))
    assert response.status_code in (201, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["errors"]


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_api(client, body):
    response = client.post("/api/v1/reports", data=body, content_type="application/json")
    assert response.status_code in (400, 422), body
    assert response.mimetype == "application/problem+json"


@SETTINGS
@given(st.text(min_size=1, max_size=300).filter(lambda t: "/" not in t and "\x00" not in t))
def test_random_tracking_tokens_are_404(client, token):
    response = client.get(
        "/api/v1/reports/" + json.dumps(token)[1:-1].replace("\\", "%5C").replace("?", "%3F").replace("#", "%23")
    )
    assert response.status_code in (404, 405), token


AGENT_FIELDS = ["to", "reason", "template_id", "expected_version", "routed_to", "duplicate_of", "source_ids"]
AGENT_FIELDS += ["expected_versions", "report_ids", "label", "keywords", "squad_id", "pinned", "to_cluster_id"]
AGENT_FIELDS += ["cluster_ids", "operation", "title", "body", "decision", "expected"]
AGENT_WRITES = [
    *(f"/api/v1/triage/clusters/{{cluster}}/{action}" for action in ("status", "merge", "unmerge", "split")),
    *(f"/api/v1/triage/clusters/{{cluster}}/{action}" for action in ("assign", "pin", "label")),
    "/api/v1/triage/reports/{report}/move",
    "/api/v1/triage/bulk",
    "/api/v1/triage/templates",
    "/api/v1/moderation/reports/{report}/decision",
]


@SETTINGS
@example(url="/api/v1/triage/clusters/{cluster}/merge", body={"source_ids": [2], "expected_versions": []})
@given(st.sampled_from(AGENT_WRITES), st.dictionaries(st.sampled_from(AGENT_FIELDS), json_values, max_size=5))
def test_random_decision_bodies_never_crash_the_api(app, client, url, body):
    # "expected_versions": [] formatted a message holding "{ identifiant : version }": a KeyError, so a 500.
    if not hasattr(app, "fuzz_ids"):
        with get_db(app).session_scope() as s:
            cluster = make_cluster(s, reports=1)
            _, token = create_token(s, make_user(s, "admin"), "fuzz")
            s.commit()
            report = s.scalar(select(Report.id).where(Report.cluster_id == cluster.id))
            app.fuzz_ids = {"cluster": cluster.id, "report": report, "token": token}
    ids = app.fuzz_ids
    response = client.post(url.format(**ids), json=body, headers={"Authorization": f"Bearer {ids['token']}"})
    assert response.status_code < 500, (url, body, response.get_data(as_text=True))
