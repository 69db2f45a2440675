"""A merged or duplicate irritant sends its readers on to the irritant that now holds it (302: a merge can be
undone), on the public page and in the public API."""

from __future__ import annotations

import pytest
from markupsafe import escape

from irritants.auth.services import agent_for
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.status import StatusKind
from irritants.triage import services as triage
from tests.conftest import RANKING, make_cluster, make_user


@pytest.fixture
def merged(app):
    """Irritant ``a`` merged into ``b``, then ``b`` merged into ``c`` (a chain), and ``d`` marked duplicate of ``c``."""
    with get_db(app).session_scope() as s:
        po = agent_for(s, make_user(s, "product_owner"))
        a, b, c = (make_cluster(s, f"Rendez-vous introuvables {n}", reports=2) for n in "abc")
        d = make_cluster(s, "Rendez-vous introuvables d", reports=1)
        triage.merge(s, po, b.id, [a.id], ranking=RANKING)
        triage.merge(s, po, c.id, [b.id], ranking=RANKING)
        triage.change_status(s, po, d.id, StatusKind.DUPLICATE, duplicate_of=c.id)
        s.commit()
        # A merge recomputes the automatic title of the irritant that stays: the page shows the current one.
        return {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "c_label": s.get(Cluster, c.id).label}


@pytest.mark.parametrize("name", ["a", "b", "d"])
def test_the_public_page_of_a_merged_or_duplicate_irritant_redirects_to_its_root_with_a_notice(client, merged, name):
    response = client.get(f"/irritants/{merged[name]}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/irritants/{merged['c']}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Cet irritant (n° {merged[name]}) a été regroupé avec celui-ci" in page
    assert escape(merged["c_label"]) in page


def test_the_api_answers_302_with_the_irritant_it_was_merged_into(client, merged):
    response = client.get(f"/api/v1/clusters/{merged['a']}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/api/v1/clusters/{merged['c']}")
    assert response.get_json()["merged_into"] == merged["c"]
    followed = client.get(f"/api/v1/clusters/{merged['a']}", follow_redirects=True)
    assert followed.status_code == 200 and followed.get_json()["id"] == merged["c"]


def test_once_the_merge_is_undone_the_page_is_back(app, client, merged):
    with get_db(app).session_scope() as s:
        triage.unmerge(s, agent_for(s, make_user(s, "product_owner")), merged["b"], ranking=RANKING)
        s.commit()
    assert client.get(f"/irritants/{merged['b']}").status_code == 200
    assert client.get(f"/api/v1/clusters/{merged['b']}").status_code == 200


def test_an_unknown_irritant_is_still_a_404(client):
    assert client.get("/irritants/999999").status_code == 404
    assert client.get("/api/v1/clusters/999999").status_code == 404


def test_the_openapi_document_describes_the_redirect(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    responses = spec["paths"]["/api/v1/clusters/{cluster_id}"]["get"]["responses"]
    assert "302" in responses and "Location" in responses["302"]["headers"]
