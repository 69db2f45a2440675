"""The matrix covers every back-office route and runs each in one part; what a role sees of moderation and raw texts,
and a revoked token refused everywhere."""

from __future__ import annotations

import re
from pathlib import Path

from irritants.auth.models import ApiToken
from irritants.db import get_db
from irritants.intake.models import Moderation
from tests.conftest import make_cluster, make_report, sign_in
from tests.web.authorization.matrix import (
    BACK_OFFICE_PREFIXES,
    PARTS,
    PUBLIC_ENDPOINTS,
    ROUTES,
    part_of,
    snapshot,
)


def test_every_back_office_route_is_in_the_matrix(app):
    found = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(BACK_OFFICE_PREFIXES) and rule.endpoint not in PUBLIC_ENDPOINTS
    }
    assert found == {endpoint.removesuffix(".links") for endpoint in ROUTES}


def test_every_route_of_the_matrix_runs_in_a_part_that_has_its_module():
    assert {endpoint for endpoint in ROUTES if part_of(endpoint) is None} == set()
    for part in PARTS:
        module = Path(__file__).with_name(f"test_{part}.py")
        assert f'cases("{part}")' in module.read_text(encoding="utf-8"), part


def test_a_revoked_token_of_an_admin_is_refused_everywhere(matrix_app, matrix_world):
    world, principals = matrix_world
    raw = principals["admin"].token
    with matrix_app.app_context(), get_db(matrix_app).session_scope() as s:
        from irritants.db import utcnow

        s.get(ApiToken, principals["admin"].token_id).revoked_at = utcnow()
        s.commit()
    client = matrix_app.test_client()
    before = snapshot(matrix_app)
    for endpoint, spec in ROUTES.items():
        if not spec.api:
            continue
        body = spec.body(world) if spec.body else {}
        response = client.open(
            spec.path.format(**vars(world)),
            method=spec.method,
            json=body if spec.method != "GET" else None,
            headers={"Authorization": f"Bearer {raw}"},
        )
        assert response.status_code == 401, endpoint
    assert snapshot(matrix_app) == before


def test_moderation_lists_only_what_the_caller_may_moderate(matrix_app, matrix_world):
    world, principals = matrix_world
    with get_db(matrix_app).session_scope() as s:
        theirs = make_cluster(s, "Aides au logement suspendues", reports=0, squad_id=world.squad_b)
        held = {"ours": world.report}
        for name, cluster_id in (("theirs", theirs.id), ("no_squad", world.free), ("no_irritant", None)):
            report = make_report(s, moderation=Moderation.PENDING, moderation_reasons=["phone"])
            report.cluster_id = cluster_id
            held[name] = report.id
        s.commit()
    visible = {
        "po": {"ours", "no_squad", "no_irritant"},
        "po_other_squad": {"theirs", "no_squad", "no_irritant"},
        "admin": set(held),
    }
    for who, names in visible.items():
        expected = {held[name] for name in names}
        browser = matrix_app.test_client()
        sign_in(browser, principals[who].user)
        html = browser.get("/agents/moderation").get_data(as_text=True)
        assert {int(n) for n in re.findall(r'id="signalement-(\d+)"', html)} == expected, who
        api = matrix_app.test_client().get(
            "/api/v1/moderation/reports", headers={"Authorization": f"Bearer {principals[who].token}"}
        )
        assert {item["id"] for item in api.get_json()["items"]} == expected, who
        assert api.get_json()["total"] == len(expected)


def test_raw_texts_of_an_irritant_only_for_who_may_moderate_it(matrix_app, matrix_world):
    world, principals = matrix_world
    path = f"/api/v1/triage/clusters/{world.cluster}/reports"
    for who, raw in (("po", True), ("admin", True), ("po_other_squad", False), ("manager", False)):
        token = {"Authorization": f"Bearer {principals[who].token}"}
        body = matrix_app.test_client().get(path, headers=token).get_json()
        held = next(item for item in body["items"] if item["id"] == world.report)
        assert {item["raw"] for item in body["items"]} == {raw}, who
        assert (held["text"] is not None) is raw, who  # a held report's text is not even redacted-shown
        browser = matrix_app.test_client()
        sign_in(browser, principals[who].user)
        page = browser.get(f"/agents/irritants/{world.cluster}").get_data(as_text=True)
        assert ("Texte masqué tant que la modération" in page) is not raw, who
