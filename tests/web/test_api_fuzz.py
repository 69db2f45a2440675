"""Whatever a client sends, the API answers with a documented status, never a 500."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from irritants.intake.schemas import ReportCreateSchema
from tests.conftest import report_payload

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
