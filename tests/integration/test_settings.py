"""Settings checked at boot and handed to services: a bad variable stops the start (app, command line), and an
irritant reshaped outside any request — by a command or a job — is rescored with the configured weights, exactly as
a request or ``irritants rerank`` rescores it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from irritants import create_app
from irritants.auth.api_tokens import create_token
from irritants.auth.services import agent_for
from irritants.clusters import stats
from irritants.clusters.models import Cluster
from irritants.config import ConfigurationError
from irritants.db import get_db
from irritants.intake.models import Report
from irritants.ranking import Weights
from irritants.settings import settings_of
from irritants.triage import services as triage
from tests.conftest import make_cluster, make_user, report_payload
from tests.integration.test_clustering_service import THEMES, post_reports

# Far from the defaults, and time-independent (no recency term), so that scores can be compared exactly.
CUSTOM_WEIGHTS = '{"people": 40, "severity": 1, "recency": 0, "breadth": 9}'


def scores(app) -> dict[int, float]:
    with get_db(app).session_scope() as s:
        return {c.id: c.score for c in s.scalars(select(Cluster).order_by(Cluster.id))}


def rerank(app) -> dict[int, float]:
    """What ``irritants rerank`` computes with the configured weights."""
    result = app.test_cli_runner().invoke(args=["rerank"])
    assert result.exit_code == 0, result.output
    return scores(app)


def test_create_app_refuses_a_bad_variable_and_names_it(monkeypatch, database_url):
    monkeypatch.setenv("IRRITANTS_RANKING_WEIGHTS", '{"people": -1}')
    with pytest.raises(ConfigurationError, match=r"^IRRITANTS_RANKING_WEIGHTS invalide") as caught:
        create_app({"ENV": "testing", "DATABASE_URL": database_url})
    assert "people" in str(caught.value)
    monkeypatch.setenv("IRRITANTS_RANKING_WEIGHTS", "{}")
    monkeypatch.setenv("IRRITANTS_JOBS_MODE", "sometimes")
    with pytest.raises(ConfigurationError, match=r"^IRRITANTS_JOBS_MODE invalide"):
        create_app({"ENV": "testing", "DATABASE_URL": database_url})


def test_the_command_line_stops_with_the_variable_named(monkeypatch, database_url):
    from irritants.cli import main

    monkeypatch.setenv("IRRITANTS_ENV", "testing")
    monkeypatch.setenv("IRRITANTS_DATABASE_URL", database_url)
    monkeypatch.setenv("IRRITANTS_RANKING_WEIGHTS", '{"people": 12')
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)  # FlaskGroup sets it: restored after the test
    result = CliRunner().invoke(main, ["rerank"])
    assert result.exit_code == 1
    assert "Error: IRRITANTS_RANKING_WEIGHTS invalide : JSON illisible" in result.output
    assert "Traceback" not in result.output


def test_a_merge_outside_any_request_is_rescored_with_the_configured_weights(make_app):
    app = make_app(RANKING_WEIGHTS=CUSTOM_WEIGHTS)
    with app.app_context(), get_db(app).session_scope() as s:
        # As a command or a job does: no request, the app's settings passed to the service.
        owner = agent_for(s, make_user(s, "product_owner"))
        target, source = make_cluster(s, "Cible", reports=3), make_cluster(s, "Source", reports=2)
        target_id = target.id
        triage.merge(s, owner, target.id, [source.id], ranking=settings_of(app).ranking)
        s.commit()
        after_merge = scores(app)
        assert rerank(app) == after_merge
        # The weights make a difference: the defaults would have given another score.
        stats.refresh(s, Weights(), [target_id])
        s.expire_all()
        assert s.get(Cluster, target_id).score != after_merge[target_id]
        s.rollback()


def test_a_split_and_a_move_outside_any_request_are_rescored_with_the_configured_weights(make_app):
    app = make_app(RANKING_WEIGHTS=CUSTOM_WEIGHTS)
    with app.app_context(), get_db(app).session_scope() as s:
        owner = agent_for(s, make_user(s, "product_owner"))
        origin, other = make_cluster(s, "Origine", reports=4), make_cluster(s, "Autre", reports=1)
        ids = list(s.scalars(select(Report.id).where(Report.cluster_id == origin.id).order_by(Report.id)))
        ranking = settings_of(app).ranking
        triage.split(s, owner, origin.id, ids[:2], ranking=ranking)
        triage.move_report(s, owner, ids[2], other.id, ranking=ranking)
        s.commit()
        after = scores(app)
        assert len(after) == 3
        assert rerank(app) == after


def test_a_merge_through_the_api_is_rescored_with_the_configured_weights(make_app):
    app = make_app(RANKING_WEIGHTS=CUSTOM_WEIGHTS)
    with app.app_context(), get_db(app).session_scope() as s:
        token = create_token(s, make_user(s, "product_owner"), "tests")[1]
        target, source = make_cluster(s, "Cible", reports=2), make_cluster(s, "Source", reports=3)
        s.commit()
        target_id, source_id = target.id, source.id
    merged = app.test_client().post(
        f"/api/v1/triage/clusters/{target_id}/merge",
        json={"source_ids": [source_id]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert merged.status_code == 200, merged.get_data(as_text=True)
    with app.app_context():
        after = scores(app)
        assert rerank(app) == after


def test_the_clustering_job_rescores_new_reports_with_the_configured_weights(make_app):
    app = make_app(RANKING_WEIGHTS=CUSTOM_WEIGHTS)
    client = app.test_client()
    post_reports(client)
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["recluster"]).exit_code == 0  # fits TF-IDF for the job
        before = scores(app)
        # Placed by the (inline) job right after the commit, which rescores its irritant.
        sent = client.post(
            "/api/v1/reports", json=report_payload(description=THEMES["iban"].format(n=42), administration="caf")
        )
        assert sent.status_code == 201, sent.get_data(as_text=True)
        after = scores(app)
        assert after != before
        assert rerank(app) == after
