"""Mass assignment refused: a JSON body naming a field the caller may not write (an id, a date the service keeps, a
role, a status set elsewhere, the moderation of a report…) is a 422 naming that field, and nothing is written,
on every write of the API (SECURITY.md, ASVS 8.2.3 and 2.2.1)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from irritants.db import get_db
from irritants.intake.models import Report
from tests.conftest import module_app, report_payload
from tests.web.authorization.matrix import ROUTES, Worlds, snapshot

# Fields no body of the API may set: the service writes them.
READ_ONLY = {"id": 424242, "created_at": "2020-01-01T00:00:00+00:00", "created_by_id": 1, "roles": ["admin"]}
WRITES = sorted(
    endpoint
    for endpoint, spec in ROUTES.items()
    if spec.api and spec.method in ("POST", "PATCH", "PUT") and "admin" in spec.allowed and spec.body is not None
)


@pytest.fixture(scope="module")
def api_app(database_url, tmp_path_factory):
    yield from module_app(database_url, tmp_path_factory, RATELIMIT_ENABLED=False)


@pytest.fixture(scope="module")
def worlds(api_app) -> Worlds:
    return Worlds(api_app)


def pointers(response) -> set[str]:
    return {entry["pointer"] for entry in response.get_json().get("errors", [])}


def test_there_are_api_writes_to_check():
    assert len(WRITES) > 20


@pytest.mark.parametrize("endpoint", WRITES)
def test_every_api_write_refuses_fields_the_service_keeps(api_app, worlds, endpoint):
    world, principals = worlds.get()
    spec = ROUTES[endpoint]
    world.own_token = principals["admin"].token_id
    body = spec.body(world)  # type: ignore[misc]
    extra = {name: value for name, value in READ_ONLY.items() if name not in body}
    if spec.prepare:
        spec.prepare(api_app, world)
    before = snapshot(api_app)
    response = api_app.test_client().open(
        spec.path.format(**vars(world)),
        method=spec.method,
        json={**body, **extra},
        headers={"Authorization": f"Bearer {principals['admin'].token}"},
    )
    assert response.status_code == 422, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/problem+json"
    assert {f"#/{name}" for name in extra} <= pointers(response), response.get_json()
    assert snapshot(api_app) == before, "a refused body changed the database"


@pytest.mark.parametrize(
    "field",
    [
        {"id": 1},
        {"status": "fixed"},
        {"cluster_id": 1},
        {"moderation": "published"},
        {"created_at": "2020-01-01T00:00:00+00:00"},
        {"reference": "AAAA-BBBB"},
        {"person_key": "0" * 64},
        {"source": "import"},
    ],
)
def test_a_citizen_s_report_may_not_set_what_the_service_decides(api_app, field):
    client = api_app.test_client()
    with api_app.app_context(), get_db(api_app).session_scope() as s:
        before = s.scalar(select(func.count()).select_from(Report))
    response = client.post("/api/v1/reports", json=report_payload(**field))
    assert response.status_code == 422
    assert pointers(response) == {f"#/{next(iter(field))}"}
    with api_app.app_context(), get_db(api_app).session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == before
